"""Pages of the finance area: who sees what, the panels, the forms and their errors."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.enums import Role
from grants.enums import ApplicationState, LedgerKind
from grants.models.expenses import Clawback, ClawbackState, Expense, ExpenseState
from grants.services import clawbacks as clawback_svc
from grants.services import expenses as expense_svc
from tests.factories import PASSWORD
from tests.grants.factories_finance import funded_project, ledger_rows, member_of, receipt, staff


@pytest.fixture(autouse=True)
def _english_messages(english):
    """These tests read the English msgids; the zh-hans wording is checked by test_translations."""


pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return funded_project()


@pytest.fixture
def member(project):
    return member_of(project.organisation, "ngo_member")


@pytest.fixture
def officer_user():
    return staff("officer_v", Role.OFFICER)


@pytest.fixture
def finance_user():
    return staff("finance_v", Role.FINANCE)


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def panel(application, user, audience: str) -> str:
    """Our panel as the host pages render it (the host pages carry six areas' panels; rendering
    ours alone keeps these tests about this area)."""
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load finance_panels %}{% finance_panel application user audience %}")
    return template.render(
        Context(
            {"application": application, "user": user, "audience": audience, "request": request}
        )
    )


def expense_post(project, amount="500.00", **extra):
    data = {
        "budget_line": project.budget_lines.get(category="activity").pk,
        "spent_on": (timezone.localdate() - timedelta(days=2)).isoformat(),
        "amount": amount,
        "payee": "南通市崇川区惠民超市",
        "description": "慰问品：米面油50份",
        "receipts": [receipt()],
    }
    data.update(extra)
    return data


def test_member_reports_an_expense_through_the_form(client, project, member):
    login(client, member)
    html = panel(project, member, "applicant")
    assert reverse("grants:finance_expense_new", args=[project.pk]) in html
    assert 'enctype="multipart/form-data"' in html
    response = client.post(
        reverse("grants:finance_expense_new", args=[project.pk]), expense_post(project)
    )
    assert response.status_code == 302
    expense = Expense.objects.get()
    assert expense.state == ExpenseState.ACCEPTED and expense.payee == "南通市崇川区惠民超市"
    assert "南通市崇川区惠民超市" in panel(project, member, "applicant")
    # the receipt is served to the member, as a download
    receipt_row = expense.receipts.get()
    download = client.get(reverse("grants:finance_receipt", args=[receipt_row.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")


def test_form_errors_come_back_with_the_reason_and_nothing_is_recorded(client, project, member):
    login(client, member)
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(
        reverse("grants:finance_expense_new", args=[project.pk]),
        expense_post(project, amount="-20", spent_on=future),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'role="alert"' in body
    assert not Expense.objects.exists()
    response = client.post(
        reverse("grants:finance_expense_new", args=[project.pk]),
        expense_post(project, spent_on=future),
    )
    assert "future" in response.content.decode() or "未来" in response.content.decode()
    assert not Expense.objects.exists()


def test_other_organisations_member_gets_404_everywhere(client, project, member):
    expense = expense_svc.submit_expense(
        application=project, budget_line=project.budget_lines.first(),
        spent_on=timezone.localdate(), amount="10", payee="甲", description="乙",
        receipts=[receipt()], actor=member,
    )  # fmt: skip
    outsider = member_of(funded_project().organisation, "someone_else")
    login(client, outsider)
    for url in (
        reverse("grants:finance_expense_new", args=[project.pk]),
        reverse("grants:finance_my_statement", args=[project.pk]),
        reverse("grants:finance_my_statement_export", args=[project.pk]),
        reverse("grants:finance_receipt", args=[expense.receipts.get().pk]),
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("grants:finance_expense_new", args=[project.pk]), expense_post(project)
    )
    assert response.status_code == 404
    assert Expense.objects.count() == 1


def test_reviewer_and_applicants_get_403_on_staff_pages(client, project, member):
    reviewer = staff("rev_v", Role.REVIEWER)
    clawback_url = reverse("grants:finance_clawback_open", args=[project.pk])
    for user in (reviewer, member):
        client.logout()
        login(client, user)
        for url in (
            reverse("grants:finance_dashboard"),
            reverse("grants:finance_dashboard_export"),
            reverse("grants:finance_statement", args=[project.pk]),
            reverse("grants:finance_statement_export", args=[project.pk]),
            reverse("grants:finance_reconciliation"),
        ):
            assert client.get(url).status_code == 403, (user, url)
        assert client.post(clawback_url, {"amount": "1", "reason": "x"}).status_code == 403
    assert not Clawback.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, project):
    response = client.get(reverse("grants:finance_dashboard"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_officer_panel_lists_expenses_awaiting_approval_and_approves(
    client, project, member, officer_user
):
    expense = expense_svc.submit_expense(
        application=project, budget_line=project.budget_lines.get(category="personnel"),
        spent_on=timezone.localdate(), amount="5000", payee="督导老师", description="督导补贴",
        receipts=[receipt()], actor=member,
    )  # fmt: skip
    assert expense.state == ExpenseState.NEEDS_APPROVAL  # ceiling 4,400
    login(client, officer_user)
    page = panel(project, officer_user, "officer")
    assert "督导补贴" in page
    assert reverse("grants:finance_expense_decide", args=[expense.pk, "approve"]) in page
    response = client.post(
        reverse("grants:finance_expense_decide", args=[expense.pk, "reject"]), {"note": ""}
    )
    assert response.status_code == 302
    expense.refresh_from_db()
    assert expense.state == ExpenseState.NEEDS_APPROVAL  # a refusal needs a reason
    client.post(
        reverse("grants:finance_expense_decide", args=[expense.pk, "approve"]), {"note": "同意"}
    )
    expense.refresh_from_db()
    assert expense.state == ExpenseState.APPROVED
    assert len(ledger_rows(project, LedgerKind.EXPENSE)) == 1


def test_member_cannot_approve_their_own_overrun(client, project, member):
    expense = expense_svc.submit_expense(
        application=project, budget_line=project.budget_lines.get(category="personnel"),
        spent_on=timezone.localdate(), amount="5000", payee="x", description="y",
        receipts=[receipt()], actor=member,
    )  # fmt: skip
    login(client, member)
    response = client.post(reverse("grants:finance_expense_decide", args=[expense.pk, "approve"]))
    assert response.status_code == 403
    expense.refresh_from_db()
    assert expense.state == ExpenseState.NEEDS_APPROVAL


def test_closed_project_panel_proposes_the_unspent_amount(client, officer_user, finance_user):
    project = funded_project(state=ApplicationState.TERMINATED)
    login(client, officer_user)
    page = panel(project, officer_user, "officer")
    assert "¥10,000" in page and 'value="10000.00"' in page
    assert not Clawback.objects.exists()  # proposed, not opened
    client.post(
        reverse("grants:finance_clawback_open", args=[project.pk]),
        {"amount": "10000.00", "reason": "项目终止，追回未使用的第一期资金"},
    )
    clawback = Clawback.objects.get()
    assert clawback.amount == Decimal("10000.00")
    # over the ceiling: the officer reads why, nothing recorded
    response = client.post(
        reverse("grants:finance_clawback_open", args=[project.pk]),
        {"amount": "1", "reason": "再追回"},
    )
    message = [str(m) for m in get_messages(response.wsgi_request)][-1]
    assert "¥0" in message
    assert Clawback.objects.count() == 1

    client.logout()
    login(client, finance_user)
    statement_url = reverse("grants:finance_statement", args=[project.pk])
    assert (
        reverse("grants:finance_clawback_repaid", args=[clawback.pk])
        in client.get(statement_url).content.decode()
    )
    client.post(
        reverse("grants:finance_clawback_repaid", args=[clawback.pk]),
        {"voucher_number": "JSNT-2026-0031", "paid_on": timezone.localdate().isoformat(),
         "amount": "10000"},
    )  # fmt: skip
    clawback.refresh_from_db()
    assert clawback.state == ClawbackState.REPAID
    page = client.get(statement_url).content.decode()
    assert "JSNT-2026-0031" in page


def test_evaluator_panel_is_read_only(project, member):
    evaluator = staff("eva_v", Role.EVALUATOR)
    html = panel(project, evaluator, "evaluator")
    assert "探访活动物资" in html  # the budget line
    assert "<form" not in html
    # nothing for someone with no business there, nothing before the agreement, no other audience
    outsider = member_of(funded_project().organisation, "outsider_panel")
    assert panel(project, outsider, "evaluator").strip() == ""
    assert panel(project, outsider, "applicant").strip() == ""
    assert panel(project, evaluator, "officer").strip() == ""
    approved = funded_project(state=ApplicationState.APPROVED)
    assert panel(approved, evaluator, "evaluator").strip() == ""


def test_statement_lists_every_row_with_a_running_balance(client, project, member, officer_user):
    expense_svc.submit_expense(
        application=project, budget_line=project.budget_lines.first(),
        spent_on=timezone.localdate() - timedelta(days=1), amount="1200", payee="志愿者保险公司",
        description="志愿者保险", receipts=[receipt()], actor=member,
    )  # fmt: skip
    clawback_svc.open_clawback(application=project, amount="800", reason="结余", actor=officer_user)
    login(client, member)
    page = client.get(reverse("grants:finance_my_statement", args=[project.pk])).content.decode()
    assert "志愿者保险" in page
    assert "¥10,000" in page  # tranche 1 in
    assert "¥8,800" in page  # balance after the expense


def test_panels_appear_on_the_officer_and_applicant_pages(client, project, member, officer_user):
    login(client, officer_user)
    page = client.get(reverse("grants:officer_application", args=[project.pk])).content.decode()
    assert "finance-panel" in page
    assert reverse("grants:finance_statement", args=[project.pk]) in page
    client.logout()
    login(client, member)
    page = client.get(reverse("grants:application_detail", args=[project.pk])).content.decode()
    assert "finance-panel" in page
    assert reverse("grants:finance_my_statement", args=[project.pk]) in page
