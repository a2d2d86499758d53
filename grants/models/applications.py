"""Applications and their state machine, declared here and nowhere else.

Transition methods change in-memory fields only. Everything else an action does (locking,
eligibility, saving, notifications) lives in ``grants.services``; permissions are the django-rules
permissions of ``grants.rules``, checked through ``user.has_perm(name, application)``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from grants.enums import (
    EDITABLE_STATES,
    FUNDED_STATES,
    WITHDRAWABLE_STATES,
    ApplicationState,
    AttachmentKind,
    BudgetCategory,
    CommentVisibility,
    RuleSeverity,
    Theme,
)
from grants.storage import private_storage

S = ApplicationState


class CallForm(models.Model):
    """One version of a call's extra questions. An application keeps the version it answered.

    ``questions`` is a list of {"key", "label", "help", "type": text|textarea|number|choice|yesno,
    "required": bool, "choices": [...]}; a new version is written whenever the officer changes them.
    """

    call = models.ForeignKey(
        "grants.Call", on_delete=models.CASCADE, related_name="forms", verbose_name=_("call")
    )
    version = models.PositiveIntegerField(_("version"))
    questions = models.JSONField(_("questions"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("application form version")
        verbose_name_plural = _("application form versions")
        ordering = ["call", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["call", "version"], name="callform_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.call} v{self.version}"


def count_eligibility_flags(results) -> tuple[int, int]:
    """(failed hard rules, failed soft rules) of stored eligibility results (dicts or RuleResults)."""
    hard = soft = 0
    for result in results or []:
        get = (
            result.get
            if isinstance(result, dict)
            else lambda name, r=result: getattr(r, name, None)
        )
        if get("passed"):
            continue
        if get("severity") == RuleSeverity.HARD:
            hard += 1
        elif get("severity") == RuleSeverity.SOFT:
            soft += 1
    return hard, soft


def submission_window_open(application: Application) -> bool:
    """The server clock decides: before the call's deadline (plus grace), or the revision deadline."""
    return timezone.now() <= application.resubmission_deadline


def screening_done_or_skipped(application: Application) -> bool:
    return application.state == S.SCREENING or not application.call.has_screening


def call_has_screening(application: Application) -> bool:
    return application.call.has_screening


def call_has_pitch(application: Application) -> bool:
    return application.call.has_defense


def pitch_done_or_not_required(application: Application) -> bool:
    """A call with a live pitch reaches ``reviewed`` only through the pitch."""
    return application.state == S.DEFENSE or not application.call.has_defense


def all_reviews_submitted(application: Application) -> bool:
    """Every reviewer still on the panel has submitted, and at least one has."""
    from grants.enums import LIVE_ASSIGNMENT_STATES, AssignmentState

    states = list(
        application.assignments.filter(state__in=LIVE_ASSIGNMENT_STATES).values_list(
            "state", flat=True
        )
    )
    return bool(states) and all(state == AssignmentState.SUBMITTED for state in states)


def call_has_public_notice(application: Application) -> bool:
    return application.call.has_public_notice


def no_open_objections(application: Application) -> bool:
    from grants.enums import ObjectionState

    return not application.objections.filter(state=ObjectionState.OPEN).exists()


def notice_closed_without_open_objections(application: Application) -> bool:
    """公示 rule: approval waits for the window to close and for every objection to be answered.

    A call without 公示 goes from ``recommended`` straight to ``approved``.
    """
    if application.state == S.RECOMMENDED:
        return not application.call.has_public_notice
    notice = getattr(application.call, "public_notice", None)
    if notice is None or timezone.now() < notice.closes_at:
        return False
    return no_open_objections(application)


def agreement_accepted(application: Application) -> bool:
    from grants.enums import AgreementState

    agreement = getattr(application, "agreement", None)
    return agreement is not None and agreement.state == AgreementState.ACCEPTED


