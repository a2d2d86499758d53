"""Test set-up for evaluations: funded projects with their agreement, tranches and ledger.

``funded_project`` writes what the funding area's services would have written by the time a project
runs (as ``grants.demo_projects`` does): an accepted agreement, the call's tranche schedule (50 %
on signing, 30 % after the mid-term, 20 % after the final), the award and the tranches paid so far
in the ledger. The evaluation steps themselves go through the services under test.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.enums import Role
from grants.enums import AgreementState, ApplicationState, LedgerKind, TrancheStatus
from grants.models import Agreement, Application, Tranche
from grants.services import evaluations as svc
from grants.services.ledger import award_key, post_entry, tranche_paid_key
from tests.factories import ApplicationFactory, CallFactory, MembershipFactory, UserFactory

S = ApplicationState


def make_evaluator(username: str = "eva", display_name: str = "第三方评估员"):
    user = UserFactory(username=username, display_name=display_name)
    MembershipFactory(user=user, organisation=None, role=Role.EVALUATOR)
    return user


def funded_project(
    *,
    state: str = S.ACTIVE,
    mid_term_passed: bool = False,
    tranches_paid: int = 1,
    call=None,
    award: Decimal = Decimal("20000.00"),
    **kwargs,
) -> Application:
    """A project in ``state`` with an accepted agreement and ``tranches_paid`` tranches paid."""
    call = call or CallFactory(
        opens_at=timezone.now() - timedelta(days=300),
        closes_at=timezone.now() - timedelta(days=270),
    )
    application = ApplicationFactory(call=call, state=state, **kwargs)
    now = timezone.now()
    Application.objects.filter(pk=application.pk).update(
        requested_amount=award,
        mid_term_passed_at=now - timedelta(days=30) if mid_term_passed else None,
    )
    application = Application.objects.select_related("call__programme", "organisation").get(
        pk=application.pk
    )
    starts_on = timezone.localdate() - timedelta(days=200)
    agreement = Agreement.objects.create(
        application=application,
        state=AgreementState.ACCEPTED,
        number=f"TEST-{application.pk:05d}",
        award_amount=award,
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=365),
        issued_at=now - timedelta(days=203),
        accepted_at=now - timedelta(days=200),
        accepted_by=application.created_by,
    )
    post_entry(
        kind=LedgerKind.AWARD,
        amount=award,
        programme=call.programme,
        call=call,
        application=application,
        idempotency_key=award_key(agreement),
    )
    remaining = award
    schedule = call.tranche_schedule
    for number, row in enumerate(schedule, start=1):
        amount = (
            remaining
            if number == len(schedule)
            else (award * row["percent"] / 100).quantize(Decimal("0.01"))
        )
        remaining -= amount
        tranche = Tranche.objects.create(
            agreement=agreement,
            application=application,
            number=number,
            percent=row["percent"],
            amount=amount,
            condition=row["condition"],
        )
        if number <= tranches_paid:
            tranche.status = TrancheStatus.PAID
            tranche.paid_at = now - timedelta(days=150)
            tranche.save()
            post_entry(
                kind=LedgerKind.TRANCHE_PAID,
                amount=amount,
                programme=call.programme,
                call=call,
                application=application,
                tranche=tranche,
                idempotency_key=tranche_paid_key(tranche),
            )
    return application


def started(application, *, officer, evaluator, kind: str = "mid_term"):
    return svc.start_evaluation(
        application=application, kind=kind, evaluator=evaluator, actor=officer
    )


def scored(evaluation, *, evaluator, scores=(25, 16, 16, 25), bonus="", penalty="", **extra):
    """Fill every dimension (default 82 points), findings and one site visit, as a draft."""
    data = {f"score_{position}": str(score) for position, score in enumerate(scores)}
    data.update(
        {
            "bonus": str(bonus),
            "bonus_reason": "媒体报道两次" if bonus else "",
            "penalty": str(penalty),
            "penalty_reason": "季度报告迟交" if penalty else "",
            "comments": "活动按计划开展，台账齐全；建议加强志愿者培训。",
        }
    )
    data.update(extra)
    svc.record_activity(
        evaluation=evaluation,
        actor=evaluator,
        method="site_visit",
        occurred_on=timezone.localdate() - timedelta(days=1),
        place="学田社区邻里中心",
        people_contacted="项目负责人、三名志愿者",
        notes="现场查看活动台账和签到表。",
    )
    return svc.save_evaluation(evaluation=evaluation, actor=evaluator, data=data)


def tranche_statuses(application) -> list[str]:
    return list(
        Tranche.objects.filter(application=application)
        .order_by("number")
        .values_list("status", flat=True)
    )
