"""Score sheets: drafts, submission, corrections.

- A reviewer scores each criterion of the call's rubric in the criterion's own range
  [``min_score``, ``top_score``] in steps of 0.5, with a comment required for a score below
  ``call.comment_required_below_percent`` of the range (e.g. below 60 %: under 12 of 0–20).
- ``save_scores`` keeps a draft (incomplete is fine, malformed is not); ``submit_scores`` checks
  the stored draft is complete, computes the 0–100 total and runs ``submit_scores`` on the
  assignment. The total is Σ weighted(score) scaled to 100 by the sum of the weights, so a rubric
  whose weights do not add up to 100 still gives a total out of 100; rounded once, half up, to
  two places.
- A submitted sheet never changes: every write goes through a conditional UPDATE on
  ``status = draft`` under the sheet's row lock, so even a stale object handed to the service
  cannot overwrite it. A correction (``open_correction``, reason required) copies the sheet into
  a new version that supersedes it (``is_current`` moves to the copy) and reopens the
  assignment; resubmitting the copy makes it the sheet that counts again.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from grants.enums import AssignmentState, SheetStatus
from grants.models import CriterionScore, ReviewAssignment, RubricCriterion, ScoreSheet
from grants.services.errors import TransitionRefused
from grants.services.review import require
from grants.services.review_draw import REVIEW_OPEN_STATES, _lock

A = AssignmentState
STEP = Decimal("0.5")
HUNDRED = Decimal("100")
CENT = Decimal("0.01")


def score_field(criterion_id: int) -> str:
    return f"score_{criterion_id}"


def comment_field(criterion_id: int) -> str:
    return f"comment_{criterion_id}"


@dataclass(frozen=True)
class Entry:
    """One criterion as typed: the score (None when left empty) and the comment."""

    score: Decimal | None
    comment: str = ""


def comment_threshold(criterion: RubricCriterion, percent: int) -> Decimal:
    """Scores below this need a comment: ``percent`` % of the way up the criterion's range."""
    span = Decimal(criterion.top_score - criterion.min_score)
    return Decimal(criterion.min_score) + span * Decimal(percent) / HUNDRED


