"""Who may do what to applications: django-rules permissions, checked in views and services alike.

Transitions name these permissions (``permission="grants.submit_application"``), so django-fsm's
``has_transition_perm`` and ``user.has_perm(name, application)`` ask the same predicates.
"""

from __future__ import annotations

import rules

from accounts.enums import Role


@rules.predicate
def is_officer(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.OFFICER))


@rules.predicate
def is_applicant_member(user, application) -> bool:
    """A member (role applicant) of the organisation that owns the application."""
    if not (user and user.is_authenticated) or application is None:
        return False
    return application.organisation_id in user.organisation_ids(Role.APPLICANT)


can_view = is_applicant_member | is_officer

rules.add_perm("grants.view_application", can_view)
rules.add_perm("grants.edit_application", is_applicant_member)
rules.add_perm("grants.submit_application", is_applicant_member)
rules.add_perm("grants.withdraw_application", is_applicant_member)
rules.add_perm("grants.comment_application", can_view)
rules.add_perm("grants.view_staff_comments", is_officer)
rules.add_perm("grants.screen_application", is_officer)
rules.add_perm("grants.terminate_application", is_officer)
rules.add_perm("grants.manage_call", is_officer)
rules.add_perm("grants.use_officer_workspace", is_officer)
# Programmes, calls, rubrics and blocked lists in the Wagtail admin (snippets): officers only.
# Wagtail asks these model permissions; superusers pass through Django's ModelBackend.
for _model in ("programme", "call", "rubriccriterion", "callform", "blacklistentry"):
    for _action in ("view", "add", "change", "delete"):
        rules.add_perm(f"grants.{_action}_{_model}", is_officer)


# --- Review, ranking and decision (issue #4) ------------------------------------------------------


@rules.predicate
def is_reviewer(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.REVIEWER))


@rules.predicate
def is_assigned_reviewer(user, assignment) -> bool:
    """The reviewer of this assignment (an assignment is personal: nobody acts for them)."""
    return bool(user and user.is_authenticated and assignment is not None) and (
        assignment.reviewer_id == user.pk
    )


rules.add_perm("grants.manage_review", is_officer)
rules.add_perm("grants.assign_reviewers", is_officer)
rules.add_perm("grants.decide_application", is_officer)
rules.add_perm("grants.resolve_objection", is_officer)
rules.add_perm("grants.view_conflict_register", is_officer)
rules.add_perm("grants.act_on_assignment", is_assigned_reviewer)
rules.add_perm("grants.use_reviewer_workspace", is_reviewer)
for _model in ("reviewerprofile", "reviewerrelation", "pitchsession"):
    for _action in ("view", "add", "change", "delete"):
        rules.add_perm(f"grants.{_action}_{_model}", is_officer)


# --- Agreement, funding and evaluation (issues #5 and #6) -----------------------------------------

from accounts.rules import is_finance  # noqa: E402

rules.add_perm("grants.accept_agreement", is_applicant_member)
rules.add_perm("grants.start_project", is_officer | is_finance)
rules.add_perm("grants.manage_evaluation", is_officer)

# Each area keeps its own permissions in its own module (grants.conclude_evaluation: evaluations).
from grants import rules_decisions, rules_pitch, rules_ranking, rules_review  # noqa: E402, F401, I001
from grants import (  # noqa: E402, F401, I001
    rules_donations,
    rules_evaluations,
    rules_feedback,
    rules_finance,
    rules_funding,
    rules_impact,
    rules_reports,
)
