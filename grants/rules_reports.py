"""Permissions of milestone plans and reports (issue #6).

Objects: ``grants.write_report`` and ``grants.manage_milestones`` take the application; the report
permissions take the ``Report``. Evaluators read accepted reports only (the views and selectors
filter on the state) of the projects they are assigned to evaluate; officers read everything; an
organisation's members read their own.
"""

from __future__ import annotations

import rules

from accounts.enums import Role
from grants.rules import is_officer


def _organisation_id(obj) -> int | None:
    """The organisation behind an application, a milestone, a report or a piece of evidence."""
    if hasattr(obj, "report_id"):  # evidence, activity or volunteer row
        obj = obj.report
    if hasattr(obj, "organisation_id"):  # the application itself
        return obj.organisation_id
    application = getattr(obj, "application", None)
    return getattr(application, "organisation_id", None)


@rules.predicate
def is_report_organisation_member(user, obj) -> bool:
    """A member (role applicant) of the organisation whose project the object belongs to."""
    if not (user and user.is_authenticated) or obj is None:
        return False
    return _organisation_id(obj) in user.organisation_ids(Role.APPLICANT)


@rules.predicate
def is_project_evaluator(user, obj) -> bool:
    """An evaluator (third party) assigned to an evaluation of the project, whatever its state:
    they read the project's accepted reports while they evaluate and afterwards."""
    if not (user and user.is_authenticated and user.has_role(Role.EVALUATOR)) or obj is None:
        return False
    from grants.models import Evaluation

    if hasattr(obj, "report_id"):
        obj = obj.report
    application_id = obj.pk if hasattr(obj, "organisation_id") else obj.application_id
    return Evaluation.objects.filter(application_id=application_id, evaluator=user).exists()


rules.add_perm("grants.manage_milestones", is_officer)
rules.add_perm("grants.write_report", is_report_organisation_member)
rules.add_perm("grants.submit_report", is_report_organisation_member)
rules.add_perm("grants.review_report", is_officer)
rules.add_perm("grants.use_report_workspace", is_officer)
rules.add_perm(
    "grants.view_report", is_report_organisation_member | is_officer | is_project_evaluator
)
