"""Expenses and the funder dashboard in real Chromium at 375 px: the organisation reports an expense
with a receipt from its phone; finance reads the dashboard (chart and tables fit the screen) and the
project's statement.

Everything in the database is set up before the first page opens; while the browser works the test
only looks at the pages, then at the rows the form wrote.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.enums import Role
from grants.models.expenses import Expense, ExpenseState
from tests.browser.test_pitch import log_in
from tests.grants.factories_finance import PNG, funded_project, member_of, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_reports_an_expense_and_finance_reads_the_dashboard(
    live_server, page, screenshot, tmp_path
):
    # given ngo1-like member of a running project and a finance officer
    project = funded_project()
    member = member_of(project.organisation, "ngo_phone")
    finance = staff("finance_phone", Role.FINANCE)
    receipt_file = tmp_path / "发票.png"
    receipt_file.write_bytes(PNG)

    # when the member reports ¥5,000 on the ¥4,000 personnel line (over the 10 % tolerance)
    log_in(page, live_server.url, member.username)
    page.goto(live_server.url + reverse("grants:finance_expense_new", args=[project.pk]))
    screenshot("01-expense-form")
    page.select_option("select[name=budget_line]", label="人员费用：社工补贴（¥4,000.00）")
    page.fill("input[name=spent_on]", (timezone.localdate() - timedelta(days=2)).isoformat())
    page.fill("input[name=amount]", "5000")
    page.fill("input[name=payee]", "社工 陈晓燕")
    page.fill("textarea[name=description]", "社工补贴：探访督导")
    page.set_input_files("input[name=receipts]", str(receipt_file))
    page.locator("form.finance-form button[type=submit]").click()
    page.wait_for_load_state()

    # then it waits for an officer's approval
    expense = Expense.objects.get()
    assert expense.state == ExpenseState.NEEDS_APPROVAL
    assert expense.receipts.count() == 1

    # and the member's statement shows the tranche paid
    page.goto(live_server.url + reverse("grants:finance_my_statement", args=[project.pk]))
    assert "¥10,000" in page.content()
    screenshot("02-member-statement")

    # when an officer approves it from the project's page
    officer = staff("officer_phone", Role.OFFICER)
    page.context.clear_cookies()
    log_in(page, live_server.url, officer.username)
    page.goto(live_server.url + reverse("grants:officer_application", args=[project.pk]))
    decision = page.locator(".finance-decision").filter(has_text="社工 陈晓燕")
    decision.locator("input[name=note]").first.fill("督导次数增加，同意")
    screenshot("03-officer-panel")
    decision.locator("button.finance-approve").click()
    page.wait_for_load_state()
    expense.refresh_from_db()
    assert expense.state == ExpenseState.APPROVED

    # when finance opens the dashboard on a phone
    page.context.clear_cookies()
    log_in(page, live_server.url, finance.username)
    page.goto(live_server.url + reverse("grants:finance_dashboard"))
    screenshot("04-dashboard")
    # then the chart is drawn and nothing makes the page wider than the screen
    assert page.locator("figure.finance-chart svg rect.finance-bar--paid").count() >= 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    page.locator("table.finance-projects a").first.click()
    page.wait_for_load_state()
    assert project.title in page.content()
    assert "¥5,000" in page.content()  # the approved expense is in the statement
    screenshot("05-statement")
