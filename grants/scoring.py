"""Aggregation and ranking of expert scores: pure functions, no database.

Everything here works on plain values (reviewer id, application id, Decimal totals on a 0–100 scale),
so each rule can be pinned by worked examples. ``grants.services.ranking`` feeds it from the
database and stores the results.

Decisions, in the order a score travels:

* **Arithmetic** is ``Decimal`` throughout, in a fixed context (28 digits), and each published
  figure is rounded once, at the end, to 2 places with ROUND_HALF_UP (z to 3 places): rounding
  intermediate values would let the order of operations change a rank.
* **Methods** (per call and round, ``Call.aggregation_method``):
  ``mean``; ``median`` (mean of the two middle scores for an even count); ``trimmed_mean`` drops ONE
  highest and ONE lowest score only when there are at least 5, otherwise it is the plain mean and
  the page says so (``ApplicationScores.trimmed``); ``z_score`` standardises every score by its
  reviewer's own mean and population standard deviation over all their scores in the call and round
  (a reviewer with one score, or who gave everyone the same score, contributes z = 0), averages the
  z of an application and shows it as a **T-score, 50 + 10·z**, so it reads on the same 100-point
  scale as the others and can be weighted with the public score and bonus points. The T-score is the
  value ranked and combined.
* **Missing scores**: an application without a submitted sheet has no score (``None``); it is ranked
  after every scored application and has no rank number.
* **Combination**: with a live pitch, expert = written × (100 − p)% + pitch × p% where p is the
  call's pitch share (an application scored in only one of the two rounds has no expert score);
  final = expert × e% + public × (100 − e)% where e is the expert share (no public score needed when
  e = 100; when e < 100 a missing public score leaves the final score empty); then the bonus points
  are added and the final score is **capped at 100** so that it stays on the 100-point scale.
* **Ranks** are competition ranks ("1224"): equal final scores share a rank and the next rank skips.
  Within a tie the rows are listed by higher uncapped total (bonus points beyond 100), then higher
  median of the written scores, then the lower application id (the earlier reference number).
* **Agreement**: the spread of an application's scores (max − min, population sd) is flagged above
  20 points; a reviewer's score is an outlier when it lies more than 15 points from the panel's
  median, or when the reviewer's z for it lies more than 2 from the panel's median z (the reviewer
  judged the application very differently *relative to their own habits*; a raw |z| > 2 would flag
  every reviewer of the best application).
* **Recommendation** within the budget and quotas, down the ranking: ``grants.recommendation``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

from django.utils.translation import gettext_lazy as _

from grants.enums import AggregationMethod

MEAN = AggregationMethod.MEAN.value
MEDIAN = AggregationMethod.MEDIAN.value
TRIMMED_MEAN = AggregationMethod.TRIMMED_MEAN.value
Z_SCORE = AggregationMethod.Z_SCORE.value
METHODS = (MEAN, MEDIAN, TRIMMED_MEAN, Z_SCORE)

METHOD_EXPLANATIONS = {
    MEAN: _("The average of all the experts' scores for the application."),
    MEDIAN: _(
        "The middle score when the experts' scores are put in order (with an even number of "
        "scores, the average of the two in the middle). One very high or very low score hardly "
        "moves it."
    ),
    TRIMMED_MEAN: _(
        "The highest and the lowest score are dropped and the rest averaged (去掉一个最高分和一个"
        "最低分). Only when an application has at least 5 scores; with fewer it is the plain average."
    ),
    Z_SCORE: _(
        "Each expert's scores are first compared with that expert's own average and spread over "
        "the whole call, so that a strict expert and a generous one weigh the same. The result is "
        "shown on a 100-point scale as 50 + 10 × z: 50 is an average application, 60 is one "
        "standard deviation above average."
    ),
}

TRIM_MINIMUM = 5  # scores needed before the highest and lowest are dropped
SPREAD_LIMIT = Decimal("20")  # max − min above this: the panel disagrees
OUTLIER_POINTS = Decimal("15")  # a score this far from the panel's median is an outlier
OUTLIER_Z = Decimal("2")  # a reviewer's z this far from the panel's median z is an outlier
SCORE_CAP = Decimal("100")

CENT = Decimal("0.01")
MILLI = Decimal("0.001")
ZERO = Decimal("0")
HUNDRED = Decimal("100")
# Intermediate arithmetic, independent of whatever the caller's decimal context is.
_CONTEXT = Context(prec=28)


def round2(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT, rounding=ROUND_HALF_UP)


def round3(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(MILLI, rounding=ROUND_HALF_UP)


# --- Basic statistics (unrounded) ---------------------------------------------------------------


def _mean(values: Sequence[Decimal]) -> Decimal:
    with localcontext(_CONTEXT):
        return sum(values, ZERO) / len(values)


def _median(values: Sequence[Decimal]) -> Decimal:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    with localcontext(_CONTEXT):
        return (ordered[middle - 1] + ordered[middle]) / 2


def _trimmed(values: Sequence[Decimal]) -> tuple[Decimal, bool]:
    """(trimmed mean, whether anything was dropped): ONE highest and ONE lowest, from 5 scores."""
    if len(values) < TRIM_MINIMUM:
        return _mean(values), False
    return _mean(sorted(values)[1:-1]), True


def _population_sd(values: Sequence[Decimal]) -> Decimal:
    with localcontext(_CONTEXT):
        mean = _mean(values)
        return (sum(((value - mean) ** 2 for value in values), ZERO) / len(values)).sqrt()


# --- One round of scores ------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """One submitted score sheet: a reviewer's total (0–100) for an application."""

    reviewer_id: int
    application_id: int
    total: Decimal


