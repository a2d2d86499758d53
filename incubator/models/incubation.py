"""Incubation (孵化): bases, their intakes, and the incubation application's state machine.

The machine is declared here and nowhere else::

    applied → under_review → admitted → agreement_signed → incubating → graduated
                           ↘ rejected
    applied / under_review / admitted → withdrawn          incubating → terminated

Transition methods change in-memory fields only; locking, saving and notifications live in
``incubator.services_incubation``. Permissions are the django-rules permissions of
``incubator.rules_incubation``. Training, mentoring and assessments are in ``incubation_programme``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from grants.enums import ApplicationState
from incubator.enums import CommunityLevel, OrganisationType
from incubator.enums_incubation import (
    AWAITING_ANSWER_STATES,
    HANDBACK_WORKING_DAYS,
    LIVE_STATES,
    MODES_WITH_SPACE,
    REVIEW_WORKING_DAYS,
    WITHDRAWABLE_STATES,
    GraduationCriterion,
    IncubationMode,
    IncubationState,
)
from incubator.models.incubation_programme import (
    Attendance,
    CapacityAssessment,
    FollowUp,
    MentoringSession,
    TrainingCourse,
    TrainingSession,
)
from incubator.working_days import add_months, add_working_days

__all__ = [
    "Attendance",
    "CapacityAssessment",
    "FollowUp",
    "IncubationApplication",
    "IncubationBase",
    "Intake",
    "MentoringSession",
    "TrainingCourse",
    "TrainingSession",
]

I = IncubationState  # noqa: E741
MANAGE = "incubator.manage_incubation_application"


class IncubationBase(models.Model):
    """孵化基地: a place (and its team) that incubates social organisations."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    district = models.ForeignKey(
        "incubator.Community",
        on_delete=models.PROTECT,
        related_name="incubation_bases",
        limit_choices_to={"level": CommunityLevel.DISTRICT},
        verbose_name=_("district"),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    capacity = models.PositiveSmallIntegerField(
        _("spaces"), default=0, help_text=_("How many organisations the base can host on site.")
    )
    operator = models.ForeignKey(
        "incubator.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="operated_bases",
        verbose_name=_("operated by"),
    )
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="managed_incubation_bases",
        verbose_name=_("managers"),
        help_text=_("They review applications and run the programme; officers always may."),
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("incubation base")
        verbose_name_plural = _("incubation bases")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Intake(models.Model):
    """One intake round of a base (e.g. 2026 年第一期), with the graduation criteria it sets."""

    base = models.ForeignKey(
        IncubationBase, on_delete=models.PROTECT, related_name="intakes", verbose_name=_("base")
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    opens_on = models.DateField(_("applications open"))
    closes_on = models.DateField(_("applications close"))
    offers_in_house = models.BooleanField(_("in-house incubation"), default=True)
    offers_outside = models.BooleanField(_("outside incubation"), default=False)
    offers_cloud = models.BooleanField(_("cloud incubation"), default=False)
    term_months = models.PositiveSmallIntegerField(_("usual term (months)"), default=12)
    # Graduation criteria (出壳条件): each switched on per intake.
    requires_registration = models.BooleanField(
        _("graduates must be registered"),
        default=True,
        help_text=_("A registered organisation with a unified social credit code."),
    )
    requires_completed_project = models.BooleanField(
        _("graduates must have completed a project"), default=False
    )
    requires_financial_system = models.BooleanField(
        _("graduates must have a basic financial system"), default=True
    )
    min_capacity_score = models.PositiveSmallIntegerField(
        _("minimum capacity score"),
        default=60,
        help_text=_("Of 100, in the latest assessment; 0 for none."),
    )
    min_months = models.PositiveSmallIntegerField(
        _("minimum months in incubation"), default=6, help_text=_("0 for none.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("intake")
        verbose_name_plural = _("intakes")
        ordering = ["base", "-opens_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=F("opens_on")),
                name="intake_closes_after_opening",
                violation_error_message=_("The intake must close after it opens."),
            ),
            models.CheckConstraint(
                condition=Q(offers_in_house=True) | Q(offers_outside=True) | Q(offers_cloud=True),
                name="intake_offers_a_mode",
                violation_error_message=_("Offer at least one mode of incubation."),
            ),
            models.CheckConstraint(
                condition=Q(min_capacity_score__lte=100), name="intake_min_score_at_most_100"
            ),
            models.UniqueConstraint(fields=["base", "name"], name="intake_unique_name_in_base"),
        ]

    def __str__(self) -> str:
        return f"{self.base} · {self.name}"

    def is_open(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.opens_on <= today <= self.closes_on

    @property
    def modes(self) -> list[str]:
        offered = (
            (self.offers_in_house, IncubationMode.IN_HOUSE),
            (self.offers_outside, IncubationMode.OUTSIDE),
            (self.offers_cloud, IncubationMode.CLOUD),
        )
        return [mode for on, mode in offered if on]

    @property
    def mode_labels(self) -> list[Promise]:
        return [IncubationMode(mode).label for mode in self.modes]


# --- Conditions of transitions (also explained on screen) --------------------------------------


@dataclass(frozen=True)
class CriterionCheck:
    code: str
    label: Promise | str
    passed: bool
    detail: str


def agreement_complete(application: IncubationApplication) -> bool:
    return not application.agreement_shortfalls()


def has_service_plan(application: IncubationApplication) -> bool:
    return bool((application.service_goals or "").strip())


def graduation_criteria_met(application: IncubationApplication) -> bool:
    return all(check.passed for check in application.graduation_checklist())


class IncubationApplication(ConcurrentTransitionMixin, models.Model):
    """入驻申请: an organisation's application to an intake, and then its incubation."""

    intake = models.ForeignKey(
        Intake, on_delete=models.PROTECT, related_name="applications", verbose_name=_("intake")
    )
    organisation = models.ForeignKey(
        "incubator.Organisation",
        on_delete=models.PROTECT,
        related_name="incubation_applications",
        verbose_name=_("organisation"),
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("applied by"),
    )
    state = FSMField(
        _("state"),
        default=I.APPLIED,
        choices=I.choices,
        protected=True,
        db_index=True,
        max_length=20,
    )
    requested_mode = models.CharField(
        _("mode asked for"), max_length=16, choices=IncubationMode.choices
    )
    motivation = models.TextField(
        _("why incubation"),
        help_text=_("What the organisation does and what it needs from the base."),
    )
    applied_at = models.DateTimeField(_("applied"), default=timezone.now)
    review_due_on = models.DateField(_("answer due"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    decision_note = models.TextField(_("reason given"), blank=True)

    # The incubation agreement (孵化协议).
    mode = models.CharField(_("mode"), max_length=16, choices=IncubationMode.choices, blank=True)
    space = models.CharField(
        _("space"), max_length=100, blank=True, help_text=_("e.g. 孵化室 A-203; empty for cloud.")
    )
    subsidy = models.DecimalField(
        _("subsidy (yuan)"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    term_start = models.DateField(_("term starts"), null=True, blank=True)
    term_end = models.DateField(_("term ends"), null=True, blank=True)
    agreement_signed_on = models.DateField(_("agreement signed"), null=True, blank=True)

    # The service plan (服务计划).
    service_goals = models.TextField(_("goals"), blank=True)
    planned_services = models.JSONField(
        _("planned services"), default=list, blank=True, help_text=_("A list of service names.")
    )

    incubating_since = models.DateField(_("incubating since"), null=True, blank=True)
    financial_system_attested_on = models.DateField(
        _("financial system attested"), null=True, blank=True
    )
    graduated_on = models.DateField(_("graduated"), null=True, blank=True)
    handback_due_on = models.DateField(_("space hand-back due"), null=True, blank=True)
    handed_back_on = models.DateField(_("space handed back"), null=True, blank=True)
    closing_reason = models.TextField(_("reason for closing"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("incubation application")
        verbose_name_plural = _("incubation applications")
        ordering = ["-applied_at", "-pk"]
        indexes = [models.Index(fields=["intake", "state"], name="incubation_intake_state")]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(state__in=LIVE_STATES),
                name="incubation_one_live_per_organisation",
                violation_error_message=_(
                    "The organisation already has an incubation application in progress."
                ),
            ),
            models.CheckConstraint(
                condition=Q(subsidy__gte=0), name="incubation_subsidy_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(term_start__isnull=True)
                | Q(term_end__isnull=True)
                | Q(term_end__gt=F("term_start")),
                name="incubation_term_ordered",
            ),
            models.CheckConstraint(
                condition=Q(handed_back_on__isnull=True) | Q(handback_due_on__isnull=False),
                name="incubation_handback_needs_due_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.intake}"

    @property
    def reference(self) -> str:
        return f"FH-{self.intake_id}-{self.pk or 0:05d}"

    # --- Deadlines ----------------------------------------------------------------------------

    @staticmethod
    def review_due_for(applied_on: date) -> date:
        return add_working_days(applied_on, REVIEW_WORKING_DAYS)

    def review_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.state in AWAITING_ANSWER_STATES and today > self.review_due_on

    def handback_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return (
            self.handback_due_on is not None
            and self.handed_back_on is None
            and today > self.handback_due_on
        )

    @property
    def needs_handback(self) -> bool:
        return self.handback_due_on is not None and self.handed_back_on is None

    # --- What the conditions check --------------------------------------------------------------

    def agreement_shortfalls(self) -> list[str]:
        missing = []
        if not self.mode:
            missing.append(str(_("the mode of incubation")))
        elif self.mode in MODES_WITH_SPACE and not self.space.strip():
            missing.append(str(_("the space (in-house incubation uses a space at the base)")))
        if not self.term_start or not self.term_end:
            missing.append(str(_("the term")))
        elif self.term_end <= self.term_start:
            missing.append(str(_("a term that ends after it starts")))
        return missing

    def latest_assessment(self):
        """The most recent scorecard; uses the prefetched list when the selector loaded one."""
        cache = getattr(self, "_prefetched_objects_cache", {})
        if "assessments" in cache:
            rows = sorted(cache["assessments"], key=lambda a: (a.assessed_on, a.pk))
            return rows[-1] if rows else None
        return self.assessments.order_by("-assessed_on", "-pk").first()

    def graduation_checklist(self, today=None) -> list[CriterionCheck]:
        """Each graduation criterion the intake switches on, with whether it holds and why not."""
        today = today or timezone.localdate()
        intake = self.intake
        organisation = self.organisation
        checks = []
        if intake.requires_registration:
            registered = (
                bool(organisation.credit_code)
                and organisation.org_type != OrganisationType.COMMUNITY_ORG
            )
            checks.append(
                CriterionCheck(
                    GraduationCriterion.REGISTERED,
                    GraduationCriterion.REGISTERED.label,
                    registered,
                    _("Credit code %(code)s.") % {"code": organisation.credit_code}
                    if registered
                    else str(
                        _(
                            "The organisation is not registered: add its unified social credit code to its profile."
                        )
                    ),
                )
            )
        if intake.requires_completed_project:
            completed = organisation.applications.filter(state=ApplicationState.COMPLETED).count()
            checks.append(
                CriterionCheck(
                    GraduationCriterion.COMPLETED_PROJECT,
                    GraduationCriterion.COMPLETED_PROJECT.label,
                    completed > 0,
                    _("%(count)d completed project(s).") % {"count": completed}
                    if completed
                    else str(_("No project of the organisation has been completed yet.")),
                )
            )
        if intake.requires_financial_system:
            attested = self.financial_system_attested_on
            checks.append(
                CriterionCheck(
                    GraduationCriterion.FINANCIAL_SYSTEM,
                    GraduationCriterion.FINANCIAL_SYSTEM.label,
                    attested is not None,
                    _("Attested on %(date)s.") % {"date": attested.isoformat()}
                    if attested
                    else str(_("Nobody has attested the organisation's financial system yet.")),
                )
            )
        if intake.min_capacity_score:
            latest = self.latest_assessment()
            minimum = intake.min_capacity_score
            if latest is None:
                passed, detail = False, str(_("No capacity assessment yet."))
            else:
                passed = latest.total >= minimum
                detail = _("Latest assessment (%(date)s): %(total)d of at least %(minimum)d.") % {
                    "date": latest.assessed_on.isoformat(),
                    "total": latest.total,
                    "minimum": minimum,
                }
            checks.append(
                CriterionCheck(
                    GraduationCriterion.CAPACITY_SCORE,
                    GraduationCriterion.CAPACITY_SCORE.label,
                    passed,
                    detail,
                )
            )
        if intake.min_months:
            since = self.incubating_since
            if since is None:
                passed, detail = False, str(_("Incubation has not started."))
            else:
                ready_on = add_months(since, intake.min_months)
                passed = ready_on <= today
                detail = _(
                    "Incubating since %(since)s; %(months)d months are reached on %(ready)s."
                ) % {
                    "since": since.isoformat(),
                    "months": intake.min_months,
                    "ready": ready_on.isoformat(),
                }
            checks.append(
                CriterionCheck(
                    GraduationCriterion.MONTHS, GraduationCriterion.MONTHS.label, passed, detail
                )
            )
        return checks

    def graduation_shortfalls(self) -> list[CriterionCheck]:
        return [check for check in self.graduation_checklist() if not check.passed]

    def _start_handback(self, today) -> None:
        if self.mode in MODES_WITH_SPACE and self.space:
            self.handback_due_on = add_working_days(today, HANDBACK_WORKING_DAYS)

    # --- The state machine -------------------------------------------------------------------

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=I.APPLIED, target=I.UNDER_REVIEW, permission=MANAGE)
    def start_review(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=I.UNDER_REVIEW, target=I.ADMITTED, permission=MANAGE)
    def admit(self, *, by=None, description=None) -> None:
        self.answered_at = timezone.now()
        self.decision_note = description or ""
        # The agreement starts from what the organisation asked for.
        self.mode = self.mode or self.requested_mode

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=I.UNDER_REVIEW, target=I.REJECTED, permission=MANAGE)
    def reject(self, *, by=None, description=None) -> None:
        self.answered_at = timezone.now()
        self.decision_note = description or ""

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=I.ADMITTED,
        target=I.AGREEMENT_SIGNED,
        conditions=[agreement_complete],
        permission=MANAGE,
    )
    def sign_agreement(self, *, by=None, description=None) -> None:
        self.agreement_signed_on = timezone.localdate()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=I.AGREEMENT_SIGNED,
        target=I.INCUBATING,
        conditions=[has_service_plan],
        permission=MANAGE,
    )
    def start_incubation(self, *, by=None, description=None) -> None:
        self.incubating_since = timezone.localdate()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=I.INCUBATING,
        target=I.GRADUATED,
        conditions=[graduation_criteria_met],
        permission=MANAGE,
    )
    def graduate(self, *, by=None, description=None) -> None:
        today = timezone.localdate()
        self.graduated_on = today
        self._start_handback(today)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=list(WITHDRAWABLE_STATES),
        target=I.WITHDRAWN,
        permission="incubator.withdraw_incubation_application",
    )
    def withdraw(self, *, by=None, description=None) -> None:
        self.closing_reason = description or ""

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=I.INCUBATING, target=I.TERMINATED, permission=MANAGE)
    def terminate(self, *, by=None, description=None) -> None:
        self.closing_reason = description or ""
        # A terminated in-house organisation leaves its space too.
        self._start_handback(timezone.localdate())
