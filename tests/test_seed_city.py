"""``seed_demo --scale city``: the city-scale benchmark data, built here at 1/100 of its size.

The module seeds once inside a transaction that is rolled back at the end (as test_seed_demo.py
does), with the PostgreSQL ledger triggers installed first: the suite runs without migrations, and
the point is that the bulk build satisfies them (awards before payments, never paid past the award).
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.urls import reverse

from accounts.models import User
from grants.demo_city import BIG_CALL_SLUG, CITY_RUBRIC
from grants.enums import LedgerKind, SheetStatus, TrancheStatus
from grants.ledger_sql import FORWARD_SQL
from grants.models import (
    Agreement,
    Application,
    Call,
    CriterionScore,
    LedgerEntry,
    ScoreSheet,
    Tranche,
)
from incubator.models import HoursRecord, Organisation, Volunteer

FACTOR = "0.01"
CITY = Q(call__slug__startswith="city-")
# City organisations live in the city 街道 ("城东01街道" …), which no other seeder names this way.
CITY_ORGS = Q(community__parent__name__regex=r"^[^0-9]+[0-9]{2}街道$")


def seed_city() -> str:
    out = StringIO()
    call_command(
        "seed_demo", "--scale", "city", "--city-factor", FACTOR, stdout=out, stderr=StringIO()
    )
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker):
    if connection.vendor != "postgresql":
        pytest.skip("city-scale data needs PostgreSQL")
    with django_db_blocker.unblock(), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(FORWARD_SQL)  # the ledger guards a migrated database has
        output = seed_city()
        yield output
        transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db]


@pytest.mark.postgres
@pytest.mark.slow
def test_city_data_has_its_sizes_at_one_hundredth(city):
    big = Call.objects.get(slug=BIG_CALL_SLUG)
    city_apps = Application.objects.filter(CITY)
    city_orgs = Organisation.objects.filter(CITY_ORGS)
    assert city_orgs.count() == 50
    assert city_apps.count() == 500
    assert big.applications.count() == 50  # 5,000 at full size: a tenth of all applications
    assert Volunteer.objects.filter(registered_by_organisation__in=city_orgs).count() == 200
    assert HoursRecord.objects.filter(activity__organisation__in=city_orgs).count() == 5_000
    assert LedgerEntry.objects.filter(CITY).count() == 1_000
    assert CriterionScore.objects.filter(sheet__assignment__application__in=city_apps).count() > (
        1_000
    )
    # Applications cover the cycle, and several calls are open now for the submit benchmark.
    states = set(city_apps.values_list("state", flat=True))
    assert {"draft", "submitted", "in_review", "recommended", "active", "completed"} <= states
    assert (
        sum(call.phase() == "open" for call in Call.objects.filter(slug__startswith="city-")) >= 2
    )
    assert BIG_CALL_SLUG in city  # printed for the benchmarks


@pytest.mark.postgres
@pytest.mark.slow
def test_city_money_adds_up(city):
    projects = Agreement.objects.filter(application__call__slug__startswith="city-")
    assert projects.exists()
    for agreement in projects.annotate(
        tranches_total=Sum("tranches__amount"),
    ):
        # the schedule adds up to the award
        assert agreement.tranches_total == agreement.award_amount
    by_app = {
        row["application"]: row
        for row in LedgerEntry.objects.filter(CITY)
        .values("application")
        .annotate(
            award=Sum("amount", filter=Q(kind=LedgerKind.AWARD)),
            paid=Sum("amount", filter=Q(kind=LedgerKind.TRANCHE_PAID)),
            spent=Sum("amount", filter=Q(kind=LedgerKind.EXPENSE)),
        )
    }
    paid_tranches = dict(
        Tranche.objects.filter(
            status=TrancheStatus.PAID, application__call__slug__startswith="city-"
        )
        .values("application")
        .annotate(total=Sum("amount"))
        .values_list("application", "total")
    )
    for agreement in projects:
        row = by_app[agreement.application_id]
        assert row["award"] == agreement.award_amount
        assert (row["paid"] or 0) <= row["award"]
        assert (row["paid"] or 0) == paid_tranches.get(agreement.application_id, 0)
        assert (row["spent"] or 0) <= (row["paid"] or 0)
    # every paid tranche has exactly one ledger row pointing at it
    assert (
        not Tranche.objects.filter(status=TrancheStatus.PAID)
        .annotate(rows=Count("ledger_entries"))
        .exclude(rows=1)
    )


@pytest.mark.postgres
@pytest.mark.slow
def test_city_scores_are_within_their_criteria_and_sheets_total_them(city):
    city_scores = CriterionScore.objects.filter(
        sheet__assignment__application__call__slug__startswith="city-"
    )
    assert not city_scores.filter(Q(score__lt=0) | Q(score__gt=F("criterion__weight")))
    assert not city_scores.exclude(criterion__call=F("sheet__assignment__application__call"))
    sheets = ScoreSheet.objects.filter(
        assignment__application__call__slug__startswith="city-", status=SheetStatus.SUBMITTED
    ).annotate(n=Count("scores"), sum=Sum("scores__score"))
    assert sheets.exists()
    for sheet in sheets:
        assert sheet.n == len(CITY_RUBRIC)
        assert sheet.total == sheet.sum


@pytest.mark.postgres
@pytest.mark.slow
def test_city_applications_point_at_existing_calls_and_organisations(city):
    city_apps = Application.objects.filter(CITY)
    assert (
        city_apps.filter(organisation__isnull=False, call__programme__isnull=False).count() == 500
    )
    # one live application per organisation and call (the database's own rule, checked anyway)
    assert not (
        city_apps.filter(holds_call_slot=True)
        .values("call", "organisation")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )


@pytest.mark.postgres
@pytest.mark.slow
def test_city_seed_run_again_adds_nothing(city):
    # given the city data
    before = row_counts()

    # when the command runs again
    output = seed_city()

    # then it says so and not a row was added anywhere
    assert "already present" in output
    assert row_counts() == before


@pytest.mark.postgres
@pytest.mark.slow
def test_officer_list_and_public_call_page_serve_the_city_data(city, client):
    from cms.models import CallPage

    big = Call.objects.get(slug=BIG_CALL_SLUG)
    client.force_login(User.objects.get(username="officer"))
    response = client.get(reverse("grants:officer_call_applications", args=[big.pk]))
    assert response.status_code == 200
    submitted = big.applications.exclude(state="draft").order_by("-submitted_at").first()
    assert submitted.title in response.content.decode()
    response = client.get(
        reverse("grants:officer_call_applications", args=[big.pk]),
        {"q": "社区", "state": "in_review"},
    )
    assert response.status_code == 200

    client.logout()
    open_call = next(
        c for c in Call.objects.filter(slug__startswith="city-") if c.phase() == "open"
    )
    for call in (big, open_call):
        page = CallPage.objects.get(call=call)
        response = client.get(page.url)
        assert response.status_code == 200
        assert call.title in response.content.decode()


def test_city_scale_on_sqlite_is_refused_clearly(db):
    if connection.vendor == "postgresql":
        pytest.skip("the refusal is for SQLite")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("seed_demo", "--scale", "city", stdout=StringIO(), stderr=StringIO())


def test_scale_still_takes_a_whole_number():
    from incubator.management.commands.seed_demo import scale_value

    assert scale_value("3") == 3
    assert scale_value("city") == "city"
    with pytest.raises(Exception, match="whole number or 'city'"):
        scale_value("big")
