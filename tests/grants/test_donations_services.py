"""Donations against a real local Stripe server (localstripe): payment, webhook events processed
once and in any order, matching funds within the pledge's cap, refunds."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from grants import stripe_gateway
from grants.enums import LedgerKind
from grants.models import Donation, LedgerEntry, StripeEvent
from grants.models.donations import DonationStatus
from grants.services import donations as svc
from grants.services.errors import TransitionRefused
from incubator.enums_community import PledgeState
from tests.grants.factories_donations import (
    DECLINED,
    active_pledge,
    charge_refunded_event,
    funded_project,
    pay,
    stripe_event,
)
from tests.incubator.factories_community import MatchingPledgeFactory
from tests.stripe_server import signed_delivery


@pytest.fixture(autouse=True)
def _english_messages(english):
    """These tests read the English msgids; the zh-hans wording is checked by test_translations."""


pytestmark = pytest.mark.django_db

S = DonationStatus


def _ledger(kind, **filters):
    return list(LedgerEntry.objects.filter(kind=kind, **filters).order_by("pk"))


def _donate(application=None, amount="200", **kwargs):
    return svc.start_donation(amount=amount, application=application, **kwargs)


def test_start_donation_creates_a_payment_intent_for_the_amount_in_fen(stripe_settings):
    project = funded_project()

    donation = _donate(project, "200.50", donor_name="李四", donor_email="li@example.com")

    intent = stripe_gateway.retrieve_payment_intent(donation.stripe_payment_intent_id)
    assert intent.amount == 20050
    assert intent.currency == "cny"
    assert intent.metadata["donation"] == str(donation.public_id)
    assert donation.status == S.PENDING
    assert not LedgerEntry.objects.exists()  # nothing is money until Stripe says so


def test_paying_and_the_succeeded_webhook_books_donation_and_matching(client, stripe_settings):
    # given a project whose programme pool has a 1:1 pledge
    project = funded_project()
    pledge = active_pledge(programme=project.call.programme)
    donation = _donate(project, "200")

    # when the donor pays and Stripe's event arrives
    intent = pay(donation)
    response = signed_delivery(client, stripe_event(intent.id, "payment_intent.succeeded"))

    # then
    assert response.status_code == 200
    donation.refresh_from_db()
    assert donation.status == S.SUCCEEDED
    [gift] = _ledger(LedgerKind.DONATION)
    assert (gift.amount, gift.application, gift.idempotency_key) == (
        Decimal("200.00"),
        project,
        f"stripe:{intent.id}",
    )
    assert donation.ledger_entry == gift
    [match] = _ledger(LedgerKind.MATCHING)
    assert match.amount == Decimal("200.00")
    assert match.idempotency_key == f"matching:{pledge.pk}:{intent.id}"
    assert match.application == project
    pledge.refresh_from_db()
    assert pledge.matched_amount == Decimal("200.00")
    assert StripeEvent.objects.get().processed_at is not None


def test_the_same_event_twice_books_once(client, stripe_settings):
    project = funded_project()
    active_pledge(application=project)
    donation = _donate(project, "300")
    event = stripe_event(pay(donation).id, "payment_intent.succeeded")

    first = signed_delivery(client, event)
    second = signed_delivery(client, event)

    assert first.status_code == second.status_code == 200
    assert b"already processed" in second.content
    assert len(_ledger(LedgerKind.DONATION)) == 1
    assert len(_ledger(LedgerKind.MATCHING)) == 1
    assert StripeEvent.objects.count() == 1


def test_a_second_event_about_the_same_payment_books_nothing_more(client, stripe_settings):
    """A different event id for a payment already booked (e.g. Stripe resends with a new id)."""
    project = funded_project()
    active_pledge(application=project)
    donation = _donate(project, "300")
    event = stripe_event(pay(donation).id, "payment_intent.succeeded")
    signed_delivery(client, event)

    signed_delivery(client, {**event, "id": event["id"] + "_again"})

    assert len(_ledger(LedgerKind.DONATION)) == 1
    assert len(_ledger(LedgerKind.MATCHING)) == 1
    assert StripeEvent.objects.count() == 2


def test_bad_signature_is_refused_and_nothing_recorded(client, stripe_settings):
    donation = _donate(funded_project())
    event = stripe_event(pay(donation).id, "payment_intent.succeeded")

    response = signed_delivery(client, event, secret="whsec_someone_else")

    assert response.status_code == 400
    assert "signature" in response.content.decode().lower()
    assert not StripeEvent.objects.exists()
    assert not LedgerEntry.objects.exists()
    assert Donation.objects.get().status == S.PENDING


def test_missing_signature_and_garbage_are_refused(client, stripe_settings):
    assert (
        client.post("/stripe/webhook/", data=b"{}", content_type="application/json").status_code
        == 400
    )
    assert client.get("/stripe/webhook/").status_code == 405
    assert not StripeEvent.objects.exists()


def test_declined_card_marks_the_donation_failed(client, stripe_settings):
    donation = _donate(funded_project())

    with pytest.raises(ValidationError):
        pay(donation, DECLINED)
    signed_delivery(
        client, stripe_event(donation.stripe_payment_intent_id, "payment_intent.payment_failed")
    )

    donation.refresh_from_db()
    assert donation.status == S.FAILED
    assert donation.failure_message
    assert not LedgerEntry.objects.exists()


def test_failed_event_after_the_success_does_not_move_the_donation_back(client, stripe_settings):
    donation = _donate(funded_project())
    intent = pay(donation)
    succeeded = stripe_event(intent.id, "payment_intent.succeeded")
    failed = {
        **succeeded,
        "id": succeeded["id"] + "_failed",
        "type": "payment_intent.payment_failed",
    }
    signed_delivery(client, succeeded)

    response = signed_delivery(client, failed)

    assert response.status_code == 200
    donation.refresh_from_db()
    assert donation.status == S.SUCCEEDED
    assert len(_ledger(LedgerKind.DONATION)) == 1


def test_failed_event_arriving_late_for_a_paid_intent_books_the_success(client, stripe_settings):
    """Out of order: only the 'failed' event of an earlier attempt arrives; Stripe says succeeded."""
    donation = _donate(funded_project())
    intent = pay(donation)
    event = stripe_event(intent.id, "payment_intent.succeeded")

    signed_delivery(
        client, {**event, "id": "evt_late_failure", "type": "payment_intent.payment_failed"}
    )

    donation.refresh_from_db()
    assert donation.status == S.SUCCEEDED
    assert len(_ledger(LedgerKind.DONATION)) == 1


def test_refund_event_before_the_success_event_books_both_in_order(
    client, stripe_settings, officer
):
    # given a paid donation refunded at Stripe before any of our webhooks arrived
    project = funded_project()
    donation = _donate(project, "500")
    intent = pay(donation)
    stripe_gateway.refund_payment_intent(intent.id, amount=Decimal("120"), idempotency_key="t1")

    # when charge.refunded arrives first, then payment_intent.succeeded
    signed_delivery(client, charge_refunded_event(intent.id, event_id="evt_refund_first"))
    signed_delivery(client, stripe_event(intent.id, "payment_intent.succeeded"))

    # then the gift and the refund are booked once each
    donation.refresh_from_db()
    assert donation.status == S.PARTIALLY_REFUNDED
    assert donation.refunded_amount == Decimal("120.00")
    assert [e.amount for e in _ledger(LedgerKind.DONATION)] == [Decimal("500.00")]
    [refund] = _ledger(LedgerKind.DONATION_REFUND)
    assert refund.amount == Decimal("120.00")
    assert refund.idempotency_key.startswith("stripe-refund:re_")


def test_unknown_payment_intent_and_other_events_are_recorded_and_ignored(client, stripe_settings):
    event = {
        "id": "evt_other",
        "object": "event",
        "type": "customer.created",
        "created": 1,
        "data": {"object": {"id": "cus_1", "object": "customer"}},
    }
    assert signed_delivery(client, event).status_code == 200
    assert StripeEvent.objects.get().outcome.startswith("ignored")
    assert not LedgerEntry.objects.exists()


def test_matching_stops_at_the_pledge_cap_and_fulfils_it(client, stripe_settings):
    project = funded_project()
    pledge = active_pledge(application=project, cap="250")
    for amount in ("200", "100", "50"):
        donation = _donate(project, amount)
        signed_delivery(client, stripe_event(pay(donation).id, "payment_intent.succeeded"))

    assert [e.amount for e in _ledger(LedgerKind.MATCHING)] == [Decimal("200.00"), Decimal("50.00")]
    pledge.refresh_from_db()
    assert pledge.matched_amount == Decimal("250.00")
    assert pledge.state == PledgeState.FULFILLED


def test_project_pledge_and_pool_pledge_both_match_with_their_ratio(client, stripe_settings):
    project = funded_project()
    own = active_pledge(application=project, ratio="0.5")
    pool = active_pledge(programme=project.call.programme, ratio="1")
    MatchingPledgeFactory(application=project, programme=None, state=PledgeState.CANCELLED)
    MatchingPledgeFactory(application=project, programme=None, state=PledgeState.PLEDGED)
    donation = _donate(project, "100")

    signed_delivery(client, stripe_event(pay(donation).id, "payment_intent.succeeded"))

    matches = {e.idempotency_key.split(":")[1]: e.amount for e in _ledger(LedgerKind.MATCHING)}
    assert matches == {str(own.pk): Decimal("50.00"), str(pool.pk): Decimal("100.00")}


def test_pool_donation_is_booked_to_the_programme_without_a_project(client, stripe_settings):
    project = funded_project()
    programme = project.call.programme
    active_pledge(programme=programme)
    donation = svc.start_donation(amount="80", programme=programme)

    signed_delivery(client, stripe_event(pay(donation).id, "payment_intent.succeeded"))

    [gift] = _ledger(LedgerKind.DONATION)
    [match] = _ledger(LedgerKind.MATCHING)
    assert gift.application is None and gift.programme == programme
    assert match.application is None and match.amount == Decimal("80.00")


@pytest.mark.parametrize("amount", ["0", "-5", "0.5", "50000.01", "abc", "1e3x", "12.345", ""])
def test_invalid_amounts_are_refused_and_nothing_created(stripe_settings, amount):
    with pytest.raises(ValidationError):
        _donate(funded_project(), amount)
    assert not Donation.objects.exists()


def test_an_unfunded_project_takes_no_donations(stripe_settings):
    from grants.enums import ApplicationState

    with pytest.raises(TransitionRefused):
        _donate(funded_project(state=ApplicationState.SUBMITTED))
    assert not Donation.objects.exists()


def test_no_donation_without_stripe_keys(settings):
    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(TransitionRefused):
        _donate(funded_project())
    assert not Donation.objects.exists()


# --- Refunds by an officer --------------------------------------------------------------------


def _received(client, project, amount="200"):
    donation = _donate(project, amount)
    signed_delivery(client, stripe_event(pay(donation).id, "payment_intent.succeeded"))
    donation.refresh_from_db()
    assert donation.status == S.SUCCEEDED
    return donation


def test_officer_refunds_part_then_the_rest(client, stripe_settings, officer):
    project = funded_project()
    active_pledge(application=project)
    donation = _received(client, project, "200")

    svc.refund_donation(
        donation=donation, amount="50", actor=officer, expected_refunded=Decimal("0")
    )
    donation.refresh_from_db()
    assert donation.status == S.PARTIALLY_REFUNDED
    assert donation.refunded_amount == Decimal("50.00")

    svc.refund_donation(
        donation=donation, amount="150", actor=officer, expected_refunded=Decimal("50")
    )
    donation.refresh_from_db()
    assert donation.status == S.REFUNDED
    refunds = _ledger(LedgerKind.DONATION_REFUND)
    assert [r.amount for r in refunds] == [Decimal("50.00"), Decimal("150.00")]
    assert refunds[0].recorded_by == officer
    # Stripe holds the same refunds
    at_stripe = stripe_gateway.list_refunds(donation.stripe_payment_intent_id)
    assert sorted(r.amount for r in at_stripe) == [5000, 15000]
    # Matching already booked stays booked (documented decision)
    assert [e.amount for e in _ledger(LedgerKind.MATCHING)] == [Decimal("200.00")]


def test_refund_webhook_after_the_officers_refund_books_nothing_more(
    client, stripe_settings, officer
):
    donation = _received(client, funded_project(), "200")
    svc.refund_donation(
        donation=donation, amount="200", actor=officer, expected_refunded=Decimal("0")
    )

    signed_delivery(
        client,
        charge_refunded_event(donation.stripe_payment_intent_id, event_id="evt_refund_after"),
    )

    assert len(_ledger(LedgerKind.DONATION_REFUND)) == 1
    donation.refresh_from_db()
    assert donation.status == S.REFUNDED


def test_double_click_on_refund_sends_one_refund(client, stripe_settings, officer):
    donation = _received(client, funded_project(), "200")
    svc.refund_donation(
        donation=donation, amount="50", actor=officer, expected_refunded=Decimal("0")
    )

    with pytest.raises(TransitionRefused):
        svc.refund_donation(
            donation=donation, amount="50", actor=officer, expected_refunded=Decimal("0")
        )

    assert len(stripe_gateway.list_refunds(donation.stripe_payment_intent_id)) == 1
    assert len(_ledger(LedgerKind.DONATION_REFUND)) == 1


@pytest.mark.parametrize("amount", ["0", "-1", "200.01", "abc"])
def test_refund_of_a_wrong_amount_is_refused(client, stripe_settings, officer, amount):
    donation = _received(client, funded_project(), "200")

    with pytest.raises(ValidationError):
        svc.refund_donation(
            donation=donation, amount=amount, actor=officer, expected_refunded=Decimal("0")
        )

    assert stripe_gateway.list_refunds(donation.stripe_payment_intent_id) == []
    assert not _ledger(LedgerKind.DONATION_REFUND)


def test_only_officers_refund(client, stripe_settings, applicant):
    donation = _received(client, funded_project(), "200")
    with pytest.raises(PermissionDenied):
        svc.refund_donation(donation=donation, amount="10", actor=applicant)
    assert stripe_gateway.list_refunds(donation.stripe_payment_intent_id) == []


def test_a_pending_donation_cannot_be_refunded(stripe_settings, officer):
    donation = _donate(funded_project())
    with pytest.raises(TransitionRefused):
        svc.refund_donation(donation=donation, amount="10", actor=officer)


def test_totals_are_net_of_refunds_and_keep_matching(client, stripe_settings, officer):
    from grants.selectors_donations import donation_totals

    project, other = funded_project(), funded_project()
    active_pledge(application=project)
    donation = _received(client, project, "200")
    svc.refund_donation(
        donation=donation, amount="50", actor=officer, expected_refunded=Decimal("0")
    )

    totals = donation_totals([project.pk, other.pk])

    assert totals == {
        project.pk: {"donated": Decimal("150.00"), "matched": Decimal("200.00")},
        other.pk: {"donated": Decimal("0.00"), "matched": Decimal("0.00")},
    }


def test_when_stripe_cannot_be_reached_the_event_is_not_kept_for_a_retry(client, stripe_settings):
    donation = _donate(funded_project())
    event = stripe_event(pay(donation).id, "payment_intent.succeeded")
    stripe_settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there

    with pytest.raises(stripe_gateway.StripeError):
        svc.process_event(event)

    assert not StripeEvent.objects.exists()  # Stripe's next delivery processes it
    assert not LedgerEntry.objects.exists()


def test_a_failed_donation_succeeds_when_stripe_later_confirms_the_payment(client, stripe_settings):
    """In production the donor may retry on the same PaymentIntent after a decline (localstripe
    cannot re-confirm a declined PaymentIntent, so the earlier failure is set up directly)."""
    donation = _donate(funded_project(), "100")
    intent = pay(donation)
    Donation.objects.filter(pk=donation.pk).update(status=S.FAILED, failure_message="declined")

    signed_delivery(client, stripe_event(intent.id, "payment_intent.succeeded"))

    donation.refresh_from_db()
    assert donation.status == S.SUCCEEDED
    assert donation.failure_message == ""
    assert len(_ledger(LedgerKind.DONATION)) == 1


def test_a_cancelled_payment_intent_fails_the_donation(client, stripe_settings):
    donation = _donate(funded_project(), "100")
    intent = stripe_gateway.client().v1.payment_intents.cancel(donation.stripe_payment_intent_id)
    event = {
        "id": "evt_cancelled",
        "object": "event",
        "type": "payment_intent.canceled",
        "created": intent.created,
        "data": {"object": intent.to_dict()},
    }

    signed_delivery(client, event)

    donation.refresh_from_db()
    assert donation.status == S.FAILED
    assert not LedgerEntry.objects.exists()


def test_an_event_for_an_intent_nobody_tried_to_pay_changes_nothing(client, stripe_settings):
    donation = _donate(funded_project(), "100")
    intent = stripe_gateway.retrieve_payment_intent(donation.stripe_payment_intent_id)
    event = {
        "id": "evt_premature_failure",
        "object": "event",
        "type": "payment_intent.payment_failed",
        "created": intent.created,
        "data": {"object": intent.to_dict()},
    }

    signed_delivery(client, event)

    donation.refresh_from_db()
    assert donation.status == S.PENDING
