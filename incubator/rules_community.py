"""Who may do what with social workers, charitable resources and resident proposals.

Loaded at start-up by ``IncubatorConfig.ready`` (django-rules autodiscovers only ``rules.py``).
Predicates look at role codes of active memberships, never at group names.

Community staff (社区工作者) are users with the ``community`` role: a membership that names a unit
(区, 街道 or 社区) covers the 社区 in it; one that names none covers every community. Officers may
do everything community staff may.
"""

from __future__ import annotations

import rules

from accounts.enums import Role
from accounts.rules import has_role, is_officer, is_signed_in
from incubator.rules import is_applicant_of_organisation, is_member_of_organisation

is_community_worker = has_role(Role.COMMUNITY)


def community_scope(user) -> set[int] | None:
    """The unit ids a community worker's memberships name; ``None`` means every community."""
    named = set()
    for community_id in user.memberships.filter(is_active=True, role=Role.COMMUNITY).values_list(
        "community_id", flat=True
    ):
        if community_id is None:
            return None
        named.add(community_id)
    return named


@rules.predicate
def is_community_staff_for(user, proposal=None) -> bool:
    """A community worker whose area covers the proposal's 社区 (any, when asked without one)."""
    if not (user and user.is_authenticated and user.has_role(Role.COMMUNITY)):
        return False
    if proposal is None:
        return True
    scope = community_scope(user)
    if scope is None:
        return True
    community = proposal.community
    ancestors = {community.pk, community.parent_id}
    if community.parent_id is not None:
        ancestors.add(community.parent.parent_id)
    return bool(scope & ancestors)


@rules.predicate
def is_organisation_of_worker_member(user, social_worker) -> bool:
    return social_worker is not None and is_member_of_organisation(user, social_worker.organisation)


@rules.predicate
def is_organisation_of_worker_applicant(user, social_worker) -> bool:
    return social_worker is not None and is_applicant_of_organisation(
        user, social_worker.organisation
    )


community_staff = is_officer | is_community_staff_for

# --- Social workers (object: the organisation, or the social worker) -------------------------------
rules.add_perm("incubator.view_social_workers", is_officer | is_member_of_organisation)
rules.add_perm("incubator.manage_social_workers", is_officer | is_applicant_of_organisation)
rules.add_perm("incubator.change_social_worker", is_officer | is_organisation_of_worker_applicant)
rules.add_perm("incubator.view_certification_report", is_officer)

# --- Charitable resources: officers (pages and Wagtail snippets) ------------------------------------
rules.add_perm("incubator.manage_pledge", is_officer)
rules.add_perm("incubator.view_resources", is_officer)
for _model in ("donor", "inkinddonation", "matchingpledge"):
    for _action in ("view", "add", "change", "delete"):
        rules.add_perm(f"incubator.{_action}_{_model}", is_officer)

# --- Resident proposals (object: the proposal) -------------------------------------------------------
rules.add_perm("incubator.submit_proposal", is_signed_in)
rules.add_perm("incubator.vote_on_proposal", is_signed_in)
rules.add_perm("incubator.manage_proposals", community_staff)
rules.add_perm("incubator.classify_proposal", community_staff)
rules.add_perm("incubator.run_proposal_vote", community_staff)
rules.add_perm("incubator.convert_proposal_to_application", community_staff)
# A micro-call spends a programme's money: the programme's officers decide.
rules.add_perm("incubator.convert_proposal_to_call", is_officer)

# --- 五社联动 view: aggregate counts only, public --------------------------------------------------
rules.add_perm("incubator.view_wushe", rules.always_allow)
