"""On PostgreSQL: two expenses at once cannot both slip under the tolerance; two clawbacks at once
cannot together ask for more than the organisation holds."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from accounts.enums import Role
from accounts.models import User
from grants.enums import LedgerKind
from grants.models import Application
from grants.models.expenses import Clawback, Expense, ExpenseState
from grants.services import clawbacks as clawback_svc
from grants.services import expenses as svc
from tests.grants.factories_finance import funded_project, ledger_rows, member_of, receipt, staff

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(function, arguments):
    barrier = threading.Barrier(len(arguments))

    def call(argument):
        try:
            barrier.wait(timeout=10)
            return function(argument)
        except ValidationError as error:
            return error
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(arguments)) as pool:
        return list(pool.map(call, arguments))


def test_two_expenses_at_once_cannot_both_slip_under_the_tolerance():
    # given a line of ¥16,000 (ceiling ¥17,600) and two treasurers
    project = funded_project()
    line_pk = project.budget_lines.get(category="activity").pk
    members = [member_of(project.organisation, f"race{i}").pk for i in range(2)]

    def report(user_pk):
        return svc.submit_expense(
            application=Application.objects.get(pk=project.pk),
            budget_line=line_pk,
            spent_on=timezone.localdate() - timedelta(days=1),
            amount="10000",
            payee="同一家供应商",
            description="同时报销",
            receipts=[receipt()],
            actor=User.objects.get(pk=user_pk),
        ).state

    # when both report ¥10,000 at the same moment
    states = run_together(report, members)

    # then one counts and the other waits for an officer
    assert sorted(states) == [ExpenseState.ACCEPTED, ExpenseState.NEEDS_APPROVAL]
    assert Expense.objects.count() == 2
    (entry,) = ledger_rows(project, LedgerKind.EXPENSE)
    assert entry.amount == Decimal("10000.00")


def test_two_clawbacks_at_once_cannot_exceed_what_is_held():
    project = funded_project()  # ¥10,000 paid, nothing spent
    officers = [staff(f"off_race{i}", Role.OFFICER).pk for i in range(2)]

    def claim(user_pk):
        return clawback_svc.open_clawback(
            application=Application.objects.get(pk=project.pk),
            amount="6000",
            reason="同时追回",
            actor=User.objects.get(pk=user_pk),
        )

    results = run_together(claim, officers)

    assert sum(isinstance(r, Clawback) for r in results) == 1
    assert sum(isinstance(r, ValidationError) for r in results) == 1
    assert len(ledger_rows(project, LedgerKind.CLAWBACK_DUE)) == 1
