"""Stripe webhooks for real: localstripe delivers its signed events over HTTP to the live server,
and two deliveries of one payment racing on PostgreSQL book it once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from grants.enums import LedgerKind
from grants.models import Donation, LedgerEntry, StripeEvent
from grants.models.donations import DonationStatus
from grants.services import donations as svc
from incubator.models import MatchingPledge
from tests.grants.factories_donations import active_pledge, funded_project, pay, stripe_event
from tests.stripe_server import register_webhook, signed_delivery, silence_webhook


@pytest.fixture(autouse=True)
def _english_messages(english):
    """These tests read the English msgids; the zh-hans wording is checked by test_translations."""


S = DonationStatus


def _wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
def test_localstripe_delivers_signed_events_to_the_webhook(live_server, stripe_settings):
    # given localstripe sends its events to our webhook, and a pool pledge of 1:1
    register_webhook(
        stripe_settings.STRIPE_API_BASE, "donations-live", f"{live_server.url}/stripe/webhook/"
    )
    try:
        project = funded_project()
        active_pledge(programme=project.call.programme, cap="1000")
        donation = svc.start_donation(amount="200", application=project, donor_name="王五")

        # when the donor pays
        pay(donation)

        # then localstripe's payment_intent.succeeded arrives, verified, and books gift and match
        assert _wait_for(lambda: Donation.objects.get(pk=donation.pk).status == S.SUCCEEDED), (
            "the webhook never marked the donation received"
        )
        assert LedgerEntry.objects.get(kind=LedgerKind.DONATION).amount == Decimal("200.00")
        assert LedgerEntry.objects.get(kind=LedgerKind.MATCHING).amount == Decimal("200.00")
        assert StripeEvent.objects.filter(type="payment_intent.succeeded").count() == 1
    finally:
        silence_webhook(stripe_settings.STRIPE_API_BASE, "donations-live")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_event", [True, False], ids=["same-event", "two-events"])
def test_two_deliveries_at_once_book_one_gift_and_one_match(stripe_settings, same_event):
    # given a paid donation and its succeeded event (or two events with different ids)
    project = funded_project()
    pledge = active_pledge(application=project, cap="5000")
    donation = svc.start_donation(amount="300", application=project)
    event = stripe_event(pay(donation).id, "payment_intent.succeeded")
    events = [event, event if same_event else {**event, "id": event["id"] + "_twin"}]
    barrier = threading.Barrier(2)

    def deliver(one):
        try:
            barrier.wait(timeout=10)
            return signed_delivery(Client(), one).status_code
        finally:
            connection.close()

    # when both arrive at the same moment
    with ThreadPoolExecutor(max_workers=2) as pool:
        codes = list(pool.map(deliver, events))

    # then both are answered 200 and the money is booked once
    assert codes == [200, 200]
    assert LedgerEntry.objects.filter(kind=LedgerKind.DONATION).count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerKind.MATCHING).count() == 1
    assert MatchingPledge.objects.get(pk=pledge.pk).matched_amount == Decimal("300.00")
    assert StripeEvent.objects.count() == (1 if same_event else 2)
    assert Donation.objects.get(pk=donation.pk).status == S.SUCCEEDED
