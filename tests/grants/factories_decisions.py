"""Test set-up for the decision step: calls whose applications are decided, notices, objections.

States are set with a queryset update (the state field is protected; the services are the one way
to move it in the code under test).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts.enums import Role
from grants.enums import ApplicationState, ObjectionState
from grants.models import Application, Objection, PublicNotice, ReviewSummary
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)

S = ApplicationState
O = ObjectionState  # noqa: E741


def closed_call(**kwargs):
    """A call whose submission window has closed (the review is over)."""
    now = timezone.now()
    kwargs.setdefault("opens_at", now - timedelta(days=60))
    kwargs.setdefault("closes_at", now - timedelta(days=30))
    return CallFactory(**kwargs)


def decided(call, state: str, *, rank=None, score=None, reason: str = "", **kwargs) -> Application:
    """An application of ``call`` in ``state`` with a review summary (rank, final score, reason)."""
    application = ApplicationFactory(call=call, **kwargs)
    Application.objects.filter(pk=application.pk).update(
        state=state, submitted_at=timezone.now() - timedelta(days=40)
    )
    if rank is not None or score is not None or reason:
        ReviewSummary.objects.create(
            application=application,
            rank=rank,
            final_score=Decimal(str(score)) if score is not None else None,
            expert_score=Decimal(str(score)) if score is not None else None,
            decision_reason=reason,
        )
    return Application.objects.select_related("call", "organisation").get(pk=application.pk)


def recommended(call, **kwargs) -> Application:
    return decided(call, S.RECOMMENDED, **kwargs)


def not_recommended(call, **kwargs) -> Application:
    return decided(call, S.NOT_RECOMMENDED, **kwargs)


def applicant_of(application: Application, *, language: str = "zh-hans", username=None):
    """A member of the application's organisation who created it, with a preferred language."""
    user = UserFactory(preferred_language=language, **({"username": username} if username else {}))
    MembershipFactory(user=user, organisation=application.organisation, role=Role.APPLICANT)
    Application.objects.filter(pk=application.pk).update(created_by=user)
    return user


def notice_for(call, *, by, days_ago: float = 0, open_days: float = 7) -> PublicNotice:
    """A notice published ``days_ago`` and closing ``open_days`` after publication (set-up only)."""
    published = timezone.now() - timedelta(days=days_ago)
    return PublicNotice.objects.create(
        call=call,
        title=f"关于{call.title}评审结果的公示",
        published_at=published,
        closes_at=published + timedelta(days=open_days),
        published_by=by,
        contact="0513-12345678",
    )


def objection(application: Application, *, state: str = O.UNVERIFIED, **kwargs) -> Objection:
    notice = PublicNotice.objects.get(call_id=application.call_id)
    kwargs.setdefault("name", "张三")
    kwargs.setdefault("email", "zhangsan@example.org")
    kwargs.setdefault("body", "该机构去年同类项目未按期结项，请核实。")
    row = Objection.objects.create(application=application, notice=notice, **kwargs)
    if state != O.UNVERIFIED:
        answer = (
            "经核实，该机构已按期结项，异议不成立。" if state in (O.UPHELD, O.DISMISSED) else ""
        )
        Objection.objects.filter(pk=row.pk).update(
            state=state, answer=answer, answered_at=timezone.now() if answer else None
        )
    return Objection.objects.get(pk=row.pk)


def mark_published(application: Application, *, by=None) -> None:
    """The log row ``publish_notice`` writes (what the 公示 page selects published projects by)."""
    StateLog.objects.create(
        content_type=ContentType.objects.get_for_model(Application),
        object_id=application.pk,
        transition="publish_notice",
        source_state=S.RECOMMENDED,
        state=S.PUBLIC_NOTICE,
        by=by,
    )


def many_on_notice(call, count: int, *, start: int = 0) -> list[Application]:
    """``count`` applications already on the call's notice, each from its own organisation."""
    rows = []
    for number in range(start, start + count):
        organisation = OrganisationFactory(name=f"公示测试社工服务中心{number}")
        application = decided(
            call,
            S.PUBLIC_NOTICE,
            rank=number + 1,
            score=90 - number * 0.5,
            organisation=organisation,
            title=f"公示项目{number}",
        )
        mark_published(application)
        rows.append(application)
    return rows
