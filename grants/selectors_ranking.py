"""Reads for a call's ranking: the submitted scores, the officer's adjustments, and the ranking,
sensitivity and recommendation preview computed from them by ``grants.scoring``.

Every function runs a fixed number of queries whatever the number of applications and reviewers:
the ranking page, its Excel export and ``recommend_call`` all read through here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from accounts.models import User
from grants import recommendation as rec
from grants import scoring
from grants.enums import ApplicationState, AssignmentState, ReviewRound, SheetStatus, Theme
from grants.models import (
    Application,
    Call,
    ConflictRecord,
    CriterionScore,
    ReviewSummary,
    RubricCriterion,
    ScoreSheet,
)

S = ApplicationState

# The review is still running: scores may change.
UNDER_REVIEW_STATES = (S.IN_REVIEW, S.DEFENSE)
# ``recommend_call`` decides these (``recommend`` / ``not_recommend``).
DECIDABLE_STATES = (S.REVIEWED, S.RECOMMENDED, S.NOT_RECOMMENDED)
# Past the recommendation and still to be funded: their money is spoken for.
COMMITTED_STATES = (
    S.PUBLIC_NOTICE, S.OBJECTION_REVIEW, S.APPROVED, S.CONTRACTED, S.ACTIVE, S.MID_TERM,
    S.FINAL_EVALUATION, S.COMPLETED,
)  # fmt: skip
# Everything that went to expert review (and was not withdrawn or found ineligible).
RANKED_STATES = (
    *UNDER_REVIEW_STATES, *DECIDABLE_STATES, *COMMITTED_STATES, S.REJECTED, S.TERMINATED,
)  # fmt: skip


def ranked_applications(*, call: Call) -> QuerySet[Application]:
    """The call's applications that take part in the ranking, with what a row shows."""
    return (
        Application.objects.filter(call=call, state__in=RANKED_STATES)
        .select_related("organisation__district", "review_summary")
        .order_by("pk")
    )


def submitted_scores(*, call: Call) -> dict[str, list[scoring.Score]]:
    """{round: [Score]} of the call's current submitted sheets (one query).

    A sheet counts while it is the current version, submitted, and its assignment still stands as
    submitted: a reviewer correcting their scores, removed, or conflicted out (declared, or
    found later and entered in the conflict register) does not count.
    """
    # A conflict that came to light after the reviewer submitted (it is in the register) takes
    # their score out of the ranking too.
    conflicted = ConflictRecord.objects.filter(
        reviewer_id=OuterRef("assignment__reviewer_id"),
        application_id=OuterRef("assignment__application_id"),
    )
    rows = ScoreSheet.objects.filter(
        ~Exists(conflicted),
        assignment__application__call=call,
        assignment__application__state__in=RANKED_STATES,
        assignment__state=AssignmentState.SUBMITTED,
        status=SheetStatus.SUBMITTED,
        is_current=True,
        total__isnull=False,
    ).values_list(
        "assignment__reviewer_id", "assignment__application_id", "assignment__round", "total"
    )
    result: dict[str, list[scoring.Score]] = defaultdict(list)
    for reviewer_id, application_id, round_, total in rows:
        result[round_].append(scoring.Score(reviewer_id, application_id, total))
    return result


def call_weights(call: Call) -> scoring.Weights:
    return scoring.Weights(
        expert_percent=call.expert_weight_percent,
        pitch_percent=call.pitch_weight_percent if call.has_defense else 0,
    )


def effective_theme(application: Application, call: Call) -> str:
    """The project's theme; in a call with one theme the applicant chooses none, so it is that one."""
    if application.theme:
        return application.theme
    return call.themes[0] if len(call.themes or []) == 1 else ""


def _summary(application: Application) -> ReviewSummary | None:
    try:
        return application.review_summary
    except ReviewSummary.DoesNotExist:
        return None


