from __future__ import annotations

from grants.models import Call


def open_calls(*, now):
    """Calls accepting applications at ``now``, soonest deadline first."""
    return Call.objects.open_at(now).select_related("programme").order_by("closes_at", "pk")
