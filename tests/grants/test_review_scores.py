"""Score sheets: range and step, the comment threshold, totals (weights not adding up to 100),
drafts, submission, immutability, corrections as new versions; peer scores anonymised."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from grants.enums import AssignmentState, PeerScoreVisibility, SheetStatus
from grants.models import CriterionScore, RubricCriterion, ScoreSheet
from grants.selectors_review import peer_scores
from grants.services import review_scores as svc
from grants.services.errors import TransitionRefused
from grants.services.review_scores import Entry, compute_total
from tests.grants.factories_review import (
    add_rubric,
    assign,
    in_review,
    make_reviewer,
    review_call,
    sheet,
)

A = AssignmentState
D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def call():
    return review_call(comment_required_below_percent=60)


@pytest.fixture
def assignment(call):
    return assign(in_review(call), make_reviewer(), A.ACCEPTED)


@pytest.fixture
def criteria(call):
    return list(RubricCriterion.objects.filter(call=call).order_by("position"))


EIGHTY_PERCENT = D("0.8")


def full(criteria, fraction=EIGHTY_PERCENT, comment="") -> dict[int, Entry]:
    return {c.pk: Entry(D(c.weight) * fraction, comment) for c in criteria}


def test_total_is_the_weighted_sum_on_100(criteria):
    scores = {c.pk: D(c.weight) for c in criteria}
    assert compute_total(criteria, scores) == D("100.00")
    scores[criteria[0].pk] = D("10")  # need: 10 of 20 loses 10 points
    assert compute_total(criteria, scores) == D("90.00")


def test_total_is_scaled_to_100_when_weights_do_not_add_up(db):
    call = review_call()
    RubricCriterion.objects.filter(call=call).delete()
    a, b = add_rubric(call, rubric=(("甲", 30), ("乙", 30)), max_score=10)
    # 10/10 and 5/10 on equal weights is 75 of 100 (the weights add up to 60, not 100)
    assert compute_total([a, b], {a.pk: D("10"), b.pk: D("5")}) == D("75.00")


def test_total_uses_each_criterions_own_range(db):
    call = review_call()
    RubricCriterion.objects.filter(call=call).delete()
    (criterion,) = add_rubric(call, rubric=(("总体", 100),), min_score=1, max_score=5)
    assert compute_total([criterion], {criterion.pk: D("3")}) == D("50.00")
    assert compute_total([criterion], {criterion.pk: D("1")}) == D("0.00")


def test_total_rounds_half_up_once(db):
    call = review_call()
    RubricCriterion.objects.filter(call=call).delete()
    a, b, c = add_rubric(call, rubric=(("甲", 1), ("乙", 1), ("丙", 1)), max_score=2)
    # (1/2 + 0 + 0) × 100 / 3 = 16.666… → 16.67
    assert compute_total([a, b, c], {a.pk: D("1"), b.pk: D("0"), c.pk: D("0")}) == D("16.67")


def test_draft_saves_partial_scores(assignment, criteria):
    sheet = svc.save_scores(
        assignment=assignment,
        actor=assignment.reviewer,
        entries={criteria[0].pk: Entry(D("15"), "需求清楚")},
        comment="初稿",
    )

    assert (sheet.status, sheet.version, sheet.is_current, sheet.comment) == (
        SheetStatus.DRAFT,
        1,
        True,
        "初稿",
    )
    assert [(row.criterion_id, row.score) for row in sheet.scores.all()] == [
        (criteria[0].pk, D("15"))
    ]


def test_clearing_a_score_in_a_draft_removes_it(assignment, criteria):
    svc.save_scores(
        assignment=assignment, actor=assignment.reviewer, entries={criteria[0].pk: Entry(D("15"))}
    )
    sheet = svc.save_scores(
        assignment=assignment, actor=assignment.reviewer, entries={criteria[0].pk: Entry(None)}
    )
    assert not sheet.scores.exists()


@pytest.mark.parametrize(
    ("score", "message"),
    [
        (D("21"), "Give a score from 0 to 20."),
        (D("-1"), "Give a score from 0 to 20."),
        (D("12.3"), "Scores go in steps of 0.5, e.g. 7 or 7.5."),
    ],
)
def test_scores_out_of_range_or_off_step_are_refused(assignment, criteria, score, message):
    with translation.override("en"), pytest.raises(ValidationError) as refusal:
        svc.save_scores(
            assignment=assignment,
            actor=assignment.reviewer,
            entries={criteria[0].pk: Entry(score)},
        )
    assert refusal.value.message_dict == {f"score_{criteria[0].pk}": [message]}
    assert not ScoreSheet.objects.exists()


def test_half_points_are_accepted(assignment, criteria):
    sheet = svc.save_scores(
        assignment=assignment, actor=assignment.reviewer, entries={criteria[0].pk: Entry(D("12.5"))}
    )
    assert sheet.scores.get().score == D("12.5")


def test_submission_needs_every_criterion(assignment, criteria):
    svc.save_scores(
        assignment=assignment, actor=assignment.reviewer, entries={criteria[0].pk: Entry(D("15"))}
    )

    with translation.override("en"), pytest.raises(ValidationError) as refusal:
        svc.submit_scores(assignment=assignment, actor=assignment.reviewer)

    errors = refusal.value.message_dict
    assert set(errors) == {f"score_{c.pk}" for c in criteria[1:]}
    assert errors[f"score_{criteria[1].pk}"] == ["Give a score for this criterion."]


def test_a_low_score_needs_a_comment(assignment, criteria):
    entries = full(criteria)
    # 60 % of 0–20 is 12: 11.5 needs a comment, 12 does not
    entries[criteria[0].pk] = Entry(D("11.5"))
    entries[criteria[1].pk] = Entry(D("15"))  # 60 % of 25 = 15: no comment needed
    svc.save_scores(assignment=assignment, actor=assignment.reviewer, entries=entries)

    with translation.override("en"), pytest.raises(ValidationError) as refusal:
        svc.submit_scores(assignment=assignment, actor=assignment.reviewer)

    assert refusal.value.message_dict == {
        f"comment_{criteria[0].pk}": ["Explain in a comment why you gave less than 12."]
    }
    entries[criteria[0].pk] = Entry(D("11.5"), "需求论证薄弱，缺少调研数据")
    svc.save_scores(assignment=assignment, actor=assignment.reviewer, entries=entries)
    sheet = svc.submit_scores(assignment=assignment, actor=assignment.reviewer)
    assert sheet.status == SheetStatus.SUBMITTED


def test_the_comment_threshold_follows_the_call(assignment, criteria, call):
    call.comment_required_below_percent = 90
    call.save()
    svc.save_scores(assignment=assignment, actor=assignment.reviewer, entries=full(criteria))

    with pytest.raises(ValidationError) as refusal:
        svc.submit_scores(assignment=assignment, actor=assignment.reviewer)

    assert set(refusal.value.message_dict) == {f"comment_{c.pk}" for c in criteria}


def test_submitting_computes_the_total_and_moves_the_assignment(assignment, criteria):
    svc.save_scores(assignment=assignment, actor=assignment.reviewer, entries=full(criteria))

    sheet = svc.submit_scores(assignment=assignment, actor=assignment.reviewer)

    assert sheet.total == D("80.00") and sheet.submitted_at is not None
    assignment.refresh_from_db()
    assert assignment.state == A.SUBMITTED
    # submitting again changes nothing
    again = svc.submit_scores(assignment=assignment, actor=assignment.reviewer)
    assert (again.pk, again.submitted_at) == (sheet.pk, sheet.submitted_at)


def test_submitted_scores_cannot_be_changed(assignment, criteria):
    svc.save_scores(assignment=assignment, actor=assignment.reviewer, entries=full(criteria))
    submitted = svc.submit_scores(assignment=assignment, actor=assignment.reviewer)

    with pytest.raises(TransitionRefused):
        svc.save_scores(
            assignment=assignment,
            actor=assignment.reviewer,
            entries={criteria[0].pk: Entry(D("1"), "改")},
            comment="改",
        )

    submitted.refresh_from_db()
    assert submitted.comment == "" and submitted.total == D("80.00")
    assert CriterionScore.objects.get(sheet=submitted, criterion=criteria[0]).score == D("16.0")


def test_a_stale_draft_object_cannot_overwrite_a_submitted_sheet(assignment, criteria):
    # given a reviewer's second tab still holding the draft as it was before submission
    svc.save_scores(assignment=assignment, actor=assignment.reviewer, entries=full(criteria))
    stale_assignment = type(assignment).objects.get(pk=assignment.pk)
    svc.submit_scores(assignment=assignment, actor=assignment.reviewer)

    # when the stale tab saves, then the service refuses and the sheet is unchanged
    with pytest.raises(TransitionRefused):
        svc.save_scores(
            assignment=stale_assignment,
            actor=assignment.reviewer,
            entries={criteria[0].pk: Entry(D("2"))},
        )
    assert CriterionScore.objects.get(criterion=criteria[0]).score == D("16.0")


def test_only_the_assigned_reviewer_scores(assignment, criteria, reviewer, officer):
    for actor in (reviewer, officer):
        with pytest.raises(PermissionDenied):
            svc.save_scores(assignment=assignment, actor=actor, entries=full(criteria))


def test_scoring_needs_the_declaration_first(call, criteria):
    assignment = assign(in_review(call), make_reviewer())

    with pytest.raises(PermissionDenied):
        svc.save_scores(assignment=assignment, actor=assignment.reviewer, entries=full(criteria))


def test_scoring_is_closed_once_the_review_is_over(assignment, criteria):
    type(assignment.application).objects.filter(pk=assignment.application_id).update(
        state="reviewed"
    )
    with pytest.raises(TransitionRefused):
        svc.save_scores(assignment=assignment, actor=assignment.reviewer, entries=full(criteria))


def test_correction_is_a_new_version_with_its_reason(assignment, criteria):
    # given submitted scores
    svc.save_scores(
        assignment=assignment, actor=assignment.reviewer, entries=full(criteria), comment="好"
    )
    first = svc.submit_scores(assignment=assignment, actor=assignment.reviewer)

    # when the reviewer opens a correction
    with pytest.raises(ValidationError):
        svc.open_correction(assignment=assignment, actor=assignment.reviewer, reason=" ")
    second = svc.open_correction(
        assignment=assignment, actor=assignment.reviewer, reason="误把预算分看成满分10分"
    )

    # then a copy is the current draft and the first version is kept unchanged
    first.refresh_from_db()
    assert (first.is_current, first.status, first.total) == (
        False,
        SheetStatus.SUBMITTED,
        D("80.00"),
    )
    assert (second.version, second.is_current, second.status) == (2, True, SheetStatus.DRAFT)
    assert second.supersedes == first and second.comment == "好"
    assert second.correction_reason == "误把预算分看成满分10分"
    assert second.scores.count() == len(criteria)
    assignment.refresh_from_db()
    assert assignment.state == A.ACCEPTED

    # and resubmitting the corrected scores makes them count
    entries = full(criteria)
    entries[criteria[3].pk] = Entry(D("15"))
    svc.save_scores(assignment=assignment, actor=assignment.reviewer, entries=entries)
    resubmitted = svc.submit_scores(assignment=assignment, actor=assignment.reviewer)
    assert resubmitted.pk == second.pk and resubmitted.total == D("83.00")
    assert ScoreSheet.objects.get(assignment=assignment, is_current=True).pk == second.pk
    assert ScoreSheet.objects.filter(assignment=assignment).count() == 2


def test_a_draft_cannot_be_corrected(assignment, criteria):
    svc.save_scores(assignment=assignment, actor=assignment.reviewer, entries=full(criteria))

    with pytest.raises(TransitionRefused):
        svc.open_correction(assignment=assignment, actor=assignment.reviewer, reason="x")


def test_someone_else_cannot_open_a_correction(assignment, criteria, officer):
    sheet(assignment, submitted=True)
    type(assignment).objects.filter(pk=assignment.pk).update(state=A.SUBMITTED)

    with pytest.raises(PermissionDenied):
        svc.open_correction(assignment=assignment, actor=officer, reason="x")


# --- Peer scores ---------------------------------------------------------------------------------


@pytest.fixture
def panel(call):
    application = in_review(call)
    me = assign(application, make_reviewer(display_name="本人"), A.SUBMITTED)
    sheet(me, submitted=True, total=D("80.00"))
    other = assign(application, make_reviewer(display_name="张评审"), A.SUBMITTED)
    sheet(other, submitted=True, total=D("70.50"))
    waiting = assign(application, make_reviewer(display_name="李评审"), A.ACCEPTED)
    sheet(waiting)
    assign(application, make_reviewer(display_name="王评审"), A.DECLINED)
    return me, other


def test_peers_totals_are_shown_anonymised_after_submitting(panel):
    me, _other = panel
    with translation.override("en"):
        peers = peer_scores(assignment=me)

    assert peers.visible
    assert peers.rows == [("Reviewer A", D("70.50"))]
    assert peers.panel_size == 2
    assert "张评审" not in str(peers)


def test_peers_are_hidden_before_submitting(panel, call):
    me, _other = panel
    type(me).objects.filter(pk=me.pk).update(state=A.ACCEPTED)
    me.refresh_from_db()

    assert not peer_scores(assignment=me).visible


def test_peers_are_never_shown_when_the_call_says_so(panel, call):
    call.peer_scores_visible = PeerScoreVisibility.NEVER
    call.save()
    me, _other = panel
    me.application.call.peer_scores_visible = PeerScoreVisibility.NEVER

    assert not peer_scores(assignment=me).visible
