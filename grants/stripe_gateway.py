"""The one place that talks to Stripe (official SDK, a ``StripeClient`` per call).

Settings are read on every call, never cached in module globals: ``STRIPE_SECRET_KEY``,
``STRIPE_PUBLISHABLE_KEY``, ``STRIPE_WEBHOOK_SECRET`` and ``STRIPE_API_BASE`` (empty in production;
the tests point it at a ``localstripe`` server on 127.0.0.1).

Two ways to pay a PaymentIntent:

- **Production** (``STRIPE_API_BASE`` empty): the server creates the PaymentIntent; the donation's
  payment page loads Stripe.js from js.stripe.com with the publishable key, mounts the Payment
  Element on the PaymentIntent's client secret and confirms it in the browser. Card numbers never
  reach this server (PCI SAQ A).
- **Local Stripe server** (``STRIPE_API_BASE`` set and a ``sk_test_`` key): localstripe does not
  serve Stripe.js's Payment Element, so the payment page shows a test-card form and the server
  creates a card PaymentMethod on the local server and confirms the PaymentIntent itself
  (``confirm_with_test_card``). This path refuses to run against the real Stripe API: it would
  send card numbers through our server.

Either way the donation is only marked received when the signed ``payment_intent.succeeded``
webhook arrives (``grants.services.donations.process_event``), never from the browser's word.
"""

from __future__ import annotations

from decimal import Decimal

import stripe
from django.conf import settings

from grants.enums import Currency

# Stripe amounts are integers in the currency's smallest unit; CNY has two decimals (fen).
FEN = Decimal("100")

__all__ = [
    "StripeError",
    "SignatureError",
    "client",
    "confirm_with_test_card",
    "construct_event",
    "create_payment_intent",
    "donations_enabled",
    "from_fen",
    "list_refunds",
    "publishable_key",
    "refund_payment_intent",
    "retrieve_payment_intent",
    "test_card_mode",
    "to_fen",
]

StripeError = stripe.StripeError
SignatureError = stripe.SignatureVerificationError


def donations_enabled() -> bool:
    """Donations need a secret key, the webhook secret (nothing is ever confirmed without the
    webhook) and a way to pay: the publishable key for Stripe.js, or a local Stripe server."""
    if not (settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET):
        return False
    return bool(settings.STRIPE_PUBLISHABLE_KEY) or test_card_mode()


def test_card_mode() -> bool:
    """True only against a local Stripe server with a test key (see the module docstring)."""
    return bool(settings.STRIPE_API_BASE) and settings.STRIPE_SECRET_KEY.startswith("sk_test_")


def publishable_key() -> str:
    return settings.STRIPE_PUBLISHABLE_KEY


def client() -> stripe.StripeClient:
    options = {}
    if settings.STRIPE_API_BASE:
        options["base_addresses"] = {"api": settings.STRIPE_API_BASE.rstrip("/")}
    # The SDK retries network errors with the idempotency key it sends, so a retry is safe.
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, max_network_retries=2, **options)


def to_fen(amount: Decimal) -> int:
    return int((Decimal(amount) * FEN).to_integral_exact())


def from_fen(value: int) -> Decimal:
    return (Decimal(int(value)) / FEN).quantize(Decimal("0.01"))


def create_payment_intent(*, amount: Decimal, currency: str, idempotency_key: str, metadata: dict):
    return client().v1.payment_intents.create(
        params={
            "amount": to_fen(amount),
            "currency": currency.lower(),
            "payment_method_types": ["card"],
            # Stripe keeps metadata values up to 500 characters.
            "metadata": {key: str(value)[:500] for key, value in metadata.items()},
        },
        options={"idempotency_key": idempotency_key},
    )


def retrieve_payment_intent(payment_intent_id: str):
    return client().v1.payment_intents.retrieve(payment_intent_id)


def confirm_with_test_card(
    payment_intent_id: str, *, number: str, exp_month: int, exp_year: int, cvc: str
):
    """The local-server path: make a card PaymentMethod and confirm the PaymentIntent with it.

    Raises ``stripe.CardError`` when the (test) card is declined; the ``payment_failed`` webhook
    then records the failure.
    """
    if not test_card_mode():
        raise RuntimeError("Card numbers are only taken by this server against a local Stripe.")
    api = client().v1
    method = api.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": cvc},
        }
    )
    api.payment_intents.update(payment_intent_id, params={"payment_method": method.id})
    return api.payment_intents.confirm(payment_intent_id)


def refund_payment_intent(payment_intent_id: str, *, amount: Decimal, idempotency_key: str):
    return client().v1.refunds.create(
        params={"payment_intent": payment_intent_id, "amount": to_fen(amount)},
        options={"idempotency_key": idempotency_key},
    )


def list_refunds(payment_intent_id: str) -> list:
    """Every refund of the PaymentIntent, as Stripe sees it now (auto-paginated)."""
    page = client().v1.refunds.list(params={"payment_intent": payment_intent_id, "limit": 100})
    return list(page.auto_paging_iter())


def construct_event(payload: bytes, signature_header: str):
    """Verify the ``Stripe-Signature`` header with the webhook secret; return the event.

    Raises ``SignatureError`` (bad or missing signature, too old) or ``ValueError`` (not JSON).
    """
    return stripe.Webhook.construct_event(
        payload, signature_header or "", settings.STRIPE_WEBHOOK_SECRET
    )


SUPPORTED_CURRENCIES = {Currency.CNY.value.lower()}
