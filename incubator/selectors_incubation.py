"""Reads of incubation, each carrying its ``select_related``/``prefetch_related``: list pages cost
the same number of queries for 1 row or 30.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.enums import Role
from accounts.models import User
from incubator.enums_incubation import COHORT_STATES, IncubationState
from incubator.models import (
    Attendance,
    CapacityAssessment,
    FollowUp,
    IncubationApplication,
    IncubationBase,
    Intake,
    MentoringSession,
    Organisation,
    TrainingCourse,
    TrainingSession,
)

I = IncubationState  # noqa: E741


# --- Graduates (read by grants' eligibility rules) --------------------------------------------


def graduated_organisation_ids() -> set[int]:
    """Organisations that graduated (出壳) from any incubation base."""
    return set(
        IncubationApplication.objects.filter(state=I.GRADUATED)
        .values_list("organisation_id", flat=True)
        .distinct()
    )


def graduation_of(*, organisation_id: int) -> IncubationApplication | None:
    """The organisation's latest graduation, with its base, or None."""
    return (
        IncubationApplication.objects.filter(organisation_id=organisation_id, state=I.GRADUATED)
        .select_related("intake__base")
        .order_by("-graduated_on", "-pk")
        .first()
    )


# --- Bases and intakes ----------------------------------------------------------------------


def open_intakes(*, today=None) -> QuerySet[Intake]:
    today = today or timezone.localdate()
    return (
        Intake.objects.filter(opens_on__lte=today, closes_on__gte=today)
        .select_related("base__district")
        .order_by("closes_on", "base__name", "pk")
    )


def bases_with_open_intakes(*, today=None) -> list[IncubationBase]:
    """Every base, with ``open_intakes`` (a list) prefetched: two queries."""
    today = today or timezone.localdate()
    return list(
        IncubationBase.objects.select_related("district", "operator")
        .prefetch_related(
            Prefetch(
                "intakes",
                queryset=Intake.objects.filter(opens_on__lte=today, closes_on__gte=today).order_by(
                    "closes_on", "pk"
                ),
                to_attr="open_intakes",
            )
        )
        .order_by("name", "pk")
    )


def bases_managed_by(*, user: User) -> QuerySet[IncubationBase]:
    if user.has_role(Role.OFFICER):
        return IncubationBase.objects.all().order_by("name", "pk")
    return user.managed_incubation_bases.all().order_by("name", "pk")


# --- Applications -------------------------------------------------------------------------------


def _with_list_data(queryset: QuerySet[IncubationApplication]) -> QuerySet[IncubationApplication]:
    return queryset.select_related("intake__base", "organisation__district")


def applications_for_manager(*, user: User) -> QuerySet[IncubationApplication]:
    """Applications at the bases ``user`` manages (every base for officers)."""
    queryset = IncubationApplication.objects.all()
    if not user.has_role(Role.OFFICER):
        queryset = queryset.filter(intake__base__in=user.managed_incubation_bases.all())
    return _with_list_data(queryset).order_by("review_due_on", "applied_at", "pk")


def applications_by_state(*, user: User) -> OrderedDict[str, list[IncubationApplication]]:
    """The workspace: the manager's applications grouped by state, in the machine's order."""
    groups: OrderedDict[str, list[IncubationApplication]] = OrderedDict(
        (code, []) for code in I.values
    )
    for application in applications_for_manager(user=user):
        groups[application.state].append(application)
    return groups


def applications_of_member(*, user: User) -> QuerySet[IncubationApplication]:
    """Incubation applications of the organisations the user is an applicant member of."""
    return _with_list_data(
        IncubationApplication.objects.filter(
            organisation_id__in=user.memberships.filter(
                is_active=True, role=Role.APPLICANT, organisation__isnull=False
            ).values("organisation_id")
        )
    ).order_by("-applied_at", "-pk")


def application_for_page(*, pk: int) -> IncubationApplication | None:
    """One application with everything its page shows (the caller checks the permission)."""
    return (
        IncubationApplication.objects.select_related(
            "intake__base__district", "organisation__district", "applied_by"
        )
        .prefetch_related(
            Prefetch(
                "assessments", queryset=CapacityAssessment.objects.order_by("assessed_on", "pk")
            ),
            Prefetch(
                "mentoring_sessions",
                queryset=MentoringSession.objects.prefetch_related(
                    Prefetch("follow_ups", queryset=FollowUp.objects.order_by("due_on", "pk"))
                ).order_by("-held_on", "-pk"),
            ),
        )
        .filter(pk=pk)
        .first()
    )


# --- Training ------------------------------------------------------------------------------------


def _with_sessions(queryset: QuerySet[TrainingCourse]) -> QuerySet[TrainingCourse]:
    return queryset.select_related("base").prefetch_related(
        Prefetch(
            "sessions",
            queryset=TrainingSession.objects.annotate(
                attendance_count=Count("attendances")
            ).order_by("starts_at", "pk"),
        )
    )


def courses_for_manager(*, user: User) -> QuerySet[TrainingCourse]:
    return _with_sessions(
        TrainingCourse.objects.filter(base__in=bases_managed_by(user=user))
    ).order_by("base__name", "title", "pk")


@dataclass(frozen=True)
class MemberCourse:
    course: TrainingCourse
    sessions: list[tuple[TrainingSession, bool]]  # (session, the organisation attended)


def courses_for_organisation(*, organisation_id: int, base_id: int) -> list[MemberCourse]:
    """The base's courses with, per session, whether the organisation attended: three queries."""
    attended = set(
        Attendance.objects.filter(
            organisation_id=organisation_id, session__course__base_id=base_id
        ).values_list("session_id", flat=True)
    )
    courses = TrainingCourse.objects.filter(base_id=base_id).prefetch_related(
        Prefetch("sessions", queryset=TrainingSession.objects.order_by("starts_at", "pk"))
    )
    return [
        MemberCourse(
            course=course,
            sessions=[(session, session.pk in attended) for session in course.sessions.all()],
        )
        for course in courses.order_by("title", "pk")
    ]


def course_for_page(*, pk: int) -> TrainingCourse | None:
    return _with_sessions(TrainingCourse.objects.filter(pk=pk)).first()


def session_for_attendance(*, pk: int) -> TrainingSession | None:
    return (
        TrainingSession.objects.select_related("course__base")
        .prefetch_related(
            Prefetch("attendances", queryset=Attendance.objects.select_related("organisation"))
        )
        .filter(pk=pk)
        .first()
    )


def cohort_organisations(*, base_id: int, including: set[int] | None = None) -> list[Organisation]:
    """Organisations in the base's cohort (admitted to incubating), plus any in ``including``."""
    condition = Q(
        incubation_applications__intake__base_id=base_id,
        incubation_applications__state__in=COHORT_STATES,
    )
    if including:
        condition |= Q(pk__in=including)
    return list(Organisation.objects.filter(condition).distinct().order_by("name", "pk"))
