"""Writes of the incubation programme: training courses, sessions and attendance, mentoring (督导)
notes with follow-ups, and capacity assessments. Each checks its permission itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from incubator.enums_incubation import (
    COHORT_STATES,
    DIMENSION_MAX,
    CapacityDimension,
    IncubationState,
)
from incubator.models import (
    Attendance,
    CapacityAssessment,
    FollowUp,
    IncubationApplication,
    IncubationBase,
    MentoringSession,
    Organisation,
    TrainingCourse,
    TrainingSession,
)
from incubator.services_incubation import lock_application, require

MANAGE_BASE = "incubator.manage_incubation_base"
MANAGE = "incubator.manage_incubation_application"
# Mentoring and assessments go on while the organisation is in the programme.
PROGRAMME_STATES = (IncubationState.AGREEMENT_SIGNED, IncubationState.INCUBATING)


def _refuse_state(application: IncubationApplication) -> None:
    from grants.services.errors import TransitionRefused

    raise TransitionRefused(
        _("This is possible only during incubation; the application is “%(state)s”.")
        % {"state": application.get_state_display()}
    )


# --- Training --------------------------------------------------------------------------------------


def create_course(
    *, base: IncubationBase, actor: User, title: str, description: str = "", trainer: str = ""
) -> TrainingCourse:
    require(actor, MANAGE_BASE, base)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Give the course a title.")})
    try:
        with transaction.atomic():
            return TrainingCourse.objects.create(
                base=base,
                title=title[:200],
                description=(description or "").strip(),
                trainer=(trainer or "").strip()[:100],
            )
    except IntegrityError:
        raise ValidationError(
            {"title": _("The base already has a course with this title.")}
        ) from None


def add_session(
    *,
    course: TrainingCourse,
    actor: User,
    starts_at: datetime,
    ends_at: datetime,
    place: str,
    topic: str = "",
) -> TrainingSession:
    require(actor, MANAGE_BASE, course)
    errors = {}
    if not (place or "").strip():
        errors["place"] = _("Say where the session takes place.")
    if starts_at and ends_at and ends_at <= starts_at:
        errors["ends_at"] = _("A session must end after it starts.")
    if errors:
        raise ValidationError(errors)
    return TrainingSession.objects.create(
        course=course,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place.strip()[:200],
        topic=(topic or "").strip()[:200],
    )


@dataclass(frozen=True)
class AttendanceChange:
    added: int
    removed: int


def record_attendance(
    *, session: TrainingSession, actor: User, organisation_ids: set[int]
) -> AttendanceChange:
    """Make the session's organisation-level attendance exactly ``organisation_ids``.

    Only organisations in the base's cohort (or already recorded) may be marked. Recording the same
    list twice changes nothing; rows naming a member are left alone.
    """
    session = TrainingSession.objects.select_related("course__base").get(pk=session.pk)
    require(actor, MANAGE_BASE, session)
    with transaction.atomic():
        # Lock the session row: two managers saving the register at once apply one after the other.
        TrainingSession.objects.select_for_update().filter(pk=session.pk).first()
        current = set(
            Attendance.objects.filter(session=session, member__isnull=True).values_list(
                "organisation_id", flat=True
            )
        )
        allowed = (
            set(
                Organisation.objects.filter(
                    incubation_applications__intake__base_id=session.course.base_id,
                    incubation_applications__state__in=COHORT_STATES,
                ).values_list("pk", flat=True)
            )
            | current
        )
        unknown = set(organisation_ids) - allowed
        if unknown:
            raise PermissionDenied(
                _("Only organisations in the base's cohort can be marked present.")
            )
        to_add = set(organisation_ids) - current
        to_remove = current - set(organisation_ids)
        Attendance.objects.bulk_create(
            [
                Attendance(session=session, organisation_id=pk, recorded_by=actor)
                for pk in sorted(to_add)
            ]
        )
        if to_remove:
            Attendance.objects.filter(
                session=session, member__isnull=True, organisation_id__in=to_remove
            ).delete()
    return AttendanceChange(added=len(to_add), removed=len(to_remove))


# --- Mentoring -------------------------------------------------------------------------------------


def add_mentoring_session(
    *,
    application: IncubationApplication,
    actor: User,
    held_on: date,
    mentor: str,
    topic: str,
    notes: str,
    shared_with_organisation: bool = True,
    follow_ups: list[tuple[str, date | None]] = (),
) -> MentoringSession:
    """Record a mentoring session (督导) and its follow-up items."""
    errors = {}
    for name, value in (("mentor", mentor), ("topic", topic), ("notes", notes)):
        if not (value or "").strip():
            # Django's own message, in Django's own translation.
            errors[name] = forms.Field.default_error_messages["required"]
    if held_on and held_on > timezone.localdate():
        errors["held_on"] = _("Record sessions that have taken place.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        application = lock_application(application)
        require(actor, MANAGE, application)
        if application.state not in PROGRAMME_STATES:
            _refuse_state(application)
        session = MentoringSession.objects.create(
            application=application,
            held_on=held_on,
            mentor=mentor.strip()[:100],
            topic=topic.strip()[:200],
            notes=notes.strip(),
            shared_with_organisation=shared_with_organisation,
            recorded_by=actor,
        )
        FollowUp.objects.bulk_create(
            [
                FollowUp(session=session, description=text.strip()[:300], due_on=due_on)
                for text, due_on in follow_ups
                if text and text.strip()
            ]
        )
    return session


def set_follow_up_done(*, follow_up: FollowUp, actor: User, done: bool) -> FollowUp:
    follow_up = FollowUp.objects.select_related("session__application__intake").get(pk=follow_up.pk)
    require(actor, MANAGE, follow_up.session.application)
    if done == follow_up.done:
        return follow_up
    follow_up.done_at = timezone.now() if done else None
    follow_up.save(update_fields=["done_at"])
    return follow_up


# --- Capacity assessment ---------------------------------------------------------------------------


def record_assessment(
    *,
    application: IncubationApplication,
    actor: User,
    assessed_on: date,
    governance: int,
    finance: int,
    projects: int,
    team: int,
    notes: str = "",
) -> CapacityAssessment:
    """能力评估: four dimensions of 0–25 points; one assessment per application and day."""
    scores = {"governance": governance, "finance": finance, "projects": projects, "team": team}
    errors = {}
    for code in CapacityDimension.values:
        value = scores[code]
        if value is None or not 0 <= int(value) <= DIMENSION_MAX:
            errors[code] = _("Give a score from 0 to %(max)d.") % {"max": DIMENSION_MAX}
    if not assessed_on:
        errors["assessed_on"] = _("Give the date of the assessment.")
    elif assessed_on > timezone.localdate():
        errors["assessed_on"] = _("Record assessments that have taken place.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        application = lock_application(application)
        require(actor, MANAGE, application)
        if application.state not in PROGRAMME_STATES:
            _refuse_state(application)
        if CapacityAssessment.objects.filter(
            application=application, assessed_on=assessed_on
        ).exists():
            raise ValidationError(
                {"assessed_on": _("There is already an assessment on this date.")}
            )
        return CapacityAssessment.objects.create(
            application=application,
            assessed_on=assessed_on,
            notes=(notes or "").strip(),
            assessor=actor,
            **{code: int(value) for code, value in scores.items()},
        )
