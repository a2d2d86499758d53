"""One Stripe event delivered four times at once to two app servers (two processes each: Stripe
retries, and a load balancer spreads the retries), then once more later: the gift and its match
are booked once, and every delivery is answered 200 so Stripe stops retrying.

The same race inside one process, and events out of order, are in tests/grants/test_donations_*.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import requests

from grants.enums import LedgerKind
from grants.models import Donation, LedgerEntry, StripeEvent
from grants.models.donations import DonationStatus
from grants.services import donations as svc
from incubator.models import MatchingPledge
from tests.faults._servers import gunicorn
from tests.grants.factories_donations import active_pledge, funded_project, pay, stripe_event
from tests.stripe_server import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET, sign

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PORTS = (8203, 8204)


def test_same_event_at_once_on_two_servers_books_one_gift_and_one_match(stripe_settings, tmp_path):
    # given a paid donation to a project with a 1:1 matching pledge, and Stripe's event for it
    project = funded_project()
    pledge = active_pledge(application=project, cap="5000")
    donation = svc.start_donation(amount="300", application=project)
    payload = json.dumps(stripe_event(pay(donation).id, "payment_intent.succeeded")).encode()
    stripe_env = {
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_settings.STRIPE_API_BASE,
    }
    with (
        gunicorn(PORTS[0], workers=2, log=tmp_path / "a.log", **stripe_env) as server_a,
        gunicorn(PORTS[1], workers=2, log=tmp_path / "b.log", **stripe_env) as server_b,
    ):
        targets = [server_a, server_b, server_a, server_b]
        barrier = threading.Barrier(len(targets))

        def deliver(base: str) -> int:
            barrier.wait(timeout=30)
            return requests.post(
                f"{base}/stripe/webhook/",
                data=payload,
                headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload)},
                timeout=60,
            ).status_code

        # when four deliveries race on the two servers, and one more arrives later
        with ThreadPoolExecutor(max_workers=len(targets)) as pool:
            codes = list(pool.map(deliver, targets))
        late = requests.post(
            f"{server_b}/stripe/webhook/",
            data=payload,
            headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload)},
            timeout=60,
        )

    # then every delivery is acknowledged, and the money is booked once
    assert codes == [200, 200, 200, 200]
    assert late.status_code == 200 and late.text.startswith("already processed")
    assert LedgerEntry.objects.filter(kind=LedgerKind.DONATION).count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerKind.MATCHING).count() == 1
    assert LedgerEntry.objects.get(kind=LedgerKind.DONATION).amount == Decimal("300.00")
    assert MatchingPledge.objects.get(pk=pledge.pk).matched_amount == Decimal("300.00")
    assert StripeEvent.objects.count() == 1
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.SUCCEEDED
