"""Reads of evaluations: the evaluator's list, one evaluation's page, grades and track record.

Every function runs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone

from grants.enums import ApplicationState
from grants.enums_evaluations import OPEN_EVALUATION_STATES, EvaluationKind, EvaluationState, Grade
from grants.models import Application, Evaluation, EvaluationActivity, EvaluationScore

S = ApplicationState
E = EvaluationState


def evaluations_for_evaluator(*, user) -> list[Evaluation]:
    """The user's evaluations: open ones first (by due date), then the sealed ones, newest first."""
    rows = list(
        Evaluation.objects.filter(evaluator=user)
        .exclude(state=E.CANCELLED)
        .select_related("application__call", "application__organisation")
        .order_by("-created_at", "-pk")
    )
    open_rows = [row for row in rows if row.state in OPEN_EVALUATION_STATES]
    open_rows.sort(key=lambda row: (row.due_on is None, row.due_on or timezone.localdate()))
    return open_rows + [row for row in rows if row.state not in OPEN_EVALUATION_STATES]


def evaluation_for_page(*, pk: int) -> Evaluation | None:
    """One evaluation with what its page shows (scores, activities, the application's sections)."""
    return (
        Evaluation.objects.select_related(
            "evaluator",
            "application__call__programme",
            "application__organisation",
            "application__form",
        )
        .prefetch_related(
            Prefetch("scores", queryset=EvaluationScore.objects.order_by("position", "pk")),
            Prefetch(
                "activities",
                queryset=EvaluationActivity.objects.select_related("recorded_by").order_by(
                    "-occurred_on", "-pk"
                ),
            ),
            "application__partner_communities__parent",
            "application__budget_lines",
        )
        .filter(pk=pk)
        .first()
    )


def evaluations_of(*, application: Application) -> list[Evaluation]:
    """Every evaluation of a project (for its panels), newest first, with scores and activities."""
    return list(
        Evaluation.objects.filter(application=application)
        .select_related("evaluator", "assigned_by")
        .prefetch_related(
            Prefetch("scores", queryset=EvaluationScore.objects.order_by("position", "pk")),
            Prefetch("activities", queryset=EvaluationActivity.objects.order_by("occurred_on")),
        )
        .order_by("-created_at", "-pk")
    )


def _grade_row(evaluation: Evaluation) -> dict:
    return {
        "kind": evaluation.kind,
        "kind_label": str(EvaluationKind(evaluation.kind).label),
        "score": evaluation.total,
        "grade": evaluation.grade,
        "grade_label": str(Grade(evaluation.grade).label),
        "passed": bool(evaluation.passed),
        "submitted_at": evaluation.submitted_at,
    }


def latest_grades(application_ids) -> dict[int, dict]:
    """{application id: its latest sealed evaluation's kind, score, grade, grade_label, passed}."""
    ids = list(application_ids)
    if not ids:
        return {}
    latest: dict[int, dict] = {}
    for evaluation in Evaluation.objects.filter(application_id__in=ids, state=E.SUBMITTED).order_by(
        "application_id", "submitted_at", "pk"
    ):
        latest[evaluation.application_id] = _grade_row(evaluation)
    return latest


def track_record(organisation) -> list[dict]:
    """The organisation's finished projects: completed ones with their final grade, and every
    failure or termination with its year. Newest first; two queries.

    Each row: application_id, title, reference, call, state, state_label, year, closed_at, and
    ``final`` / ``mid_term`` (the grade rows of ``latest_grades``, or None), ``failed`` (bool) and
    ``failed_evaluation`` (the failed grade row, or None).
    """
    applications = list(
        Application.objects.filter(organisation=organisation, state__in=(S.COMPLETED, S.TERMINATED))
        .select_related("call")
        .order_by("-closed_at", "-pk")
    )
    sealed: dict[int, dict[str, dict]] = {}
    for evaluation in Evaluation.objects.filter(
        application__in=[a.pk for a in applications], state=E.SUBMITTED
    ).order_by("submitted_at", "pk"):
        sealed.setdefault(evaluation.application_id, {})[evaluation.kind] = _grade_row(evaluation)
    rows = []
    for application in applications:
        grades = sealed.get(application.pk, {})
        failed_row = next((row for row in grades.values() if not row["passed"]), None)
        closed = application.closed_at or application.updated_at
        rows.append(
            {
                "application_id": application.pk,
                "title": application.title or application.reference,
                "reference": application.reference,
                "call": application.call.title,
                "state": application.state,
                "state_label": application.get_state_display(),
                "year": timezone.localtime(closed).year,
                "closed_at": closed,
                "final": grades.get(EvaluationKind.FINAL),
                "mid_term": grades.get(EvaluationKind.MID_TERM),
                "failed": application.state == S.TERMINATED,
                "failed_evaluation": failed_row,
            }
        )
    return rows


def grade_distribution(application_ids) -> dict[str, int]:
    """How many of these projects have each latest grade (for dashboards)."""
    counts = dict.fromkeys(Grade.values, 0)
    for row in latest_grades(application_ids).values():
        counts[row["grade"]] += 1
    return counts


def mean_score(rows) -> Decimal | None:
    scores = [row["score"] for row in rows if row.get("score") is not None]
    if not scores:
        return None
    return (sum(scores, Decimal("0")) / len(scores)).quantize(Decimal("0.01"))
