"""Demo agreements, tranches, disbursements on the funded projects of ``grants.demo_projects``.

- every tranche already paid gets its disbursement (prepared by finance, approved by the officer,
  paid from a treasury voucher, linked to its ledger entry): reconciled, except the latest payment
  of the “邻里+”楼道长 project which waits for the bank statement (paid);
- accepted agreements without a PDF get one (its fingerprint recorded as the accepted one);
- 钟楼社区高龄独居老人结对守望 gets its agreement issued, waiting for the organisation to accept;
- “邻里公约”议事协商能力提升: tranche 1 (releasable) has a disbursement prepared by finance,
  waiting for a second person's approval.

残障人士社区融合与辅助就业 has no releasable tranche (its tranche 3 waits for the final evaluation),
so it gets no approved-but-unpaid disbursement. Idempotent: rows are found by tranche.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from grants.demo import FUNDED_CALL_SLUG
from grants.enums import AgreementState, LedgerKind, TrancheStatus
from grants.models import Agreement, Application, Disbursement, LedgerEntry, Tranche
from grants.models.disbursements import LIVE_STATES, DisbursementMethod, DisbursementState
from grants.services import agreements as agreement_svc

D = DisbursementState
PAYER_ACCOUNT = "南通市崇川区民政局零余额账户 3206 0100 0000 1888"
TO_ISSUE = "钟楼社区高龄独居老人结对守望"
TO_REQUEST = "“邻里公约”议事协商能力提升"
LATEST_UNRECONCILED = "“邻里+”楼道长守望探访计划"


def _payee(agreement: Agreement) -> str:
    return " ".join(
        p for p in (agreement.account_name, agreement.account_bank, agreement.account_number) if p
    )


def _paid_disbursements(call, *, officer, finance) -> int:
    created = 0
    tranches = (
        Tranche.objects.filter(application__call=call, status=TrancheStatus.PAID)
        .exclude(disbursements__state__in=LIVE_STATES)
        .select_related("agreement", "application")
        .order_by("application_id", "number")
    )
    entries = {
        e.tranche_id: e
        for e in LedgerEntry.objects.filter(
            kind=LedgerKind.TRANCHE_PAID, tranche__in=[t.pk for t in tranches]
        )
    }
    latest = {}
    for tranche in tranches:
        latest[tranche.application_id] = tranche.pk
    for tranche in tranches:
        entry = entries.get(tranche.pk)
        if entry is None:
            continue
        paid_at = tranche.paid_at or entry.occurred_at
        reconciled = not (
            tranche.application.title == LATEST_UNRECONCILED
            and latest[tranche.application_id] == tranche.pk
        )
        Disbursement.objects.create(
            tranche=tranche,
            application=tranche.application,
            amount=tranche.amount,
            currency=tranche.agreement.currency,
            state=D.RECONCILED if reconciled else D.PAID,
            method=DisbursementMethod.TREASURY,
            prepared_by=finance,
            prepared_at=paid_at - timedelta(days=4),
            approved_by=officer,
            approved_at=paid_at - timedelta(days=2),
            voucher_number=entry.external_reference,
            paid_on=timezone.localdate(paid_at),
            payer_account=PAYER_ACCOUNT,
            payee_account=_payee(tranche.agreement),
            recorded_by=finance,
            recorded_at=paid_at,
            ledger_entry=entry,
            reconciled_by=finance if reconciled else None,
            reconciled_at=paid_at + timedelta(days=5) if reconciled else None,
            created_at=paid_at - timedelta(days=4),
        )
        created += 1
    return created


def _pdfs(call) -> int:
    made = 0
    for agreement in Agreement.objects.filter(
        application__call=call, state=AgreementState.ACCEPTED, pdf_sha256=""
    ).select_related("application__call__programme", "application__organisation"):
        agreement_svc.write_pdf(agreement)
        # The demo's agreements were accepted before PDFs existed: record this one as accepted.
        agreement.accepted_pdf_sha256 = agreement.pdf_sha256
        agreement.accepted_version = agreement.version
        agreement.save(update_fields=["accepted_pdf_sha256", "accepted_version"])
        made += 1
    return made


def _issue(call, *, officer) -> int:
    application = Application.objects.filter(call=call, title=TO_ISSUE).first()
    if application is None or Agreement.objects.filter(application=application).exists():
        return 0
    today = timezone.localdate()
    agreement_svc.issue_agreement(
        application=application,
        actor=officer,
        starts_on=today + timedelta(days=7),
        ends_on=today + timedelta(days=7 + 365),
        account_name=application.organisation.name,
        account_bank="江苏银行南通崇川支行",
        account_number="5010 0188 0000 4126",
    )
    return 1


def _request(call, *, finance) -> int:
    tranche = (
        Tranche.objects.filter(
            application__call=call,
            application__title=TO_REQUEST,
            number=1,
            status=TrancheStatus.RELEASABLE,
        )
        .select_related("agreement", "application")
        .first()
    )
    if tranche is None or tranche.disbursements.filter(state__in=LIVE_STATES).exists():
        return 0
    Disbursement.objects.create(
        tranche=tranche,
        application=tranche.application,
        amount=tranche.amount,
        currency=tranche.agreement.currency,
        state=D.REQUESTED,
        method=DisbursementMethod.TREASURY,
        prepared_by=finance,
        prepared_at=timezone.now() - timedelta(hours=20),
        payer_account=PAYER_ACCOUNT,
        payee_account=_payee(tranche.agreement),
        created_at=timezone.now() - timedelta(hours=20),
    )
    return 1


def seed(*, stdout) -> None:
    from grants.models import Call

    call = Call.objects.filter(slug=FUNDED_CALL_SLUG).first()
    officer = User.objects.filter(username="officer").first()
    finance = User.objects.filter(username="finance").first()
    if call is None or officer is None or finance is None:
        stdout.write("  拨款 disbursements: skipped (funded call or demo staff missing)")
        return
    with transaction.atomic():
        paid = _paid_disbursements(call, officer=officer, finance=finance)
        requested = _request(call, finance=finance)
        pdfs = _pdfs(call)
        issued = _issue(call, officer=officer)
    stdout.write(
        f"  拨款 disbursements: {paid + requested} created "
        f"({paid} paid, {requested} awaiting approval); 协议 agreements: {pdfs} PDFs, {issued} issued"
    )