@dataclass(frozen=True)
class ApplicationScores:
    """Every aggregate of one application's scores in one round, rounded for display."""

    application_id: int
    by_reviewer: Mapping[int, Decimal]
    z_by_reviewer: Mapping[int, Decimal]  # rounded to 3 places
    mean: Decimal | None = None
    median: Decimal | None = None
    trimmed_mean: Decimal | None = None
    trimmed: bool = False  # the highest and lowest were dropped (at least 5 scores)
    z: Decimal | None = None  # mean z, 3 places
    t_score: Decimal | None = None  # 50 + 10·z, 2 places
    spread: Decimal | None = None  # max − min
    sd: Decimal | None = None  # population standard deviation
    outliers: frozenset[int] = frozenset()  # reviewer ids

    @property
    def count(self) -> int:
        return len(self.by_reviewer)

    @property
    def wide_spread(self) -> bool:
        return self.spread is not None and self.spread > SPREAD_LIMIT

    def value(self, method: str) -> Decimal | None:
        """The score ``method`` ranks by (the T-score for the z-score method)."""
        return {
            MEAN: self.mean,
            MEDIAN: self.median,
            TRIMMED_MEAN: self.trimmed_mean,
            Z_SCORE: self.t_score,
        }[method]


def _normalise(scores: Iterable) -> list[Score]:
    rows = []
    seen = set()
    for row in scores:
        score = row if isinstance(row, Score) else Score(*row)
        total = Decimal(score.total)
        if not (ZERO <= total <= HUNDRED):
            raise ValueError(f"A total must be between 0 and 100, not {total}.")
        key = (score.reviewer_id, score.application_id)
        if key in seen:
            raise ValueError(f"Reviewer {key[0]} scored application {key[1]} twice.")
        seen.add(key)
        rows.append(Score(score.reviewer_id, score.application_id, total))
    return rows


def reviewer_z_scores(scores: Iterable) -> dict[tuple[int, int], Decimal]:
    """{(reviewer id, application id): z} with each reviewer's mean and population sd (unrounded).

    A reviewer with a single score or with no spread says nothing about relative quality: z = 0.
    """
    by_reviewer: dict[int, list[Score]] = defaultdict(list)
    for score in _normalise(scores):
        by_reviewer[score.reviewer_id].append(score)
    result = {}
    with localcontext(_CONTEXT):
        for reviewer_id, rows in by_reviewer.items():
            totals = [row.total for row in rows]
            mean, sd = _mean(totals), _population_sd(totals)
            for row in rows:
                z = ZERO if len(rows) < 2 or sd == 0 else (row.total - mean) / sd
                result[(reviewer_id, row.application_id)] = z
    return result


