"""The money ledger: one function writes every entry, once per event.

Callers run it inside their own ``transaction.atomic()`` after their own permission checks and locks.
Posting the same ``idempotency_key`` again returns the first entry (a replayed webhook or a double
click changes nothing); a different amount or kind under the same key is refused, never recorded.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.enums import Currency
from grants.models import LedgerEntry

CENT = Decimal("0.01")


def clean_amount(value, *, field: str = "amount") -> Decimal:
    """A positive amount with at most two decimal places, or a ValidationError that says why."""
    try:
        amount = Decimal(str(value).replace(",", "").replace("¥", "").strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(
            {field: _("Enter an amount in yuan, e.g. 15000 or 15000.50.")}
        ) from None
    if not amount.is_finite():
        raise ValidationError({field: _("Enter an amount in yuan, e.g. 15000 or 15000.50.")})
    if amount <= 0:
        raise ValidationError({field: _("The amount must be more than zero.")})
    if amount != amount.quantize(CENT):
        raise ValidationError({field: _("Amounts are in yuan with at most two decimal places.")})
    if amount >= Decimal("1e12"):
        raise ValidationError({field: _("This amount is too large.")})
    return amount.quantize(CENT)


def post_entry(
    *,
    kind: str,
    amount,
    programme,
    idempotency_key: str,
    call=None,
    application=None,
    tranche=None,
    currency: str = Currency.CNY,
    occurred_at=None,
    recorded_by=None,
    external_reference: str = "",
    memo: str = "",
) -> LedgerEntry:
    """Write one ledger entry for one event, or return the entry already written for it."""
    amount = clean_amount(amount)
    existing = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _same_event(existing, kind=kind, amount=amount)
    if application is not None:
        call = call or application.call
    if call is not None:
        programme = programme or call.programme
    entry = LedgerEntry(
        kind=kind,
        amount=amount,
        currency=currency,
        programme=programme,
        call=call,
        application=application,
        tranche=tranche,
        idempotency_key=idempotency_key,
        occurred_at=occurred_at or timezone.now(),
        recorded_by=recorded_by,
        external_reference=external_reference[:120],
        memo=memo[:300],
    )
    try:
        # A savepoint, so that a concurrent writer of the same key loses cleanly and reads the winner.
        with transaction.atomic():
            entry.save(force_insert=True)
    except IntegrityError:
        existing = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise  # Another constraint (e.g. a tranche paid twice): the caller must see it.
        return _same_event(existing, kind=kind, amount=amount)
    return entry


def _same_event(existing: LedgerEntry, *, kind: str, amount: Decimal) -> LedgerEntry:
    if existing.kind != kind or existing.amount != amount:
        raise ValidationError(
            _(
                "This event was already recorded with a different amount or kind; nothing was changed."
            )
        )
    return existing


# Event keys of the entries several areas write: the same event always gets the same key.


def award_key(agreement) -> str:
    return f"award:{agreement.pk}"


def tranche_paid_key(tranche) -> str:
    return f"tranche-paid:{tranche.pk}"
