"""Permissions of mid-term and final evaluations and track record (issue #6).

- ``grants.manage_evaluation`` (grants/rules.py): officers start, cancel and reassign evaluations.
- ``grants.conclude_evaluation`` (user, application): runs pass_mid_term / complete /
  fail_evaluation — an officer, or the evaluator of the application's open evaluation.
- ``grants.act_on_evaluation`` (user, evaluation): the evaluation's own evaluator, while they still
  hold the evaluator role (or are an officer) and have no conflict with the project. Personal: no
  other evaluator or officer writes someone else's scores.
- ``grants.view_evaluation`` (user, evaluation): its evaluator, or an officer.
"""

from __future__ import annotations

import rules

from accounts.enums import Role
from grants.rules import is_officer


@rules.predicate
def is_evaluator(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.EVALUATOR))


may_evaluate = is_evaluator | is_officer


def conflicted(user, application) -> bool:
    """The user may not evaluate this project: a recorded conflict, or a member of its organisation."""
    from accounts.models import Membership
    from grants.models import ConflictRecord

    if ConflictRecord.objects.filter(reviewer=user, application=application).exists():
        return True
    return Membership.objects.filter(
        user=user, organisation_id=application.organisation_id, is_active=True
    ).exists()


@rules.predicate
def is_own_evaluation(user, evaluation) -> bool:
    if not (user and user.is_authenticated) or evaluation is None:
        return False
    if evaluation.evaluator_id != user.pk or not may_evaluate(user):
        return False
    return not conflicted(user, evaluation.application)


@rules.predicate
def is_evaluator_of_open_evaluation(user, application) -> bool:
    from grants.enums_evaluations import OPEN_EVALUATION_STATES
    from grants.models import Evaluation

    if not (user and user.is_authenticated) or application is None:
        return False
    evaluation = Evaluation.objects.filter(
        application=application, evaluator=user, state__in=OPEN_EVALUATION_STATES
    ).first()
    return evaluation is not None and is_own_evaluation(user, evaluation)


rules.add_perm("grants.conclude_evaluation", is_officer | is_evaluator_of_open_evaluation)
rules.add_perm("grants.act_on_evaluation", is_own_evaluation)
rules.add_perm("grants.view_evaluation", is_own_evaluation | is_officer)
rules.add_perm("grants.use_evaluator_workspace", may_evaluate)
for _model in ("evaluationtemplate", "evaluationdimension"):
    for _action in ("view", "add", "change", "delete"):
        rules.add_perm(f"grants.{_action}_{_model}", is_officer)
