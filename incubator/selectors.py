from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from incubator.enums import CommunityLevel
from incubator.models import Community, Organisation


def _with_directory_data(queryset: QuerySet[Organisation]) -> QuerySet[Organisation]:
    return queryset.select_related("district", "community")


def organisations_of(*, user: User) -> QuerySet[Organisation]:
    """Organisations the user is an active member of (any role)."""
    return _with_directory_data(
        Organisation.objects.filter(
            pk__in=user.memberships.filter(is_active=True, organisation__isnull=False).values(
                "organisation_id"
            )
        )
    ).order_by("name", "pk")


def all_organisations() -> QuerySet[Organisation]:
    return _with_directory_data(Organisation.objects.all()).order_by("name", "pk")


def visible_organisations(*, user: User) -> QuerySet[Organisation]:
    """What the organisation list shows: everything to officers, one's own to everyone else."""
    if user.has_perm("incubator.list_all_organisations"):
        return all_organisations()
    return organisations_of(user=user)


def districts() -> QuerySet[Community]:
    return Community.objects.filter(level=CommunityLevel.DISTRICT).order_by("name", "pk")


def communities_below_district() -> QuerySet[Community]:
    """街道 and 社区, with their parents loaded so full names cost no extra queries."""
    return (
        Community.objects.exclude(level=CommunityLevel.DISTRICT)
        .select_related("parent__parent")
        .order_by("parent__parent__name", "parent__name", "name", "pk")
    )