def parse_score(value) -> Decimal | None:
    """A typed score as a Decimal; '' is None; raises ValueError for anything else than a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        score = Decimal(str(value).strip().replace("，", ".").replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValueError from None
    if not score.is_finite():
        raise ValueError
    return score


def check_score(criterion: RubricCriterion, score: Decimal) -> str | None:
    """The problem with a score for ``criterion`` in plain words, or None."""
    if score < criterion.min_score or score > criterion.top_score:
        return _("Give a score from %(low)s to %(high)s.") % {
            "low": criterion.min_score,
            "high": criterion.top_score,
        }
    if (score / STEP) != (score / STEP).to_integral_value():
        return _("Scores go in steps of 0.5, e.g. 7 or 7.5.")
    return None


def compute_total(criteria: list[RubricCriterion], scores: dict[int, Decimal]) -> Decimal:
    """The 0–100 total of a complete sheet (see the module docstring)."""
    weights = sum(criterion.weight for criterion in criteria)
    if not weights:
        return Decimal("0.00")
    raw = sum(
        (Decimal(criterion.weighted(scores[criterion.pk])) for criterion in criteria),
        Decimal("0"),
    )
    total = (raw * HUNDRED / Decimal(weights)).quantize(CENT, rounding=ROUND_HALF_UP)
    return min(max(total, Decimal("0.00")), Decimal("100.00"))


def _criteria(assignment: ReviewAssignment) -> list[RubricCriterion]:
    return list(RubricCriterion.objects.filter(call_id=assignment.application.call_id))


def current_sheet(assignment: ReviewAssignment) -> ScoreSheet | None:
    return ScoreSheet.objects.filter(assignment=assignment, is_current=True).first()


def _require_scoring(actor, assignment: ReviewAssignment) -> None:
    require(actor, "grants.review_assignment", assignment)
    if assignment.application.state not in REVIEW_OPEN_STATES:
        raise TransitionRefused(
            _("The review of this application is closed (it is “%(state)s”).")
            % {"state": assignment.application.get_state_display()}
        )


def _draft_locked(assignment: ReviewAssignment) -> ScoreSheet:
    """The current draft sheet, locked; created (version 1) if there is none yet."""
    sheet = (
        ScoreSheet.objects.select_for_update()
        .filter(assignment=assignment, is_current=True)
        .first()
    )
    if sheet is None:
        sheet = ScoreSheet.objects.create(assignment=assignment, version=1)
    if sheet.status != SheetStatus.DRAFT or assignment.state != A.ACCEPTED:
        raise TransitionRefused(
            _(
                "Your scores have been submitted and can no longer be changed. To correct them, "
                "open a correction and give a reason."
            )
        )
    return sheet


def save_scores(
    *, assignment: ReviewAssignment, actor, entries: dict[int, Entry], comment: str | None = None
) -> ScoreSheet:
    """Save a draft: the criteria in ``entries`` and the overall ``comment`` (None leaves it).

    An entry with no score removes that criterion's score (its comment goes with it: a score row
    needs a score). Raises ``ValidationError`` keyed ``score_<id>`` and changes nothing if any
    entry is out of range or off the 0.5 step.
    """
    with transaction.atomic():
        assignment = _lock(assignment)
        _require_scoring(actor, assignment)
        criteria = {criterion.pk: criterion for criterion in _criteria(assignment)}
        errors = {}
        for criterion_id, entry in entries.items():
            criterion = criteria.get(criterion_id)
            if criterion is None:
                errors["__all__"] = _("The rubric of this call has changed: reload the page.")
            elif entry.score is not None and (problem := check_score(criterion, entry.score)):
                errors[score_field(criterion_id)] = problem
        if errors:
            raise ValidationError(errors)
        sheet = _draft_locked(assignment)
        now = timezone.now()
        changes = {"updated_at": now}
        if comment is not None:
            changes["comment"] = comment.strip()
        # Conditional on the draft status: the last guard against writing a submitted sheet.
        if not ScoreSheet.objects.filter(pk=sheet.pk, status=SheetStatus.DRAFT).update(**changes):
            raise TransitionRefused(
                _("Your scores have been submitted and can no longer be changed.")
            )
        existing = {row.criterion_id: row for row in sheet.scores.all()}
        for criterion_id, entry in entries.items():
            row = existing.get(criterion_id)
            if entry.score is None:
                if row is not None:
                    row.delete()
                continue
            if row is None:
                CriterionScore.objects.create(
                    sheet=sheet,
                    criterion_id=criterion_id,
                    score=entry.score,
                    comment=entry.comment.strip(),
                )
            elif row.score != entry.score or row.comment != entry.comment.strip():
                row.score, row.comment = entry.score, entry.comment.strip()
                row.save(update_fields=["score", "comment"])
        sheet.refresh_from_db()
    return sheet


def completeness_errors(
    criteria: list[RubricCriterion], rows: dict[int, CriterionScore], percent: int
) -> dict[str, str]:
    """What stops a sheet from being submitted, per field (every criterion scored, comments)."""
    errors = {}
    for criterion in criteria:
        row = rows.get(criterion.pk)
        if row is None:
            errors[score_field(criterion.pk)] = _("Give a score for this criterion.")
            continue
        if problem := check_score(criterion, row.score):
            errors[score_field(criterion.pk)] = problem
        elif row.score < comment_threshold(criterion, percent) and not row.comment.strip():
            errors[comment_field(criterion.pk)] = _(
                "Explain in a comment why you gave less than %(limit)s."
            ) % {"limit": comment_threshold(criterion, percent).normalize()}
    return errors


def submit_scores(*, assignment: ReviewAssignment, actor) -> ScoreSheet:
    """Submit the current draft: complete, commented where needed; it is then immutable.

    Submitting a sheet that is already submitted returns it unchanged.
    """
    with transaction.atomic():
        assignment = _lock(assignment)
        _require_scoring(actor, assignment)
        if assignment.state == A.SUBMITTED:
            return current_sheet(assignment)
        sheet = _draft_locked(assignment)
        criteria = _criteria(assignment)
        if not criteria:
            raise TransitionRefused(_("This call has no rubric yet; ask the programme officer."))
        rows = {row.criterion_id: row for row in sheet.scores.all()}
        errors = completeness_errors(
            criteria, rows, assignment.application.call.comment_required_below_percent
        )
        if errors:
            raise ValidationError(errors)
        now = timezone.now()
        total = compute_total(criteria, {pk: row.score for pk, row in rows.items()})
        updated = ScoreSheet.objects.filter(pk=sheet.pk, status=SheetStatus.DRAFT).update(
            status=SheetStatus.SUBMITTED, total=total, submitted_at=now, updated_at=now
        )
        if not updated:
            raise TransitionRefused(_("Your scores have been submitted already."))
        assignment.submit_scores(by=actor)
        assignment.save()
        sheet.refresh_from_db()
    return sheet


def open_correction(*, assignment: ReviewAssignment, actor, reason: str) -> ScoreSheet:
    """Open a corrected version of submitted scores (reason required, kept with the version)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the scores need correcting.")})
    with transaction.atomic():
        assignment = _lock(assignment)
        _require_scoring(actor, assignment)
        previous = (
            ScoreSheet.objects.select_for_update()
            .filter(assignment=assignment, is_current=True)
            .first()
        )
        if assignment.state != A.SUBMITTED or previous is None or not previous.is_submitted:
            raise TransitionRefused(_("Only submitted scores can be corrected."))
        version = (
            ScoreSheet.objects.filter(assignment=assignment).aggregate(top=Max("version"))["top"]
            or 0
        ) + 1
        # One current sheet per assignment (a partial unique constraint): step down first.
        ScoreSheet.objects.filter(pk=previous.pk).update(is_current=False)
        sheet = ScoreSheet.objects.create(
            assignment=assignment,
            version=version,
            supersedes=previous,
            correction_reason=reason,
            comment=previous.comment,
        )
        CriterionScore.objects.bulk_create(
            CriterionScore(
                sheet=sheet, criterion_id=row.criterion_id, score=row.score, comment=row.comment
            )
            for row in previous.scores.all()
        )
        assignment.reopen_for_correction(by=actor, description=reason)
        assignment.save()
    return sheet
