"""Ranking and funding recommendation of a call: the officer's writes.

``recommend_call`` is the one action that moves reviewed applications to ``recommended`` or
``not_recommended``. It locks the call and then its ranked applications (in primary-key order, the
fixed lock order call → application), computes the ranking with the call's aggregation method
through ``grants.selectors_ranking``, stores each application's expert score, final score and rank
on its ``ReviewSummary``, and runs the transition of every decidable application through the shared
runner (permission ``grants.decide_application``, django-fsm-log row with the reason, staff-only
notifications). All of it in one transaction: either every application follows the new ranking or
none does.

Overrides, public scores and bonus points are stored on the summary by their own services and take
effect at the next ``recommend_call``; the ranking page previews the effect at once and says when
the states no longer match. Re-running keeps every override (only the officer clears one).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grants import scoring
from grants.enums import AggregationMethod, ApplicationState
from grants.models import Application, Call, ReviewSummary
from grants.selectors_ranking import (
    COMMITTED_STATES,
    DECIDABLE_STATES,
    RANKED_STATES,
    UNDER_REVIEW_STATES,
    CallRanking,
    call_ranking,
)
from grants.services.applications import _run_transition
from grants.services.errors import TransitionRefused

S = ApplicationState
# Where the officer may still change public scores, bonus points and overrides.
ADJUSTABLE_STATES = (*UNDER_REVIEW_STATES, *DECIDABLE_STATES)
BONUS_MAX = Decimal("20")  # the database allows 0–20 (ReviewSummary constraint)


@dataclass(frozen=True)
class RecommendResult:
    ranking: CallRanking
    recommended: int
    not_recommended: int
    changed: int


def _require_call(actor, perm: str, call: Call) -> None:
    if actor is None or not actor.has_perm(perm, call):
        raise PermissionDenied(_("Only programme officers may rank and recommend."))


def _lock_call(call: Call | int) -> Call:
    pk = call.pk if isinstance(call, Call) else call
    return Call.objects.select_for_update().select_related("programme").get(pk=pk)


def _lock_ranked(call: Call) -> list[Application]:
    """The call's ranked applications, locked in primary-key order (only their own rows)."""
    return list(
        Application.objects.select_for_update(of=("self",))
        .filter(call=call, state__in=RANKED_STATES)
        .select_related("organisation__district", "review_summary")
        .order_by("pk")
    )


def _description(row, ranking: CallRanking) -> str:
    summary = row.summary
    if summary is not None and summary.override_recommended is not None:
        return _("Officer's decision: %(reason)s") % {"reason": summary.override_reason}
    return _("Rank %(rank)s of %(count)s, final score %(score)s (%(method)s): %(outcome)s") % {
        "rank": row.ranking.rank or "—",
        "count": len(ranking.rows),
        "score": row.ranking.final if row.ranking.final is not None else "—",
        "method": AggregationMethod(ranking.method).label,
        "outcome": row.outcome.label,
    }


def _save_summaries(ranking: CallRanking) -> None:
    now = timezone.now()
    new, changed = [], []
    for row in ranking.rows:
        summary = row.summary or ReviewSummary(application=row.application)
        summary.expert_score = row.ranking.combined.expert
        summary.final_score = row.ranking.final
        summary.rank = row.ranking.rank
        summary.computed_at = now
        (changed if summary.pk else new).append(summary)
        row.summary = summary
    ReviewSummary.objects.bulk_create(new)
    ReviewSummary.objects.bulk_update(
        changed, ["expert_score", "final_score", "rank", "computed_at"]
    )


def recommend_call(*, call: Call, actor) -> RecommendResult:
    """Rank the call with its aggregation method and recommend down the ranking within the budget.

    Refused while any application is still in review (its scores could still change the order) or
    when no application has finished its review. Side effects, in one transaction: the summaries'
    scores and ranks, ``recommend`` / ``not_recommend`` on every application in ``reviewed``,
    ``recommended`` or ``not_recommended`` whose outcome changed (with its log row and staff
    notification). Running it again with nothing changed changes nothing.
    """
    _require_call(actor, "grants.recommend_call", call)
    with transaction.atomic():
        call = _lock_call(call)
        applications = _lock_ranked(call)
        waiting = [a for a in applications if a.state in UNDER_REVIEW_STATES]
        if waiting:
            raise TransitionRefused(
                _(
                    "%(count)d applications are still in review (%(references)s): close their "
                    "review before recommending."
                )
                % {
                    "count": len(waiting),
                    "references": ", ".join(a.reference for a in waiting[:5])
                    + ("…" if len(waiting) > 5 else ""),
                }
            )
        if not any(a.state in DECIDABLE_STATES for a in applications):
            raise TransitionRefused(_("No application of this call has finished its review."))
        ranking = call_ranking(call=call, applications=applications)
        _save_summaries(ranking)
        recommended = not_recommended = changed = 0
        for row in ranking.rows:
            application = row.application
            if application.state not in DECIDABLE_STATES:
                continue
            if row.outcome.recommended:
                name, target = "recommend", S.RECOMMENDED
                recommended += 1
            else:
                name, target = "not_recommend", S.NOT_RECOMMENDED
                not_recommended += 1
            if application.state == target:
                continue
            row.application = _run_transition(
                application,
                name=name,
                actor=actor,
                target=target,
                description=_description(row, ranking),
            )
            changed += 1
    return RecommendResult(ranking, recommended, not_recommended, changed)


