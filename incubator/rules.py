"""Who may see and change organisations and the community directory.

The same permission names answer Wagtail (asked without an object: only officers pass) and our own
views and services (asked with the organisation: members pass for their own).
"""

from __future__ import annotations

import rules

from accounts.enums import Role
from accounts.rules import is_officer, is_signed_in


@rules.predicate
def is_member_of_organisation(user, organisation) -> bool:
    """Any active membership of the user in this organisation, whatever the role."""
    if organisation is None or not user.is_authenticated or not user.is_active:
        return False
    return user.memberships.filter(is_active=True, organisation=organisation).exists()


@rules.predicate
def is_applicant_of_organisation(user, organisation) -> bool:
    """The members who speak for the organisation: applicant members may edit its profile."""
    if organisation is None or not user.is_authenticated or not user.is_active:
        return False
    return user.memberships.filter(
        is_active=True, organisation=organisation, role=Role.APPLICANT
    ).exists()


can_view_organisation = is_officer | is_member_of_organisation
can_edit_organisation = is_officer | is_applicant_of_organisation
# Any signed-in person with a verified address (allauth enforces that at login) may register
# the organisation they belong to; officers review the directory in the admin.
can_register_organisation = is_signed_in

rules.add_perm("incubator.view_organisation", can_view_organisation)
rules.add_perm("incubator.change_organisation", can_edit_organisation)
rules.add_perm("incubator.register_organisation", can_register_organisation)
rules.add_perm("incubator.list_all_organisations", is_officer)
# Directory management in the Wagtail admin (snippets): officers only.
rules.add_perm("incubator.add_organisation", is_officer)
rules.add_perm("incubator.delete_organisation", is_officer)
for _action in ("view", "add", "change", "delete"):
    rules.add_perm(f"incubator.{_action}_community", is_officer)
