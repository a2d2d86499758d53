"""Disbursements: every transition, every forbidden one, the two-person rule, vouchers and the ledger."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm_log.models import StateLog

from grants.enums import ApplicationState, LedgerKind, TrancheStatus
from grants.models import Disbursement, LedgerEntry, Tranche
from grants.models.disbursements import DisbursementState
from grants.services import disbursements as svc
from grants.services.errors import TransitionRefused
from grants.services.tranches import stop_open_tranches
from tests.grants.factories_funding import (
    PNG_BYTES,
    approved_disbursement,
    contracted,
    make_finance,
    make_officer,
    member_of,
    pay,
    voucher_file,
)


@pytest.fixture(autouse=True)
def _english_messages(english):
    """These tests read the English msgids; the zh-hans wording is checked by test_translations."""


pytestmark = pytest.mark.django_db
S = ApplicationState
D = DisbursementState


@pytest.fixture
def officer():
    return make_officer()


@pytest.fixture
def finance():
    return make_finance()


@pytest.fixture
def project(officer):
    return contracted(officer=officer)


def _tranche(application, number=1) -> Tranche:
    return application.tranches.get(number=number)


def _paid_rows():
    return LedgerEntry.objects.filter(kind=LedgerKind.TRANCHE_PAID)


def test_full_workflow_pays_the_tranche_and_starts_the_project(project, finance, officer):
    # given tranche 1 releasable
    tranche = _tranche(project)
    # when finance prepares, the officer approves and finance records the voucher
    disbursement = svc.prepare_disbursement(tranche=tranche, actor=finance)
    assert disbursement.state == D.REQUESTED and disbursement.amount == Decimal("10000.00")
    assert "6216600000001234" in disbursement.payee_account  # from the agreement's account
    disbursement = svc.approve_disbursement(disbursement=disbursement, actor=officer)
    assert disbursement.state == D.APPROVED and disbursement.approved_by == officer
    disbursement = pay(disbursement, finance, voucher_scan=voucher_file("回单.png", PNG_BYTES))

    # then the ledger, the tranche and the project all say paid
    entry = _paid_rows().get()
    assert entry.amount == Decimal("10000.00") and entry.tranche == tranche
    assert entry.external_reference == "GKZF2026000123"
    assert disbursement.state == D.PAID and disbursement.ledger_entry == entry
    assert disbursement.voucher_sha256 and disbursement.voucher_scan.name.endswith(".png")
    tranche.refresh_from_db()
    project.refresh_from_db()
    assert tranche.status == TrancheStatus.PAID and tranche.paid_at is not None
    assert project.state == S.ACTIVE
    # and reconciliation closes it
    disbursement = svc.reconcile_disbursement(disbursement=disbursement, actor=finance)
    assert disbursement.state == D.RECONCILED and disbursement.reconciled_by == finance
    transitions = set(
        StateLog.objects.filter(object_id=disbursement.pk).values_list("transition", flat=True)
    )
    assert {"approve", "pay", "reconcile"} <= transitions


def test_the_preparer_can_never_approve(project, finance):
    disbursement = svc.prepare_disbursement(tranche=_tranche(project), actor=finance)
    with pytest.raises(PermissionDenied, match="two-person"):
        svc.approve_disbursement(disbursement=disbursement, actor=finance)
    disbursement.refresh_from_db()
    assert disbursement.state == D.REQUESTED and disbursement.approved_by is None


def test_the_database_refuses_an_approval_by_the_preparer(project, finance):
    disbursement = svc.prepare_disbursement(tranche=_tranche(project), actor=finance)
    with pytest.raises(IntegrityError), transaction.atomic():
        Disbursement.objects.filter(pk=disbursement.pk).update(approved_by=finance)


def test_another_finance_user_may_approve(project, finance):
    disbursement = svc.prepare_disbursement(tranche=_tranche(project), actor=finance)
    colleague = make_finance("frank")
    disbursement = svc.approve_disbursement(disbursement=disbursement, actor=colleague)
    assert disbursement.state == D.APPROVED


def test_applicants_and_outsiders_cannot_act(project, finance, officer):
    member = member_of(project.organisation, "amy2")
    with pytest.raises(PermissionDenied):
        svc.prepare_disbursement(tranche=_tranche(project), actor=member)
    with pytest.raises(PermissionDenied):
        svc.prepare_disbursement(tranche=_tranche(project), actor=officer)  # finance prepares
    disbursement = svc.prepare_disbursement(tranche=_tranche(project), actor=finance)
    with pytest.raises(PermissionDenied):
        svc.approve_disbursement(disbursement=disbursement, actor=member)
    svc.approve_disbursement(disbursement=disbursement, actor=officer)
    with pytest.raises(PermissionDenied):
        pay(disbursement, officer)  # officers approve; finance records payments
    with pytest.raises(PermissionDenied):
        pay(disbursement, member)
    assert not _paid_rows().exists()


def test_only_a_releasable_tranche_can_be_prepared(project, finance):
    with pytest.raises(TransitionRefused, match="releasable"):
        svc.prepare_disbursement(tranche=_tranche(project, 2), actor=finance)
    stop_open_tranches(application=project, reason="项目终止")
    with pytest.raises(TransitionRefused):
        svc.prepare_disbursement(tranche=_tranche(project), actor=finance)
    assert not Disbursement.objects.exists()


def test_one_live_disbursement_per_tranche(project, finance):
    svc.prepare_disbursement(tranche=_tranche(project), actor=finance)
    with pytest.raises(TransitionRefused, match="already has"):
        svc.prepare_disbursement(tranche=_tranche(project), actor=finance)
    assert Disbursement.objects.count() == 1


def test_the_database_allows_one_live_disbursement_per_tranche(project, finance):
    first = svc.prepare_disbursement(tranche=_tranche(project), actor=finance)
    with pytest.raises(IntegrityError), transaction.atomic():
        Disbursement.objects.create(
            tranche=first.tranche, application=project, amount=first.amount, prepared_by=finance
        )


def test_amount_must_be_positive_in_the_database(project, finance):
    with pytest.raises(IntegrityError), transaction.atomic():
        Disbursement.objects.create(
            tranche=_tranche(project), application=project, amount=0, prepared_by=finance
        )


def test_cancel_frees_the_tranche_for_a_new_disbursement(project, finance, officer):
    disbursement = svc.prepare_disbursement(tranche=_tranche(project), actor=finance)
    with pytest.raises(ValidationError):
        svc.cancel_disbursement(disbursement=disbursement, actor=officer, reason=" ")
    disbursement = svc.cancel_disbursement(
        disbursement=disbursement, actor=officer, reason="收款账户有误"
    )
    assert disbursement.state == D.CANCELLED and disbursement.failure_reason == "收款账户有误"
    again = svc.prepare_disbursement(tranche=_tranche(project), actor=finance)
    assert again.state == D.REQUESTED


def test_cancel_an_approved_one_but_not_a_paid_one(project, finance, officer):
    disbursement = approved_disbursement(project, finance=finance, approver=officer)
    svc.cancel_disbursement(disbursement=disbursement, actor=finance, reason="暂缓")
    second = approved_disbursement(project, finance=finance, approver=officer)
    pay(second, finance)
    with pytest.raises(TransitionRefused):
        svc.cancel_disbursement(disbursement=second, actor=officer, reason="再议")
    second.refresh_from_db()
    assert second.state == D.PAID


def test_bank_rejection_before_payment_fails_it_and_posts_nothing(project, finance, officer):
    disbursement = approved_disbursement(project, finance=finance, approver=officer)
    disbursement = svc.fail_disbursement(
        disbursement=disbursement, actor=finance, reason="银行退票：户名不符"
    )
    assert disbursement.state == D.FAILED and "户名不符" in disbursement.failure_reason
    assert not _paid_rows().exists()
    tranche = _tranche(project)
    assert tranche.status == TrancheStatus.RELEASABLE
    # a new disbursement may be prepared
    assert svc.prepare_disbursement(tranche=tranche, actor=finance).state == D.REQUESTED


def test_a_paid_disbursement_cannot_be_marked_failed(project, finance, officer):
    disbursement = pay(approved_disbursement(project, finance=finance, approver=officer), finance)
    with pytest.raises(TransitionRefused, match="correcting entry"):
        svc.fail_disbursement(disbursement=disbursement, actor=finance, reason="退汇")
    assert _paid_rows().count() == 1


def test_forbidden_transitions(project, finance, officer):
    requested = svc.prepare_disbursement(tranche=_tranche(project), actor=finance)
    with pytest.raises(TransitionRefused):
        pay(requested, finance)  # not approved yet
    with pytest.raises(TransitionRefused):
        svc.reconcile_disbursement(disbursement=requested, actor=finance)
    with pytest.raises(TransitionRefused):
        svc.fail_disbursement(disbursement=requested, actor=finance, reason="x")
    approved = svc.approve_disbursement(disbursement=requested, actor=officer)
    with pytest.raises(TransitionRefused):
        svc.reconcile_disbursement(disbursement=approved, actor=finance)
    paid = pay(approved, finance)
    with pytest.raises(TransitionRefused):
        svc.approve_disbursement(disbursement=paid, actor=make_finance("f3"))
    cancelled_one = paid  # paid ones stay paid
    assert cancelled_one.state == D.PAID
    assert not Disbursement.objects.filter(state=D.FAILED).exists()


def test_approving_and_paying_twice_are_no_ops(project, finance, officer):
    disbursement = approved_disbursement(project, finance=finance, approver=officer)
    svc.approve_disbursement(disbursement=disbursement, actor=officer)
    pay(disbursement, finance)
    pay(disbursement, finance)  # the same voucher again
    assert _paid_rows().count() == 1
    with pytest.raises(TransitionRefused):
        pay(disbursement, finance, voucher_number="OTHER-1")
    assert _paid_rows().count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "9999.99"}, "amount", "nothing was recorded"),
        ({"amount": "10000.01"}, "amount", "nothing was recorded"),
        ({"amount": "0"}, "amount", "more than zero"),
        ({"amount": "-10000"}, "amount", "more than zero"),
        ({"amount": "一万"}, "amount", "Enter an amount"),
        ({"voucher_number": "  "}, "voucher_number", "voucher number"),
        ({"paid_on": None}, "paid_on", "date"),
        ({"payer_account": ""}, "payer_account", "paid from"),
        ({"voucher_scan": None}, "voucher_scan", "Upload"),
        ({"voucher_scan": "exe"}, "voucher_scan", "PDF, JPG or PNG"),
        ({"voucher_scan": "fake_pdf"}, "voucher_scan", "voucher.pdf"),
        ({"voucher_scan": "docx"}, "voucher_scan", "PDF, JPG or PNG"),
    ],
)
def test_bad_payment_input_records_nothing(project, finance, officer, overrides, field, message):
    disbursement = approved_disbursement(project, finance=finance, approver=officer)
    scan = overrides.get("voucher_scan", "keep")
    if scan == "exe":
        overrides["voucher_scan"] = voucher_file("voucher.exe", b"MZ\x90\x00")
    elif scan == "fake_pdf":
        overrides["voucher_scan"] = voucher_file("voucher.pdf", b"GIF89a not a pdf")
    elif scan == "docx":
        import io
        import zipfile

        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("word/document.xml", "<w:document/>")
        overrides["voucher_scan"] = voucher_file("voucher.docx", buffer.getvalue())
    with pytest.raises(ValidationError) as error:
        pay(disbursement, finance, **overrides)
    assert message in " ".join(str(m) for m in error.value.message_dict[field])
    disbursement.refresh_from_db()
    assert disbursement.state == D.APPROVED and not disbursement.voucher_number
    assert not _paid_rows().exists()
    project.refresh_from_db()
    assert project.state == S.CONTRACTED


def test_a_future_payment_date_is_refused(project, finance, officer):
    disbursement = approved_disbursement(project, finance=finance, approver=officer)
    with pytest.raises(ValidationError) as error:
        pay(disbursement, finance, paid_on=timezone.localdate() + timedelta(days=1))
    assert "future" in str(error.value.message_dict["paid_on"])
    assert not _paid_rows().exists()


def test_stopping_the_tranches_withdraws_payments_not_yet_made(project, finance, officer):
    disbursement = approved_disbursement(project, finance=finance, approver=officer)
    stop_open_tranches(application=project, reason="中期评估不合格")
    disbursement.refresh_from_db()
    assert disbursement.state == D.CANCELLED and disbursement.failure_reason == "中期评估不合格"
    with pytest.raises(TransitionRefused):
        pay(disbursement, finance)
    assert not _paid_rows().exists()


def test_a_tranche_stopped_behind_the_workflow_is_not_paid(project, finance, officer):
    disbursement = approved_disbursement(project, finance=finance, approver=officer)
    Tranche.objects.filter(pk=disbursement.tranche_id).update(status=TrancheStatus.BLOCKED)
    with pytest.raises(TransitionRefused, match="nothing was recorded"):
        pay(disbursement, finance)
    assert not _paid_rows().exists()


def test_later_tranches_are_paid_without_restarting_the_project(project, finance, officer):
    pay(approved_disbursement(project, finance=finance, approver=officer), finance)
    from grants.services.tranches import open_tranches

    open_tranches(application=project, condition="mid_term_passed")
    pay(approved_disbursement(project, finance=finance, approver=officer, number=2), finance,
        voucher_number="GKZF-2")  # fmt: skip
    project.refresh_from_db()
    assert project.state == S.ACTIVE
    assert sum(e.amount for e in _paid_rows()) == Decimal("16000.00")


def test_only_finance_reconciles_and_reconciling_twice_is_a_no_op(project, finance, officer):
    disbursement = pay(approved_disbursement(project, finance=finance, approver=officer), finance)
    with pytest.raises(PermissionDenied):
        svc.reconcile_disbursement(disbursement=disbursement, actor=officer)
    svc.reconcile_disbursement(disbursement=disbursement, actor=finance)
    again = svc.reconcile_disbursement(disbursement=disbursement, actor=finance)
    assert again.state == D.RECONCILED
    assert StateLog.objects.filter(object_id=disbursement.pk, transition="reconcile").count() == 1
