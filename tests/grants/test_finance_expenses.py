"""Expenses: the tolerance boundary, the approval machine, bad input and the ledger rows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.enums import Role
from grants.enums import ApplicationState, LedgerKind
from grants.models import LedgerEntry
from grants.models.expenses import Expense, ExpenseReceipt, ExpenseState
from grants.services import expenses as svc
from grants.services.errors import TransitionRefused
from tests.grants.factories_finance import (
    PDF,
    funded_project,
    ledger_rows,
    member_of,
    receipt,
    staff,
)


@pytest.fixture(autouse=True)
def _english_messages(english):
    """These tests read the English msgids; the zh-hans wording is checked by test_translations."""


pytestmark = pytest.mark.django_db

S = ApplicationState


@pytest.fixture
def project():
    return funded_project()


@pytest.fixture
def member(project):
    return member_of(project.organisation, "treasurer")


@pytest.fixture
def officer_user():
    return staff("officer_f", Role.OFFICER)


def activity_line(application):
    return application.budget_lines.get(category="activity")  # 16,000 of grant


def report(application, actor, *, amount, line=None, spent_on=None, receipts=None, **extra):
    return svc.submit_expense(
        application=application,
        budget_line=line or activity_line(application),
        spent_on=spent_on or timezone.localdate() - timedelta(days=3),
        amount=amount,
        payee=extra.get("payee", "南通彩印有限公司"),
        description=extra.get("description", "印刷费：宣传折页500份"),
        receipts=[receipt()] if receipts is None else receipts,
        actor=actor,
    )


def test_spending_exactly_ten_percent_over_the_line_is_accepted_at_once(project, member):
    # given a line of ¥16,000 and a tolerance of 10 per cent (ceiling ¥17,600)
    # when the organisation reports ¥17,600 on it
    expense = report(project, member, amount="17600.00")
    # then it counts at once and the ledger has its expense row
    assert expense.state == ExpenseState.ACCEPTED
    (entry,) = ledger_rows(project, LedgerKind.EXPENSE)
    assert entry.amount == Decimal("17600.00")
    assert entry.idempotency_key == f"expense:{expense.pk}"
    assert expense.ledger_entry_id == entry.pk
    assert expense.line_ceiling == Decimal("17600.00")


def test_spending_ten_point_zero_one_percent_over_needs_officer_approval(project, member):
    # ¥16,000 × 1.1001 = ¥17,601.60: one fen-step beyond the tolerance
    expense = report(project, member, amount="17601.60")
    assert expense.state == ExpenseState.NEEDS_APPROVAL
    assert ledger_rows(project, LedgerKind.EXPENSE) == []


def test_earlier_spending_on_the_line_counts_towards_the_ceiling(project, member):
    first = report(project, member, amount="10000")
    second = report(project, member, amount="7600")
    third = report(project, member, amount="0.01")
    assert [first.state, second.state, third.state] == [
        ExpenseState.ACCEPTED,
        ExpenseState.ACCEPTED,
        ExpenseState.NEEDS_APPROVAL,
    ]
    assert third.line_spent_before == Decimal("17600.00")
    assert sum(e.amount for e in ledger_rows(project, LedgerKind.EXPENSE)) == Decimal("17600.00")


def test_tolerance_is_per_call(member):
    project = funded_project(organisation=member.memberships.first().organisation, tolerance=0)
    assert report(project, member, amount="16000").state == ExpenseState.ACCEPTED
    assert report(project, member, amount="0.01").state == ExpenseState.NEEDS_APPROVAL


def test_officer_approval_posts_the_ledger_row(project, member, officer_user):
    expense = report(project, member, amount="20000")
    approved = svc.approve_expense(expense=expense, actor=officer_user, note="场地涨价，同意")
    assert approved.state == ExpenseState.APPROVED
    assert approved.decided_by == officer_user
    (entry,) = ledger_rows(project, LedgerKind.EXPENSE)
    assert entry.amount == Decimal("20000.00") and entry.recorded_by == officer_user
    # approving again is a no-op, not a second row
    svc.approve_expense(expense=approved, actor=officer_user)
    assert len(ledger_rows(project, LedgerKind.EXPENSE)) == 1


def test_officer_refusal_needs_a_reason_and_posts_nothing(project, member, officer_user):
    expense = report(project, member, amount="20000")
    with pytest.raises(ValidationError) as error:
        svc.reject_expense(expense=expense, actor=officer_user, note="  ")
    assert "note" in error.value.message_dict
    refused = svc.reject_expense(expense=expense, actor=officer_user, note="超出预算且无说明")
    assert refused.state == ExpenseState.REJECTED
    assert refused.decision_note == "超出预算且无说明"
    assert ledger_rows(project, LedgerKind.EXPENSE) == []


@pytest.mark.parametrize("first", ["approve", "reject"])
def test_a_decided_expense_cannot_be_decided_the_other_way(project, member, officer_user, first):
    expense = report(project, member, amount="20000")
    if first == "approve":
        svc.approve_expense(expense=expense, actor=officer_user)
        with pytest.raises(TransitionRefused):
            svc.reject_expense(expense=expense, actor=officer_user, note="晚了")
    else:
        svc.reject_expense(expense=expense, actor=officer_user, note="不合规")
        with pytest.raises(TransitionRefused):
            svc.approve_expense(expense=expense, actor=officer_user)


def test_an_accepted_expense_cannot_be_approved_or_refused(project, member, officer_user):
    expense = report(project, member, amount="100")
    with pytest.raises(TransitionRefused):
        svc.approve_expense(expense=expense, actor=officer_user)
    with pytest.raises(TransitionRefused):
        svc.reject_expense(expense=expense, actor=officer_user, note="x")
    assert len(ledger_rows(project, LedgerKind.EXPENSE)) == 1


def test_only_officers_decide(project, member):
    expense = report(project, member, amount="20000")
    finance = staff("fin_f", Role.FINANCE)
    for actor in (member, finance):
        with pytest.raises(PermissionDenied):
            svc.approve_expense(expense=expense, actor=actor)
    expense.refresh_from_db()
    assert expense.state == ExpenseState.NEEDS_APPROVAL


@pytest.mark.parametrize(
    ("amount", "field"),
    [("0", "amount"), ("-5", "amount"), ("abc", "amount"), ("1.234", "amount")],
)
def test_bad_amounts_are_refused_and_nothing_is_recorded(project, member, amount, field):
    with pytest.raises(ValidationError) as error:
        report(project, member, amount=amount)
    assert field in error.value.message_dict
    assert not Expense.objects.exists() and not ExpenseReceipt.objects.exists()


def test_dates_before_the_agreement_or_in_the_future_are_refused(project, member):
    starts_on = project.agreement.starts_on
    for day, words in (
        (starts_on - timedelta(days=1), "before the agreement starts"),
        (timezone.localdate() + timedelta(days=1), "future"),
    ):
        with pytest.raises(ValidationError) as error:
            report(project, member, amount="100", spent_on=day)
        assert words in " ".join(error.value.message_dict["spent_on"])
    # the first day of the agreement is fine
    assert report(project, member, amount="100", spent_on=starts_on).counts
    assert Expense.objects.count() == 1


def test_receipts_are_required_and_checked_by_content(project, member):
    with pytest.raises(ValidationError) as error:
        report(project, member, amount="100", receipts=[])
    assert "receipt" in " ".join(error.value.message_dict["receipts"])
    with pytest.raises(ValidationError):
        report(project, member, amount="100", receipts=[receipt("fake.pdf", b"not a pdf")])
    assert not Expense.objects.exists()
    expense = report(project, member, amount="100", receipts=[receipt("发票.pdf", PDF), receipt()])
    assert [r.content_type for r in expense.receipts.order_by("pk")] == [
        "application/pdf",
        "image/png",
    ]
    assert all(len(r.sha256) == 64 for r in expense.receipts.all())


def test_a_line_of_another_project_is_refused(project, member):
    other = funded_project()
    with pytest.raises(ValidationError) as error:
        report(project, member, amount="100", line=activity_line(other))
    assert "budget_line" in error.value.message_dict


def test_only_the_organisations_members_report(project):
    outsider = member_of(funded_project().organisation, "other_org")
    officer_user = staff("officer_g", Role.OFFICER)
    for actor in (outsider, officer_user):
        with pytest.raises(PermissionDenied):
            report(project, actor, amount="100")
    assert not Expense.objects.exists()


@pytest.mark.parametrize("state", [S.COMPLETED, S.TERMINATED, S.APPROVED])
def test_no_expenses_outside_the_running_states(state):
    project = funded_project(state=state)
    member = member_of(project.organisation, f"m_{state}")
    with pytest.raises(TransitionRefused):
        report(project, member, amount="100")
    assert not LedgerEntry.objects.filter(kind=LedgerKind.EXPENSE).exists()


@pytest.mark.parametrize("state", [S.CONTRACTED, S.ACTIVE, S.MID_TERM, S.FINAL_EVALUATION])
def test_expenses_are_reported_in_every_running_state(state):
    project = funded_project(state=state)
    member = member_of(project.organisation, f"m_{state}")
    assert report(project, member, amount="100").state == ExpenseState.ACCEPTED


def test_people_concerned_are_notified(project, member, officer_user):
    from grants.models import Notification

    expense = report(project, member, amount="20000")
    (to_officer,) = Notification.objects.filter(verb="expense_needs_approval")
    assert to_officer.recipient == officer_user and "南通彩印有限公司" in to_officer.body
    svc.reject_expense(expense=expense, actor=officer_user, note="没有比价记录")
    (to_member,) = Notification.objects.filter(verb="expense_rejected")
    assert to_member.recipient == member and "没有比价记录" in to_member.body
    # an expense within the tolerance bothers nobody
    report(project, member, amount="10")
    assert Notification.objects.count() == 2