def first_tranche_paid_or_none_on_signing(application: Application) -> bool:
    """A project starts when its on-signing tranche is paid (or at once if its schedule has none)."""
    from grants.enums import TrancheCondition, TrancheStatus

    on_signing = application.tranches.filter(condition=TrancheCondition.ON_SIGNING)
    return not on_signing.exclude(status=TrancheStatus.PAID).exists()


def mid_term_not_passed(application: Application) -> bool:
    return application.mid_term_passed_at is None


def mid_term_passed(application: Application) -> bool:
    return application.mid_term_passed_at is not None


class Application(ConcurrentTransitionMixin, models.Model):
    """申报: an organisation's application to a call, from draft to close-out."""

    call = models.ForeignKey(
        "grants.Call", on_delete=models.PROTECT, related_name="applications", verbose_name=_("call")
    )
    organisation = models.ForeignKey(
        "incubator.Organisation",
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("organisation"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    form = models.ForeignKey(
        CallForm,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("form version"),
    )
    state = FSMField(
        _("state"), default=S.DRAFT, choices=S.choices, protected=True, db_index=True, max_length=32
    )
    # One live application per organisation and call, where the call says so; cleared on withdrawal.
    holds_call_slot = models.BooleanField(default=False, editable=False)

    # Fixed sections of the form.
    title = models.CharField(_("project title"), max_length=200, blank=True)
    summary = models.TextField(_("project summary"), blank=True)
    need = models.TextField(_("need and problem"), blank=True)
    objectives = models.TextField(_("objectives"), blank=True)
    activities = models.JSONField(
        _("activities and timeline"), default=list, blank=True,
        help_text=_('List of {"name", "start", "end", "description"}.'),
    )  # fmt: skip
    beneficiaries = models.TextField(_("beneficiaries"), blank=True)
    beneficiaries_count = models.PositiveIntegerField(
        _("number of beneficiaries"), null=True, blank=True
    )
    indicators = models.JSONField(
        _("output and outcome indicators"), default=list, blank=True,
        help_text=_('List of {"name", "kind": output|outcome, "target", "unit"}.'),
    )  # fmt: skip
    partner_communities = models.ManyToManyField(
        "incubator.Community",
        blank=True,
        related_name="applications",
        verbose_name=_("partner communities"),
    )
    team = models.JSONField(
        _("team"), default=list, blank=True,
        help_text=_('List of {"name", "role": social_worker|volunteer|staff, "qualification"}.'),
    )  # fmt: skip
    extra_answers = models.JSONField(_("answers to the call's questions"), default=dict, blank=True)
    # A call usually lists several themes; the applicant says which one the project serves, so that
    # officers can filter and set quotas per theme.
    theme = models.CharField(_("theme"), max_length=16, choices=Theme.choices, blank=True)
    requested_amount = models.DecimalField(
        _("grant requested (yuan)"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    matching_amount = models.DecimalField(
        _("matching funds (yuan)"), max_digits=12, decimal_places=2, default=Decimal("0")
    )

    eligibility = models.JSONField(_("eligibility check"), default=list, blank=True, editable=False)
    # Counted from ``eligibility`` on every save (see ``save``): JSON array lookups are not portable
    # between SQLite and PostgreSQL, and the officer filters on these flags over hundreds of rows.
    eligibility_hard_failures = models.PositiveSmallIntegerField(default=0, editable=False)
    eligibility_soft_flags = models.PositiveSmallIntegerField(default=0, editable=False)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    revision_due_at = models.DateTimeField(_("revision due"), null=True, blank=True)
    mid_term_passed_at = models.DateTimeField(
        _("mid-term evaluation passed"), null=True, blank=True
    )
    closed_at = models.DateTimeField(_("project closed"), null=True, blank=True)
    last_saved_at = models.DateTimeField(_("last saved"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["call", "state"], name="application_call_state"),
            # The officer list's default order: read in index order, stop after one page (5,000
            # applications in a call: 49 ms → 1 ms). NULLS LAST must match the ORDER BY.
            models.Index(
                F("call"),
                F("submitted_at").desc(nulls_last=True),
                F("id").desc(),
                name="application_call_submitted",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "organisation"],
                condition=Q(holds_call_slot=True),
                name="application_one_per_organisation_and_call",
                violation_error_message=_("Your organisation has already applied to this call."),
            ),
            models.CheckConstraint(
                condition=Q(requested_amount__gte=0), name="application_requested_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(matching_amount__gte=0), name="application_matching_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.title or _("Application %(reference)s") % {"reference": self.reference}

    def save(self, *args, **kwargs) -> None:
        self.eligibility_hard_failures, self.eligibility_soft_flags = count_eligibility_flags(
            self.eligibility
        )
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "eligibility" in update_fields:
            kwargs["update_fields"] = {
                *update_fields,
                "eligibility_hard_failures",
                "eligibility_soft_flags",
            }
        super().save(*args, **kwargs)

    @property
    def reference(self) -> str:
        """A stable, human-friendly number, e.g. YC-12-000345 (call 12, application 345)."""
        return f"YC-{self.call_id}-{self.pk or 0:06d}"

    @property
    def resubmission_deadline(self):
        if self.state == S.RETURNED and self.revision_due_at:
            return max(self.revision_due_at, self.call.submission_deadline)
        return self.call.submission_deadline

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def project_budget(self) -> Decimal:
        return self.requested_amount + self.matching_amount

    # --- The state machine -------------------------------------------------------------------

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=list(EDITABLE_STATES),
        target=S.SUBMITTED,
        conditions=[submission_window_open],
        permission="grants.submit_application",
    )
    def submit(self, *, by=None, description=None) -> None:
        self.submitted_at = timezone.now()
        self.revision_due_at = None

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=S.SUBMITTED,
        target=S.SCREENING,
        conditions=[call_has_screening],
        permission="grants.screen_application",
    )
    def start_screening(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[S.SUBMITTED, S.SCREENING],
        target=S.RETURNED,
        permission="grants.screen_application",
    )
    def return_for_revision(self, *, by=None, description=None, revision_due_at=None) -> None:
        self.revision_due_at = revision_due_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[S.SUBMITTED, S.SCREENING],
        target=S.INELIGIBLE,
        permission="grants.screen_application",
    )
    def mark_ineligible(self, *, by=None, description=None) -> None:
        self.holds_call_slot = False

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[S.SUBMITTED, S.SCREENING],
        target=S.IN_REVIEW,
        conditions=[screening_done_or_skipped],
        permission="grants.screen_application",
    )
    def accept_for_review(self, *, by=None, description=None) -> None:
        pass

    # Review, ranking and decision (issue #4).

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=S.IN_REVIEW,
        target=S.DEFENSE,
        conditions=[call_has_pitch],
        permission="grants.manage_review",
    )
    def start_pitch(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[S.IN_REVIEW, S.DEFENSE],
        target=S.REVIEWED,
        conditions=[pitch_done_or_not_required, all_reviews_submitted],
        permission="grants.manage_review",
    )
    def finish_review(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[S.REVIEWED, S.RECOMMENDED, S.NOT_RECOMMENDED],
        target=S.RECOMMENDED,
        permission="grants.decide_application",
    )
    def recommend(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[S.REVIEWED, S.RECOMMENDED, S.NOT_RECOMMENDED],
        target=S.NOT_RECOMMENDED,
        permission="grants.decide_application",
    )
    def not_recommend(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=S.RECOMMENDED,
        target=S.PUBLIC_NOTICE,
        conditions=[call_has_public_notice],
        permission="grants.decide_application",
    )
    def publish_notice(self, *, by=None, description=None) -> None:
        pass

    # Run by the objection service when an objection's contact is verified (the objector may be
    # anonymous, so there is no user permission to ask).
    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=S.PUBLIC_NOTICE, target=S.OBJECTION_REVIEW)
    def receive_objection(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=S.OBJECTION_REVIEW,
        target=S.PUBLIC_NOTICE,
        conditions=[no_open_objections],
        permission="grants.resolve_objection",
    )
    def objections_resolved(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[S.PUBLIC_NOTICE, S.RECOMMENDED],
        target=S.APPROVED,
        conditions=[notice_closed_without_open_objections],
        permission="grants.decide_application",
    )
    def approve(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[S.NOT_RECOMMENDED, S.PUBLIC_NOTICE, S.OBJECTION_REVIEW],
        target=S.REJECTED,
        permission="grants.decide_application",
    )
    def reject(self, *, by=None, description=None) -> None:
        pass

    # Agreement, funding and evaluation (issues #5 and #6). The services in grants/services/
    # (agreements, disbursements, evaluations) run these after their own checks.

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=S.APPROVED,
        target=S.CONTRACTED,
        conditions=[agreement_accepted],
        permission="grants.accept_agreement",
    )
    def sign_agreement(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=S.CONTRACTED,
        target=S.ACTIVE,
        conditions=[first_tranche_paid_or_none_on_signing],
        permission="grants.start_project",
    )
    def start_project(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=S.ACTIVE,
        target=S.MID_TERM,
        conditions=[mid_term_not_passed],
        permission="grants.manage_evaluation",
    )
    def start_mid_term(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=S.MID_TERM,
        target=S.ACTIVE,
        permission="grants.conclude_evaluation",
    )
    def pass_mid_term(self, *, by=None, description=None) -> None:
        self.mid_term_passed_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=S.ACTIVE,
        target=S.FINAL_EVALUATION,
        conditions=[mid_term_passed],
        permission="grants.manage_evaluation",
    )
    def start_final_evaluation(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=S.FINAL_EVALUATION,
        target=S.COMPLETED,
        permission="grants.conclude_evaluation",
    )
    def complete(self, *, by=None, description=None) -> None:
        self.closed_at = timezone.now()

    # A failed mid-term or final evaluation (不合格) ends the project: no further tranche, a
    # clawback where the officer decides one, and the failure on the organisation's track record.
    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[S.MID_TERM, S.FINAL_EVALUATION],
        target=S.TERMINATED,
        permission="grants.conclude_evaluation",
    )
    def fail_evaluation(self, *, by=None, description=None) -> None:
        self.closed_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=list(WITHDRAWABLE_STATES),
        target=S.WITHDRAWN,
        permission="grants.withdraw_application",
    )
    def withdraw(self, *, by=None, description=None) -> None:
        self.holds_call_slot = False

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=list(FUNDED_STATES),
        target=S.TERMINATED,
        permission="grants.terminate_application",
    )
    def terminate(self, *, by=None, description=None) -> None:
        self.closed_at = timezone.now()