def aggregate_round(
    scores: Iterable, *, application_ids: Iterable[int] = ()
) -> dict[int, ApplicationScores]:
    """All aggregates of one call's round, per application.

    ``scores`` are ``Score`` or (reviewer id, application id, total) tuples, one per reviewer and
    application. ``application_ids`` adds applications with no score at all (all values ``None``).
    """
    rows = _normalise(scores)
    z_scores = reviewer_z_scores(rows)
    per_application: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for row in rows:
        per_application[row.application_id][row.reviewer_id] = row.total
    result = {
        pk: ApplicationScores(application_id=pk, by_reviewer={}, z_by_reviewer={})
        for pk in application_ids
    }
    with localcontext(_CONTEXT):
        for pk, by_reviewer in per_application.items():
            totals = list(by_reviewer.values())
            zs = {reviewer: z_scores[(reviewer, pk)] for reviewer in by_reviewer}
            mean_z = _mean(list(zs.values()))
            median = _median(totals)
            median_z = _median(list(zs.values()))
            trimmed_mean, trimmed = _trimmed(totals)
            outliers = frozenset(
                reviewer
                for reviewer, total in by_reviewer.items()
                if abs(total - median) > OUTLIER_POINTS or abs(zs[reviewer] - median_z) > OUTLIER_Z
            )
            result[pk] = ApplicationScores(
                application_id=pk,
                by_reviewer=dict(by_reviewer),
                z_by_reviewer={reviewer: round3(z) for reviewer, z in zs.items()},
                mean=round2(_mean(totals)),
                median=round2(median),
                trimmed_mean=round2(trimmed_mean),
                trimmed=trimmed,
                z=round3(mean_z),
                t_score=round2(50 + 10 * mean_z),
                spread=round2(max(totals) - min(totals)),
                sd=round2(_population_sd(totals)),
                outliers=outliers,
            )
    return result


# --- Final score --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Weights:
    """A call's weighting: expert share of the final score, pitch share of the expert score."""

    expert_percent: int = 100
    pitch_percent: int = 0  # 0 when the call has no live pitch

    def __post_init__(self):
        for name in ("expert_percent", "pitch_percent"):
            if not 0 <= getattr(self, name) <= 100:
                raise ValueError(f"{name} must be between 0 and 100.")

    @property
    def public_percent(self) -> int:
        return 100 - self.expert_percent


@dataclass(frozen=True)
class Combined:
    expert: Decimal | None  # rounded
    final: Decimal | None  # rounded, capped at 100
    uncapped: Decimal | None  # rounded, before the cap (orders ties at 100)


def combine(
    *,
    written: Decimal | None,
    pitch: Decimal | None = None,
    public: Decimal | None = None,
    bonus: Decimal | None = None,
    weights: Weights = Weights(),
) -> Combined:
    """Weight the rounds and the public score, add the bonus, cap at 100; round once at the end."""
    with localcontext(_CONTEXT):
        p = Decimal(weights.pitch_percent)
        if p == 0:
            expert = written
        elif p == HUNDRED:
            expert = pitch
        elif written is None or pitch is None:
            expert = None
        else:
            expert = (written * (HUNDRED - p) + pitch * p) / HUNDRED
        if expert is None:
            return Combined(None, None, None)
        e = Decimal(weights.expert_percent)
        if e == HUNDRED:
            total = expert
        elif public is None:
            return Combined(round2(expert), None, None)
        else:
            total = (expert * e + public * (HUNDRED - e)) / HUNDRED
        total += bonus or ZERO
        return Combined(
            expert=round2(expert),
            final=round2(min(max(total, ZERO), SCORE_CAP)),
            uncapped=round2(total),
        )


# --- Ranking ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    application_id: int
    score: Decimal | None
    rank: int | None  # competition rank; None without a score
    position: int  # 1, 2, 3 … in the listed order


def _higher_first(value: Decimal | None) -> tuple:
    # None sorts after every number; negated numbers sort the highest first.
    return (1, ZERO) if value is None else (0, -value)


def rank(
    scores: Mapping[int, Decimal | None],
    *,
    tiebreak: Mapping[int, Sequence[Decimal | None]] | None = None,
) -> list[Ranked]:
    """Competition ranking ("1224") by score, highest first; unscored applications last, unranked.

    ``tiebreak`` gives, per application, values compared highest first only to order rows that
    share a score (the rank stays shared); the lower application id comes last as the final key.
    """
    tiebreak = tiebreak or {}

    def key(pk):
        return (
            _higher_first(scores[pk]),
            tuple(_higher_first(value) for value in tiebreak.get(pk, ())),
            pk,
        )

    ordered = sorted(scores, key=key)
    result = []
    for position, pk in enumerate(ordered, start=1):
        score = scores[pk]
        if score is None:
            place = None
        elif result and result[-1].score == score:
            place = result[-1].rank
        else:
            place = position
        result.append(Ranked(pk, score, place, position))
    return result


@dataclass(frozen=True)
class SensitivityRow:
    application_id: int
    ranks: Mapping[str, int | None]  # method → rank
    move: int  # largest rank − smallest rank over the methods
    largest: bool  # this row moves the most in the table (and moves at all)


