"""Mid-term and final evaluations (中期评估, 结项评估): templates, evaluations and their sealed scores.

An evaluation copies its call's template when it starts (dimensions, weights, pass mark, bonus and
penalty limits): editing the template later changes later evaluations only, never one already
scored. Scores are written while the evaluation is open; submitting seals it — the service writes
only through a conditional UPDATE on the open states, so a sealed evaluation never changes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from grants.enums_evaluations import (
    DEFAULT_BONUS_MAX,
    DEFAULT_PASS_MARK,
    DEFAULT_PENALTY_MAX,
    OPEN_EVALUATION_STATES,
    EvaluationKind,
    EvaluationMethod,
    EvaluationState,
    Grade,
)

__all__ = [
    "Evaluation",
    "EvaluationActivity",
    "EvaluationDimension",
    "EvaluationScore",
    "EvaluationTemplate",
]

E = EvaluationState


class EvaluationTemplate(models.Model):
    """A call's scoring template for one kind of evaluation (mid-term or final)."""

    call = models.ForeignKey(
        "grants.Call",
        on_delete=models.CASCADE,
        related_name="evaluation_templates",
        verbose_name=_("call"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EvaluationKind.choices)
    pass_mark = models.DecimalField(
        _("pass mark"), max_digits=5, decimal_places=2, default=DEFAULT_PASS_MARK
    )
    bonus_max = models.DecimalField(
        _("bonus points, at most"), max_digits=5, decimal_places=2, default=DEFAULT_BONUS_MAX
    )
    bonus_guidance = models.TextField(_("what earns bonus points"), blank=True)
    penalty_max = models.DecimalField(
        _("penalty points, at most"), max_digits=5, decimal_places=2, default=DEFAULT_PENALTY_MAX
    )
    penalty_guidance = models.TextField(_("what costs penalty points"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("evaluation template")
        verbose_name_plural = _("evaluation templates")
        ordering = ["call", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["call", "kind"], name="evaluation_template_once"),
            models.CheckConstraint(
                condition=Q(pass_mark__gt=0) & Q(pass_mark__lte=100),
                name="evaluation_template_pass_mark_range",
            ),
            models.CheckConstraint(
                condition=Q(bonus_max__gte=0) & Q(penalty_max__gte=0),
                name="evaluation_template_bonus_penalty_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.call} · {self.get_kind_display()}"


class EvaluationDimension(models.Model):
    """One scored dimension of a template, worth ``weight`` points (the weights add up to 100)."""

    template = models.ForeignKey(
        EvaluationTemplate,
        on_delete=models.CASCADE,
        related_name="dimensions",
        verbose_name=_("template"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    label = models.CharField(_("dimension"), max_length=100)
    weight = models.PositiveSmallIntegerField(_("points"))
    indicators = models.TextField(_("indicators and guidance"), blank=True)

    class Meta:
        verbose_name = _("evaluation dimension")
        verbose_name_plural = _("evaluation dimensions")
        ordering = ["template", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gt=0) & Q(weight__lte=100), name="evaluation_dimension_weight"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.weight})"


class Evaluation(ConcurrentTransitionMixin, models.Model):
    """One evaluator's mid-term or final evaluation of a funded project."""

    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="evaluations",
        verbose_name=_("project"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EvaluationKind.choices)
    state = FSMField(
        _("state"), default=E.ASSIGNED, choices=E.choices, protected=True, max_length=16
    )
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="evaluations",
        verbose_name=_("evaluator"),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    template = models.ForeignKey(
        EvaluationTemplate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="evaluations",
        verbose_name=_("template"),
    )
    # Copied from the template at the start (see the module docstring).
    pass_mark = models.DecimalField(
        _("pass mark"), max_digits=5, decimal_places=2, default=DEFAULT_PASS_MARK
    )
    bonus_max = models.DecimalField(
        _("bonus points, at most"), max_digits=5, decimal_places=2, default=DEFAULT_BONUS_MAX
    )
    bonus_guidance = models.TextField(_("what earns bonus points"), blank=True)
    penalty_max = models.DecimalField(
        _("penalty points, at most"), max_digits=5, decimal_places=2, default=DEFAULT_PENALTY_MAX
    )
    penalty_guidance = models.TextField(_("what costs penalty points"), blank=True)

    bonus = models.DecimalField(_("bonus points"), max_digits=5, decimal_places=2, default=0)
    bonus_reason = models.TextField(_("reason for the bonus"), blank=True)
    penalty = models.DecimalField(_("penalty points"), max_digits=5, decimal_places=2, default=0)
    penalty_reason = models.TextField(_("reason for the penalty"), blank=True)
    comments = models.TextField(
        _("findings and recommendations"),
        blank=True,
        help_text=_("The organisation reads these once the evaluation is submitted."),
    )
    staff_notes = models.TextField(
        _("notes for the programme officers"),
        blank=True,
        help_text=_("Not shown to the organisation."),
    )
    # A fail may ask finance to recover money (追回): recorded with the evaluation, run on submit.
    clawback_requested = models.BooleanField(_("start a clawback"), default=False)
    clawback_amount = models.DecimalField(
        _("amount to recover (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    clawback_reason = models.TextField(_("reason for the clawback"), blank=True)
    # Set when the finance service recorded the clawback (an officer's submission does it at
    # once; a third-party evaluator's request waits for an officer on the project page).
    clawback_opened_at = models.DateTimeField(_("clawback opened"), null=True, blank=True)

    total = models.DecimalField(_("total"), max_digits=5, decimal_places=2, null=True, blank=True)
    grade = models.CharField(_("grade"), max_length=16, choices=Grade.choices, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True)
    created_at = models.DateTimeField(_("assigned"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.TextField(_("why it was cancelled"), blank=True)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["evaluator", "state"], name="evaluation_evaluator_state")]
        constraints = [
            # One evaluation at a time per project, and one result per project and kind.
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(state__in=OPEN_EVALUATION_STATES),
                name="evaluation_one_open_per_project",
                violation_error_message=_("This project already has an open evaluation."),
            ),
            models.UniqueConstraint(
                fields=["application", "kind"],
                condition=Q(state=E.SUBMITTED),
                name="evaluation_one_result_per_kind",
            ),
            models.CheckConstraint(
                condition=~Q(state=E.SUBMITTED)
                | (
                    Q(total__isnull=False)
                    & Q(submitted_at__isnull=False)
                    & Q(passed__isnull=False)
                    & ~Q(grade="")
                ),
                name="evaluation_submitted_has_result",
            ),
            models.CheckConstraint(
                condition=Q(total__isnull=True) | (Q(total__gte=0) & Q(total__lte=100)),
                name="evaluation_total_0_to_100",
            ),
            models.CheckConstraint(
                condition=Q(bonus__gte=0)
                & Q(bonus__lte=F("bonus_max"))
                & Q(penalty__gte=0)
                & Q(penalty__lte=F("penalty_max")),
                name="evaluation_bonus_penalty_in_range",
            ),
            models.CheckConstraint(
                condition=Q(clawback_requested=False) | Q(clawback_amount__gt=0),
                name="evaluation_clawback_has_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.application}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_EVALUATION_STATES

    @property
    def is_sealed(self) -> bool:
        return self.state == E.SUBMITTED

    # --- The state machine -------------------------------------------------------------------
    # assigned → in_progress (the evaluator's first save) → submitted (sealed);
    # assigned/in_progress → cancelled (an officer: reassigned, or the project ended otherwise).

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state, source=E.ASSIGNED, target=E.IN_PROGRESS, permission="grants.act_on_evaluation"
    )
    def begin(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=E.IN_PROGRESS,
        target=E.SUBMITTED,
        permission="grants.act_on_evaluation",
    )
    def submit(self, *, by=None, description=None) -> None:
        self.submitted_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=list(OPEN_EVALUATION_STATES),
        target=E.CANCELLED,
        permission="grants.manage_evaluation",
    )
    def cancel(self, *, by=None, description=None) -> None:
        self.cancelled_at = timezone.now()
        self.cancel_reason = description or ""


class EvaluationScore(models.Model):
    """One dimension's score in an evaluation, with the dimension copied from the template."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="scores", verbose_name=_("evaluation")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    label = models.CharField(_("dimension"), max_length=100)
    weight = models.PositiveSmallIntegerField(_("points"))
    indicators = models.TextField(_("indicators and guidance"), blank=True)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("evaluation score")
        verbose_name_plural = _("evaluation scores")
        ordering = ["evaluation", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "position"], name="evaluation_score_once_per_dimension"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=F("weight"))),
                name="evaluation_score_within_weight",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.score}"


class EvaluationActivity(models.Model):
    """How the evaluator checked: a desk review, a phone check, a site visit (date, people, notes)."""

    evaluation = models.ForeignKey(
        Evaluation,
        on_delete=models.CASCADE,
        related_name="activities",
        verbose_name=_("evaluation"),
    )
    method = models.CharField(_("method"), max_length=16, choices=EvaluationMethod.choices)
    occurred_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    people_contacted = models.TextField(_("people contacted"), blank=True)
    notes = models.TextField(_("findings"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("evaluation activity")
        verbose_name_plural = _("evaluation activities")
        ordering = ["evaluation", "occurred_on", "pk"]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.occurred_on}"


# PostgreSQL's last line of defence for sealed evaluations (for the lead's migration, as RunSQL
# with SEAL_TRIGGER_REVERSE_SQL as reverse_sql): once submitted, an evaluation's result and
# scores never change and its activities are never edited or removed; only
# ``clawback_opened_at`` may still be set once (an officer acting on the evaluator's request).
SEAL_TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION grants_evaluation_sealed() RETURNS trigger AS $$
BEGIN
    IF OLD.state = 'submitted' AND (
        NEW.state IS DISTINCT FROM OLD.state OR NEW.total IS DISTINCT FROM OLD.total
        OR NEW.grade IS DISTINCT FROM OLD.grade OR NEW.passed IS DISTINCT FROM OLD.passed
        OR NEW.bonus IS DISTINCT FROM OLD.bonus OR NEW.penalty IS DISTINCT FROM OLD.penalty
        OR NEW.comments IS DISTINCT FROM OLD.comments
        OR NEW.evaluator_id IS DISTINCT FROM OLD.evaluator_id
        OR NEW.submitted_at IS DISTINCT FROM OLD.submitted_at
        OR (OLD.clawback_opened_at IS NOT NULL
            AND NEW.clawback_opened_at IS DISTINCT FROM OLD.clawback_opened_at)
    ) THEN
        RAISE EXCEPTION 'evaluation % is sealed', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION grants_evaluation_part_sealed() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM grants_evaluation WHERE id = OLD.evaluation_id AND state = 'submitted')
    THEN
        RAISE EXCEPTION 'evaluation % is sealed', OLD.evaluation_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS grants_evaluation_sealed ON grants_evaluation;
CREATE TRIGGER grants_evaluation_sealed BEFORE UPDATE ON grants_evaluation
    FOR EACH ROW EXECUTE FUNCTION grants_evaluation_sealed();
DROP TRIGGER IF EXISTS grants_evaluationscore_sealed ON grants_evaluationscore;
CREATE TRIGGER grants_evaluationscore_sealed BEFORE UPDATE OR DELETE ON grants_evaluationscore
    FOR EACH ROW EXECUTE FUNCTION grants_evaluation_part_sealed();
DROP TRIGGER IF EXISTS grants_evaluationactivity_sealed ON grants_evaluationactivity;
CREATE TRIGGER grants_evaluationactivity_sealed BEFORE UPDATE OR DELETE ON grants_evaluationactivity
    FOR EACH ROW EXECUTE FUNCTION grants_evaluation_part_sealed();
"""
SEAL_TRIGGER_REVERSE_SQL = """
DROP TRIGGER IF EXISTS grants_evaluation_sealed ON grants_evaluation;
DROP TRIGGER IF EXISTS grants_evaluationscore_sealed ON grants_evaluationscore;
DROP TRIGGER IF EXISTS grants_evaluationactivity_sealed ON grants_evaluationactivity;
DROP FUNCTION IF EXISTS grants_evaluation_sealed();
DROP FUNCTION IF EXISTS grants_evaluation_part_sealed();
"""
