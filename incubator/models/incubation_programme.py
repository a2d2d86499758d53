"""What a base does with its cohort: training courses and attendance, mentoring (督导) with
follow-ups, and the capacity scorecard repeated over time.

Imported (and re-exported) by ``incubator.models.incubation``; foreign keys to its models are by name.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incubator.enums_incubation import DIMENSION_MAX, CapacityDimension

__all__ = [
    "Attendance",
    "CapacityAssessment",
    "FollowUp",
    "MentoringSession",
    "TrainingCourse",
    "TrainingSession",
]


class TrainingCourse(models.Model):
    """A course the base runs for its cohort, e.g. 社会组织财务管理基础."""

    base = models.ForeignKey(
        "incubator.IncubationBase",
        on_delete=models.CASCADE,
        related_name="courses",
        verbose_name=_("base"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    trainer = models.CharField(_("trainer"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("training course")
        verbose_name_plural = _("training courses")
        ordering = ["base", "title"]
        constraints = [
            models.UniqueConstraint(fields=["base", "title"], name="course_unique_title_in_base")
        ]

    def __str__(self) -> str:
        return self.title


class TrainingSession(models.Model):
    course = models.ForeignKey(
        TrainingCourse, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("course")
    )
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200)

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["course", "starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="trainingsession_ends_after_start",
                violation_error_message=_("A session must end after it starts."),
            )
        ]

    def __str__(self) -> str:
        when = timezone.localtime(self.starts_at).strftime("%Y-%m-%d %H:%M")
        return f"{self.course} · {when}"


class Attendance(models.Model):
    """An organisation came to a session; ``member`` names the person where it is known."""

    session = models.ForeignKey(
        TrainingSession,
        on_delete=models.CASCADE,
        related_name="attendances",
        verbose_name=_("session"),
    )
    organisation = models.ForeignKey(
        "incubator.Organisation",
        on_delete=models.CASCADE,
        related_name="training_attendances",
        verbose_name=_("organisation"),
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="training_attendances",
        verbose_name=_("member"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        ordering = ["session", "organisation"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "organisation"],
                condition=Q(member__isnull=True),
                name="attendance_once_per_organisation",
            ),
            models.UniqueConstraint(
                fields=["session", "member"],
                condition=Q(member__isnull=False),
                name="attendance_once_per_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} @ {self.session}"


class MentoringSession(models.Model):
    """督导: a mentor's session with one incubated organisation, with notes and follow-ups."""

    application = models.ForeignKey(
        "incubator.IncubationApplication",
        on_delete=models.CASCADE,
        related_name="mentoring_sessions",
        verbose_name=_("incubation"),
    )
    held_on = models.DateField(_("held on"))
    mentor = models.CharField(_("mentor"), max_length=100)
    topic = models.CharField(_("topic"), max_length=200)
    notes = models.TextField(_("notes"))
    shared_with_organisation = models.BooleanField(
        _("organisation may read the notes"), default=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("mentoring session")
        verbose_name_plural = _("mentoring sessions")
        ordering = ["application", "-held_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.held_on} {self.topic}"


class FollowUp(models.Model):
    session = models.ForeignKey(
        MentoringSession,
        on_delete=models.CASCADE,
        related_name="follow_ups",
        verbose_name=_("mentoring session"),
    )
    description = models.CharField(_("follow-up"), max_length=300)
    due_on = models.DateField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["session", "due_on", "pk"]

    def __str__(self) -> str:
        return self.description

    @property
    def done(self) -> bool:
        return self.done_at is not None

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return not self.done and self.due_on is not None and self.due_on < today


def _score_field(label):
    return models.PositiveSmallIntegerField(label, validators=[MaxValueValidator(DIMENSION_MAX)])


class CapacityAssessment(models.Model):
    """能力评估: the four-dimension scorecard (0–25 each, 100 in all), repeated over time."""

    DIMENSIONS = tuple(CapacityDimension.values)

    application = models.ForeignKey(
        "incubator.IncubationApplication",
        on_delete=models.CASCADE,
        related_name="assessments",
        verbose_name=_("incubation"),
    )
    assessed_on = models.DateField(_("assessed on"))
    governance = _score_field(CapacityDimension.GOVERNANCE.label)
    finance = _score_field(CapacityDimension.FINANCE.label)
    projects = _score_field(CapacityDimension.PROJECTS.label)
    team = _score_field(CapacityDimension.TEAM.label)
    notes = models.TextField(_("notes"), blank=True)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assessor"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("capacity assessment")
        verbose_name_plural = _("capacity assessments")
        ordering = ["application", "assessed_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(governance__lte=DIMENSION_MAX)
                & Q(finance__lte=DIMENSION_MAX)
                & Q(projects__lte=DIMENSION_MAX)
                & Q(team__lte=DIMENSION_MAX),
                name="assessment_scores_at_most_25",
            ),
            models.UniqueConstraint(
                fields=["application", "assessed_on"],
                name="assessment_one_per_day",
                violation_error_message=_("There is already an assessment on this date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessed_on}: {self.total}"

    @property
    def total(self) -> int:
        return self.governance + self.finance + self.projects + self.team

    def score(self, dimension: str) -> int:
        return getattr(self, dimension)
