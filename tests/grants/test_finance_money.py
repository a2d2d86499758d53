"""Money figures from the ledger: project_money, the funder dashboard, Excel, query counts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.enums import Role
from grants.enums import ApplicationState, LedgerKind
from grants.selectors_finance import FIGURES, dashboard, project_money, statement
from grants.services import clawbacks as clawback_svc
from grants.services import expenses as expense_svc
from grants.services.ledger import post_entry
from tests.factories import PASSWORD, CallFactory
from tests.grants.factories_finance import funded_project, member_of, receipt, staff


@pytest.fixture(autouse=True)
def _english_messages(english):
    """These tests read the English msgids; the zh-hans wording is checked by test_translations."""


pytestmark = pytest.mark.django_db


def spend(project, amount, *, line="activity", description="印刷费"):
    member = member_of(project.organisation, f"sp{project.pk}")
    return expense_svc.submit_expense(
        application=project,
        budget_line=project.budget_lines.get(category=line),
        spent_on=timezone.localdate() - timedelta(days=1),
        amount=amount,
        payee="南通彩印有限公司",
        description=description,
        receipts=[receipt()],
        actor=member,
    )


def donate(project, amount, kind=LedgerKind.DONATION, key=None):
    return post_entry(
        kind=kind,
        amount=amount,
        programme=None,
        application=project,
        idempotency_key=key or f"test-{kind}-{project.pk}-{amount}",
    )


@pytest.fixture
def officer_user():
    return staff("officer_m", Role.OFFICER)


def test_project_money_is_derived_from_the_ledger(officer_user):
    # given ¥20,000 awarded, tranche 1 (¥10,000) paid, tranche 2 (¥6,000) releasable
    project = funded_project()
    spend(project, "2500")
    spend(project, "30000")  # over the tolerance: waits, counts for nothing
    donate(project, "800")
    donate(project, "300", LedgerKind.DONATION_REFUND)
    donate(project, "800", LedgerKind.MATCHING)
    clawback = clawback_svc.open_clawback(
        application=project, amount="1000", reason="结余", actor=officer_user
    )
    clawback_svc.record_clawback_repayment(
        clawback, "HK-1", timezone.localdate(), "1000", staff("fin_m", Role.FINANCE)
    )
    clawback_svc.open_clawback(
        application=project, amount="500", reason="再追回", actor=officer_user
    )
    other = funded_project(tranches_paid=0)

    money = project_money([project.pk, other.pk])

    assert money[project.pk] == {
        "awarded": Decimal("20000.00"),
        "paid": Decimal("10000.00"),
        "pending": Decimal("6000.00"),
        "scheduled": Decimal("4000.00"),
        "stopped": Decimal("0.00"),
        "donated": Decimal("500.00"),
        "matched": Decimal("800.00"),
        "spent": Decimal("2500.00"),
        "clawback_due": Decimal("1500.00"),
        "clawback_repaid": Decimal("1000.00"),
        "clawback_open": Decimal("500.00"),
        "unspent": Decimal("6500.00"),  # 10,000 − 2,500 − 1,000
        "clawable": Decimal("6000.00"),  # 10,000 − 2,500 − 1,500
    }
    assert money[other.pk]["paid"] == 0 and money[other.pk]["pending"] == Decimal("10000.00")
    assert project_money([]) == {}


def test_project_money_takes_two_queries_whatever_the_number(django_assert_num_queries):
    projects = [funded_project() for _ in range(3)]
    with django_assert_num_queries(2):
        money = project_money([p.pk for p in projects])
    assert all(money[p.pk]["paid"] == Decimal("10000.00") for p in projects)


def test_dashboard_figures_are_the_sums_of_the_projects():
    call = CallFactory()
    other_call = CallFactory(programme=call.programme)
    projects = [
        funded_project(call=call),
        funded_project(call=call, tranches_paid=2),
        funded_project(call=other_call, state=ApplicationState.TERMINATED),
    ]
    spend(projects[0], "1234.56")
    spend(projects[1], "4000", line="personnel")
    donate(projects[1], "200")
    # a donation to the programme's matching pool, not to a project
    post_entry(
        kind=LedgerKind.MATCHING, amount="5000", programme=call.programme, idempotency_key="pool-1"
    )

    (block,) = dashboard(programme_id=call.programme_id)

    money = project_money([p.pk for p in projects])
    by_call = {row.call.pk: row for row in block.calls}
    for key in FIGURES:
        expected = money[projects[0].pk][key] + money[projects[1].pk][key]
        assert by_call[call.pk].figures[key] == expected, key
        assert by_call[other_call.pk].figures[key] == money[projects[2].pk][key], key
    assert by_call[call.pk].projects == 2
    assert block.row.figures["paid"] == Decimal("10000") + Decimal("16000") + Decimal("10000")
    assert block.row.figures["spent"] == Decimal("5234.56")
    assert block.row.figures["matched"] == Decimal("5000")  # the pool counts on the programme
    assert block.row.figures["pending"] == Decimal("6000") + Decimal("4000")
    assert block.row.figures["stopped"] == Decimal("10000")  # the terminated project's 30 + 20 %
    assert block.row.projects == 3


def test_dashboard_filters_by_programme_and_year():
    a = funded_project()
    b = funded_project()
    b.call.programme.start_year = b.call.programme.end_year = 2031
    b.call.programme.save()
    names = [blk.row.label for blk in dashboard(year=2031)]
    assert names == [b.call.programme.name]
    assert [blk.row.label for blk in dashboard(programme_id=a.call.programme_id)] == [
        a.call.programme.name
    ]


def test_statement_running_balance():
    project = funded_project()
    spend(project, "1200")
    donate(project, "100")
    rows = statement(project)
    assert [r.kind for r in rows] == ["award", "tranche_paid", "expense", "donation"]
    assert [r.balance for r in rows] == [
        Decimal("0"),
        Decimal("10000.00"),
        Decimal("8800.00"),
        Decimal("8800.00"),
    ]


@pytest.fixture
def staff_client(client):
    user = staff("finance_q", Role.FINANCE)
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.parametrize("count", [1, 30])
def test_dashboard_queries_do_not_grow_with_projects(
    staff_client, django_assert_max_num_queries, count
):
    call = CallFactory()
    for index in range(count):
        project = funded_project(call=call)
        if index % 3 == 0:
            donate(project, "50")
    with django_assert_max_num_queries(20):
        response = staff_client.get(reverse("grants:finance_dashboard"))
    assert response.status_code == 200
    body = response.content.decode()
    assert f"¥{10000 * count:,}" in body  # paid in total
    assert "<svg" in body


@pytest.mark.parametrize("count", [1, 30])
def test_statement_queries_do_not_grow_with_rows(
    staff_client, django_assert_max_num_queries, count
):
    project = funded_project()
    for index in range(count):
        donate(project, f"{index + 1}", key=f"d-{index}")
    with django_assert_max_num_queries(20):
        response = staff_client.get(reverse("grants:finance_statement", args=[project.pk]))
    assert response.status_code == 200


def test_dashboard_excel_opens_and_has_the_figures(staff_client):
    project = funded_project()
    spend(project, "1500", description='=HYPERLINK("http://evil")')
    response = staff_client.get(reverse("grants:finance_dashboard_export"))
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    programme_row = next(r for r in rows if r[0] == project.call.programme.name and r[2] == 1)
    paid = rows[0].index(next(h for h in rows[0] if h.startswith(("Paid", "已拨"))))
    assert programme_row[paid] == 10000
    assert 1500 in programme_row
    projects = load_workbook(BytesIO(response.content)).worksheets[1]
    (row,) = [r for r in projects.iter_rows(values_only=True) if r[0] == project.reference]
    assert row[1] == project.title and 10000 in row and 1500 in row


def test_statement_excel_neutralises_formulas(client):
    project = funded_project()
    member = member_of(project.organisation, "xl_member")
    expense_svc.submit_expense(
        application=project, budget_line=project.budget_lines.first(),
        spent_on=timezone.localdate(), amount="99.50", payee="=cmd|' /C calc'!A0",
        description="慰问品", receipts=[receipt()], actor=member,
    )  # fmt: skip
    assert client.login(username=member.username, password=PASSWORD)
    response = client.get(reverse("grants:finance_my_statement_export", args=[project.pk]))
    workbook = load_workbook(BytesIO(response.content))
    sheet = workbook.active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    payee = next(c for c in cells if c.value == "=cmd|' /C calc'!A0")
    assert payee.data_type == "s"
    assert any(c.value == 99.5 for c in cells)


@pytest.mark.parametrize("count", [1, 30])
def test_officer_panel_queries_do_not_grow_with_expenses(django_assert_max_num_queries, count):
    from django.template import Context, Template
    from django.test import RequestFactory

    project = funded_project(award=Decimal("2000000"))
    for index in range(count):
        spend(project, "10", description=f"慰问品{index}")
    officer_user = staff("officer_panel", Role.OFFICER)
    request = RequestFactory().get("/")
    request.user = officer_user
    template = Template("{% load finance_panels %}{% finance_panel application user 'officer' %}")
    context = Context({"application": project, "user": officer_user, "request": request})
    with django_assert_max_num_queries(12):
        html = template.render(context)
    assert html.count("慰问品") == count


def test_dashboard_lists_projects_in_pages_and_the_totals_count_them_all(staff_client):
    from grants.views.finance import PROJECTS_PAGE_SIZE

    call = CallFactory()
    projects = [funded_project(call=call) for _ in range(PROJECTS_PAGE_SIZE + 1)]
    url = reverse("grants:finance_dashboard")

    first = staff_client.get(url).content.decode()
    second = staff_client.get(url + "?page=2").content.decode()

    # Totals: every project paid its first tranche (¥10,000), not just the page shown.
    assert f"¥{10000 * len(projects):,}" in first

    def listed(page, project):
        return f'href="{reverse("grants:finance_statement", args=[project.pk])}"' in page

    shown = [p for p in projects if listed(first, p)]
    rest = [p for p in projects if listed(second, p)]
    assert len(shown) == PROJECTS_PAGE_SIZE and len(rest) == 1
    assert "page=2" in first and not set(shown) & set(rest)
