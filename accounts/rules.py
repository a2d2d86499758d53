"""Platform-wide permission predicates, all derived from the stable role codes of memberships.

Object rules for organisations live in ``incubator/rules.py``. Wagtail asks ``user.has_perm`` for
admin access and for snippet actions; the rules backend (first in AUTHENTICATION_BACKENDS) answers
from role codes here, so nobody has to keep Django groups in step by hand.
"""

from __future__ import annotations

import rules

from accounts.enums import STAFF_ROLES, Role


def has_role(role: str) -> rules.Predicate:
    """A predicate true for active users holding ``role`` on an active membership."""

    def check(user) -> bool:
        return bool(user and user.is_authenticated and user.has_role(role))

    return rules.Predicate(check, name=f"has_role:{role}")


is_officer = has_role(Role.OFFICER)
is_finance = has_role(Role.FINANCE)
is_applicant = has_role(Role.APPLICANT)


@rules.predicate
def has_staff_role(user) -> bool:
    """Officer or finance: the people who work in the Wagtail admin."""
    return bool(user and user.is_authenticated and user.is_active and user.role_codes & STAFF_ROLES)


is_signed_in = rules.is_authenticated & rules.is_active

# Wagtail admin: officers and finance staff get in because of their role code, not a group.
rules.add_perm("wagtailadmin.access_admin", has_staff_role)
rules.add_perm("accounts.manage_own_api_tokens", is_signed_in)