@dataclass
class Row:
    """One line of the ranking page and of the summary workbook."""

    application: Application
    summary: ReviewSummary | None
    ranking: scoring.RankingRow
    outcome: rec.Outcome | None  # None: not part of the recommendation (in review, rejected)
    theme: str
    outlier_names: list[str]
    pitch_outlier_names: list[str]

    @property
    def final(self) -> Decimal | None:
        return self.ranking.final

    @property
    def theme_label(self) -> str:
        return str(Theme(self.theme).label) if self.theme in Theme.values else ""

    @property
    def overridden(self) -> bool:
        return self.summary is not None and self.summary.override_recommended is not None

    @property
    def pending(self) -> bool:
        """The preview differs from the application's state: recommending would change it."""
        if self.outcome is None or self.application.state not in DECIDABLE_STATES:
            return False
        target = S.RECOMMENDED if self.outcome.recommended else S.NOT_RECOMMENDED
        return self.application.state != target

    @property
    def method_cells(self) -> list[tuple[str, Decimal | None, int | None]]:
        return [
            (method, self.ranking.finals[method], self.ranking.ranks[method])
            for method in scoring.METHODS
        ]


@dataclass
class QuotaLine:
    label: str
    quota: rec.Quota


@dataclass
class CallRanking:
    call: Call
    method: str
    weights: scoring.Weights
    rows: list[Row]
    recommendation: rec.Recommendation
    reviewer_names: dict[int, str]
    quota_lines: list[QuotaLine] = field(default_factory=list)

    @property
    def has_pitch(self) -> bool:
        return self.weights.pitch_percent > 0

    @property
    def under_review(self) -> list[Row]:
        return [row for row in self.rows if row.application.state in UNDER_REVIEW_STATES]

    @property
    def decidable(self) -> list[Row]:
        return [row for row in self.rows if row.application.state in DECIDABLE_STATES]

    @property
    def pending(self) -> bool:
        return any(row.pending for row in self.rows)

    @property
    def max_move(self) -> int:
        return max((row.ranking.move for row in self.rows), default=0)

    @property
    def recommended_count(self) -> int:
        return sum(1 for row in self.rows if row.outcome and row.outcome.recommended)


