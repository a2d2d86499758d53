"""The PostgreSQL ledger guards of ``grants.ledger_sql``, installed inside the test's transaction."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from grants.enums import LedgerKind
from grants.ledger_sql import FORWARD_SQL, REVERSE_SQL
from grants.models import LedgerEntry
from grants.services.ledger import post_entry
from tests.grants.factories_funding import contracted, make_officer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def guarded():
    with connection.cursor() as cursor:
        cursor.execute(FORWARD_SQL)
    yield
    with connection.cursor() as cursor:
        cursor.execute(REVERSE_SQL)


def test_ledger_rows_cannot_be_updated_or_deleted_even_in_raw_sql(guarded):
    project = contracted(officer=make_officer())
    entry = LedgerEntry.objects.get(application=project, kind=LedgerKind.AWARD)
    for statement in (
        "UPDATE grants_ledgerentry SET amount = 1 WHERE id = %s",
        "DELETE FROM grants_ledgerentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [entry.pk])
    entry.refresh_from_db()
    assert entry.amount == Decimal("20000.00")


def test_tranche_payments_beyond_the_award_are_refused(guarded):
    project = contracted(officer=make_officer())
    tranches = list(project.tranches.order_by("number"))
    for tranche in tranches:
        post_entry(
            kind=LedgerKind.TRANCHE_PAID, amount=tranche.amount, programme=None,
            application=project, tranche=tranche, idempotency_key=f"t:{tranche.pk}",
        )  # fmt: skip
    with (
        pytest.raises(DatabaseError, match="exceed the award"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO grants_ledgerentry (kind, amount, currency, programme_id, call_id,"
            " application_id, idempotency_key, occurred_at, recorded_at, external_reference,"
            " memo) VALUES ('tranche_paid', 0.01, 'CNY', %s, %s, %s, 'extra', now(), now(),"
            " '', '')",
            [project.call.programme_id, project.call_id, project.pk],
        )


def test_reverse_sql_removes_the_guards(guarded):
    with connection.cursor() as cursor:
        cursor.execute(REVERSE_SQL)
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'grants_ledgerentry_%%'")
        assert cursor.fetchone()[0] == 0
        cursor.execute(FORWARD_SQL)  # for the fixture's own reverse
