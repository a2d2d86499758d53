"""Test set-up for agreements, tranches and disbursements.

Personas: ``make_officer`` (approves), ``make_finance`` (prepares, pays, reconciles), a second
finance user for the two-person rule, the organisation's member (accepts the agreement).
Set-up goes through the services wherever they exist, so the tests see what users would.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.enums import Role
from grants.enums import ApplicationState
from grants.models import Application
from grants.services import agreements as agreement_svc
from grants.services import disbursements as svc
from incubator.models import BankAccount
from tests.factories import ApplicationFactory, CallFactory, MembershipFactory, UserFactory

S = ApplicationState

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def make_officer(username: str = "oscar_f"):
    user = UserFactory(username=username, display_name="陈官员")
    MembershipFactory(user=user, organisation=None, role=Role.OFFICER)
    return user


def make_finance(username: str = "fiona"):
    user = UserFactory(username=username, display_name=f"财务{username}")
    MembershipFactory(user=user, organisation=None, role=Role.FINANCE)
    return user


def member_of(organisation, username: str = "amy"):
    user = UserFactory(username=username, display_name="王会计")
    MembershipFactory(user=user, organisation=organisation, role=Role.APPLICANT)
    return user


def approved_application(
    *, call=None, organisation_name: str | None = None, **kwargs
) -> Application:
    call = call or CallFactory(
        max_grant=Decimal("30000.00"),
        opens_at=timezone.now() - timedelta(days=90),
        closes_at=timezone.now() - timedelta(days=60),
    )
    if organisation_name:
        from tests.factories import OrganisationFactory

        kwargs["organisation"] = OrganisationFactory(name=organisation_name)
    application = ApplicationFactory(call=call, **kwargs)
    Application.objects.filter(pk=application.pk).update(state=S.APPROVED)
    return Application.objects.select_related("call__programme", "organisation").get(
        pk=application.pk
    )


def bank_account(organisation, *, created_by):
    return BankAccount.objects.create(
        organisation=organisation,
        account_name=organisation.name,
        bank_name="中国工商银行南通崇川支行",
        account_number="1111222233334444",
        is_primary=True,
        created_by=created_by,
    )


def issue(application, officer, **kwargs):
    kwargs.setdefault("starts_on", timezone.localdate())
    kwargs.setdefault("ends_on", timezone.localdate() + timedelta(days=365))
    if not application.organisation.bank_accounts.exists():
        kwargs.setdefault("account_name", application.organisation.name)
        kwargs.setdefault("account_bank", "中国银行南通分行")
        kwargs.setdefault("account_number", "6216600000001234")
    return agreement_svc.issue_agreement(application=application, actor=officer, **kwargs)


def contracted(*, officer=None, member=None, **kwargs):
    """An application whose agreement is accepted: contracted, tranche 1 releasable."""
    officer = officer or make_officer()
    application = approved_application(**kwargs)
    member = member or member_of(application.organisation)
    agreement = issue(application, officer)
    agreement_svc.accept_agreement(
        agreement=agreement, actor=member, agreed=True, pdf_sha256=agreement.pdf_sha256,
        ip="127.0.0.1", user_agent="pytest",
    )  # fmt: skip
    application.refresh_from_db()
    return application


def voucher_file(name: str = "voucher.pdf", content: bytes = PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def pay(disbursement, finance, **overrides):
    values = {
        "voucher_number": "GKZF2026000123",
        "paid_on": timezone.localdate(),
        "amount": disbursement.amount,
        "payer_account": "南通市崇川区民政局零余额账户 3200 0000 0001",
        "payee_account": "中国银行南通分行 6216600000001234",
        "voucher_scan": voucher_file(),
    }
    values.update(overrides)
    return svc.record_payment(disbursement=disbursement, actor=finance, **values)


def approved_disbursement(application, *, finance, approver, number: int = 1):
    tranche = application.tranches.get(number=number)
    disbursement = svc.prepare_disbursement(tranche=tranche, actor=finance)
    return svc.approve_disbursement(disbursement=disbursement, actor=approver)
