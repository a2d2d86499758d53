"""Mid-term and final evaluations: one service per action, each in one transaction.

- ``start_evaluation``: an officer moves the project into its mid-term (``start_mid_term``) or final
  evaluation (``start_final_evaluation``) and assigns an evaluator (the officer by default); the
  call's template is copied onto the evaluation.
- ``save_evaluation`` / ``record_activity``: the evaluator's drafts and the checks they made
  (desk review, phone checks, site visits); incomplete is fine, malformed is refused.
- ``submit_evaluation``: seals the scores and applies the result. Mid-term pass → ``pass_mid_term``
  and the mid-term tranches become releasable; final pass → final tranches releasable and
  ``complete``; any fail → every unpaid tranche stopped, ``fail_evaluation`` (→ terminated) and, if
  asked, a clawback through the finance area (at once when an officer submits; a third-party
  evaluator's request waits for an officer: ``open_requested_clawback``). All or nothing.
- ``cancel_evaluation``: an officer withdraws an open evaluation (to reassign it, say).
- Templates (``template_for``, ``save_template``) live in ``evaluations_templates``.

Lock order: application → evaluation (the application services lock call → organisation →
application first). A sealed evaluation is never written again: every write checks the state under
the evaluation's row lock, the database refuses a submitted row without its result, and the
PostgreSQL triggers of ``grants.models.evaluations.SEAL_TRIGGER_SQL`` refuse any later change.
"""

from __future__ import annotations

import importlib
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.enums import EmailFrequency
from accounts.models import User
from grants.enums import ApplicationState, TrancheCondition
from grants.enums_evaluations import (
    MAX_SCORE,
    OPEN_EVALUATION_STATES,
    EvaluationKind,
    EvaluationMethod,
    EvaluationState,
    Grade,
    grade_for,
)
from grants.models import (
    Application,
    Evaluation,
    EvaluationActivity,
    EvaluationScore,
    Notification,
)
from grants.rules_evaluations import conflicted, may_evaluate
from grants.services import notifications, tranches
from grants.services.applications import _lock_application, _run_transition
from grants.services.errors import TransitionRefused
from grants.services.evaluations_templates import parse_number, save_template, template_for

__all__ = [
    "cancel_evaluation",
    "compute_total",
    "delete_activity",
    "open_requested_clawback",
    "record_activity",
    "save_evaluation",
    "save_template",
    "start_evaluation",
    "submit_evaluation",
    "template_for",
]

S = ApplicationState
E = EvaluationState
K = EvaluationKind
STEP = Decimal("0.5")
CENT = Decimal("0.01")

# kind → (transition that starts it, state it runs in)
STARTS = {
    K.MID_TERM: ("start_mid_term", S.MID_TERM),
    K.FINAL: ("start_final_evaluation", S.FINAL_EVALUATION),
}


def _require(actor, perm: str, obj) -> None:
    if actor is None or not actor.has_perm(perm, obj):
        raise PermissionDenied(_("You may not do this to this evaluation."))


# --- Starting and cancelling ---------------------------------------------------------------------


def _check_evaluator(evaluator: User, application: Application) -> None:
    if evaluator is None or not evaluator.is_active or not may_evaluate(evaluator):
        raise ValidationError(
            {"evaluator": _("Choose a person with the evaluator role, or a programme officer.")}
        )
    if conflicted(evaluator, application):
        raise ValidationError(
            {
                "evaluator": _(
                    "%(name)s has a conflict of interest with this project and cannot evaluate it."
                )
                % {"name": evaluator}
            }
        )


