"""Reads of donations and matching funds. Every figure comes from the ledger, never from a stored total.

"donated" is what donors gave and kept giving: ``donation`` entries minus ``donation_refund``
entries. "matched" is what matching pledges added: ``matching`` entries (matching already booked
stays booked when a donation is refunded; see ``grants.services.donations``).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from grants.enums import FUNDED_STATES, LedgerKind
from grants.models import Application, Donation, LedgerEntry, Programme

ZERO = Decimal("0.00")

__all__ = [
    "donatable_applications",
    "donatable_programmes",
    "donation_totals",
    "donations_of",
    "matched_by_payment_intent",
    "pool_totals",
    "staff_donations",
]


def _sums(filter_q: Q) -> dict:
    money = {"output_field": LedgerEntry._meta.get_field("amount")}
    return {
        "gift": Coalesce(
            Sum("amount", filter=filter_q & Q(kind=LedgerKind.DONATION)), ZERO, **money
        ),
        "refund": Coalesce(
            Sum("amount", filter=filter_q & Q(kind=LedgerKind.DONATION_REFUND)), ZERO, **money
        ),
        "matched": Coalesce(
            Sum("amount", filter=filter_q & Q(kind=LedgerKind.MATCHING)), ZERO, **money
        ),
    }


def donation_totals(application_ids: Iterable[int]) -> dict[int, dict[str, Decimal]]:
    """``{application id: {"donated": Decimal, "matched": Decimal}}`` for every id asked, in one query."""
    ids = list(dict.fromkeys(application_ids))
    totals = {pk: {"donated": ZERO, "matched": ZERO} for pk in ids}
    if not ids:
        return totals
    rows = (
        LedgerEntry.objects.filter(
            application_id__in=ids,
            kind__in=(LedgerKind.DONATION, LedgerKind.DONATION_REFUND, LedgerKind.MATCHING),
        )
        .values("application_id")
        .annotate(**_sums(Q()))
    )
    for row in rows:
        totals[row["application_id"]] = {
            "donated": row["gift"] - row["refund"],
            "matched": row["matched"],
        }
    return totals


def pool_totals(programme_ids: Iterable[int]) -> dict[int, dict[str, Decimal]]:
    """The same figures for programmes' matching pools (entries that name no project), one query."""
    ids = list(dict.fromkeys(programme_ids))
    totals = {pk: {"donated": ZERO, "matched": ZERO} for pk in ids}
    if not ids:
        return totals
    rows = (
        LedgerEntry.objects.filter(
            programme_id__in=ids,
            application__isnull=True,
            kind__in=(LedgerKind.DONATION, LedgerKind.DONATION_REFUND, LedgerKind.MATCHING),
        )
        .values("programme_id")
        .annotate(**_sums(Q()))
    )
    for row in rows:
        totals[row["programme_id"]] = {
            "donated": row["gift"] - row["refund"],
            "matched": row["matched"],
        }
    return totals


def donatable_applications() -> QuerySet[Application]:
    """Projects the public may give to: funded and not closed."""
    return Application.objects.filter(state__in=FUNDED_STATES).select_related(
        "organisation", "call__programme"
    )


def donatable_programmes() -> QuerySet[Programme]:
    """Programmes with a matching pool open to gifts: those with at least one funded project."""
    return Programme.objects.filter(calls__applications__state__in=FUNDED_STATES).distinct()


def donations_of(*, application=None, programme=None) -> QuerySet[Donation]:
    """A project's (or a pool's) donations, newest first, for the staff list."""
    donations = Donation.objects.select_related("ledger_entry")
    if application is not None:
        return donations.filter(application=application)
    return donations.filter(programme=programme, application__isnull=True)


def staff_donations(*, programme_id: int | None = None, status: str | None = None):
    """Every donation (projects and pools), newest first, with what the list shows."""
    donations = Donation.objects.select_related(
        "application__organisation", "application__call__programme", "programme"
    )
    if programme_id is not None:
        donations = donations.filter(
            Q(programme_id=programme_id) | Q(application__call__programme_id=programme_id)
        )
    if status:
        donations = donations.filter(status=status)
    return donations.order_by("-created_at", "-pk")


def matched_by_payment_intent(payment_intent_ids: Iterable[str]) -> dict[str, Decimal]:
    """What matching pledges added to each donation (keyed by PaymentIntent id), one query."""
    ids = [pi for pi in payment_intent_ids if pi]
    if not ids:
        return {}
    rows = (
        LedgerEntry.objects.filter(kind=LedgerKind.MATCHING, external_reference__in=ids)
        .values("external_reference")
        .annotate(total=Sum("amount"))
    )
    return {row["external_reference"]: row["total"] for row in rows}
