"""Milestone plans and the reports organisations submit against them (issue #6).

A funded project has a plan of ``Milestone`` rows (quarterly progress reports, a mid-term and a final
report), each with a due date, deliverables and the indicator targets copied from the application.
An organisation answers a milestone with one ``Report`` (draft → submitted → accepted, or returned
→ edited → submitted again), with activity rows, named volunteers and evidence files. The report's
state machine is declared here and nowhere else; ``grants.services.reports`` runs it.

Reported indicator values and beneficiaries are cumulative since the project started (the way
Chinese progress reports state 累计完成); volunteer hours are those of the period's named volunteers.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from grants.storage import private_storage

__all__ = [
    "EvidenceKind",
    "Milestone",
    "Report",
    "ReportActivity",
    "ReportEvidence",
    "ReportKind",
    "ReportState",
    "ReportVolunteer",
    "StandardIndicator",
]


class ReportKind(models.TextChoices):
    PERIODIC = "periodic", _("Quarterly progress report")
    MID_TERM = "mid_term", _("Mid-term report")
    FINAL = "final", _("Final report")


class ReportState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("report state", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("report state", "Awaiting review")
    RETURNED = "returned", pgettext_lazy("report state", "Returned for changes")
    ACCEPTED = "accepted", pgettext_lazy("report state", "Accepted")


# The organisation may still change the report.
EDITABLE_REPORT_STATES = (ReportState.DRAFT, ReportState.RETURNED)
# The milestone is answered (nothing is overdue any more).
ANSWERED_REPORT_STATES = (ReportState.SUBMITTED, ReportState.ACCEPTED)


class StandardIndicator(models.TextChoices):
    """Indicators every plan carries whatever the application named; the code is stored."""

    BENEFICIARIES = "beneficiaries", _("Beneficiaries reached")
    ACTIVITIES = "activities", _("Activities held")
    VOLUNTEER_HOURS = "volunteer_hours", _("Volunteer hours")
    SATISFACTION = "satisfaction", _("Satisfaction of the people served")


class EvidenceKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    SIGN_IN_SHEET = "sign_in_sheet", _("Sign-in sheet")


R = ReportState


class Milestone(models.Model):
    """One reporting point of a funded project's plan: what is due when, against which targets.

    ``indicator_targets`` is a list of {"code", "name", "kind", "target", "unit"}; ``code`` names a
    ``StandardIndicator`` (its label is translated when shown) or is empty for the application's own.
    The two ``*_reminded_at`` markers are claimed with a conditional UPDATE so that each reminder
    goes out exactly once, however often the reminder job runs.
    """

    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.CASCADE,
        related_name="milestones",
        verbose_name=_("project"),
    )
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("report due"), max_length=16, choices=ReportKind.choices)
    title = models.CharField(_("milestone"), max_length=200)
    due_on = models.DateField(_("report due on"), db_index=True)
    deliverables = models.TextField(_("deliverables"), blank=True)
    indicator_targets = models.JSONField(_("indicator targets"), default=list, blank=True)
    due_soon_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    overdue_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["application", "due_on", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "position"], name="milestone_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today=None) -> bool:
        """Past its due date without a submitted or accepted report."""
        today = today or timezone.localdate()
        report = getattr(self, "report", None)
        answered = report is not None and report.state in ANSWERED_REPORT_STATES
        return self.due_on < today and not answered


def evidence_path(instance: ReportEvidence, filename: str) -> str:
    return f"reports/{instance.report.application_id}/{instance.report_id}/{filename}"


class Report(ConcurrentTransitionMixin, models.Model):
    """An organisation's report on one milestone. One per milestone: a returned report is edited and
    submitted again, so its history stays on one row (and in django-fsm-log)."""

    milestone = models.OneToOneField(
        Milestone, on_delete=models.CASCADE, related_name="report", verbose_name=_("milestone")
    )
    # Denormalised from the milestone: every list filters reports by project.
    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.CASCADE,
        related_name="reports",
        verbose_name=_("project"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ReportKind.choices)
    state = FSMField(
        _("state"), default=R.DRAFT, choices=R.choices, protected=True, max_length=16, db_index=True
    )
    narrative = models.TextField(_("what the project did"), blank=True)
    # [{"code", "name", "unit", "target", "reached"}]; "reached" is a decimal string or "".
    indicator_values = models.JSONField(_("indicator values"), default=list, blank=True)
    beneficiaries_reached = models.PositiveIntegerField(
        _("beneficiaries reached so far"), null=True, blank=True
    )
    volunteer_hours = models.DecimalField(
        _("volunteer hours in this period"),
        max_digits=8,
        decimal_places=1,
        default=Decimal("0"),
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    is_late = models.BooleanField(_("submitted late"), default=False)
    return_comment = models.TextField(_("why it was returned"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("written by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_saved_at = models.DateTimeField(_("last saved"), null=True, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["application", "milestone__due_on"]
        indexes = [models.Index(fields=["application", "state"], name="report_application_state")]
        constraints = [
            models.CheckConstraint(
                condition=Q(volunteer_hours__gte=0), name="report_volunteer_hours_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(state=R.RETURNED) | ~Q(return_comment=""),
                name="report_returned_with_comment",
                violation_error_message=_("A report is returned with a comment."),
            ),
            models.CheckConstraint(
                condition=Q(state__in=[R.DRAFT]) | Q(submitted_at__isnull=False),
                name="report_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.milestone}"

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_REPORT_STATES

    # --- The state machine -------------------------------------------------------------------

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=list(EDITABLE_REPORT_STATES),
        target=R.SUBMITTED,
        permission="grants.submit_report",
    )
    def submit(self, *, by=None, description=None) -> None:
        self.submitted_at = timezone.now()
        self.is_late = timezone.localdate(self.submitted_at) > self.milestone.due_on

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state, source=R.SUBMITTED, target=R.ACCEPTED, permission="grants.review_report"
    )
    def accept(self, *, by=None, description=None) -> None:
        self.reviewed_by = by
        self.reviewed_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state, source=R.SUBMITTED, target=R.RETURNED, permission="grants.review_report"
    )
    def return_for_changes(self, *, by=None, description=None, comment: str = "") -> None:
        self.return_comment = comment
        self.reviewed_by = by
        self.reviewed_at = timezone.now()


class ReportActivity(models.Model):
    """An activity held in the period: when, where, what, how many took part."""

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="activities", verbose_name=_("report")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # Blank values are allowed while the report is a draft; submitting requires them.
    held_on = models.DateField(_("date"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    description = models.CharField(_("what happened"), max_length=500, blank=True)
    participants = models.PositiveIntegerField(_("participants"), default=0)

    class Meta:
        verbose_name = _("reported activity")
        verbose_name_plural = _("reported activities")
        ordering = ["report", "held_on", "position"]

    def __str__(self) -> str:
        return f"{self.held_on} {self.place}"


class ReportVolunteer(models.Model):
    """A volunteer named in the report with the hours they served in the period (0.5 h units)."""

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="volunteers", verbose_name=_("report")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name = models.CharField(_("volunteer"), max_length=100, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1, null=True, blank=True)

    class Meta:
        verbose_name = _("reported volunteer")
        verbose_name_plural = _("reported volunteers")
        ordering = ["report", "position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__isnull=True) | Q(hours__gt=0),
                name="reportvolunteer_hours_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.hours}"


class ReportEvidence(models.Model):
    """A photo or sign-in sheet, kept in private storage and served after a permission check."""

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("report")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EvidenceKind.choices)
    file = models.FileField(
        _("file"), upload_to=evidence_path, storage=private_storage, max_length=300
    )
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("report evidence")
        verbose_name_plural = _("report evidence")
        ordering = ["report", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type in ("image/jpeg", "image/png")


# --- The plan appears when the agreement is signed ------------------------------------------------
# Agreements belong to the funding area; rather than reach into its service, listen to the
# application's ``sign_agreement`` transition (django-fsm's post_transition signal, sent inside the
# signing transaction) and write the default plan in a savepoint: a problem with the plan is logged
# and never undoes the signature (the officer can still generate the plan from the project page).


def _plan_on_signing(sender, instance, name, source, target, **kwargs) -> None:
    if sender._meta.label != "grants.Application" or name != "sign_agreement":
        return
    import logging

    from django.db import transaction

    from grants.services.reports_plan import create_default_plan

    try:
        with transaction.atomic():
            create_default_plan(application=instance)
    except Exception:
        logging.getLogger(__name__).exception(
            "Could not write the milestone plan of application %s", instance.pk
        )


def _connect() -> None:
    from django_fsm.signals import post_transition

    post_transition.connect(_plan_on_signing, dispatch_uid="reports_plan_on_signing")


_connect()
