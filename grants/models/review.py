"""Expert review (专家评审): the expert pool, conflicts of interest (回避), assignments and scores.

A reviewer's work on one application is a ``ReviewAssignment`` with its own state machine (declared
here and nowhere else). Scores live in ``ScoreSheet`` versions: a draft is edited in place until the
reviewer submits; a submitted sheet is never changed again — a correction is a new version that
supersedes it (``is_current`` moves), so the history of every score stays readable.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from grants.enums import (
    AssignmentState,
    ConflictSource,
    Expertise,
    RelationKind,
    ReviewRound,
    SheetStatus,
)

A = AssignmentState


class ReviewerProfile(models.Model):
    """评审专家: a member of the expert pool. Reviewers are users with the ``reviewer`` role."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reviewer_profile",
        verbose_name=_("user"),
    )
    expertise = models.JSONField(
        _("fields of expertise"), default=list, blank=True, help_text=_("Expertise codes.")
    )
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    title = models.CharField(_("professional title"), max_length=100, blank=True)
    bio = models.TextField(_("short biography"), blank=True)
    districts = models.ManyToManyField(
        "incubator.Community",
        blank=True,
        related_name="reviewers_by_district",
        verbose_name=_("districts served"),
    )
    # Where the reviewer lives or works: a shared community with the applicant is a conflict.
    communities = models.ManyToManyField(
        "incubator.Community",
        blank=True,
        related_name="reviewers_living_or_working",
        verbose_name=_("communities lived or worked in"),
    )
    is_active = models.BooleanField(_("available for review"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("reviewer profile")
        verbose_name_plural = _("reviewer profiles")
        ordering = ["user__display_name", "user__username"]

    def __str__(self) -> str:
        return str(self.user)

    def expertise_labels(self) -> list[str]:
        return [str(Expertise(code).label) for code in self.expertise if code in Expertise.values]


class ReviewerRelation(models.Model):
    """A declared relation of a reviewer (or spouse / close relative) with an organisation or a call.

    A relation that ended within the call's look-back (default 3 years), or has not ended, is a
    conflict for every application of that organisation; having helped draft a call is a conflict
    for every application to it.
    """

    profile = models.ForeignKey(
        ReviewerProfile,
        on_delete=models.CASCADE,
        related_name="relations",
        verbose_name=_("reviewer"),
    )
    kind = models.CharField(_("relation"), max_length=16, choices=RelationKind.choices)
    organisation = models.ForeignKey(
        "incubator.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reviewer_relations",
        verbose_name=_("organisation"),
    )
    call = models.ForeignKey(
        "grants.Call",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reviewer_relations",
        verbose_name=_("call"),
    )
    through_relative = models.BooleanField(_("through a spouse or close relative"), default=False)
    started_on = models.DateField(_("from"), null=True, blank=True)
    ended_on = models.DateField(_("until"), null=True, blank=True, help_text=_("Empty if ongoing."))
    note = models.CharField(_("note"), max_length=200, blank=True)
    declared_at = models.DateTimeField(_("declared"), default=timezone.now)

    class Meta:
        verbose_name = _("declared relation")
        verbose_name_plural = _("declared relations")
        ordering = ["profile", "-declared_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(organisation__isnull=False) & Q(call__isnull=True))
                | (Q(organisation__isnull=True) & Q(call__isnull=False)),
                name="reviewer_relation_one_target",
                violation_error_message=_("A relation names either an organisation or a call."),
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(ended_on__gte=F("started_on")),
                name="reviewer_relation_dates_ordered",
                violation_error_message=_("A relation cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.profile} – {self.get_kind_display()} – {self.organisation or self.call}"


class ConductRating(models.Model):
    """How a reviewer worked on a call (timeliness, quality of comments), rated by an officer."""

    profile = models.ForeignKey(
        ReviewerProfile,
        on_delete=models.CASCADE,
        related_name="ratings",
        verbose_name=_("reviewer"),
    )
    call = models.ForeignKey(
        "grants.Call",
        on_delete=models.CASCADE,
        related_name="conduct_ratings",
        verbose_name=_("call"),
    )
    stars = models.PositiveSmallIntegerField(
        _("rating (1–5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    note = models.TextField(_("note"), blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    rated_at = models.DateTimeField(_("rated"), default=timezone.now)

    class Meta:
        verbose_name = _("conduct rating")
        verbose_name_plural = _("conduct ratings")
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "call"], name="conduct_rating_once_per_call"
            ),
            models.CheckConstraint(
                condition=Q(stars__gte=1) & Q(stars__lte=5), name="conduct_rating_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.profile} – {self.call}: {self.stars}"


class ConflictRecord(models.Model):
    """The conflict register: one row per reviewer and application found or declared conflicted.

    A row here means the reviewer never sees the application, its files or its scores.
    """

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="review_conflicts",
        verbose_name=_("reviewer"),
    )
    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.CASCADE,
        related_name="conflicts",
        verbose_name=_("application"),
    )
    source = models.CharField(_("found by"), max_length=16, choices=ConflictSource.choices)
    relation = models.ForeignKey(
        ReviewerRelation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("declared relation"),
    )
    reason = models.TextField(_("reason"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflict register")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["reviewer", "application"], name="conflict_once_per_reviewer_application"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} ⟂ {self.application}"


def has_signed_declaration(assignment: ReviewAssignment) -> bool:
    return assignment.declared_at is not None


class ReviewAssignment(ConcurrentTransitionMixin, models.Model):
    """One reviewer asked to score one application in one round (written review or 路演 pitch)."""

    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name=_("application"),
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="review_assignments",
        verbose_name=_("reviewer"),
    )
    round = models.CharField(
        _("round"), max_length=16, choices=ReviewRound.choices, default=ReviewRound.WRITTEN
    )
    state = FSMField(
        _("state"), default=A.ASSIGNED, choices=A.choices, protected=True, max_length=16
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    # The random draw is reproducible: the seed and the stratum are kept with the row.
    drawn = models.BooleanField(_("drawn at random"), default=False)
    replaces = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replacements",
        verbose_name=_("replaces"),
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    declared_at = models.DateTimeField(_("declaration signed"), null=True, blank=True)
    declaration_text = models.TextField(_("declaration"), blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    reminded_at = models.DateTimeField(_("last reminded"), null=True, blank=True)
    created_at = models.DateTimeField(_("assigned"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("review assignment")
        verbose_name_plural = _("review assignments")
        ordering = ["application", "created_at"]
        indexes = [
            models.Index(fields=["reviewer", "state"], name="assignment_reviewer_state"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer", "round"],
                name="assignment_once_per_reviewer_round",
                violation_error_message=_("This reviewer is already assigned to the application."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} → {self.application}"

    # --- The state machine -------------------------------------------------------------------
    # assigned → accepted (signed a no-conflict declaration) → submitted
    # assigned/accepted → conflicted (declared a conflict) | declined (with a reason) | withdrawn
    # (removed by an officer); submitted → accepted again only through a logged correction.

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state, source=A.ASSIGNED, target=A.ACCEPTED, permission="grants.act_on_assignment"
    )
    def declare_no_conflict(self, *, by=None, description=None, text: str = "") -> None:
        self.declared_at = timezone.now()
        self.declaration_text = text

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[A.ASSIGNED, A.ACCEPTED],
        target=A.CONFLICTED,
        permission="grants.act_on_assignment",
    )
    def declare_conflict(self, *, by=None, description=None, text: str = "") -> None:
        self.declared_at = timezone.now()
        self.declaration_text = text

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[A.ASSIGNED, A.ACCEPTED],
        target=A.DECLINED,
        permission="grants.act_on_assignment",
    )
    def decline(self, *, by=None, description=None) -> None:
        self.decline_reason = description or ""

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=A.ACCEPTED,
        target=A.SUBMITTED,
        conditions=[has_signed_declaration],
        permission="grants.act_on_assignment",
    )
    def submit_scores(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state, source=A.SUBMITTED, target=A.ACCEPTED, permission="grants.act_on_assignment"
    )
    def reopen_for_correction(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[A.ASSIGNED, A.ACCEPTED],
        target=A.WITHDRAWN,
        permission="grants.assign_reviewers",
    )
    def unassign(self, *, by=None, description=None) -> None:
        pass


class ScoreSheet(models.Model):
    """A reviewer's scores for one assignment. Drafts change; a submitted sheet never does."""

    assignment = models.ForeignKey(
        ReviewAssignment,
        on_delete=models.CASCADE,
        related_name="sheets",
        verbose_name=_("assignment"),
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=16, choices=SheetStatus.choices, default=SheetStatus.DRAFT
    )
    # The one sheet that counts: the draft being written, or the latest submitted version.
    is_current = models.BooleanField(default=True)
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("corrects"),
    )
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    comment = models.TextField(_("overall comment"), blank=True)
    # Weighted total on a 0–100 scale, computed by the service when the sheet is submitted.
    total = models.DecimalField(_("total"), max_digits=6, decimal_places=2, null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("score sheet")
        verbose_name_plural = _("score sheets")
        ordering = ["assignment", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "version"], name="score_sheet_unique_version"
            ),
            models.UniqueConstraint(
                fields=["assignment"],
                condition=Q(is_current=True),
                name="score_sheet_one_current",
            ),
            models.CheckConstraint(
                condition=Q(status=SheetStatus.DRAFT)
                | (Q(total__isnull=False) & Q(submitted_at__isnull=False)),
                name="score_sheet_submitted_has_total",
            ),
            models.CheckConstraint(
                condition=Q(total__isnull=True) | (Q(total__gte=0) & Q(total__lte=100)),
                name="score_sheet_total_0_to_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} v{self.version}"

    @property
    def is_submitted(self) -> bool:
        return self.status == SheetStatus.SUBMITTED


class CriterionScore(models.Model):
    """One criterion's score on a sheet, in the criterion's own range."""

    sheet = models.ForeignKey(
        ScoreSheet, on_delete=models.CASCADE, related_name="scores", verbose_name=_("score sheet")
    )
    criterion = models.ForeignKey(
        "grants.RubricCriterion",
        on_delete=models.PROTECT,
        related_name="scores",
        verbose_name=_("criterion"),
    )
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("criterion score")
        verbose_name_plural = _("criterion scores")
        ordering = ["sheet", "criterion__position", "criterion__pk"]
        constraints = [
            models.UniqueConstraint(fields=["sheet", "criterion"], name="criterion_score_once"),
            models.CheckConstraint(condition=Q(score__gte=0), name="criterion_score_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.score}"


class ReviewSummary(models.Model):
    """The officer's side of one application's review: public score, bonus, ranking, override."""

    application = models.OneToOneField(
        "grants.Application",
        on_delete=models.CASCADE,
        related_name="review_summary",
        verbose_name=_("application"),
    )
    public_score = models.DecimalField(
        _("public score (0–100)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("E.g. from a public vote, weighted by the call's expert:public ratio."),
    )
    bonus_points = models.DecimalField(
        _("bonus points"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    bonus_reason = models.CharField(_("reason for the bonus"), max_length=200, blank=True)
    expert_score = models.DecimalField(
        _("expert score"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    final_score = models.DecimalField(
        _("final score"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    # None: follow the ranking; True/False: the officer overrode it (reason required).
    override_recommended = models.BooleanField(_("override"), null=True, blank=True)
    override_reason = models.TextField(_("reason for the override"), blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("overridden by"),
    )
    decision_reason = models.TextField(
        _("reason given to the applicant"),
        blank=True,
        help_text=_("Shown to the applicant with the decision; never names reviewers."),
    )
    computed_at = models.DateTimeField(_("computed"), null=True, blank=True)

    class Meta:
        verbose_name = _("review summary")
        verbose_name_plural = _("review summaries")
        constraints = [
            models.CheckConstraint(
                condition=Q(override_recommended__isnull=True) | ~Q(override_reason=""),
                name="review_override_needs_reason",
                violation_error_message=_("An override needs a reason."),
            ),
            models.CheckConstraint(
                condition=Q(public_score__isnull=True)
                | (Q(public_score__gte=0) & Q(public_score__lte=100)),
                name="review_public_score_0_to_100",
            ),
            models.CheckConstraint(
                condition=Q(bonus_points__gte=0) & Q(bonus_points__lte=20),
                name="review_bonus_0_to_20",
            ),
        ]

    def __str__(self) -> str:
        return str(self.application)


class PitchSession(models.Model):
    """路演: a live-pitch session of a call, with its judges and a schedule of pitches."""

    call = models.ForeignKey(
        "grants.Call",
        on_delete=models.CASCADE,
        related_name="pitch_sessions",
        verbose_name=_("call"),
    )
    title = models.CharField(_("title"), max_length=200)
    place = models.CharField(_("place"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    pitch_minutes = models.PositiveSmallIntegerField(_("pitch minutes"), default=8)
    qa_minutes = models.PositiveSmallIntegerField(_("questions minutes"), default=7)
    judges = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="pitch_sessions",
        verbose_name=_("judges"),
    )

    class Meta:
        verbose_name = _("pitch session")
        verbose_name_plural = _("pitch sessions")
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return self.title


class PitchSlot(models.Model):
    """One application's turn in a pitch session."""

    session = models.ForeignKey(
        PitchSession, on_delete=models.CASCADE, related_name="slots", verbose_name=_("session")
    )
    application = models.OneToOneField(
        "grants.Application",
        on_delete=models.CASCADE,
        related_name="pitch_slot",
        verbose_name=_("application"),
    )
    position = models.PositiveSmallIntegerField(_("order"))
    starts_at = models.DateTimeField(_("scheduled"))
    started_at = models.DateTimeField(_("pitch started"), null=True, blank=True)
    # Set the moment the last judge submits: the tally is then shown to everyone in the room.
    tallied_at = models.DateTimeField(_("scores announced"), null=True, blank=True)
    tally = models.DecimalField(
        _("pitch score"), max_digits=6, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("pitch slot")
        verbose_name_plural = _("pitch slots")
        ordering = ["session", "position"]
        constraints = [
            models.UniqueConstraint(fields=["session", "position"], name="pitch_slot_unique_order")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.application}"
