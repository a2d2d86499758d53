"""Who may do what in the expert review (专家评审): the reviewer's side and the officer's pool.

The heart of it is the conflict rule (回避): a reviewer who has a row in the conflict register for an
application, or whose assignment on it was conflicted, declined or withdrawn, never sees the
application, its files or its scores. ``grants.view_assignment`` (the declaration page: title and
call only) and ``grants.review_assignment`` (the application itself and the score sheet) both ask
``has_no_conflict``, which looks at the register every time (one query): a conflict recorded a
second ago closes the door at once.

Imported at the bottom of ``grants/rules.py``.
"""

from __future__ import annotations

import rules

from accounts.enums import Role
from grants.enums import AssignmentState

A = AssignmentState
# An assignment in one of these states no longer opens anything for its reviewer.
CLOSED_ASSIGNMENT_STATES = frozenset({A.CONFLICTED, A.DECLINED, A.WITHDRAWN})
# States in which the reviewer has signed the no-conflict declaration.
DECLARED_STATES = frozenset({A.ACCEPTED, A.SUBMITTED})


@rules.predicate
def is_officer(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.OFFICER))


@rules.predicate
def is_reviewer(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.REVIEWER))


@rules.predicate
def is_own_assignment(user, assignment) -> bool:
    return bool(user and user.is_authenticated and assignment is not None) and (
        assignment.reviewer_id == user.pk
    )


@rules.predicate
def has_no_conflict(user, assignment) -> bool:
    """Neither the assignment's state nor the conflict register keeps the reviewer out."""
    from grants.models import ConflictRecord

    if assignment is None or assignment.state in CLOSED_ASSIGNMENT_STATES:
        return False
    return not ConflictRecord.objects.filter(
        reviewer_id=assignment.reviewer_id, application_id=assignment.application_id
    ).exists()


@rules.predicate
def has_declared(user, assignment) -> bool:
    return assignment is not None and assignment.state in DECLARED_STATES


can_view_assignment = is_reviewer & is_own_assignment & has_no_conflict

# The declaration page (title, call and — unless blind — organisation), decline and declare.
rules.add_perm("grants.view_assignment", can_view_assignment)
# The application's content, its files, the score sheet and (per call) the peers' totals.
rules.add_perm("grants.review_assignment", can_view_assignment & has_declared)
# The reviewer's own profile and declared relations.
rules.add_perm("grants.edit_own_reviewer_profile", is_reviewer)
# The officer's side: the expert pool, the conflict register, conduct ratings.
rules.add_perm("grants.manage_reviewer_pool", is_officer)
rules.add_perm("grants.record_conflict", is_officer)
rules.add_perm("grants.rate_reviewer_conduct", is_officer)