def sensitivity(rankings: Mapping[str, Sequence[Ranked]]) -> list[SensitivityRow]:
    """Each application's rank under each method, side by side, in the order of the first ranking."""
    methods = list(rankings)
    if not methods:
        return []
    ranks = {
        method: {row.application_id: row.rank for row in rankings[method]} for method in methods
    }
    moves = {}
    for row in rankings[methods[0]]:
        known = [ranks[method][row.application_id] for method in methods]
        known = [value for value in known if value is not None]
        moves[row.application_id] = max(known) - min(known) if known else 0
    largest = max(moves.values(), default=0)
    return [
        SensitivityRow(
            application_id=row.application_id,
            ranks={method: ranks[method][row.application_id] for method in methods},
            move=moves[row.application_id],
            largest=largest > 0 and moves[row.application_id] == largest,
        )
        for row in rankings[methods[0]]
    ]


# --- One call, all of it ------------------------------------------------------------------------


@dataclass(frozen=True)
class Adjustment:
    """The officer's inputs for one application: public score and bonus points."""

    public: Decimal | None = None
    bonus: Decimal = ZERO


@dataclass(frozen=True)
class RankingRow:
    application_id: int
    rank: int | None
    position: int
    written: ApplicationScores
    pitch: ApplicationScores | None
    combined: Combined  # under the selected method
    finals: Mapping[str, Decimal | None]  # final score under each method
    ranks: Mapping[str, int | None]  # rank under each method
    move: int
    largest_move: bool

    @property
    def final(self) -> Decimal | None:
        return self.combined.final

    @property
    def flagged(self) -> bool:
        rounds = [self.written] + ([self.pitch] if self.pitch else [])
        return any(r.wide_spread or r.outliers for r in rounds)


@dataclass(frozen=True)
class CallRanking:
    method: str
    rows: list[RankingRow]  # in rank order under ``method``
    weights: Weights

    @property
    def max_move(self) -> int:
        return max((row.move for row in self.rows), default=0)


def rank_call(
    *,
    written: Iterable,
    application_ids: Iterable[int],
    method: str,
    weights: Weights = Weights(),
    pitch: Iterable = (),
    adjustments: Mapping[int, Adjustment] | None = None,
) -> CallRanking:
    """Aggregate both rounds under every method, combine, rank, and compare the methods.

    ``written`` / ``pitch`` are the submitted scores of the call's rounds; ``application_ids`` the
    applications to rank (those without scores are listed last); ``adjustments`` the officer's
    public scores and bonus points.
    """
    if method not in METHODS:
        raise ValueError(f"Unknown aggregation method {method!r}.")
    application_ids = list(dict.fromkeys(application_ids))
    adjustments = adjustments or {}
    written_scores = aggregate_round(written, application_ids=application_ids)
    has_pitch = weights.pitch_percent > 0
    pitch_scores = aggregate_round(pitch, application_ids=application_ids) if has_pitch else {}
    combined: dict[str, dict[int, Combined]] = {}
    rankings: dict[str, list[Ranked]] = {}
    # The selected method first: the sensitivity rows then come in its order.
    for name in (method, *(m for m in METHODS if m != method)):
        combined[name] = {}
        for pk in application_ids:
            adjustment = adjustments.get(pk, Adjustment())
            combined[name][pk] = combine(
                written=written_scores[pk].value(name),
                pitch=pitch_scores[pk].value(name) if has_pitch else None,
                public=adjustment.public,
                bonus=adjustment.bonus,
                weights=weights,
            )
        rankings[name] = rank(
            {pk: result.final for pk, result in combined[name].items()},
            tiebreak={
                pk: (result.uncapped, written_scores[pk].median)
                for pk, result in combined[name].items()
            },
        )
    table = {row.application_id: row for row in sensitivity(rankings)}
    rows = [
        RankingRow(
            application_id=ranked.application_id,
            rank=ranked.rank,
            position=ranked.position,
            written=written_scores[ranked.application_id],
            pitch=pitch_scores.get(ranked.application_id),
            combined=combined[method][ranked.application_id],
            finals={m: combined[m][ranked.application_id].final for m in METHODS},
            ranks={m: table[ranked.application_id].ranks[m] for m in METHODS},
            move=table[ranked.application_id].move,
            largest_move=table[ranked.application_id].largest,
        )
        for ranked in rankings[method]
    ]
    return CallRanking(method=method, rows=rows, weights=weights)
