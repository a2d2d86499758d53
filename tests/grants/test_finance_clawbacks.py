"""Clawbacks (追回): the ceiling, the repayment voucher, the ledger rows, who may do what."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.enums import Role
from grants.enums import ApplicationState, LedgerKind
from grants.models.expenses import Clawback, ClawbackState
from grants.selectors_finance import project_money
from grants.services import clawbacks as svc
from grants.services import expenses as expense_svc
from grants.services.errors import TransitionRefused
from tests.grants.factories_finance import funded_project, ledger_rows, member_of, receipt, staff


@pytest.fixture(autouse=True)
def _english_messages(english):
    """These tests read the English msgids; the zh-hans wording is checked by test_translations."""


pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_user():
    return staff("officer_c", Role.OFFICER)


@pytest.fixture
def finance_user():
    return staff("finance_c", Role.FINANCE)


@pytest.fixture
def paid_project():
    # ¥20,000 awarded, tranche 1 (¥10,000) paid, running
    return funded_project(state=ApplicationState.ACTIVE)


def spend(project, amount):
    member = member_of(project.organisation, f"spender{project.pk}")
    return expense_svc.submit_expense(
        application=project,
        budget_line=project.budget_lines.get(category="activity"),
        spent_on=timezone.localdate() - timedelta(days=1),
        amount=amount,
        payee="崇川区文化中心",
        description="场地租金",
        receipts=[receipt()],
        actor=member,
    )


def test_open_clawback_posts_the_due_row(paid_project, officer_user):
    spend(paid_project, "3000")
    clawback = svc.open_clawback(
        application=paid_project,
        amount="7000",
        reason="项目终止，追回未使用资金",
        actor=officer_user,
    )
    assert clawback.state == ClawbackState.DUE
    (entry,) = ledger_rows(paid_project, LedgerKind.CLAWBACK_DUE)
    assert entry.amount == Decimal("7000.00")
    assert entry.idempotency_key == f"clawback:{clawback.pk}"
    assert clawback.due_entry_id == entry.pk
    money = project_money([paid_project.pk])[paid_project.pk]
    assert money["clawback_due"] == Decimal("7000.00")
    assert money["clawable"] == Decimal("0.00")


def test_clawback_cannot_exceed_paid_less_spent_less_already_due(paid_project, officer_user):
    spend(paid_project, "3000")  # paid 10,000 − spent 3,000 = 7,000 clawable
    svc.open_clawback(application=paid_project, amount="5000", reason="第一笔", actor=officer_user)
    with pytest.raises(ValidationError) as error:
        svc.open_clawback(
            application=paid_project, amount="2000.01", reason="超额", actor=officer_user
        )
    assert "¥2,000" in error.value.message_dict["amount"][0]
    assert Clawback.objects.count() == 1
    svc.open_clawback(application=paid_project, amount="2000", reason="第二笔", actor=officer_user)
    assert Clawback.objects.count() == 2


@pytest.mark.parametrize("amount", ["0", "-1", "x"])
def test_clawback_amount_must_be_positive(paid_project, officer_user, amount):
    with pytest.raises(ValidationError):
        svc.open_clawback(application=paid_project, amount=amount, reason="r", actor=officer_user)
    assert not Clawback.objects.exists()
    assert ledger_rows(paid_project, LedgerKind.CLAWBACK_DUE) == []


def test_clawback_needs_a_reason(paid_project, officer_user):
    with pytest.raises(ValidationError) as error:
        svc.open_clawback(application=paid_project, amount="10", reason=" ", actor=officer_user)
    assert "reason" in error.value.message_dict


def test_only_officers_open_clawbacks(paid_project, finance_user):
    member = member_of(paid_project.organisation, "member_c")
    for actor in (member, finance_user):
        with pytest.raises(PermissionDenied):
            svc.open_clawback(application=paid_project, amount="10", reason="r", actor=actor)


def test_no_clawback_on_an_unfunded_application(officer_user):
    project = funded_project(state=ApplicationState.APPROVED)
    with pytest.raises(TransitionRefused):
        svc.open_clawback(application=project, amount="10", reason="r", actor=officer_user)


def test_repayment_must_equal_the_amount_due(paid_project, officer_user, finance_user):
    clawback = svc.open_clawback(
        application=paid_project, amount="4000", reason="追回", actor=officer_user
    )
    paid_on = timezone.localdate()
    with pytest.raises(ValidationError) as error:
        svc.record_clawback_repayment(clawback, "HK-001", paid_on, "3999.99", finance_user)
    assert "¥3,999.99" in error.value.message_dict["amount"][0]
    clawback.refresh_from_db()
    assert clawback.state == ClawbackState.DUE
    assert ledger_rows(paid_project, LedgerKind.CLAWBACK_REPAID) == []

    repaid = svc.record_clawback_repayment(clawback, "HK-001", paid_on, "4000", finance_user)
    assert repaid.state == ClawbackState.REPAID
    assert repaid.voucher_number == "HK-001" and repaid.repaid_by == finance_user
    (entry,) = ledger_rows(paid_project, LedgerKind.CLAWBACK_REPAID)
    assert entry.idempotency_key == f"clawback-repaid:{clawback.pk}"
    assert entry.external_reference == "HK-001"
    money = project_money([paid_project.pk])[paid_project.pk]
    assert money["clawback_repaid"] == Decimal("4000.00")
    assert money["unspent"] == Decimal("6000.00")  # 10,000 paid − 4,000 returned

    # recording the same voucher again changes nothing; another voucher is refused
    svc.record_clawback_repayment(repaid, "HK-001", paid_on, "4000", finance_user)
    with pytest.raises(TransitionRefused):
        svc.record_clawback_repayment(repaid, "HK-002", paid_on, "4000", finance_user)
    assert len(ledger_rows(paid_project, LedgerKind.CLAWBACK_REPAID)) == 1


def test_repayment_needs_voucher_and_a_date_not_in_the_future(
    paid_project, officer_user, finance_user
):
    clawback = svc.open_clawback(
        application=paid_project, amount="10", reason="r", actor=officer_user
    )
    with pytest.raises(ValidationError) as error:
        svc.record_clawback_repayment(
            clawback, "", timezone.localdate() + timedelta(days=1), "10", finance_user
        )
    assert set(error.value.message_dict) == {"voucher_number", "paid_on"}


def test_only_finance_records_repayments(paid_project, officer_user):
    clawback = svc.open_clawback(
        application=paid_project, amount="10", reason="r", actor=officer_user
    )
    with pytest.raises(PermissionDenied):
        svc.record_clawback_repayment(clawback, "HK-9", timezone.localdate(), "10", officer_user)


def test_suggested_clawback_only_for_closed_projects_with_money_left(officer_user):
    running = funded_project(state=ApplicationState.ACTIVE)
    assert svc.suggested_clawback(running) == Decimal("0")
    closed = funded_project(state=ApplicationState.TERMINATED)
    assert svc.suggested_clawback(closed) == Decimal("10000.00")
    svc.open_clawback(application=closed, amount="10000", reason="全额追回", actor=officer_user)
    assert svc.suggested_clawback(closed) == Decimal("0")


def test_the_organisation_is_told_what_to_return(paid_project, officer_user):
    from grants.models import Notification

    member = member_of(paid_project.organisation, "told_c")
    svc.open_clawback(
        application=paid_project, amount="1234.50", reason="结余资金", actor=officer_user
    )
    (notice,) = Notification.objects.filter(verb="clawback_opened")
    assert notice.recipient == member
    assert "¥1,234.50" in notice.body and "结余资金" in notice.body