def start_evaluation(
    *,
    application: Application,
    kind: str,
    actor,
    evaluator: User | None = None,
    due_on: date | None = None,
) -> Evaluation:
    """Start the project's mid-term or final evaluation and assign ``evaluator`` (default: actor).

    The project moves into the evaluation state if it is not there yet (a cancelled evaluation
    leaves it there, and a new evaluator can be assigned). Starting the same evaluation again
    with the same evaluator returns the open one.
    """
    if kind not in K.values:
        raise ValidationError({"kind": _("Choose the mid-term or the final evaluation.")})
    evaluator = evaluator or actor
    name, target = STARTS[kind]
    with transaction.atomic():
        application = _lock_application(application)
        if actor is None or not actor.has_perm("grants.manage_evaluation", application):
            raise PermissionDenied(_("Only programme officers start evaluations."))
        _check_evaluator(evaluator, application)
        current = (
            Evaluation.objects.select_for_update()
            .filter(application=application, state__in=OPEN_EVALUATION_STATES)
            .select_related("evaluator")
            .first()
        )
        if current is not None:
            if current.kind == kind and current.evaluator_id == evaluator.pk:
                return current
            raise TransitionRefused(
                _(
                    "This project already has an open %(kind)s by %(evaluator)s; cancel it "
                    "before assigning another."
                )
                % {"kind": current.get_kind_display(), "evaluator": current.evaluator},
                application=application,
            )
        if application.state != target:
            application = _run_transition(
                application,
                name=name,
                actor=actor,
                target=target,
                # No evaluator's name here: the organisation reads this log and its inbox.
                description="",
                refused_message=_(
                    "The final evaluation starts after the mid-term evaluation has passed."
                )
                if kind == K.FINAL
                else _("The mid-term evaluation of this project has already passed."),
                wrong_state_message=_(
                    "Only a running project can be evaluated; this one is “%(state)s”."
                ),
            )
        template = template_for(call=application.call, kind=kind)
        evaluation = Evaluation.objects.create(
            application=application,
            kind=kind,
            evaluator=evaluator,
            assigned_by=actor,
            template=template,
            pass_mark=template.pass_mark,
            bonus_max=template.bonus_max,
            bonus_guidance=template.bonus_guidance,
            penalty_max=template.penalty_max,
            penalty_guidance=template.penalty_guidance,
            due_on=due_on,
        )
        EvaluationScore.objects.bulk_create(
            EvaluationScore(
                evaluation=evaluation,
                position=position,
                label=dimension.label,
                weight=dimension.weight,
                indicators=dimension.indicators,
            )
            for position, dimension in enumerate(template.dimensions.order_by("position", "pk"))
        )
        _notify_evaluator(evaluation)
    return evaluation


def _notify_evaluator(evaluation: Evaluation) -> None:
    from django.urls import reverse

    evaluator = evaluation.evaluator
    application = evaluation.application
    with translation.override(evaluator.preferred_language or settings.LANGUAGE_CODE):
        title = _("Please evaluate “%(title)s”") % {"title": application.title}
        body = _("You are assigned the %(kind)s of “%(title)s” (%(organisation)s).") % {
            "kind": evaluation.get_kind_display(),
            "title": application.title,
            "organisation": application.organisation.name,
        }
    row = Notification.objects.create(
        recipient=evaluator,
        application=application,
        verb="evaluation_assigned",
        title=title[:300],
        body=body,
        url=reverse("grants:evaluations_workspace_detail", args=[evaluation.pk]),
    )
    # E-mail as the other notifications do: queued on commit, for those who want it at once.
    if evaluator.email and evaluator.email_frequency == EmailFrequency.IMMEDIATELY:
        transaction.on_commit(lambda: notifications._enqueue_emails([row.pk]))


