"""Who may do what in incubation: django-rules permissions, asked by views, services and the
transitions of ``IncubationApplication`` alike.

Base managers are officers (every base) or the users a base lists as its managers. Organisations
act through their applicant members. Loaded by ``IncubatorConfig.ready`` (django-rules only
autodiscovers ``rules.py``).
"""

from __future__ import annotations

import rules

from accounts.enums import Role
from accounts.rules import is_officer
from incubator.enums_incubation import COHORT_STATES, IncubationState
from incubator.rules import is_applicant_of_organisation


def base_id_of(obj) -> int | None:
    """The id of the incubation base an object belongs to (base, intake, course, application, …)."""
    from incubator.models import (
        CapacityAssessment,
        IncubationApplication,
        IncubationBase,
        Intake,
        MentoringSession,
        TrainingCourse,
        TrainingSession,
    )

    if isinstance(obj, IncubationBase):
        return obj.pk
    if isinstance(obj, Intake | TrainingCourse):
        return obj.base_id
    if isinstance(obj, TrainingSession):
        return obj.course.base_id
    if isinstance(obj, IncubationApplication):
        return obj.intake.base_id
    if isinstance(obj, MentoringSession | CapacityAssessment):
        return obj.application.intake.base_id
    return None


def _usable(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


@rules.predicate
def is_base_manager(user, obj) -> bool:
    if not _usable(user) or obj is None:
        return False
    base_id = base_id_of(obj)
    return base_id is not None and user.managed_incubation_bases.filter(pk=base_id).exists()


@rules.predicate
def manages_any_base(user) -> bool:
    return _usable(user) and user.managed_incubation_bases.exists()


@rules.predicate
def is_applicant_of_application(user, application) -> bool:
    """A member (role applicant) of the organisation the incubation application is for."""
    if not _usable(user) or application is None:
        return False
    return application.organisation_id in user.organisation_ids(Role.APPLICANT)


@rules.predicate
def is_in_cohort_of_course(user, course) -> bool:
    """An applicant member of an organisation admitted to (or graduated from) the course's base."""
    if not _usable(user) or course is None:
        return False
    from incubator.models import IncubationApplication

    return IncubationApplication.objects.filter(
        intake__base_id=course.base_id,
        organisation_id__in=user.organisation_ids(Role.APPLICANT),
        state__in=[*COHORT_STATES, IncubationState.GRADUATED],
    ).exists()


can_manage = is_officer | is_base_manager

rules.add_perm("incubator.use_incubation_workspace", is_officer | manages_any_base)
rules.add_perm("incubator.manage_incubation_base", can_manage)
rules.add_perm("incubator.manage_incubation_application", can_manage)
rules.add_perm("incubator.view_incubation_application", can_manage | is_applicant_of_application)
rules.add_perm("incubator.withdraw_incubation_application", is_applicant_of_application)
# Asked with the organisation: only its applicant members apply on its behalf.
rules.add_perm("incubator.apply_for_incubation", is_applicant_of_organisation)
rules.add_perm("incubator.view_training_course", can_manage | is_in_cohort_of_course)
# Bases and intakes in the Wagtail admin (snippets): officers only.
for _model in ("incubationbase", "intake"):
    for _action in ("view", "add", "change", "delete"):
        rules.add_perm(f"incubator.{_action}_{_model}", is_officer)
