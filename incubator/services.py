"""Writes on the organisation directory. Each checks its permission itself: views are not trusted."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from accounts.enums import Role
from accounts.models import Membership, User
from incubator.models import Organisation

# The profile fields a member may set; membership and audit fields are never taken from input.
PROFILE_FIELDS = (
    "name",
    "org_type",
    "credit_code",
    "registration_date",
    "registration_authority",
    "rating",
    "rating_expires_on",
    "district",
    "community",
    "address",
    "contact_name",
    "contact_phone",
    "contact_email",
    "description",
    "website",
)


def _apply(organisation: Organisation, data: dict[str, Any]) -> None:
    unknown = set(data) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not organisation profile fields: {sorted(unknown)}")
    for field, value in data.items():
        setattr(organisation, field, value)


def _save(organisation: Organisation) -> None:
    organisation.full_clean()
    try:
        # A savepoint, so that losing a race on the unique credit code leaves the outer
        # transaction usable and the user sees the same message as when validation caught it.
        with transaction.atomic():
            organisation.save()
    except IntegrityError:
        if (
            organisation.credit_code
            and Organisation.objects.filter(credit_code=organisation.credit_code)
            .exclude(pk=organisation.pk)
            .exists()
        ):
            raise ValidationError(
                {
                    "credit_code": _(
                        "An organisation with this unified social credit code is already registered."
                    )
                }
            ) from None
        raise


@transaction.atomic
def register_organisation(*, actor: User, data: dict[str, Any]) -> Organisation:
    """Create an organisation from its profile and make the actor its applicant member.

    Side effects, all in one transaction: the organisation row; an ``applicant`` membership for
    the actor (which, through ``accounts.signals``, re-syncs the actor's access).
    """
    if not actor.has_perm("incubator.register_organisation"):
        raise PermissionDenied
    organisation = Organisation()
    _apply(organisation, data)
    _save(organisation)
    Membership.objects.create(user=actor, role=Role.APPLICANT, organisation=organisation)
    return organisation


@transaction.atomic
def update_organisation(
    *, actor: User, organisation: Organisation, data: dict[str, Any]
) -> Organisation:
    """Change an organisation's profile; applicant members of it and officers may."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if not actor.has_perm("incubator.change_organisation", organisation):
        raise PermissionDenied
    _apply(organisation, data)
    _save(organisation)
    return organisation