def cancel_evaluation(*, evaluation: Evaluation, actor, reason: str) -> Evaluation:
    """Withdraw an open evaluation (reason required); the project stays in its evaluation state."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Please say why the evaluation is cancelled.")})
    with transaction.atomic():
        evaluation = _lock(evaluation)
        _require(actor, "grants.manage_evaluation", evaluation)
        if evaluation.state == E.CANCELLED:
            return evaluation
        if evaluation.state == E.SUBMITTED:
            raise TransitionRefused(_("A submitted evaluation cannot be cancelled."))
        evaluation.cancel(by=actor, description=reason)
        evaluation.save()
    return evaluation


# --- The evaluator's drafts -----------------------------------------------------------------------


def _lock(evaluation: Evaluation | int) -> Evaluation:
    pk = evaluation.pk if isinstance(evaluation, Evaluation) else evaluation
    return (
        Evaluation.objects.select_for_update(of=("self",))
        .select_related("application__call", "application__organisation", "evaluator")
        .get(pk=pk)
    )


def _require_open(evaluation: Evaluation) -> None:
    if evaluation.state == E.SUBMITTED:
        raise TransitionRefused(
            _("This evaluation was submitted on %(when)s; its scores are sealed.")
            % {"when": timezone.localtime(evaluation.submitted_at).strftime("%Y-%m-%d %H:%M")}
        )
    if evaluation.state == E.CANCELLED:
        raise TransitionRefused(_("This evaluation was cancelled."))


def parse_score(value, *, weight: int, field: str, errors: dict) -> Decimal | None:
    score = parse_number(value, field, errors, low=Decimal("0"), high=Decimal(weight))
    if score is not None and (score / STEP) != (score / STEP).to_integral_value():
        errors.setdefault(field, []).append(_("Scores go in steps of 0.5, e.g. 27 or 27.5."))
        return None
    return score


def score_field(position: int) -> str:
    return f"score_{position}"


def comment_field(position: int) -> str:
    return f"comment_{position}"


def save_evaluation(*, evaluation: Evaluation, actor, data: dict) -> Evaluation:
    """Save a draft from ``data`` (the form's fields: ``score_<n>``, ``comment_<n>``, ``bonus``, …).

    Blank is fine (a draft); a malformed value raises ``ValidationError`` keyed by its field and
    nothing is saved.
    """
    with transaction.atomic():
        evaluation = _lock(evaluation)
        _require(actor, "grants.act_on_evaluation", evaluation)
        _require_open(evaluation)
        errors: dict[str, list] = {}
        scores = list(evaluation.scores.all())
        for row in scores:
            if score_field(row.position) in data:
                row.score = parse_score(
                    data.get(score_field(row.position)),
                    weight=row.weight,
                    field=score_field(row.position),
                    errors=errors,
                )
            if comment_field(row.position) in data:
                row.comment = (data.get(comment_field(row.position)) or "").strip()
        if "bonus" in data:
            evaluation.bonus = (
                parse_number(
                    data["bonus"], "bonus", errors, low=Decimal(0), high=evaluation.bonus_max
                )
                or 0
            )
        if "penalty" in data:
            evaluation.penalty = (
                parse_number(
                    data["penalty"], "penalty", errors, low=Decimal(0), high=evaluation.penalty_max
                )
                or 0
            )
        for name in (
            "bonus_reason",
            "penalty_reason",
            "comments",
            "staff_notes",
            "clawback_reason",
        ):
            if name in data:
                setattr(evaluation, name, (data.get(name) or "").strip())
        if "clawback_requested" in data or "clawback_amount" in data:
            evaluation.clawback_requested = _truthy(data.get("clawback_requested"))
            evaluation.clawback_amount = parse_number(
                data.get("clawback_amount"),
                "clawback_amount",
                errors,
                low=CENT,
                high=Decimal("9999999999.99"),
            )
            if evaluation.clawback_requested and evaluation.clawback_amount is None:
                errors.setdefault("clawback_amount", []).append(
                    _("Give the amount to recover, or untick the clawback.")
                )
        if errors:
            raise ValidationError(errors)
        if evaluation.state == E.ASSIGNED:
            evaluation.begin(by=actor, description=None)
        EvaluationScore.objects.bulk_update(scores, ["score", "comment"])
        evaluation.save()
    return evaluation


def _truthy(value) -> bool:
    return str(value).strip().lower() in ("1", "on", "true", "yes")


def record_activity(
    *,
    evaluation: Evaluation,
    actor,
    method: str,
    occurred_on: date | None,
    notes: str,
    place: str = "",
    people_contacted: str = "",
) -> EvaluationActivity:
    """Record one check the evaluator made (desk review, phone check, site visit, interview)."""
    errors: dict[str, list] = {}
    if method not in EvaluationMethod.values:
        errors["method"] = [_("Choose how you checked.")]
    today = timezone.localdate()
    if occurred_on is None:
        errors["occurred_on"] = [_("Give the date.")]
    elif occurred_on > today:
        errors["occurred_on"] = [_("The date cannot be in the future.")]
    notes = (notes or "").strip()
    if not notes:
        errors["notes"] = [_("Write down what you found.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        evaluation = _lock(evaluation)
        _require(actor, "grants.act_on_evaluation", evaluation)
        _require_open(evaluation)
        if evaluation.state == E.ASSIGNED:
            evaluation.begin(by=actor, description=None)
            evaluation.save()
        return EvaluationActivity.objects.create(
            evaluation=evaluation,
            method=method,
            occurred_on=occurred_on,
            place=(place or "").strip()[:200],
            people_contacted=(people_contacted or "").strip(),
            notes=notes,
            recorded_by=actor,
        )


def delete_activity(*, activity: EvaluationActivity, actor) -> None:
    with transaction.atomic():
        evaluation = _lock(activity.evaluation_id)
        _require(actor, "grants.act_on_evaluation", evaluation)
        _require_open(evaluation)
        EvaluationActivity.objects.filter(pk=activity.pk, evaluation=evaluation).delete()


# --- Submission -------------------------------------------------------------------------------------


def compute_total(scores, *, bonus: Decimal, penalty: Decimal) -> Decimal:
    """Σ dimension scores + bonus − penalty, kept within 0–100, two places."""
    raw = sum((Decimal(row.score) for row in scores), Decimal("0")) + bonus - penalty
    total = raw.quantize(CENT, rounding=ROUND_HALF_UP)
    return min(max(total, Decimal("0.00")), MAX_SCORE)


def _completeness(evaluation: Evaluation, scores: list[EvaluationScore]) -> dict:
    errors: dict[str, list] = {}
    for row in scores:
        if row.score is None:
            errors.setdefault(score_field(row.position), []).append(
                _("Score “%(label)s” (0–%(weight)s).") % {"label": row.label, "weight": row.weight}
            )
    if evaluation.bonus and not evaluation.bonus_reason:
        errors["bonus_reason"] = [_("Say what earned the bonus points.")]
    if evaluation.penalty and not evaluation.penalty_reason:
        errors["penalty_reason"] = [_("Say what cost the penalty points.")]
    if not evaluation.comments:
        errors["comments"] = [_("Write your findings and recommendations for the organisation.")]
    if not evaluation.activities.exists():
        errors["__all__"] = [
            _("Record at least one check (desk review, phone check or site visit) first.")
        ]
    return errors


def submit_evaluation(*, evaluation: Evaluation, actor) -> Evaluation:
    """Seal the evaluation and apply its result to the project and its tranches (module docstring)."""
    with transaction.atomic():
        application = _lock_application(evaluation.application_id)
        evaluation = _lock(evaluation)
        _require(actor, "grants.act_on_evaluation", evaluation)
        _require_open(evaluation)
        scores = list(evaluation.scores.all())
        errors = _completeness(evaluation, scores)
        if errors:
            raise ValidationError(errors)
        running_in = STARTS[evaluation.kind][1]
        if application.state != running_in:
            raise TransitionRefused(
                _(
                    "The project is no longer in its %(kind)s (it is “%(state)s”); this "
                    "evaluation cannot be submitted."
                )
                % {
                    "kind": evaluation.get_kind_display(),
                    "state": application.get_state_display(),
                },
                application=application,
            )
        total = compute_total(scores, bonus=evaluation.bonus, penalty=evaluation.penalty)
        grade = grade_for(total, evaluation.pass_mark)
        passed = grade != Grade.FAIL
        if evaluation.clawback_requested and passed:
            raise ValidationError(
                {"clawback_requested": _("A clawback goes with a failed evaluation only.")}
            )
        summary = _("%(kind)s: %(total)s points, %(grade)s.") % {
            "kind": evaluation.get_kind_display(),
            "total": total,
            "grade": Grade(grade).label,
        }
        # The application's transitions run first, while this evaluation is still open: the
        # evaluator's permission to conclude is "the evaluator of the open evaluation".
        if passed and evaluation.kind == K.MID_TERM:
            _run_transition(
                application, name="pass_mid_term", actor=actor, target=S.ACTIVE, description=summary
            )
            tranches.open_tranches(
                application=application, condition=TrancheCondition.MID_TERM_PASSED
            )
        elif passed:
            tranches.open_tranches(application=application, condition=TrancheCondition.FINAL_PASSED)
            _run_transition(
                application, name="complete", actor=actor, target=S.COMPLETED, description=summary
            )
        else:
            tranches.stop_open_tranches(application=application, reason=summary)
            # The finance service recovers money from a funded project: before the transition.
            # A third-party evaluator only asks; an officer opens it from the project page.
            if evaluation.clawback_requested and actor.has_perm(
                "grants.open_clawback", application
            ):
                _open_clawback(evaluation, actor=actor, summary=summary)
            _run_transition(
                application,
                name="fail_evaluation",
                actor=actor,
                target=S.TERMINATED,
                description=summary,
            )
        if evaluation.state == E.ASSIGNED:
            evaluation.begin(by=actor, description=None)
        evaluation.total = total
        evaluation.grade = grade
        evaluation.passed = passed
        evaluation.submit(by=actor, description=summary)
        evaluation.save()
    return evaluation


def _clawbacks():
    try:
        return importlib.import_module("grants.services.clawbacks")
    except ImportError:  # the finance area is optional
        return None


def _open_clawback(evaluation: Evaluation, *, actor, summary: str = "") -> bool:
    """Ask the finance service to record the clawback (it posts ``clawback_due`` in the ledger).

    Its ``ValidationError`` (e.g. more than was paid) is reported on the evaluation's amount.
    """
    clawbacks = _clawbacks()
    if clawbacks is None:
        return False
    reason = evaluation.clawback_reason or summary
    try:
        clawbacks.open_clawback(
            application=evaluation.application,
            amount=evaluation.clawback_amount,
            reason=reason,
            actor=actor,
        )
    except ValidationError as error:
        raise ValidationError({"clawback_amount": error.messages}) from error
    evaluation.clawback_opened_at = timezone.now()
    return True


def open_requested_clawback(*, evaluation: Evaluation, actor) -> Evaluation:
    """An officer acts on the clawback a sealed, failed evaluation asked for."""
    with transaction.atomic():
        _lock_application(evaluation.application_id)
        evaluation = _lock(evaluation)
        if actor is None or not actor.has_perm("grants.open_clawback", evaluation.application):
            raise PermissionDenied(_("Only programme officers open clawbacks."))
        if not (evaluation.is_sealed and evaluation.clawback_requested):
            raise TransitionRefused(_("This evaluation asks for no clawback."))
        if evaluation.clawback_opened_at is not None:
            return evaluation
        if not _open_clawback(evaluation, actor=actor):
            raise TransitionRefused(_("Clawbacks are not available on this site."))
        # A sealed evaluation changes in this one field only, through a conditional UPDATE.
        Evaluation.objects.filter(pk=evaluation.pk, clawback_opened_at__isnull=True).update(
            clawback_opened_at=evaluation.clawback_opened_at
        )
    return evaluation