class BudgetLine(models.Model):
    """A line of the project budget: what the grant pays and what matching funds pay."""

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="budget_lines",
        verbose_name=_("application"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    category = models.CharField(_("category"), max_length=16, choices=BudgetCategory.choices)
    description = models.CharField(_("item"), max_length=200)
    amount = models.DecimalField(
        _("grant (yuan)"), max_digits=12, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )  # fmt: skip
    matching_amount = models.DecimalField(
        _("matching funds (yuan)"), max_digits=12, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )  # fmt: skip

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["application", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(matching_amount__gte=0),
                name="budgetline_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.description}"

    @property
    def total(self) -> Decimal:
        return self.amount + self.matching_amount


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"applications/{instance.application.call_id}/{instance.application_id}/{filename}"


class Attachment(models.Model):
    """A file attached to an application, kept in private storage and served after a permission check."""

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("application"),
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=AttachmentKind.choices, default=AttachmentKind.OTHER
    )
    file = models.FileField(
        _("file"), upload_to=attachment_path, storage=private_storage, max_length=300
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
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["application", "uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class ApplicationComment(models.Model):
    """A message on an application's timeline, between officers and the applicant, or among staff."""

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="comments",
        verbose_name=_("application"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("comment"))
    visibility = models.CharField(
        _("visible to"),
        max_length=16,
        choices=CommentVisibility.choices,
        default=CommentVisibility.APPLICANT,
    )
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["application", "created_at"]

    def __str__(self) -> str:
        return f"{self.author}: {self.body[:40]}"