# --- The officer's inputs per application --------------------------------------------------------


def _lock_for_adjustment(application: Application, actor) -> tuple[Call, Application]:
    """Lock call → application (the order ``recommend_call`` uses) and check the officer."""
    call = _lock_call(application.call_id)
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("review_summary")
        .get(pk=application.pk)
    )
    _require_call(actor, "grants.recommend_call", call)
    if not actor.has_perm("grants.decide_application", application):
        raise PermissionDenied(_("You may not decide on this application."))
    return call, application


def _summary_for(application: Application) -> ReviewSummary:
    try:
        return application.review_summary
    except ReviewSummary.DoesNotExist:
        return ReviewSummary(application=application)


def override_recommendation(
    *, application: Application, actor, recommended: bool | None, reason: str
) -> ReviewSummary:
    """Force an application in (``True``) or out (``False``) of the recommendation, or follow the
    ranking again (``None``). A reason is required to override; it is kept on the summary and
    becomes the log description of the transition when ``recommend_call`` next runs.
    """
    reason = (reason or "").strip()
    if recommended is not None and not reason:
        raise ValidationError({"reason": _("Please give a reason for the override.")})
    with transaction.atomic():
        _call, application = _lock_for_adjustment(application, actor)
        if application.state not in DECIDABLE_STATES:
            raise TransitionRefused(
                _("Only an application whose review is finished can be recommended or not."),
                application=application,
            )
        summary = _summary_for(application)
        summary.override_recommended = recommended
        summary.override_reason = reason if recommended is not None else ""
        summary.overridden_by = actor if recommended is not None else None
        summary.save()
    return summary


def _decimal(value, field: str, *, low: Decimal, high: Decimal, errors: dict) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors[field] = _("Enter a number, e.g. 85 or 85.5.")
        return None
    if not number.is_finite() or not low <= number <= high or number != round(number, 2):
        errors[field] = _("Enter a number from %(low)s to %(high)s with at most two decimals.") % {
            "low": low,
            "high": high,
        }
        return None
    return number


def set_adjustments(
    *,
    application: Application,
    actor,
    public_score=None,
    bonus_points=None,
    bonus_reason: str = "",
) -> ReviewSummary:
    """Store the public score (0–100, weighted by the call's expert:public ratio) and the bonus
    points (0–20, with a reason) of an application. They count from the next ranking.
    """
    errors: dict = {}
    public = _decimal(
        public_score, "public_score", low=Decimal(0), high=Decimal(100), errors=errors
    )
    bonus = _decimal(bonus_points, "bonus_points", low=Decimal(0), high=BONUS_MAX, errors=errors)
    bonus = bonus or Decimal("0")
    bonus_reason = (bonus_reason or "").strip()
    if bonus and not bonus_reason:
        errors["bonus_reason"] = _("Please say why the bonus points are given.")
    if len(bonus_reason) > 200:
        errors["bonus_reason"] = _("At most %(limit)d characters (now %(count)d).") % {
            "limit": 200,
            "count": len(bonus_reason),
        }
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _call, application = _lock_for_adjustment(application, actor)
        if application.state not in ADJUSTABLE_STATES:
            raise TransitionRefused(
                _("Scores can no longer be adjusted: the application is “%(state)s”.")
                % {"state": application.get_state_display()},
                application=application,
            )
        summary = _summary_for(application)
        summary.public_score = public
        summary.bonus_points = bonus
        summary.bonus_reason = bonus_reason if bonus else ""
        summary.save()
    return summary


def set_aggregation_method(*, call: Call, actor, method: str) -> Call:
    """Choose how the call's scores are aggregated; refused once results are published."""
    if method not in scoring.METHODS:
        raise ValidationError({"method": _("Choose one of the aggregation methods.")})
    _require_call(actor, "grants.recommend_call", call)
    with transaction.atomic():
        call = _lock_call(call)
        if call.applications.filter(state__in=COMMITTED_STATES).exists():
            raise TransitionRefused(
                _("The results are already published: the aggregation method can no longer change.")
            )
        if call.aggregation_method != method:
            call.aggregation_method = method
            call.save(update_fields=["aggregation_method"])
    return call
