"""A funded project with its agreement, tranches and ledger rows, and the people around it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.enums import Role
from grants.enums import AgreementState, ApplicationState, LedgerKind, TrancheStatus
from grants.models import Agreement, LedgerEntry, Tranche
from grants.services.ledger import award_key, post_entry, tranche_paid_key
from tests.factories import ApplicationFactory, MembershipFactory, UserFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%demo receipt\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def receipt(name: str = "发票.png", content: bytes = PNG) -> SimpleUploadedFile:
    content_type = "application/pdf" if name.endswith(".pdf") else "image/png"
    return SimpleUploadedFile(name, content, content_type=content_type)


def staff(username: str, role: str):
    user = UserFactory(username=username)
    MembershipFactory(user=user, organisation=None, role=role)
    return user


def member_of(organisation, username: str):
    from accounts.models import Membership

    user = UserFactory(username=username)
    if not Membership.objects.filter(
        user=user, organisation=organisation, role=Role.APPLICANT
    ).exists():
        MembershipFactory(user=user, organisation=organisation, role=Role.APPLICANT)
    return user


def funded_project(
    *,
    state: str = ApplicationState.ACTIVE,
    award: Decimal = Decimal("20000.00"),
    tranches_paid: int = 1,
    started_days_ago: int = 60,
    organisation=None,
    call=None,
    tolerance: int | None = None,
    releasable: bool = True,
):
    """An application in ``state`` with an accepted agreement for ``award`` (50/30/20 tranches),
    the award and the first ``tranches_paid`` tranches in the ledger, the next one releasable
    (stopped when terminated).
    Budget lines (from ApplicationFactory): 活动 16,000 and 人员 4,000."""
    kwargs = {"state": state}
    if organisation is not None:
        kwargs["organisation"] = organisation
    if call is not None:
        kwargs["call"] = call
    application = ApplicationFactory(**kwargs)
    if tolerance is not None:
        application.call.expense_tolerance_percent = tolerance
        application.call.save(update_fields=["expense_tolerance_percent"])
    today = timezone.localdate()
    starts_on = today - timedelta(days=started_days_ago)
    agreement = Agreement.objects.create(
        application=application,
        state=AgreementState.ACCEPTED,
        number=f"T-{application.pk:05d}",
        award_amount=award,
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=365),
        issued_at=timezone.now() - timedelta(days=started_days_ago + 3),
        issued_by=UserFactory(),
        accepted_at=timezone.now() - timedelta(days=started_days_ago),
        accepted_by=application.created_by,
        accepted_ip="10.0.0.8",
        accepted_user_agent="Mozilla/5.0 (test)",
    )
    post_entry(
        kind=LedgerKind.AWARD,
        amount=award,
        programme=None,
        application=application,
        idempotency_key=award_key(agreement),
        occurred_at=timezone.now() - timedelta(days=started_days_ago),
    )
    remaining = award
    schedule = [(50, "on_signing"), (30, "mid_term_passed"), (20, "final_passed")]
    for number, (percent, condition) in enumerate(schedule, start=1):
        amount = remaining if number == 3 else (award * percent / 100).quantize(Decimal("0.01"))
        remaining -= amount
        status = TrancheStatus.SCHEDULED
        if number <= tranches_paid:
            status = TrancheStatus.PAID
        elif state == ApplicationState.TERMINATED:
            status = TrancheStatus.BLOCKED
        elif number == tranches_paid + 1 and releasable:
            status = TrancheStatus.RELEASABLE
        tranche = Tranche.objects.create(
            agreement=agreement,
            application=application,
            number=number,
            percent=percent,
            amount=amount,
            condition=condition,
            status=status,
        )
        if status == TrancheStatus.PAID:
            post_entry(
                kind=LedgerKind.TRANCHE_PAID,
                amount=amount,
                programme=None,
                application=application,
                tranche=tranche,
                idempotency_key=tranche_paid_key(tranche),
                occurred_at=timezone.now() - timedelta(days=started_days_ago - 5),
                external_reference=f"GKZF-{tranche.pk}",
            )
    application.refresh_from_db()
    return application


def ledger_rows(application, kind: str) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(application=application, kind=kind).order_by("pk"))
