"""Aggregation, ranking and recommendation pinned on worked examples computed by hand.

Every expected value is worked out in the comments next to it, so a reader can check the rule
without running the code.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from grants import recommendation as r
from grants import scoring as s
from grants.recommendation import Candidate, Reason
from grants.scoring import Adjustment, Weights


def one_panel(*totals, application_id=1):
    """Reviewers 1, 2, 3 … scoring one application."""
    return [(reviewer, application_id, D(str(total))) for reviewer, total in enumerate(totals, 1)]


# --- Mean, median, trimmed mean -----------------------------------------------------------------


def test_five_scores_every_method_and_agreement():
    # given 5 reviewers: 62, 71, 80, 88, 99.5
    result = s.aggregate_round(one_panel(62, 71, 80, 88, "99.5"))[1]

    # mean: (62 + 71 + 80 + 88 + 99.5) / 5 = 400.5 / 5 = 80.10
    assert result.mean == D("80.10")
    # median: the 3rd of 5 sorted scores = 80
    assert result.median == D("80.00")
    # trimmed: drop 62 and 99.5 → (71 + 80 + 88) / 3 = 239 / 3 = 79.666… → 79.67
    assert result.trimmed_mean == D("79.67")
    assert result.trimmed is True
    # spread: 99.5 − 62 = 37.5 > 20 → the panel disagrees
    assert result.spread == D("37.50")
    assert result.wide_spread is True
    # population sd: deviations from 80.1 are −18.1, −9.1, −0.1, 7.9, 19.4;
    # squares 327.61 + 82.81 + 0.01 + 62.41 + 376.36 = 849.2; / 5 = 169.84; √169.84 = 13.032… → 13.03
    assert result.sd == D("13.03")
    # outliers: |62 − 80| = 18 > 15 and |99.5 − 80| = 19.5 > 15; |71 − 80| = 9, |88 − 80| = 8 are not
    assert result.outliers == {1, 5}
    # each reviewer scored one application only: z = 0 for all, T = 50 + 10 × 0 = 50
    assert result.z == D("0.000")
    assert result.t_score == D("50.00")
    assert result.count == 5


def test_trimmed_mean_with_fewer_than_five_scores_is_the_plain_mean():
    # 4 scores: 70, 80, 85, 90 → nothing dropped; (70 + 80 + 85 + 90) / 4 = 325 / 4 = 81.25
    result = s.aggregate_round(one_panel(70, 80, 85, 90))[1]
    assert result.trimmed_mean == result.mean == D("81.25")
    assert result.trimmed is False
    # median of an even count: (80 + 85) / 2 = 82.50
    assert result.median == D("82.50")


def test_trimmed_mean_drops_only_one_highest_and_one_lowest():
    # 60, 60, 80, 90, 90: ONE 60 and ONE 90 go → (60 + 80 + 90) / 3 = 230 / 3 = 76.666… → 76.67
    result = s.aggregate_round(one_panel(60, 60, 80, 90, 90))[1]
    assert result.trimmed_mean == D("76.67")
    # mean: 380 / 5 = 76.00
    assert result.mean == D("76.00")


def test_trimmed_mean_of_six_scores_keeps_four():
    # 50, 70, 75, 80, 85, 100 → drop 50 and 100 → (70 + 75 + 80 + 85) / 4 = 310 / 4 = 77.50
    result = s.aggregate_round(one_panel(50, 70, 75, 80, 85, 100))[1]
    assert result.trimmed_mean == D("77.50")
    # mean: 460 / 6 = 76.666… → 76.67; median: (75 + 80) / 2 = 77.50
    assert result.mean == D("76.67")
    assert result.median == D("77.50")


def test_rounding_is_half_up_to_two_places():
    # (80.01 + 80.04) / 2 = 80.025 → 80.03 (banker's rounding would give 80.02)
    assert s.aggregate_round(one_panel("80.01", "80.04"))[1].mean == D("80.03")
    # (80.00 + 80.01 + 80.02 + 80.03) / 4 = 80.015 → 80.02
    assert s.aggregate_round(one_panel("80.00", "80.01", "80.02", "80.03"))[1].mean == D("80.02")


def test_single_score():
    result = s.aggregate_round(one_panel(73))[1]
    assert (result.mean, result.median, result.trimmed_mean) == (D("73.00"),) * 3
    assert (result.spread, result.sd, result.outliers) == (D("0.00"), D("0.00"), frozenset())


def test_application_without_scores_has_none_everywhere():
    result = s.aggregate_round(one_panel(80), application_ids=[1, 2])
    missing = result[2]
    assert missing.count == 0
    for method in s.METHODS:
        assert missing.value(method) is None
    assert missing.spread is None and missing.wide_spread is False


def test_totals_outside_0_to_100_or_duplicates_are_refused():
    with pytest.raises(ValueError):
        s.aggregate_round([(1, 1, D("100.5"))])
    with pytest.raises(ValueError):
        s.aggregate_round([(1, 1, D("80")), (1, 1, D("70"))])


# --- Z-scores -----------------------------------------------------------------------------------


def strict_and_generous():
    # reviewer 10 is strict: 60, 70, 80; reviewer 11 is generous: 85, 95, 90
    return [
        (10, 1, D("60")), (10, 2, D("70")), (10, 3, D("80")),
        (11, 1, D("85")), (11, 2, D("95")), (11, 3, D("90")),
    ]  # fmt: skip


def test_z_score_standardises_each_reviewer():
    result = s.aggregate_round(strict_and_generous())
    # reviewer 10: mean 70, population sd √((100 + 0 + 100) / 3) = √66.67 = 8.165
    #   z = −10 / 8.165 = −1.2247, 0, +1.2247
    # reviewer 11: mean 90, sd √((25 + 25 + 0) / 3) = √16.67 = 4.082
    #   z = −5 / 4.082 = −1.2247, +1.2247, 0
    assert result[1].z_by_reviewer == {10: D("-1.225"), 11: D("-1.225")}
    assert result[2].z_by_reviewer == {10: D("0.000"), 11: D("1.225")}
    # application 1: mean z = −1.2247 → T = 50 − 12.247 = 37.753 → 37.75
    assert (result[1].z, result[1].t_score) == (D("-1.225"), D("37.75"))
    # applications 2 and 3: mean z = (0 + 1.2247) / 2 = 0.6124 → T = 56.124 → 56.12 each
    assert (result[2].z, result[2].t_score) == (D("0.612"), D("56.12"))
    assert result[3].t_score == D("56.12")
    # the plain mean ranks them differently: 72.50, 82.50, 85.00
    assert [result[pk].mean for pk in (1, 2, 3)] == [D("72.50"), D("82.50"), D("85.00")]


def test_reviewer_with_one_score_or_no_spread_contributes_zero():
    scores = [
        (1, 1, D("90")), (1, 2, D("70")),  # reviewer 1: mean 80, sd 10 → z +1, −1
        (2, 1, D("75")), (2, 2, D("75")),  # reviewer 2: no spread → z 0, 0
        (3, 1, D("40")),  # reviewer 3: a single score → z 0
    ]  # fmt: skip
    result = s.aggregate_round(scores)
    assert result[1].z_by_reviewer == {1: D("1.000"), 2: D("0.000"), 3: D("0.000")}
    # application 1: (1 + 0 + 0) / 3 = 0.333 → T = 53.33; application 2: (−1 + 0) / 2 → T = 45.00
    assert result[1].t_score == D("53.33")
    assert result[2].t_score == D("45.00")


def test_outlier_by_z_although_within_15_points():
    # Reviewers A and B give 50, 60, 70, 80; reviewer C gives 62, 60, 58, 56 (the reverse order).
    # A, B: mean 65, sd √((225 + 25 + 25 + 225) / 4) = √125 = 11.18 → z −1.342, −0.447, 0.447, 1.342
    # C:    mean 59, sd √((9 + 1 + 1 + 9) / 4) = √5 = 2.236      → z 1.342, 0.447, −0.447, −1.342
    scores = []
    for reviewer in "AB":
        scores += [
            (reviewer, pk, D(total))
            for pk, total in zip((1, 2, 3, 4), (50, 60, 70, 80), strict=True)
        ]
    scores += [
        ("C", pk, D(total)) for pk, total in zip((1, 2, 3, 4), (62, 60, 58, 56), strict=True)
    ]
    result = s.aggregate_round(scores)
    # application 1: 50, 50, 62 → |62 − 50| = 12 ≤ 15, but C's z 1.342 is 2.683 from the median z
    # −1.342 (> 2): C judged it very differently from their own habit → outlier
    assert result[1].outliers == {"C"}
    assert result[1].wide_spread is False  # 62 − 50 = 12
    # application 2: 60, 60, 60 → z −0.447, −0.447, +0.447 → 0.894 from the median: no outlier
    assert result[2].outliers == frozenset()
    # application 4: 80, 80, 56 → |56 − 80| = 24 > 15 → outlier; spread 24 > 20 → wide
    assert result[4].outliers == {"C"}
    assert result[4].wide_spread is True


# --- Combining rounds, public score and bonus ---------------------------------------------------


def test_expert_only_by_default():
    combined = s.combine(written=D("85.17"))
    assert (combined.expert, combined.final, combined.uncapped) == (D("85.17"),) * 3


def test_expert_public_seven_to_three():
    # 85.17 × 70% + 90 × 30% = 59.619 + 27 = 86.619 → 86.62
    combined = s.combine(written=D("85.17"), public=D("90"), weights=Weights(expert_percent=70))
    assert combined.final == D("86.62")
    assert combined.expert == D("85.17")


def test_missing_public_score_leaves_the_final_score_empty_when_it_counts():
    combined = s.combine(written=D("80"), public=None, weights=Weights(expert_percent=70))
    assert combined.expert == D("80.00")
    assert combined.final is None


def test_pitch_round_weighting():
    # pitch share 40%: 80 × 60% + 90 × 40% = 48 + 36 = 84.00
    weights = Weights(pitch_percent=40)
    assert s.combine(written=D("80"), pitch=D("90"), weights=weights).final == D("84.00")
    # scored in only one round: no expert score
    assert s.combine(written=D("80"), pitch=None, weights=weights).final is None
    # pitch 100%: the written score does not count
    assert s.combine(written=None, pitch=D("88"), weights=Weights(pitch_percent=100)).final == D(
        "88.00"
    )


def test_pitch_public_and_bonus_together():
    # expert = 78.5 × 50% + 91 × 50% = 84.75; final = 84.75 × 70% + 60 × 30% + 2
    #        = 59.325 + 18 + 2 = 79.325 → 79.33
    combined = s.combine(
        written=D("78.5"),
        pitch=D("91"),
        public=D("60"),
        bonus=D("2"),
        weights=Weights(expert_percent=70, pitch_percent=50),
    )
    assert (combined.expert, combined.final) == (D("84.75"), D("79.33"))


def test_bonus_is_capped_at_100():
    # 97 + 5 = 102 → 100, the uncapped 102 still orders ties
    combined = s.combine(written=D("97"), bonus=D("5"))
    assert (combined.final, combined.uncapped) == (D("100.00"), D("102.00"))


def test_weights_outside_0_to_100_are_refused():
    with pytest.raises(ValueError):
        Weights(expert_percent=120)


# --- Ranking ------------------------------------------------------------------------------------


def test_competition_ranking_with_ties_and_missing_scores():
    scores = {1: D("90"), 2: D("85"), 3: D("85"), 4: D("80"), 5: None, 6: D("85")}
    ranked = s.rank(scores)
    # 90 → 1; three at 85 share 2; 80 → 5 (1224 style: 2, 2, 2 then 5); no score → unranked, last
    assert [(row.application_id, row.rank) for row in ranked] == [
        (1, 1), (2, 2), (3, 2), (6, 2), (4, 5), (5, None),
    ]  # fmt: skip
    assert [row.position for row in ranked] == [1, 2, 3, 4, 5, 6]


def test_ties_are_ordered_by_the_tiebreak_then_the_lower_id():
    scores = {7: D("85"), 3: D("85"), 5: D("85")}
    # higher median first: 5 (88) then 7 (86); 3 has no median → after them
    ranked = s.rank(scores, tiebreak={7: (D("86"),), 5: (D("88"),), 3: (None,)})
    assert [row.application_id for row in ranked] == [5, 7, 3]
    assert {row.rank for row in ranked} == {1}
    # without a tiebreak, the lower id (earlier reference) first
    assert [row.application_id for row in s.rank(scores)] == [3, 5, 7]


def test_everybody_missing():
    ranked = s.rank({2: None, 1: None})
    assert [(row.application_id, row.rank) for row in ranked] == [(1, None), (2, None)]


# --- A whole call: sensitivity ------------------------------------------------------------------


def outlier_call():
    # X: four reviewers give 90, one gives 20; Y: everyone 82; W: everyone 50.
    scores = [(r, "X", D("90")) for r in range(1, 5)] + [(5, "X", D("20"))]
    scores += [(r, "Y", D("82")) for r in range(1, 6)]
    scores += [(r, "W", D("50")) for r in range(1, 6)]
    return scores


def test_sensitivity_table_shows_how_the_method_moves_ranks():
    ranking = s.rank_call(
        written=outlier_call(), application_ids=["X", "Y", "W"], method=s.TRIMMED_MEAN
    )
    rows = {row.application_id: row for row in ranking.rows}
    # X: mean (4 × 90 + 20) / 5 = 76; median 90; trimmed (90 + 90 + 90) / 3 = 90
    assert rows["X"].finals[s.MEAN] == D("76.00")
    assert rows["X"].finals[s.MEDIAN] == rows["X"].finals[s.TRIMMED_MEAN] == D("90.00")
    # z: reviewers 1–4 gave 90, 82, 50 (mean 74, sd √(896 / 3) = 17.28 → z 0.926, 0.463, −1.389);
    # reviewer 5 gave 20, 82, 50 (mean 50.67, sd √(1922.67 / 3) = 25.32 → z −1.211, 1.238, −0.026)
    # X: (4 × 0.926 − 1.211) / 5 = 0.499 → T 54.98; Y: (4 × 0.463 + 1.238) / 5 = 0.618 → T 56.18
    assert rows["X"].finals[s.Z_SCORE] == D("54.98")
    assert rows["Y"].finals[s.Z_SCORE] == D("56.18")
    # ranked by the selected method (trimmed): X 90, Y 82, W 50
    assert [row.application_id for row in ranking.rows] == ["X", "Y", "W"]
    assert rows["X"].ranks == {s.MEAN: 2, s.MEDIAN: 1, s.TRIMMED_MEAN: 1, s.Z_SCORE: 2}
    assert rows["Y"].ranks == {s.MEAN: 1, s.MEDIAN: 2, s.TRIMMED_MEAN: 2, s.Z_SCORE: 1}
    # X and Y move one place, W never moves: the largest move (1) is flagged on X and Y only
    assert (rows["X"].move, rows["X"].largest_move) == (1, True)
    assert (rows["Y"].move, rows["Y"].largest_move) == (1, True)
    assert (rows["W"].move, rows["W"].largest_move) == (0, False)
    assert ranking.max_move == 1
    # the reviewer who gave 20 is an outlier on X (|20 − 90| = 70 > 15), and X's spread is flagged
    assert rows["X"].written.outliers == {5}
    assert rows["X"].flagged is True
    assert rows["W"].flagged is False


def test_rank_call_with_fewer_than_five_reviewers_ties_and_a_missing_application():
    # 3 reviewers each: A 80, 85, 90 (mean 85); B 70, 85, 100 (mean 85); C has no sheet.
    scores = one_panel(80, 85, 90, application_id="A") + one_panel(70, 85, 100, application_id="B")
    ranking = s.rank_call(written=scores, application_ids=["B", "C", "A"], method=s.TRIMMED_MEAN)
    # trimmed with 3 scores = mean: A and B tie at 85 → both rank 1; both medians 85 → lower id
    # first ("A" < "B"); C has no score → last, no rank
    assert [(row.application_id, row.rank) for row in ranking.rows] == [
        ("A", 1), ("B", 1), ("C", None),
    ]  # fmt: skip
    assert ranking.rows[0].written.trimmed is False
    assert ranking.rows[2].final is None
    # B's spread: 100 − 70 = 30 > 20 → flagged; |70 − 85| = 15 is not above 15 → no outlier
    assert ranking.rows[1].written.wide_spread is True
    assert ranking.rows[1].written.outliers == frozenset()


def test_rank_call_applies_public_scores_bonus_and_pitch():
    written = one_panel(80, 80, 80, application_id=1) + one_panel(90, 90, 90, application_id=2)
    pitch = one_panel(70, 70, 70, application_id=1) + one_panel(60, 60, 60, application_id=2)
    ranking = s.rank_call(
        written=written,
        pitch=pitch,
        application_ids=[1, 2],
        method=s.MEAN,
        weights=Weights(expert_percent=80, pitch_percent=50),
        adjustments={1: Adjustment(public=D("90"), bonus=D("3")), 2: Adjustment(public=D("50"))},
    )
    rows = {row.application_id: row for row in ranking.rows}
    # 1: expert (80 + 70) / 2 = 75; final 75 × 80% + 90 × 20% + 3 = 60 + 18 + 3 = 81.00
    # 2: expert (90 + 60) / 2 = 75; final 75 × 80% + 50 × 20% = 60 + 10 = 70.00
    assert (rows[1].combined.expert, rows[1].final) == (D("75.00"), D("81.00"))
    assert (rows[2].combined.expert, rows[2].final) == (D("75.00"), D("70.00"))
    assert [row.application_id for row in ranking.rows] == [1, 2]
    assert rows[1].pitch.mean == D("70.00")


def test_rank_call_refuses_an_unknown_method():
    with pytest.raises(ValueError):
        s.rank_call(written=[], application_ids=[], method="best_of")


def test_every_method_is_explained():
    assert set(s.METHOD_EXPLANATIONS) == set(s.METHODS)


# --- Recommendation -----------------------------------------------------------------------------


def candidates(*rows, **common):
    return [
        Candidate(application_id=pk, amount=D(amount), score=D("80"), **common, **extra)
        for pk, amount, extra in rows
    ]


def test_recommend_skips_what_does_not_fit_and_continues():
    # budget 100,000: A 40k (60k left), B 50k (10k left), C 30k does not fit → skipped,
    # D 10k fits → recommended (0 left); E has no score.
    ranked = candidates(("A", "40000", {}), ("B", "50000", {}), ("C", "30000", {}))
    ranked += [
        Candidate("D", D("10000"), D("70")),
        Candidate("E", D("5000"), None),
    ]
    result = r.recommend(ranked, budget=D("100000"))
    assert {pk: o.reason for pk, o in result.outcomes.items()} == {
        "A": Reason.WITHIN_BUDGET,
        "B": Reason.WITHIN_BUDGET,
        "C": Reason.BUDGET,
        "D": Reason.WITHIN_BUDGET,
        "E": Reason.NO_SCORE,
    }
    assert result.recommended_ids == ["A", "B", "D"]
    assert (result.used, result.remaining, result.over_budget) == (D("100000"), D("0"), False)
    assert list(result.outcomes) == ["A", "B", "C", "D", "E"]  # the ranking's order


def test_recommend_honours_theme_and_district_quotas():
    ranked = [
        Candidate("A", D("40000"), D("90"), theme="elderly", district_id=1),
        Candidate("B", D("30000"), D("88"), theme="elderly", district_id=2),  # elderly 70k > 50k
        Candidate("C", D("15000"), D("85"), theme="youth", district_id=2),  # district 2: 15k ≤ 20k
        Candidate("D", D("10000"), D("80"), theme="youth", district_id=2),  # district 2: 25k > 20k
        Candidate("E", D("10000"), D("75"), theme="elderly", district_id=1),  # elderly 50k ≤ 50k
        Candidate("F", D("10000"), D("70"), theme="culture", district_id=3),  # no quota: fits
    ]
    result = r.recommend(
        ranked,
        budget=D("200000"),
        theme_quotas={"elderly": 50000},
        district_quotas={"2": "20000"},  # JSON keys are strings
    )
    assert {pk: o.reason for pk, o in result.outcomes.items()} == {
        "A": Reason.WITHIN_BUDGET,
        "B": Reason.THEME_QUOTA,
        "C": Reason.WITHIN_BUDGET,
        "D": Reason.DISTRICT_QUOTA,
        "E": Reason.WITHIN_BUDGET,
        "F": Reason.WITHIN_BUDGET,
    }
    # used: 40k + 15k + 10k + 10k = 75k of 200k
    assert (result.used, result.remaining) == (D("75000"), D("125000"))
    assert result.theme_quotas["elderly"].used == D("50000")
    assert result.theme_quotas["elderly"].remaining == D("0")
    assert result.district_quotas["2"].used == D("15000")
    assert not result.district_quotas["2"].exceeded


def test_overrides_come_first_and_are_kept():
    # budget 60k. The officer forces the last one (Z, 30k) in and the first one (A) out.
    ranked = [
        Candidate("A", D("30000"), D("95"), override=False),
        Candidate("B", D("20000"), D("90")),  # 30k left after Z → fits, 10k left
        Candidate("C", D("20000"), D("85")),  # does not fit 10k
        Candidate("Z", D("30000"), None, override=True),  # forced in although unscored
    ]
    result = r.recommend(ranked, budget=D("60000"))
    assert {pk: o.reason for pk, o in result.outcomes.items()} == {
        "A": Reason.OVERRIDE_OUT,
        "B": Reason.WITHIN_BUDGET,
        "C": Reason.BUDGET,
        "Z": Reason.OVERRIDE_IN,
    }
    assert result.recommended_ids == ["B", "Z"]
    assert result.remaining == D("10000")


def test_a_forced_in_application_may_exceed_the_budget_and_says_so():
    ranked = [
        Candidate("A", D("50000"), D("90")),
        Candidate("B", D("30000"), D("80"), theme="youth", override=True),
    ]
    result = r.recommend(ranked, budget=D("60000"), theme_quotas={"youth": 20000})
    # B takes 30k first; A (50k) no longer fits the 30k left
    assert result.recommended_ids == ["B"]
    assert result.outcomes["A"].reason == Reason.BUDGET
    assert result.theme_quotas["youth"].exceeded is True
    # forced in beyond the budget:
    over = r.recommend([Candidate("B", D("70000"), D("80"), override=True)], budget=D("60000"))
    assert over.over_budget is True
    assert over.remaining == D("-10000")


def test_every_reason_has_a_label():
    for code in (value for name, value in vars(Reason).items() if not name.startswith("_")):
        assert code in r.REASON_LABELS


def test_committed_applications_keep_their_money_whatever_their_rank():
    # budget 100k: C (60k) is already in public notice; A (50k) no longer fits the 40k left, B does
    ranked = [
        Candidate("A", D("50000"), D("95")),
        Candidate("B", D("40000"), D("90")),
        Candidate("C", D("60000"), D("70"), committed=True),
    ]
    result = r.recommend(ranked, budget=D("100000"))
    assert {pk: o.reason for pk, o in result.outcomes.items()} == {
        "A": Reason.BUDGET,
        "B": Reason.WITHIN_BUDGET,
        "C": Reason.COMMITTED,
    }
    assert result.remaining == D("0")
