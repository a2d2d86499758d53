"""The donation demo: gifts to two running projects with 1:1 matching from the pool, idempotent."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from grants.demo import FUNDED_CALL_SLUG
from grants.demo_donations import DONATIONS, FOUNDATION, seed
from grants.enums import LedgerKind
from grants.models import Donation, LedgerEntry
from grants.models.donations import DonationStatus
from grants.selectors_donations import donation_totals
from incubator.models import MatchingPledge
from tests.factories import CallFactory
from tests.grants.factories_donations import funded_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_projects():
    call = CallFactory(slug=FUNDED_CALL_SLUG)
    return [
        funded_project(call=call, title=title)
        for title in ("“邻里+”楼道长守望探访计划", "残障人士社区融合与辅助就业")
    ]


def test_demo_books_donations_and_matching_from_the_pool(demo_projects):
    out = io.StringIO()

    seed(stdout=out)

    assert Donation.objects.filter(status=DonationStatus.SUCCEEDED).count() == len(DONATIONS)
    assert all(d.stripe_payment_intent_id.startswith("pi_demo_") for d in Donation.objects.all())
    pledge = MatchingPledge.objects.get(donor__name=FOUNDATION)
    assert pledge.programme == demo_projects[0].call.programme
    totals = donation_totals([p.pk for p in demo_projects])
    assert totals[demo_projects[0].pk] == {
        "donated": Decimal("1700.00"),
        "matched": Decimal("1700.00"),
    }
    assert totals[demo_projects[1].pk] == {
        "donated": Decimal("2400.00"),
        "matched": Decimal("2400.00"),
    }
    assert pledge.matched_amount == Decimal("4100.00")
    assert "捐赠 donations: 6 created" in out.getvalue()


def test_running_the_demo_again_creates_nothing(demo_projects):
    seed(stdout=io.StringIO())
    counts = (Donation.objects.count(), LedgerEntry.objects.count(), MatchingPledge.objects.count())
    matched = MatchingPledge.objects.get(donor__name=FOUNDATION).matched_amount

    out = io.StringIO()
    seed(stdout=out)

    assert counts == (
        Donation.objects.count(),
        LedgerEntry.objects.count(),
        MatchingPledge.objects.count(),
    )
    assert MatchingPledge.objects.get(donor__name=FOUNDATION).matched_amount == matched
    assert "0 created" in out.getvalue()
    assert LedgerEntry.objects.filter(kind=LedgerKind.MATCHING).count() == len(DONATIONS)


def test_demo_without_the_funded_call_is_skipped():
    out = io.StringIO()
    seed(stdout=out)
    assert "skipped" in out.getvalue()
    assert not Donation.objects.exists()
