"""路演 services: sessions, the schedule, declarations, scores and the tally announced on the spot."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django_fsm_log.models import StateLog

from grants.enums import ApplicationState, AssignmentState, ConflictSource, ReviewRound
from grants.models import (
    Application,
    ConflictRecord,
    Notification,
    PitchSlot,
    ReviewAssignment,
    ScoreSheet,
)
from grants.services import pitch as svc
from grants.services.errors import TransitionRefused
from grants.transitions import run_action
from tests.factories import CallFactory
from tests.grants.factories_pitch import (
    criterion_scores,
    in_review,
    judge_scores,
    make_judge,
    make_session,
    pitch_call,
)

S = ApplicationState
A = AssignmentState
pytestmark = pytest.mark.django_db


@pytest.fixture
def call():
    return pitch_call()


@pytest.fixture
def judges():
    return [make_judge("judge_a", "甲评委"), make_judge("judge_b", "乙评委")]


@pytest.fixture
def session(call, judges, officer):
    return make_session(call, judges, officer=officer)


def pitch_logs(application):
    return StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Application),
        object_id=application.pk,
        transition="start_pitch",
    )


def pitch_assignments(application):
    return ReviewAssignment.objects.filter(application=application, round=ReviewRound.PITCH)


# --- Sessions -----------------------------------------------------------------------------------


def test_officer_creates_a_session_and_each_judge_is_told_where_to_judge(call, judges, officer):
    session = make_session(call, judges, officer=officer, pitch_minutes=10, qa_minutes=5)

    assert set(session.judges.all()) == set(judges)
    assert (session.pitch_minutes, session.qa_minutes) == (10, 5)
    notes = Notification.objects.filter(verb="pitch_judge")
    assert {note.recipient for note in notes} == set(judges)
    assert all(note.url == f"/review/pitch/{session.pk}/" for note in notes)


@pytest.mark.parametrize("persona", ["applicant", "reviewer", "outsider"])
def test_only_officers_create_sessions(call, judges, persona, request):
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        make_session(call, judges, officer=actor)


def test_a_call_without_live_pitch_refuses_a_session(judges, officer):
    call = CallFactory(has_defense=False)
    with pytest.raises(TransitionRefused):
        make_session(call, judges, officer=officer)


def test_judges_must_be_in_the_expert_pool(call, officer, applicant):
    with pytest.raises(ValidationError) as error:
        make_session(call, [applicant], officer=officer)
    assert "judges" in error.value.error_dict


# --- The schedule -------------------------------------------------------------------------------


def test_schedule_puts_pitches_every_pitch_plus_qa_plus_changeover(call, session, officer):
    applications = [in_review(call) for _ in range(3)]

    slots = svc.schedule_pitches(session=session, applications=applications, actor=officer)

    assert [slot.application_id for slot in slots] == [a.pk for a in applications]
    assert [slot.position for slot in slots] == [1, 2, 3]
    step = timedelta(minutes=8 + 7 + 2)
    assert [slot.starts_at for slot in slots] == [
        session.starts_at,
        session.starts_at + step,
        session.starts_at + 2 * step,
    ]


def test_scheduling_sends_each_application_to_the_live_pitch_once(call, session, officer):
    applications = [in_review(call), in_review(call, state=S.DEFENSE)]

    svc.schedule_pitches(session=session, applications=applications, actor=officer)

    for application in applications:
        application.refresh_from_db()
        assert application.state == S.DEFENSE
    assert pitch_logs(applications[0]).count() == 1
    assert pitch_logs(applications[1]).count() == 0  # already on the pitch: no second transition


def test_scheduling_twice_changes_nothing(call, session, officer, judges):
    applications = [in_review(call) for _ in range(2)]
    first = svc.schedule_pitches(session=session, applications=applications, actor=officer)
    before = (
        list(PitchSlot.objects.values_list("pk", "position", "starts_at").order_by("pk")),
        list(ReviewAssignment.objects.values_list("pk", "state").order_by("pk")),
        StateLog.objects.count(),
        Notification.objects.count(),
    )

    second = svc.schedule_pitches(session=session, applications=applications, actor=officer)

    assert [slot.pk for slot in second] == [slot.pk for slot in first]
    after = (
        list(PitchSlot.objects.values_list("pk", "position", "starts_at").order_by("pk")),
        list(ReviewAssignment.objects.values_list("pk", "state").order_by("pk")),
        StateLog.objects.count(),
        Notification.objects.count(),
    )
    assert after == before
    assert ReviewAssignment.objects.count() == 2 * len(judges)


def test_reordering_moves_slots_and_their_times(call, session, officer):
    a, b, c = (in_review(call) for _ in range(3))
    svc.schedule_pitches(session=session, applications=[a, b, c], actor=officer)
    first_time = PitchSlot.objects.get(application=a).starts_at

    slots = svc.schedule_pitches(session=session, applications=[c, a, b], actor=officer)

    assert [slot.application_id for slot in slots] == [c.pk, a.pk, b.pk]
    assert PitchSlot.objects.get(application=c).starts_at == first_time


def test_applications_left_out_of_a_new_order_keep_their_turn_after_it(call, session, officer):
    a, b, c = (in_review(call) for _ in range(3))
    svc.schedule_pitches(session=session, applications=[a, b], actor=officer)

    slots = svc.schedule_pitches(session=session, applications=[c], actor=officer)

    assert [slot.application_id for slot in slots] == [c.pk, a.pk, b.pk]


def test_every_judge_without_a_conflict_gets_a_pitch_assignment_awaiting_declaration(
    call, session, officer, judges
):
    clean, conflicted = in_review(call), in_review(call)
    ConflictRecord.objects.create(
        reviewer=judges[0],
        application=conflicted,
        source=ConflictSource.DETECTED,
        reason="曾任理事",
    )

    svc.schedule_pitches(session=session, applications=[clean, conflicted], actor=officer)

    assert set(pitch_assignments(clean).values_list("reviewer", "state")) == {
        (judges[0].pk, A.ASSIGNED),
        (judges[1].pk, A.ASSIGNED),
    }
    assert list(pitch_assignments(conflicted).values_list("reviewer", flat=True)) == [judges[1].pk]


def test_a_judge_who_declared_a_conflict_in_the_written_round_is_not_assigned(
    call, session, officer, judges
):
    application = in_review(call)
    ReviewAssignment.objects.create(application=application, reviewer=judges[1], state=A.CONFLICTED)

    svc.schedule_pitches(session=session, applications=[application], actor=officer)

    assert list(pitch_assignments(application).values_list("reviewer", flat=True)) == [judges[0].pk]


def test_schedule_refuses_applications_of_another_call_or_state_or_session(
    call, session, officer, judges
):
    other_call = in_review(pitch_call())
    reviewed = in_review(call, state=S.REVIEWED)
    elsewhere = in_review(call)
    other_session = make_session(call, judges, officer=officer, title="第二场")
    svc.schedule_pitches(session=other_session, applications=[elsewhere], actor=officer)

    for application in (other_call, reviewed, elsewhere):
        with pytest.raises(ValidationError):
            svc.schedule_pitches(session=session, applications=[application], actor=officer)
    assert not PitchSlot.objects.filter(session=session).exists()


def test_only_officers_schedule(call, session, judges):
    with pytest.raises(PermissionDenied):
        svc.schedule_pitches(session=session, applications=[in_review(call)], actor=judges[0])


def test_new_judge_gets_assignments_on_scheduled_pitches_and_removed_judge_loses_open_ones(
    call, session, officer, judges
):
    application = in_review(call)
    svc.schedule_pitches(session=session, applications=[application], actor=officer)
    newcomer = make_judge("judge_c")

    svc.update_session(
        session=session, actor=officer, title=session.title, place=session.place,
        starts_at=session.starts_at + timedelta(hours=1), judges=[judges[0], newcomer],
    )  # fmt: skip

    states = dict(pitch_assignments(application).values_list("reviewer", "state"))
    assert states == {judges[0].pk: A.ASSIGNED, judges[1].pk: A.WITHDRAWN, newcomer.pk: A.ASSIGNED}
    assert PitchSlot.objects.get(application=application).starts_at == (
        session.starts_at + timedelta(hours=1)
    )


# --- Starting a pitch ---------------------------------------------------------------------------


def test_start_pitch_sets_the_start_once(call, session, officer):
    (slot,) = svc.schedule_pitches(session=session, applications=[in_review(call)], actor=officer)

    started = svc.start_slot(slot=slot, actor=officer).started_at
    again = svc.start_slot(slot=slot, actor=officer).started_at

    assert started is not None and again == started


def test_judges_cannot_start_a_pitch(call, session, officer, judges):
    (slot,) = svc.schedule_pitches(session=session, applications=[in_review(call)], actor=officer)
    with pytest.raises(PermissionDenied):
        svc.start_slot(slot=slot, actor=judges[0])


# --- Declarations and scores --------------------------------------------------------------------


@pytest.fixture
def live_slot(call, session, officer):
    (slot,) = svc.schedule_pitches(session=session, applications=[in_review(call)], actor=officer)
    return svc.start_slot(slot=slot, actor=officer)


def assignment_of(slot, judge):
    return ReviewAssignment.objects.get(application=slot.application, reviewer=judge, round="pitch")


def test_declaring_no_conflict_opens_scoring(live_slot, judges):
    assignment = svc.declare(
        assignment=assignment_of(live_slot, judges[0]), actor=judges[0], conflict=False
    )
    assert assignment.state == A.ACCEPTED
    assert assignment.declared_at is not None and "3" in assignment.declaration_text


def test_scoring_before_the_declaration_is_refused(live_slot, call, judges):
    with pytest.raises(TransitionRefused):
        svc.save_pitch_scores(
            assignment=assignment_of(live_slot, judges[0]), actor=judges[0],
            scores=criterion_scores(call, 80), submit=True,
        )  # fmt: skip


def test_scoring_opens_only_when_the_pitch_starts(call, session, officer, judges):
    (slot,) = svc.schedule_pitches(session=session, applications=[in_review(call)], actor=officer)
    assignment = svc.declare(
        assignment=assignment_of(slot, judges[0]), actor=judges[0], conflict=False
    )
    with pytest.raises(TransitionRefused):
        svc.save_pitch_scores(
            assignment=assignment, actor=judges[0], scores=criterion_scores(call, 80), submit=True
        )


def test_another_judge_cannot_score_on_someone_elses_assignment(live_slot, call, judges):
    with pytest.raises(PermissionDenied):
        svc.declare(assignment=assignment_of(live_slot, judges[0]), actor=judges[1], conflict=False)


def test_submit_computes_the_weighted_total_and_is_final(live_slot, call, judges):
    result = judge_scores(live_slot, judges[0], 80)

    assert result.sheet.total == Decimal("80.00")
    assert result.sheet.status == "submitted"
    assert assignment_of(live_slot, judges[0]).state == A.SUBMITTED
    with pytest.raises(TransitionRefused):
        svc.save_pitch_scores(
            assignment=assignment_of(live_slot, judges[0]), actor=judges[0],
            scores=criterion_scores(call, 90), submit=True,
        )  # fmt: skip
    assert ScoreSheet.objects.get(
        assignment__reviewer=judges[0], assignment__round="pitch"
    ).total == (Decimal("80.00"))


def test_a_draft_keeps_partial_scores_without_a_total(live_slot, call, judges):
    first = call.rubric.order_by("position").first()
    result = judge_scores(live_slot, judges[0], 80, submit=False)
    svc.save_pitch_scores(
        assignment=assignment_of(live_slot, judges[0]), actor=judges[0],
        scores={first.pk: Decimal("30")}, submit=False,
    )  # fmt: skip
    result.sheet.refresh_from_db()
    assert result.sheet.status == "draft" and result.sheet.total is None
    assert list(result.sheet.scores.values_list("score", flat=True)) == [Decimal("30.0")]


def messages_of(error) -> dict[str, str]:
    return {key: " ".join(str(m) for m in value) for key, value in error.message_dict.items()}


def test_scores_are_checked_like_the_written_review(live_slot, call, judges):
    assignment = svc.declare(
        assignment=assignment_of(live_slot, judges[0]), actor=judges[0], conflict=False
    )
    need, design, capacity = call.rubric.order_by("position")

    with translation.override("en"), pytest.raises(ValidationError) as error:
        svc.save_pitch_scores(
            assignment=assignment, actor=judges[0],
            scores={need.pk: "41", design.pk: "20.25", capacity.pk: "8"}, submit=True,
        )  # fmt: skip
    errors = messages_of(error.value)
    assert errors[f"score_{need.pk}"] == "Give a score from 0 to 40."
    assert errors[f"score_{design.pk}"] == "Scores go in steps of 0.5, e.g. 7 or 7.5."
    assert f"score_{capacity.pk}" not in errors

    with translation.override("en"), pytest.raises(ValidationError) as error:
        svc.save_pitch_scores(
            assignment=assignment, actor=judges[0], scores={need.pk: "很好"}, submit=True
        )
    with translation.override("en"):
        assert messages_of(error.value) == {f"score_{need.pk}": "Enter a number."}


def test_an_incomplete_sheet_is_not_submitted_but_its_draft_is_kept(live_slot, call, judges):
    assignment = svc.declare(
        assignment=assignment_of(live_slot, judges[0]), actor=judges[0], conflict=False
    )
    need, design, capacity = call.rubric.order_by("position")

    with translation.override("en"), pytest.raises(ValidationError) as error:
        svc.save_pitch_scores(
            assignment=assignment, actor=judges[0],
            scores={need.pk: "32", design.pk: "28.5"}, submit=True,
        )  # fmt: skip

    assert messages_of(error.value) == {f"score_{capacity.pk}": "Give a score for this criterion."}
    sheet = ScoreSheet.objects.get(assignment=assignment)
    assert sheet.status == "draft" and sheet.total is None
    assert sorted(sheet.scores.values_list("score", flat=True)) == [Decimal("28.5"), Decimal("32")]
    assert assignment_of(live_slot, judges[0]).state == A.ACCEPTED


def test_a_low_score_needs_a_comment(live_slot, call, judges):
    assignment = svc.declare(
        assignment=assignment_of(live_slot, judges[0]), actor=judges[0], conflict=False
    )
    scores = criterion_scores(call, 80)
    capacity = call.rubric.get(label="执行能力")
    scores[capacity.pk] = Decimal("5.5")  # 55 % of 0–10, below the call's 60 %

    with translation.override("en"), pytest.raises(ValidationError) as error:
        svc.save_pitch_scores(assignment=assignment, actor=judges[0], scores=scores, submit=True)
    assert f"comment_{capacity.pk}" in error.value.message_dict

    result = svc.save_pitch_scores(
        assignment=assignment, actor=judges[0], scores=scores,
        comments={capacity.pk: "团队人手不足"}, submit=True,
    )  # fmt: skip
    assert result.sheet.total == Decimal("80") * 75 / 100 + Decimal("5.5") * 25 / 10


# --- The tally ----------------------------------------------------------------------------------


def test_the_last_judge_to_submit_announces_the_mean_and_nobody_before(live_slot, judges):
    first = judge_scores(live_slot, judges[0], 80)
    live_slot.refresh_from_db()
    assert not first.tallied and live_slot.tallied_at is None and live_slot.tally is None

    last = judge_scores(live_slot, judges[1], 90)

    live_slot.refresh_from_db()
    assert last.tallied
    assert live_slot.tally == Decimal("85.00") and live_slot.tallied_at is not None


def test_a_judge_declaring_a_conflict_is_recorded_and_no_longer_awaited(live_slot, judges):
    judge_scores(live_slot, judges[0], 70)

    svc.declare(
        assignment=assignment_of(live_slot, judges[1]), actor=judges[1], conflict=True,
        text="配偶在该机构任职",
    )  # fmt: skip

    record = ConflictRecord.objects.get(reviewer=judges[1], application=live_slot.application)
    assert record.source == ConflictSource.DECLARED and record.reason == "配偶在该机构任职"
    live_slot.refresh_from_db()
    assert live_slot.tally == Decimal("70.00")


def test_removing_an_absent_judge_completes_the_panel(live_slot, session, officer, judges):
    judge_scores(live_slot, judges[0], 60)

    svc.update_session(
        session=session, actor=officer, title=session.title, starts_at=session.starts_at,
        judges=[judges[0]],
    )  # fmt: skip

    live_slot.refresh_from_db()
    assert live_slot.tally == Decimal("60.00")


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("mean", Decimal("78.00")),
        ("median", Decimal("80.00")),
        ("trimmed_mean", Decimal("80.00")),  # 90 and 50 dropped: (70 + 80 + 90) / 3
        ("z_score", Decimal("78.00")),  # cannot be announced on the spot: the room sees the mean
    ],
)
def test_tally_follows_the_calls_aggregation_method(method, expected):
    totals = [
        (1, Decimal("50")),
        (2, Decimal("70")),
        (3, Decimal("80")),
        (4, Decimal("90")),
        (5, Decimal("100")),
    ]
    assert svc.tally_value(totals=totals, method=method) == expected


def test_trimmed_mean_with_five_judges_on_a_real_pitch(officer):
    call = pitch_call(aggregation_method="trimmed_mean")
    judges = [make_judge(f"panel{n}") for n in range(5)]
    session = make_session(call, judges, officer=officer)
    (slot,) = svc.schedule_pitches(session=session, applications=[in_review(call)], actor=officer)
    svc.start_slot(slot=slot, actor=officer)

    for judge, percent in zip(judges, (50, 70, 80, 90, 100), strict=True):
        judge_scores(slot, judge, percent)

    slot.refresh_from_db()
    assert slot.tally == Decimal("80.00")


# --- Closing the review -------------------------------------------------------------------------


def test_officer_closes_the_review_of_a_pitched_application_only_after_every_score(
    live_slot, officer, judges
):
    judge_scores(live_slot, judges[0], 80)
    with pytest.raises(TransitionRefused):
        run_action("finish_review", application=live_slot.application, actor=officer)

    judge_scores(live_slot, judges[1], 80)
    application = run_action("finish_review", application=live_slot.application, actor=officer)

    assert application.state == S.REVIEWED


def test_started_at_is_server_time(live_slot):
    assert abs((timezone.now() - live_slot.started_at).total_seconds()) < 60
