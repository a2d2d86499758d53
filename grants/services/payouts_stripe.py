"""Stripe Connect payouts: one transfer per disbursement, to the grantee's connected account.

Only where the funder uses Stripe (Stripe has no Connect accounts for mainland China; domestic
tranches are paid by bank or treasury and recorded). The idempotency key is the disbursement's, so
a retried request (a timeout, a double click) can never make a second transfer: Stripe answers the
second call with the first transfer.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _


class StripePayoutError(Exception):
    """Stripe refused or could not be reached; ``message`` says why in words finance can act on."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Transfer:
    id: str
    amount_fen: int
    currency: str
    destination: str


def to_fen(amount: Decimal) -> int:
    """Integer minor units (fen, cents): Stripe takes no decimals."""
    fen = Decimal(amount) * 100
    if fen != fen.to_integral_value():
        raise ValueError("amount has more than two decimal places")
    return int(fen)


def stripe_configured() -> bool:
    return bool(getattr(settings, "STRIPE_SECRET_KEY", ""))


def idempotency_key(disbursement) -> str:
    return f"disbursement-{disbursement.pk}"


def _client():
    import stripe

    options = {}
    if settings.STRIPE_API_BASE:  # tests: a local server on 127.0.0.1 replaying recorded responses
        options["base_addresses"] = {"api": settings.STRIPE_API_BASE.rstrip("/")}
    # The SDK retries network errors with the same idempotency key, so a retry is safe.
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, max_network_retries=2, **options)


def create_transfer(disbursement) -> Transfer:
    """Transfer the disbursement's amount to its connected account, or raise StripePayoutError."""
    import stripe

    if not stripe_configured():
        raise StripePayoutError(str(_("Stripe is not configured on this site (no secret key).")))
    amount = to_fen(disbursement.amount)
    try:
        transfer = _client().v1.transfers.create(
            params={
                "amount": amount,
                "currency": disbursement.currency.lower(),
                "destination": disbursement.stripe_account_id,
                "transfer_group": f"application-{disbursement.application_id}",
                "description": f"Tranche {disbursement.tranche.number} of "
                f"{disbursement.application.reference}"[:200],
                "metadata": {
                    "disbursement": str(disbursement.pk),
                    "tranche": str(disbursement.tranche_id),
                },
            },
            options={"idempotency_key": idempotency_key(disbursement)},
        )
    except stripe.StripeError as error:
        message = getattr(error, "user_message", None) or str(error) or error.__class__.__name__
        raise StripePayoutError(message) from error
    transfer = transfer.to_dict()
    if (
        transfer.get("amount") != amount
        or transfer.get("currency") != disbursement.currency.lower()
    ):
        raise StripePayoutError(
            str(_("Stripe reported a transfer of a different amount; nothing was recorded."))
        )
    return Transfer(
        id=transfer["id"],
        amount_fen=transfer["amount"],
        currency=transfer["currency"],
        destination=transfer.get("destination") or disbursement.stripe_account_id,
    )
