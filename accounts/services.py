"""Writes for accounts: staff access from role codes, preferences, personal API tokens."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from wagtail.models import APIToken

from accounts.enums import STAFF_ROLES
from accounts.models import Membership, RoleGroup, User


@transaction.atomic
def sync_role_access(*, user: User) -> None:
    """Bring ``is_staff`` and role-linked groups in line with the user's active role codes.

    Called whenever a membership changes (see ``accounts.signals``). ``is_staff`` follows the staff
    roles (officer, finance); superusers keep theirs. Groups are linked to roles by ``RoleGroup``
    (by code, never by group name), so a group may be renamed or translated freely.
    """
    roles = set(Membership.objects.filter(user=user, is_active=True).values_list("role", flat=True))
    is_staff = user.is_superuser or bool(roles & STAFF_ROLES)
    if user.is_staff != is_staff:
        User.objects.filter(pk=user.pk).update(is_staff=is_staff)
        user.is_staff = is_staff
    wanted = set(RoleGroup.objects.filter(role__in=roles).values_list("group_id", flat=True))
    managed = set(RoleGroup.objects.values_list("group_id", flat=True))
    current = set(user.groups.filter(pk__in=managed).values_list("pk", flat=True))
    if wanted - current:
        user.groups.add(*Group.objects.filter(pk__in=wanted - current))
    if current - wanted:
        user.groups.remove(*Group.objects.filter(pk__in=current - wanted))
    # role_codes is cached on the instance; the caller's object must see the new roles.
    user.__dict__.pop("role_codes", None)


def update_preferences(*, actor: User, preferred_language: str, email_frequency: str) -> User:
    actor.preferred_language = preferred_language
    actor.email_frequency = email_frequency
    actor.full_clean(exclude=["password", "username", "email"])
    actor.save(update_fields=["preferred_language", "email_frequency"])
    return actor


def create_api_token(*, actor: User, name: str) -> tuple[APIToken, str]:
    """Issue a personal token; returns the plaintext, which is never stored and shown only once."""
    if not actor.has_perm("accounts.manage_own_api_tokens"):
        raise PermissionDenied
    return APIToken.create_token(user=actor, name=name.strip())


@transaction.atomic
def revoke_api_token(*, actor: User, token_id: int) -> APIToken:
    """Revoke one of the actor's own tokens. Revoking a revoked token changes nothing."""
    token = APIToken.objects.select_for_update().filter(user=actor, pk=token_id).first()
    if token is None:
        # Someone else's token looks exactly like a missing one.
        raise APIToken.DoesNotExist
    if token.revoked_at is None:
        token.revoke()
    return token
