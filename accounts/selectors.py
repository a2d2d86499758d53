from __future__ import annotations

from django.db.models import QuerySet
from wagtail.models import APIToken

from accounts.models import Membership, User


def active_memberships(*, user: User) -> QuerySet[Membership]:
    """The user's active memberships with what the workspace shows of each (one query)."""
    return (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("organisation", "community")
        .order_by("role", "pk")
    )


def api_tokens(*, user: User) -> QuerySet[APIToken]:
    """The user's tokens, newest first; revoked ones stay listed for the record."""
    return APIToken.objects.filter(user=user).order_by("-created", "-pk")
