"""Donations through Stripe: start a gift, process Stripe's webhook events exactly once, refund.

Money is only ever recorded from Stripe's word, never the browser's: ``process_event`` (the
verified webhook) and ``refund_donation`` (Stripe's answer to our refund request) write the ledger.

Exactly once. ``process_event`` inserts the ``StripeEvent`` row first, in the transaction that does
the work: a replay finds the row and changes nothing; two deliveries of one event at the same moment
meet at the unique index, the second waits for the first to commit and then changes nothing; if
the work fails the row rolls back with it and Stripe's retry processes the event again. Every ledger
entry also has an event key (``stripe:<pi>``, ``matching:<pledge>:<pi>``, ``stripe-refund:<re>``),
so even two different events about one payment never post one movement twice.

Out of order. Events may arrive in any order and some may never arrive (localstripe, for one, sends
no ``charge.refunded``). So an event is a cue to look at the PaymentIntent and its refunds as
Stripe holds them now, and the donation moves forward only: a refund seen before the success
books the success first; a ``payment_failed`` arriving after the success is ignored.

Matching funds. When a donation succeeds, each active ``incubator.MatchingPledge`` aimed at the
project, then at its programme's pool (for a pool gift: at that pool), adds
``incubator.services_community.record_match`` (ratio × gift, within the pledge's cap, under the
pledge's row lock) as a ``matching`` ledger entry. **A refund does not reverse matching already
booked**: the matching donor's promise was to give alongside the public, the money has been
committed to the project, and the ledger has no kind for a matching reversal. The officer who
refunds sees the matched amount of that donation next to the refund button; a funder who wants
matching reversed needs a ``matching_reversal`` ledger kind and a pledge "unmatch" service first.

Lock order: StripeEvent (insert) → Donation → MatchingPledge (by pk) → LedgerEntry (insert).
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from grants import stripe_gateway
from grants.enums import FUNDED_STATES, Currency, LedgerKind
from grants.models import Application, Donation, LedgerEntry, Programme, StripeEvent
from grants.models.donations import DONATION_MAX, DONATION_MIN, DonationStatus
from grants.selectors_donations import donatable_programmes
from grants.services.errors import TransitionRefused
from grants.services.ledger import clean_amount, post_entry
from incubator.enums_community import MATCHING_STATES
from incubator.models import MatchingPledge
from incubator.services_community import record_match

logger = logging.getLogger(__name__)

D = DonationStatus
HANDLED_EVENTS = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "charge.refunded",
)
# Refunds that take the money back (a failed or cancelled refund gives nothing back).
COUNTED_REFUND_STATUSES = ("succeeded", "pending")
# Each donation creates a PaymentIntent at Stripe: (how many, per how many seconds) per address.
START_LIMIT_PER_IP = (20, 3600)


def donation_key(payment_intent_id: str) -> str:
    return f"stripe:{payment_intent_id}"


def matching_key(pledge, payment_intent_id: str) -> str:
    return f"matching:{pledge.pk}:{payment_intent_id}"


def refund_key(refund_id: str) -> str:
    return f"stripe-refund:{refund_id}"


# --- Starting a donation (public) ----------------------------------------------------------------


def clean_donation_amount(value, *, field: str = "amount") -> Decimal:
    """A gift in yuan between the limits, or a ValidationError that says why."""
    amount = clean_amount(value, field=field)
    if amount < DONATION_MIN:
        raise ValidationError(
            {field: _("The smallest donation is ¥%(min)s.") % {"min": DONATION_MIN}}
        )
    if amount > DONATION_MAX:
        raise ValidationError(
            {
                field: _(
                    "The largest donation on this page is ¥%(max)s; please contact the programme "
                    "office for a larger gift."
                )
                % {"max": DONATION_MAX}
            }
        )
    return amount


def start_donation(
    *,
    amount,
    application: Application | None = None,
    programme: Programme | None = None,
    donor_name: str = "",
    donor_email: str = "",
    message: str = "",
    client_ip: str = "",
) -> Donation:
    """Create the Stripe PaymentIntent for a gift and the pending donation that follows it.

    The PaymentIntent comes first (idempotency key from the donation's public id), so the donation
    row always names one; a PaymentIntent whose donation row failed to save is never paid (nobody
    has its client secret) and its events are recorded and ignored.
    """
    if not stripe_gateway.donations_enabled():
        raise TransitionRefused(_("Online donations are switched off on this site."))
    if (application is None) == (programme is None):
        raise ValueError("give exactly one of application or programme")
    amount = clean_donation_amount(amount)
    if application is not None and application.state not in FUNDED_STATES:
        raise TransitionRefused(_("This project is not taking donations."))
    if programme is not None and not donatable_programmes().filter(pk=programme.pk).exists():
        raise TransitionRefused(_("This programme's matching pool is not taking donations."))
    _rate_limit(client_ip)
    donation = Donation(
        application=application,
        programme=programme,
        amount=amount,
        currency=Currency.CNY,
        donor_name=donor_name.strip()[:100],
        donor_email=donor_email.strip(),
        message=message.strip()[:300],
    )
    recipient = application.title if application is not None else programme.name
    try:
        intent = stripe_gateway.create_payment_intent(
            amount=amount,
            currency=donation.currency,
            idempotency_key=f"donation:{donation.public_id}",
            metadata={
                "donation": donation.public_id,
                "application": application.pk if application else "",
                "programme": programme.pk if programme else "",
                "recipient": recipient,
            },
        )
    except stripe_gateway.StripeError as error:
        logger.warning("Stripe refused a PaymentIntent: %s", error)
        raise TransitionRefused(
            _(
                "The payment service is not available right now; nothing was charged. Please try again later."
            )
        ) from error
    donation.stripe_payment_intent_id = intent.id
    donation.save(force_insert=True)
    return donation


def _rate_limit(client_ip: str) -> None:
    if not client_ip:
        return
    limit, window = START_LIMIT_PER_IP
    key = f"donations:start:{client_ip}"
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        count = 1
    if count > limit:
        raise TransitionRefused(
            _("Too many donations from your connection; please try again later.")
        )


def pay_with_test_card(*, donation: Donation, number: str, exp_month: int, exp_year: int, cvc: str):
    """The local-Stripe path of the payment page (see ``grants.stripe_gateway``): confirm the
    PaymentIntent with a test card. Records nothing itself: the webhook does.

    Raises ``ValidationError`` when the card is declined (the webhook then marks the donation failed).
    """
    if donation.status not in (D.PENDING, D.FAILED):
        raise TransitionRefused(_("This donation has already been paid."))
    try:
        return stripe_gateway.confirm_with_test_card(
            donation.stripe_payment_intent_id,
            number=number,
            exp_month=exp_month,
            exp_year=exp_year,
            cvc=cvc,
        )
    except stripe_gateway.StripeError as error:
        message = getattr(error, "user_message", None) or _("The card was declined.")
        raise ValidationError({"number": message}) from error


# --- Webhook events (Stripe) ---------------------------------------------------------------------


def process_event(event) -> tuple[bool, str]:
    """Process one verified Stripe event once. Returns (new, outcome): ``new`` is False for a replay.

    Raises on a failure to reach Stripe or the database: nothing is kept (not even the event row),
    the webhook answers 500 and Stripe delivers the event again later.
    """
    payload = event.to_dict() if hasattr(event, "to_dict") else dict(event)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = StripeEvent.objects.create(
                    event_id=payload["id"], type=payload.get("type", ""), payload=payload
                )
        except IntegrityError:
            return False, "replay"
        outcome = _dispatch(payload)
        record.processed_at = timezone.now()
        record.outcome = outcome[:200]
        record.save(update_fields=["processed_at", "outcome"])
    return True, outcome


def _dispatch(payload: dict) -> str:
    kind = payload.get("type", "")
    if kind not in HANDLED_EVENTS:
        return "ignored: not a donation event"
    obj = (payload.get("data") or {}).get("object") or {}
    if kind.startswith("payment_intent."):
        payment_intent_id = obj.get("id", "")
    else:
        payment_intent_id = obj.get("payment_intent") or ""
    if not payment_intent_id:
        return "ignored: no PaymentIntent"
    donation = (
        Donation.objects.select_for_update(of=("self",))
        .select_related("application__call", "programme")
        .filter(stripe_payment_intent_id=payment_intent_id)
        .first()
    )
    if donation is None:
        return "ignored: not one of our donations"
    return _sync_donation(donation)


def _sync_donation(donation: Donation) -> str:
    """Bring the (locked) donation in line with the PaymentIntent and its refunds as Stripe holds
    them now. Forward only: pending/failed → succeeded → partially refunded → refunded, or
    pending → failed.
    """
    intent = stripe_gateway.retrieve_payment_intent(donation.stripe_payment_intent_id)
    status = intent.status
    outcomes = []
    if status == "succeeded":
        if donation.status in (D.PENDING, D.FAILED):
            outcomes.append(_record_success(donation, intent))
        if donation.status in (D.SUCCEEDED, D.PARTIALLY_REFUNDED):
            outcomes.append(_record_refunds(donation))
    elif status in ("requires_payment_method", "canceled") and donation.status == D.PENDING:
        # A declined attempt (the donor may try again) or an abandoned PaymentIntent; a
        # PaymentIntent nobody tried to pay yet also waits for a payment method: not a failure.
        error = intent.to_dict().get("last_payment_error") or {}
        if error or status == "canceled":
            reason = error.get("message") or _("The payment was cancelled.")
            donation.fail(reason=str(reason), description=_("Stripe: the payment failed."))
            donation.save()
            outcomes.append("failed")
    return ", ".join(o for o in outcomes if o) or f"no change ({status})"


def _intent_amount(intent) -> Decimal:
    # localstripe leaves out ``amount_received``; for a succeeded PaymentIntent it equals ``amount``.
    fen = intent["amount_received"] if "amount_received" in intent else intent["amount"]
    return stripe_gateway.from_fen(fen)


def _record_success(donation: Donation, intent) -> str:
    amount = _intent_amount(intent)
    if amount != donation.amount or intent.currency.lower() != donation.currency.lower():
        # We created the PaymentIntent with the donation's amount; a difference is a bug or
        # tampering. Record nothing; the reconciliation report shows Stripe's side.
        logger.error(
            "PaymentIntent %s: Stripe has %s %s, donation %s has %s",
            intent.id, amount, intent.currency, donation.pk, donation.amount,
        )  # fmt: skip
        return "ignored: amount or currency differs from the donation"
    matched = book_received(donation)
    return f"succeeded, matched {matched}"


def book_received(donation: Donation, *, occurred_at=None) -> Decimal:
    """Book a donation Stripe confirmed: its ``donation`` entry, the status, the matching funds.

    The caller holds the donation's row lock and has checked Stripe's word (``process_event``), or
    writes demo data. Returns the amount matched.
    """
    application = donation.application
    programme = application.call.programme if application else donation.programme
    entry = post_entry(
        kind=LedgerKind.DONATION,
        amount=donation.amount,
        currency=donation.currency,
        programme=programme,
        application=application,
        idempotency_key=donation_key(donation.stripe_payment_intent_id),
        occurred_at=occurred_at,
        external_reference=donation.stripe_payment_intent_id,
        memo=_("Donation from %(donor)s") % {"donor": donation.public_name},
    )
    donation.succeed(entry=entry, description=_("Stripe: payment received."))
    donation.save()
    return _record_matching(donation, programme=programme, occurred_at=occurred_at)


def _record_matching(donation: Donation, *, programme, occurred_at=None) -> Decimal:
    """Post what each active pledge adds to this donation: the project's own pledges first."""
    application = donation.application
    if application is not None:
        target = Q(application=application) | Q(programme=programme)
    else:
        target = Q(programme=programme)
    pledges = (
        MatchingPledge.objects.filter(target, state__in=MATCHING_STATES)
        .select_related("donor")
        .order_by(F("application").asc(nulls_last=True), "pk")
    )
    pi = donation.stripe_payment_intent_id
    total = Decimal("0.00")
    for pledge in pledges:
        key = matching_key(pledge, pi)
        if LedgerEntry.objects.filter(idempotency_key=key).exists():
            continue  # Matched already (record_match must not run twice for one gift).
        due = record_match(pledge=pledge, donated_amount=donation.amount)
        if due <= 0:
            continue
        post_entry(
            kind=LedgerKind.MATCHING,
            amount=due,
            currency=donation.currency,
            programme=programme,
            application=application,
            idempotency_key=key,
            occurred_at=occurred_at,
            external_reference=pi,
            memo=_("Matching by %(donor)s (pledge %(pledge)s)")
            % {"donor": pledge.donor.name, "pledge": pledge.pk},
        )
        total += due
    return total


def _record_refunds(donation: Donation, *, actor=None, refunds=None) -> str:
    """Post one ``donation_refund`` entry per Stripe refund not yet booked; move the status."""
    if refunds is None:
        refunds = stripe_gateway.list_refunds(donation.stripe_payment_intent_id)
    application = donation.application
    programme = application.call.programme if application else donation.programme
    refunded = donation.refunded_amount
    booked = 0
    # Oldest first, so that refunds are booked in the order they happened.
    for refund in sorted(refunds, key=lambda r: (r.created, r.id)):
        if refund.status not in COUNTED_REFUND_STATUSES:
            continue
        key = refund_key(refund.id)
        if LedgerEntry.objects.filter(idempotency_key=key).exists():
            continue
        amount = stripe_gateway.from_fen(refund.amount)
        if refunded + amount > donation.amount:
            logger.error("Refund %s would exceed donation %s; not booked", refund.id, donation.pk)
            continue
        post_entry(
            kind=LedgerKind.DONATION_REFUND,
            amount=amount,
            currency=donation.currency,
            programme=programme,
            application=application,
            idempotency_key=key,
            recorded_by=actor,
            external_reference=refund.id,
            memo=_("Refund of the donation from %(donor)s") % {"donor": donation.public_name},
        )
        refunded += amount
        booked += 1
    if not booked:
        return ""
    description = _("Refund of ¥%(amount)s recorded.") % {
        "amount": refunded - donation.refunded_amount
    }
    if refunded >= donation.amount:
        donation.refund_fully(refunded=refunded, by=actor, description=description)
    else:
        donation.refund_partially(refunded=refunded, by=actor, description=description)
    donation.save()
    return f"refunds booked {booked}"


# --- Refunds (officers) ----------------------------------------------------------------------------


def refund_donation(
    *, donation: Donation, amount, actor, expected_refunded: Decimal | None = None
) -> Donation:
    """Send ``amount`` yuan of a received donation back to the donor through Stripe and book it.

    ``expected_refunded`` is the refunded amount the officer saw: if it changed meanwhile (another
    refund, a double click), nothing is sent. The Stripe idempotency key is built from it too, so a
    retried request never refunds twice at Stripe either. Should the booking fail after Stripe
    refunded, Stripe's ``charge.refunded`` webhook books the refund later (it is read back from
    Stripe). Matching already booked stays booked (module docstring).
    """
    with transaction.atomic():
        donation = (
            Donation.objects.select_for_update(of=("self",))
            .select_related("application__call", "programme")
            .get(pk=donation.pk)
        )
        if not actor.has_perm("grants.refund_donation", donation):
            raise PermissionDenied
        amount = clean_amount(amount)
        if donation.status not in (D.SUCCEEDED, D.PARTIALLY_REFUNDED):
            raise TransitionRefused(_("Only a received donation can be refunded."))
        if expected_refunded is not None and Decimal(expected_refunded) != donation.refunded_amount:
            raise TransitionRefused(
                _("This donation was refunded meanwhile; check the amounts and try again.")
            )
        if amount > donation.refundable_amount:
            raise ValidationError(
                {
                    "amount": _("At most ¥%(left)s of this donation can still be refunded.")
                    % {"left": donation.refundable_amount}
                }
            )
        try:
            refund = stripe_gateway.refund_payment_intent(
                donation.stripe_payment_intent_id,
                amount=amount,
                idempotency_key=f"donation-refund:{donation.pk}:{donation.refunded_amount}:{amount}",
            )
        except stripe_gateway.StripeError as error:
            logger.warning("Stripe refused a refund of donation %s: %s", donation.pk, error)
            raise ValidationError(
                {
                    "amount": _("Stripe refused the refund: %(why)s")
                    % {"why": error.user_message or error}
                }
            ) from error
        if refund.status not in COUNTED_REFUND_STATUSES:
            raise ValidationError(
                {
                    "amount": _("Stripe did not refund the money (%(status)s).")
                    % {"status": refund.status}
                }
            )
        # Book this refund now; the charge.refunded webhook, if it comes, finds it booked.
        _record_refunds(donation, actor=actor, refunds=[refund])
    return donation