def call_ranking(
    *, call: Call, method: str | None = None, applications: Iterable[Application] | None = None
) -> CallRanking:
    """Rank ``call``'s applications under ``method`` (default: the call's) and preview the
    recommendation within the budget and quotas, honouring the officer's overrides.

    ``applications`` lets ``recommend_call`` pass the rows it has locked (from
    ``ranked_applications``); otherwise they are read here.
    """
    method = method if method in scoring.METHODS else call.aggregation_method
    applications = list(ranked_applications(call=call) if applications is None else applications)
    by_pk = {application.pk: application for application in applications}
    scores = submitted_scores(call=call)
    weights = call_weights(call)
    summaries = {pk: _summary(application) for pk, application in by_pk.items()}
    adjustments = {
        pk: scoring.Adjustment(public=summary.public_score, bonus=summary.bonus_points)
        for pk, summary in summaries.items()
        if summary is not None
    }
    ranking = scoring.rank_call(
        written=[
            score for score in scores.get(ReviewRound.WRITTEN, []) if score.application_id in by_pk
        ],
        pitch=[
            score for score in scores.get(ReviewRound.PITCH, []) if score.application_id in by_pk
        ],
        application_ids=list(by_pk),
        method=method,
        weights=weights,
        adjustments=adjustments,
    )
    themes = {pk: effective_theme(application, call) for pk, application in by_pk.items()}
    candidates = []
    for row in ranking.rows:
        application = by_pk[row.application_id]
        if application.state not in (*DECIDABLE_STATES, *COMMITTED_STATES):
            continue
        summary = summaries[row.application_id]
        candidates.append(
            rec.Candidate(
                application_id=row.application_id,
                amount=application.requested_amount,
                score=row.final,
                theme=themes[row.application_id],
                district_id=application.organisation.district_id,
                override=summary.override_recommended if summary else None,
                committed=application.state in COMMITTED_STATES,
            )
        )
    recommendation = rec.recommend(
        candidates,
        budget=call.budget,
        theme_quotas=call.theme_quotas,
        district_quotas=call.district_quotas,
    )
    reviewer_ids = {score.reviewer_id for round_scores in scores.values() for score in round_scores}
    names = {
        user.pk: str(user)
        for user in User.objects.filter(pk__in=reviewer_ids).only(
            "pk", "display_name", "first_name", "last_name", "username"
        )
    } if reviewer_ids else {}  # fmt: skip
    rows = [
        Row(
            application=by_pk[row.application_id],
            summary=summaries[row.application_id],
            ranking=row,
            outcome=recommendation.outcomes.get(row.application_id),
            theme=themes[row.application_id],
            outlier_names=sorted(names.get(pk, "") for pk in row.written.outliers),
            pitch_outlier_names=sorted(names.get(pk, "") for pk in row.pitch.outliers)
            if row.pitch
            else [],
        )
        for row in ranking.rows
    ]
    district_names = {
        str(application.organisation.district_id): application.organisation.district.name
        for application in applications
        if application.organisation.district_id
    }
    quota_lines = [
        QuotaLine(str(Theme(key).label) if key in Theme.values else key, quota)
        for key, quota in recommendation.theme_quotas.items()
    ] + [
        QuotaLine(district_names.get(key, key), quota)
        for key, quota in recommendation.district_quotas.items()
    ]
    return CallRanking(
        call=call,
        method=method,
        weights=weights,
        rows=rows,
        recommendation=recommendation,
        reviewer_names=names,
        quota_lines=quota_lines,
    )


# --- Score sheets per reviewer (Excel) ------------------------------------------------------------


@dataclass
class ReviewerSheet:
    """One reviewer's current submitted scores in one round: criteria × applications."""

    reviewer: User
    round: str
    applications: list[Application]
    scores: dict[tuple[int, int], Decimal]  # (application id, criterion id) → score
    totals: dict[int, Decimal]
    comments: dict[int, str]


def reviewer_sheets(*, call: Call) -> tuple[list[RubricCriterion], list[ReviewerSheet]]:
    """The rubric and every reviewer's submitted sheets for ``call`` (three queries)."""
    criteria = list(RubricCriterion.objects.filter(call=call).order_by("position", "pk"))
    sheets = (
        ScoreSheet.objects.filter(
            assignment__application__call=call,
            assignment__application__state__in=RANKED_STATES,
            assignment__state=AssignmentState.SUBMITTED,
            status=SheetStatus.SUBMITTED,
            is_current=True,
        )
        .select_related("assignment__reviewer", "assignment__application")
        .prefetch_related(Prefetch("scores", queryset=CriterionScore.objects.order_by()))
        .order_by("assignment__reviewer_id", "assignment__round", "assignment__application_id")
    )
    grouped: dict[tuple[int, str], ReviewerSheet] = {}
    for sheet in sheets:
        assignment = sheet.assignment
        key = (assignment.reviewer_id, assignment.round)
        if key not in grouped:
            grouped[key] = ReviewerSheet(
                reviewer=assignment.reviewer,
                round=assignment.round,
                applications=[],
                scores={},
                totals={},
                comments={},
            )
        entry = grouped[key]
        entry.applications.append(assignment.application)
        entry.totals[assignment.application_id] = sheet.total
        entry.comments[assignment.application_id] = sheet.comment
        for score in sheet.scores.all():
            entry.scores[(assignment.application_id, score.criterion_id)] = score.score
    ordered = sorted(
        grouped.values(),
        key=lambda entry: (
            str(entry.reviewer),
            entry.reviewer.pk,
            entry.round != ReviewRound.WRITTEN,
        ),
    )
    return criteria, ordered
