"""Reads of resident feedback (群众评议): the figures other areas use and the panels show.

Only *counted* responses make the figures: unverified ones (no code typed), flagged ones (waiting
for an officer) and excluded ones are left out. Every function here runs a fixed number of queries
whatever the number of applications or responses.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet

from grants.models.feedback import FeedbackChannel, FeedbackResponse, FeedbackState

F = FeedbackState
TWO_PLACES = Decimal("0.01")
ONE_PLACE = Decimal("0.1")


def _empty() -> dict:
    return {"responses": 0, "mean_satisfaction": None, "satisfied_percent": None}


def feedback_summary(application_ids: Iterable[int]) -> dict[int, dict]:
    """{application id: {"responses": int, "mean_satisfaction": Decimal | None (1–5, 2 places),
    "satisfied_percent": Decimal | None (share of 4 and 5 stars, 1 place)}} for every id given.

    One query. Mean and share are None when nothing was counted.
    """
    ids = list(dict.fromkeys(application_ids))
    result = {pk: _empty() for pk in ids}
    if not ids:
        return result
    rows = (
        FeedbackResponse.objects.filter(application_id__in=ids, state=F.COUNTED)
        .values("application_id")
        .annotate(
            responses=Count("pk"),
            satisfied=Count("pk", filter=Q(satisfaction__gte=4)),
            **{f"stars_{n}": Count("pk", filter=Q(satisfaction=n)) for n in range(1, 6)},
        )
        .order_by()
    )
    for row in rows:
        count = row["responses"]
        # The mean from counts per star, in Decimal: the database's AVG would be a float.
        points = sum(n * row[f"stars_{n}"] for n in range(1, 6))
        result[row["application_id"]] = {
            "responses": count,
            "mean_satisfaction": (Decimal(points) / count).quantize(TWO_PLACES, ROUND_HALF_UP),
            "satisfied_percent": (Decimal(row["satisfied"]) * 100 / count).quantize(
                ONE_PLACE, ROUND_HALF_UP
            ),
        }
    return result


def distribution(application_id: int) -> dict[int, int]:
    """{stars: counted responses} for 1…5 stars (zeros included). One query."""
    counts = dict.fromkeys(range(1, 6), 0)
    rows = (
        FeedbackResponse.objects.filter(application_id=application_id, state=F.COUNTED)
        .values("satisfaction")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        counts[row["satisfaction"]] = row["n"]
    return counts


def channel_for(application_id: int) -> FeedbackChannel | None:
    return FeedbackChannel.objects.filter(application_id=application_id).first()


def channel_for_token(token: str) -> FeedbackChannel | None:
    """The public page's channel, with what the page shows of its project."""
    if not token or len(token) > 32:
        return None
    return (
        FeedbackChannel.objects.select_related("application__organisation")
        .prefetch_related("application__partner_communities")
        .filter(token=token)
        .first()
    )


def responses_for_staff(application_id: int) -> QuerySet[FeedbackResponse]:
    """Verified responses, newest first (counted, flagged and excluded alike)."""
    return (
        FeedbackResponse.objects.filter(application_id=application_id)
        .exclude(state=F.UNVERIFIED)
        .select_related("moderated_by")
        .order_by("-verified_at", "-pk")
    )


def counts_by_state(application_id: int) -> dict[str, int]:
    rows = (
        FeedbackResponse.objects.filter(application_id=application_id)
        .values("state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = dict.fromkeys(F.values, 0)
    for row in rows:
        counts[row["state"]] = row["n"]
    return counts


def distribution_rows(counts: dict[int, int]) -> list[dict]:
    """5 stars first: {"stars", "count", "percent" (of the total), "width" (0–100, of the max)}."""
    total = sum(counts.values())
    top = max(counts.values(), default=0)
    return [
        {
            "stars": stars,
            "count": counts.get(stars, 0),
            "percent": round(100 * counts.get(stars, 0) / total) if total else 0,
            "width": round(100 * counts.get(stars, 0) / top, 1) if top else 0,
        }
        for stars in range(5, 0, -1)
    ]
