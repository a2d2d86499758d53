"""Factories and helpers of the donation tests (issue #5, Stripe part)."""

from __future__ import annotations

from decimal import Decimal

from grants import stripe_gateway
from grants.enums import ApplicationState, LedgerKind
from grants.models import Donation
from grants.models.donations import DonationStatus
from grants.services import donations as svc
from grants.services.ledger import post_entry
from incubator.enums_community import PledgeState
from tests.factories import ApplicationFactory
from tests.incubator.factories_community import DonorFactory, MatchingPledgeFactory

VISA = "4242424242424242"
DECLINED = "4000000000000341"  # localstripe: attaches, then the charge is declined


def funded_project(**kwargs):
    kwargs.setdefault("state", ApplicationState.ACTIVE)
    return ApplicationFactory(**kwargs)


def active_pledge(*, application=None, programme=None, ratio="1", cap="50000", donor=None):
    return MatchingPledgeFactory(
        donor=donor or DonorFactory(name="南通市邻里守望公益基金会"),
        application=application,
        programme=None if application is not None else programme,
        ratio=Decimal(ratio),
        cap_amount=Decimal(cap),
        state=PledgeState.ACTIVE,
    )


def pay(donation: Donation, card: str = VISA):
    return svc.pay_with_test_card(
        donation=donation, number=card, exp_month=12, exp_year=2034, cvc="123"
    )


def stripe_event(payment_intent_id: str, type_: str) -> dict:
    """The event localstripe recorded for this PaymentIntent (as Stripe would deliver it)."""
    events = stripe_gateway.client().v1.events.list(params={"type": type_, "limit": 100})
    # localstripe keeps every event of the session (oldest first): page through them all.
    for event in events.auto_paging_iter():
        if event.data.object.id == payment_intent_id:
            return event.to_dict()
    raise AssertionError(f"no {type_} event for {payment_intent_id}")


def charge_refunded_event(payment_intent_id: str, *, event_id: str) -> dict:
    """A ``charge.refunded`` event built from the real Charge on localstripe (which sends none)."""
    intent = stripe_gateway.retrieve_payment_intent(payment_intent_id)
    charge = intent.latest_charge
    charge = (
        charge
        if not isinstance(charge, str)
        else stripe_gateway.client().v1.charges.retrieve(charge)
    )
    return {
        "id": event_id,
        "object": "event",
        "type": "charge.refunded",
        "created": charge.created,
        "livemode": False,
        "api_version": "2017-08-15",
        "data": {"object": charge.to_dict()},
    }


def received_donation(application, amount="100.00", *, donor_name="张三", pi=None) -> Donation:
    """A donation already received (ledger entry written), without Stripe: for pages and counts."""
    amount = Decimal(amount)
    pi = pi or f"pi_test_{Donation.objects.count() + 1}_{application.pk}"
    entry = post_entry(
        kind=LedgerKind.DONATION,
        amount=amount,
        programme=application.call.programme,
        application=application,
        idempotency_key=svc.donation_key(pi),
        external_reference=pi,
    )
    return Donation.objects.create(
        application=application,
        amount=amount,
        donor_name=donor_name,
        stripe_payment_intent_id=pi,
        status=DonationStatus.SUCCEEDED,
        ledger_entry=entry,
        succeeded_at=entry.occurred_at,
    )
