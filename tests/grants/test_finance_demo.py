"""The finance demo: expenses on the funded projects, one overrun awaiting approval on ngo1's
project, a clawback due on the terminated one; idempotent."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest

from grants import demo_finance
from grants.enums import LedgerKind
from grants.models import LedgerEntry
from grants.models.expenses import Clawback, ClawbackState, Expense, ExpenseReceipt, ExpenseState
from grants.selectors_finance import project_money

pytestmark = pytest.mark.django_db


@pytest.fixture
def projects(db):
    import importlib

    for name in ("incubator.demo", "accounts.demo", "grants.demo", "grants.demo_projects"):
        importlib.import_module(name).seed(stdout=StringIO())


def test_the_demo_reports_expenses_and_a_clawback(projects):
    out = StringIO()

    demo_finance.seed(stdout=out)

    assert "expenses: 26 created (1 awaiting approval), clawbacks: 1 created" in out.getvalue()
    waiting = Expense.objects.get(state=ExpenseState.NEEDS_APPROVAL)
    assert waiting.application.title == "“邻里+”楼道长守望探访计划"
    assert waiting.line_spent_before + waiting.amount > waiting.line_ceiling
    assert ExpenseReceipt.objects.count() == 26
    assert ExpenseReceipt.objects.first().file.read(8) == b"\x89PNG\r\n\x1a\n"
    assert LedgerEntry.objects.filter(kind=LedgerKind.EXPENSE).count() == 25
    clawback = Clawback.objects.get()
    assert clawback.application.title == "邻里文化大串门巡演"
    assert clawback.state == ClawbackState.DUE
    # tranche 1 (¥15,000) less the ¥8,460 spent
    assert clawback.amount == Decimal("6540.00")
    money = project_money([clawback.application_id])[clawback.application_id]
    assert money["clawable"] == 0 and money["clawback_due"] == Decimal("6540.00")


def test_running_the_demo_again_creates_nothing(projects):
    demo_finance.seed(stdout=StringIO())
    counts = (Expense.objects.count(), Clawback.objects.count(), LedgerEntry.objects.count())
    out = StringIO()

    demo_finance.seed(stdout=out)

    assert "expenses: 0 created" in out.getvalue() and "clawbacks: 0 created" in out.getvalue()
    assert (
        Expense.objects.count(),
        Clawback.objects.count(),
        LedgerEntry.objects.count(),
    ) == counts
