"""The money ledger: written once per event, never edited or deleted, amounts checked; tranches."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from grants.enums import AgreementState, LedgerKind, TrancheCondition, TrancheStatus
from grants.models import Agreement, Call, LedgerEntry, Tranche
from grants.models.calls import tranche_schedule_problem
from grants.services.ledger import clean_amount, post_entry, tranche_paid_key
from grants.services.tranches import open_tranches, stop_open_tranches
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def project(db):
    application = ApplicationFactory(state="contracted")
    agreement = Agreement.objects.create(
        application=application,
        state=AgreementState.ACCEPTED,
        number=f"L-{application.pk}",
        award_amount=Decimal("20000"),
        starts_on=date(2026, 1, 5),
        ends_on=date(2026, 12, 31),
    )
    for number, (percent, condition) in enumerate(
        [(50, "on_signing"), (30, "mid_term_passed"), (20, "final_passed")], start=1
    ):
        Tranche.objects.create(
            agreement=agreement,
            application=application,
            number=number,
            percent=percent,
            amount=Decimal("200") * percent,
            condition=condition,
        )
    return application


def entry(project, key="award:1", amount="20000", kind=LedgerKind.AWARD, **extra):
    return post_entry(
        kind=kind,
        amount=amount,
        programme=None,
        application=project,
        idempotency_key=key,
        **extra,
    )


def test_an_entry_takes_call_and_programme_from_the_project(project):
    row = entry(project)
    assert (row.call, row.programme) == (project.call, project.call.programme)
    assert row.amount == Decimal("20000.00")


def test_posting_the_same_event_twice_writes_one_row(project):
    first = entry(project)
    again = entry(project)
    assert again.pk == first.pk
    assert LedgerEntry.objects.count() == 1


def test_the_same_event_with_another_amount_is_refused(project):
    entry(project)
    with pytest.raises(ValidationError, match="different amount"):
        entry(project, amount="20001")
    assert LedgerEntry.objects.get().amount == Decimal("20000")


def test_entries_can_be_neither_changed_nor_deleted(project):
    row = entry(project)
    row.amount = Decimal("1")
    with pytest.raises(ValidationError):
        row.save()
    with pytest.raises(ValidationError):
        row.delete()
    with pytest.raises(ValidationError):
        LedgerEntry.objects.filter(pk=row.pk).update(amount=Decimal("1"))
    with pytest.raises(ValidationError):
        LedgerEntry.objects.all().delete()
    assert LedgerEntry.objects.get().amount == Decimal("20000")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "more than zero"),
        ("-5", "more than zero"),
        ("abc", "Enter an amount"),
        ("NaN", "Enter an amount"),
        ("1.005", "two decimal places"),
        ("1e13", "too large"),
    ],
)
def test_bad_amounts_are_refused_with_a_reason_and_nothing_is_written(project, value, message):
    with pytest.raises(ValidationError, match=message):
        entry(project, amount=value)
    assert not LedgerEntry.objects.exists()


def test_amounts_are_read_the_way_people_write_them():
    assert clean_amount("¥15,000.5") == Decimal("15000.50")


def test_the_database_refuses_a_zero_amount_even_past_the_service(project):
    row = LedgerEntry(
        kind=LedgerKind.AWARD,
        amount=Decimal("0"),
        programme=project.call.programme,
        idempotency_key="x",
    )
    with pytest.raises(ValidationError):
        row.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.bulk_create([row])


def test_a_tranche_is_paid_once_whatever_the_key(project):
    entry(project)  # the award: PostgreSQL refuses a payment beyond it
    tranche = project.tranches.get(number=1)
    entry(
        project,
        key=tranche_paid_key(tranche),
        amount="10000",
        kind=LedgerKind.TRANCHE_PAID,
        tranche=tranche,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        entry(
            project,
            key="another-key",
            amount="10000",
            kind=LedgerKind.TRANCHE_PAID,
            tranche=tranche,
        )
    assert LedgerEntry.objects.filter(kind=LedgerKind.TRANCHE_PAID).count() == 1


@pytest.mark.postgres
def test_postgresql_refuses_a_payment_beyond_the_award_even_past_the_service(project, db_vendor):
    if db_vendor != "postgresql":
        pytest.skip("the ledger trigger is PostgreSQL's")
    entry(project, amount="5000")  # awarded 5,000 only
    tranche = project.tranches.get(number=1)  # 10,000
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.bulk_create(
            [
                LedgerEntry(
                    kind=LedgerKind.TRANCHE_PAID,
                    amount=tranche.amount,
                    programme=project.call.programme,
                    application=project,
                    tranche=tranche,
                    idempotency_key="raw-insert",
                )
            ]
        )
    assert not LedgerEntry.objects.filter(kind=LedgerKind.TRANCHE_PAID).exists()


def test_opening_tranches_makes_them_payable_within_the_working_days(project):
    opened = open_tranches(application=project, condition=TrancheCondition.MID_TERM_PASSED)
    assert [t.number for t in opened] == [2]
    tranche = Tranche.objects.get(pk=opened[0].pk)
    assert tranche.status == TrancheStatus.RELEASABLE
    assert tranche.due_on is not None and tranche.due_on > tranche.releasable_at.date()
    # Opening again changes nothing.
    assert open_tranches(application=project, condition=TrancheCondition.MID_TERM_PASSED) == []


def test_stopping_blocks_every_unpaid_tranche_with_the_reason(project):
    project.tranches.filter(number=1).update(status=TrancheStatus.PAID)
    stopped = stop_open_tranches(application=project, reason="中期评估不合格")
    assert [t.number for t in stopped] == [2, 3]
    assert set(project.tranches.values_list("number", "status")) == {
        (1, TrancheStatus.PAID),
        (2, TrancheStatus.BLOCKED),
        (3, TrancheStatus.BLOCKED),
    }
    assert project.tranches.get(number=3).blocked_reason == "中期评估不合格"


@pytest.mark.parametrize(
    ("schedule", "problem"),
    [
        ([], "at least one"),
        ([{"percent": 60, "condition": "on_signing"}], "add up to 60"),
        ([{"percent": 100, "condition": "whenever"}], "condition"),
        ([{"percent": "100", "condition": "on_signing"}], "whole percentage"),
        ([{"percent": 0, "condition": "on_signing"}, {"percent": 100, "condition": "final_passed"}], "whole percentage"),
    ],
)  # fmt: skip
def test_a_call_refuses_an_unusable_tranche_schedule(schedule, problem):
    assert problem in str(tranche_schedule_problem(schedule))


def test_the_default_schedule_is_fifty_thirty_twenty():
    call = Call()
    assert [(r["percent"], r["condition"]) for r in call.tranche_schedule] == [
        (50, "on_signing"),
        (30, "mid_term_passed"),
        (20, "final_passed"),
    ]
    assert tranche_schedule_problem(call.tranche_schedule) is None
