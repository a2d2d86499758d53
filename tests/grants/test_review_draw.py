"""Drawing panels: N per application, no conflicts, stratified by expertise, balanced load,
reproducible with a seed, idempotent top-up, shortfalls; manual add and remove; declines and
declared conflicts with their replacements; reminders."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from grants.enums import AssignmentState, ConflictSource, ReviewRound
from grants.models import ConflictRecord, Notification, ReviewAssignment
from grants.services import review_draw as svc
from grants.services.errors import TransitionRefused
from tests.grants.factories_review import (
    RelationFactory,
    assign,
    in_review,
    make_reviewer,
    make_reviewers,
    review_call,
    sheet,
)

A = AssignmentState
pytestmark = pytest.mark.django_db


@pytest.fixture
def call():
    return review_call(reviewers_per_application=3)


def panel(application) -> list:
    return list(
        ReviewAssignment.objects.filter(
            application=application, state__in=[A.ASSIGNED, A.ACCEPTED, A.SUBMITTED]
        ).values_list("reviewer_id", flat=True)
    )


def test_draw_assigns_n_distinct_reviewers_to_each_application(call, officer):
    applications = [in_review(call) for _ in range(4)]
    make_reviewers(6)

    result = svc.draw_reviewers(call=call, actor=officer)

    assert len(result.created) == 12
    assert result.shortfalls == []
    for application in applications:
        reviewers = panel(application)
        assert len(reviewers) == len(set(reviewers)) == 3
    assignment = result.created[0]
    assert assignment.drawn and assignment.assigned_by == officer
    assert assignment.due_at == call.review_deadline
    assert assignment.round == ReviewRound.WRITTEN and assignment.state == A.ASSIGNED


def test_per_application_overrides_the_call_setting(call, officer):
    application = in_review(call)
    make_reviewers(6)

    svc.draw_reviewers(call=call, actor=officer, per_application=5)

    assert len(panel(application)) == 5


def test_the_default_panel_is_five(officer):
    call = review_call()
    application = in_review(call)
    make_reviewers(7)

    svc.draw_reviewers(call=call, actor=officer)

    assert call.reviewers_per_application == 5
    assert len(panel(application)) == 5


def test_draw_never_picks_a_conflicted_reviewer(call, officer):
    application = in_review(call)
    reviewers = make_reviewers(4)
    RelationFactory(profile=reviewers[0].reviewer_profile, organisation=application.organisation)
    ConflictRecord.objects.create(
        reviewer=reviewers[1], application=application, source=ConflictSource.DECLARED, reason="x"
    )

    for seed in range(10):
        ReviewAssignment.objects.all().delete()
        svc.draw_reviewers(call=call, actor=officer, seed=seed)
        assert set(panel(application)) == {reviewers[2].pk, reviewers[3].pk}


def test_draw_includes_a_theme_expert_when_the_pool_has_one(call, officer):
    applications = [in_review(call, theme="youth") for _ in range(5)]
    make_reviewers(8, expertise=["finance"])
    expert = make_reviewer(expertise=["youth", "law"])

    for seed in range(5):
        ReviewAssignment.objects.all().delete()
        svc.draw_reviewers(call=call, actor=officer, seed=seed)
        for application in applications:
            assert expert.pk in panel(application)


def test_draw_without_a_theme_expert_still_fills_the_panel(call, officer):
    application = in_review(call, theme="youth")
    make_reviewers(3, expertise=["law"])

    result = svc.draw_reviewers(call=call, actor=officer)

    assert len(panel(application)) == 3 and not result.shortfalls


def test_draw_balances_load_within_one(call, officer):
    for _ in range(7):
        in_review(call)
    reviewers = make_reviewers(5, expertise=["elderly"])

    svc.draw_reviewers(call=call, actor=officer, seed=42)

    load = Counter(ReviewAssignment.objects.values_list("reviewer_id", flat=True))
    counts = [load[reviewer.pk] for reviewer in reviewers]
    assert sum(counts) == 21
    assert max(counts) - min(counts) <= 1


def test_draw_prefers_reviewers_with_less_work_in_the_call(call, officer):
    busy_application = in_review(call)
    reviewers = make_reviewers(4)
    for reviewer in reviewers[:3]:
        assign(busy_application, reviewer)
    fresh = in_review(call)

    svc.draw_reviewers(call=call, actor=officer, per_application=1, seed=7)

    assert panel(fresh) == [reviewers[3].pk]


def test_the_same_seed_draws_the_same_panels(call, officer):
    applications = [in_review(call) for _ in range(5)]
    make_reviewers(9)

    def draw(seed):
        ReviewAssignment.objects.all().delete()
        svc.draw_reviewers(call=call, actor=officer, seed=seed)
        return [sorted(panel(application)) for application in applications]

    assert draw(1234) == draw(1234)
    assert any(draw(seed) != draw(1234) for seed in range(1, 6))


def test_drawing_twice_draws_nobody_twice(call, officer):
    application = in_review(call)
    make_reviewers(6)
    svc.draw_reviewers(call=call, actor=officer)
    before = set(panel(application))

    again = svc.draw_reviewers(call=call, actor=officer)

    assert again.created == [] and again.complete == 1
    assert set(panel(application)) == before


def test_draw_tops_up_a_short_panel(call, officer):
    application = in_review(call)
    reviewers = make_reviewers(5)
    kept = assign(application, reviewers[0])
    declined = assign(application, reviewers[1], A.DECLINED)

    result = svc.draw_reviewers(call=call, actor=officer)

    assert len(result.created) == 2
    reviewers_now = set(panel(application))
    assert kept.reviewer_id in reviewers_now
    assert declined.reviewer_id not in reviewers_now
    assert len(reviewers_now) == 3


def test_draw_reports_the_shortfall_when_the_pool_runs_dry(call, officer):
    application = in_review(call)
    make_reviewers(2)

    result = svc.draw_reviewers(call=call, actor=officer)

    assert len(panel(application)) == 2
    (shortfall,) = result.shortfalls
    assert (shortfall.application, shortfall.wanted, shortfall.live, shortfall.missing) == (
        application,
        3,
        2,
        1,
    )


def test_draw_leaves_out_inactive_profiles_and_people_without_the_role(call, officer):
    application = in_review(call)
    resting = make_reviewer()
    resting.reviewer_profile.is_active = False
    resting.reviewer_profile.save()
    former = make_reviewer()
    former.memberships.update(is_active=False)
    active = make_reviewers(3)

    svc.draw_reviewers(call=call, actor=officer)

    assert set(panel(application)) == {reviewer.pk for reviewer in active}


def test_draw_only_touches_applications_in_review(call, officer):
    screening = in_review(call, state="screening")
    make_reviewers(3)
    in_review(call)

    svc.draw_reviewers(call=call, actor=officer)

    assert panel(screening) == []


def test_draw_without_applications_in_review_is_refused(call, officer):
    with pytest.raises(TransitionRefused):
        svc.draw_reviewers(call=call, actor=officer)


def test_only_officers_draw(call, reviewer):
    in_review(call)
    with pytest.raises(PermissionDenied):
        svc.draw_reviewers(call=call, actor=reviewer)


def test_drawn_reviewers_are_notified(call, officer, django_capture_on_commit_callbacks):
    in_review(call, title="邻里守望")
    reviewers = make_reviewers(3)

    with django_capture_on_commit_callbacks(execute=True):
        svc.draw_reviewers(call=call, actor=officer)

    notes = Notification.objects.filter(verb="review_assigned")
    assert {note.recipient_id for note in notes} == {r.pk for r in reviewers}
    assert "邻里守望" in notes[0].body
    assert len(mail.outbox) == 3


# --- Manual changes ------------------------------------------------------------------------------


def test_officer_adds_a_named_reviewer(call, officer):
    application = in_review(call)
    reviewer = make_reviewer()

    assignment = svc.add_reviewer(application=application, reviewer=reviewer, actor=officer)

    assert not assignment.drawn and assignment.assigned_by == officer
    assert assignment.state == A.ASSIGNED


def test_adding_a_conflicted_reviewer_is_refused_with_the_reason(call, officer):
    application = in_review(call)
    reviewer = make_reviewer()
    RelationFactory(profile=reviewer.reviewer_profile, organisation=application.organisation)

    with pytest.raises(ValidationError) as refusal:
        svc.add_reviewer(application=application, reviewer=reviewer, actor=officer)

    assert application.organisation.name in str(refusal.value)
    assert not ReviewAssignment.objects.exists()


def test_adding_someone_twice_or_without_the_role_is_refused(call, officer, outsider):
    application = in_review(call)
    reviewer = make_reviewer()
    svc.add_reviewer(application=application, reviewer=reviewer, actor=officer)

    with pytest.raises(ValidationError):
        svc.add_reviewer(application=application, reviewer=reviewer, actor=officer)
    with pytest.raises(ValidationError):
        svc.add_reviewer(application=application, reviewer=outsider, actor=officer)


def test_officer_removes_a_reviewer(call, officer):
    assignment = assign(in_review(call), make_reviewer(), A.ACCEPTED)

    svc.remove_reviewer(assignment=assignment, actor=officer, reason="出差无法评审")

    assignment.refresh_from_db()
    assert assignment.state == A.WITHDRAWN
    # and doing it again changes nothing
    assert svc.remove_reviewer(assignment=assignment, actor=officer).state == A.WITHDRAWN


def test_a_submitted_reviewer_cannot_be_removed(call, officer):
    assignment = assign(in_review(call), make_reviewer(), A.SUBMITTED)

    with pytest.raises(TransitionRefused):
        svc.remove_reviewer(assignment=assignment, actor=officer)


def test_reviewers_cannot_remove_each_other(call, reviewer):
    assignment = assign(in_review(call), make_reviewer())

    with pytest.raises(PermissionDenied):
        svc.remove_reviewer(assignment=assignment, actor=reviewer)


# --- The reviewer's transitions ------------------------------------------------------------------


@pytest.fixture
def assignment(call):
    application = in_review(call)
    return assign(application, make_reviewer())


def test_declaring_no_conflict_accepts_the_assignment(assignment):
    svc.declare_no_conflict(assignment=assignment, actor=assignment.reviewer)

    assignment.refresh_from_db()
    assert assignment.state == A.ACCEPTED
    assert assignment.declared_at is not None
    assert "spouse" in assignment.declaration_text or "配偶" in assignment.declaration_text


def test_declaring_no_conflict_twice_is_one_declaration(assignment):
    svc.declare_no_conflict(assignment=assignment, actor=assignment.reviewer)
    first = ReviewAssignment.objects.get(pk=assignment.pk).declared_at

    svc.declare_no_conflict(assignment=assignment, actor=assignment.reviewer)

    assert ReviewAssignment.objects.get(pk=assignment.pk).declared_at == first


def test_someone_else_cannot_declare_for_the_reviewer(assignment, reviewer, officer):
    for actor in (reviewer, officer):
        with pytest.raises(PermissionDenied):
            svc.declare_no_conflict(assignment=assignment, actor=actor)


def test_declaring_on_a_closed_review_is_refused(assignment):
    assignment.application.__class__.objects.filter(pk=assignment.application_id).update(
        state="reviewed"
    )
    with pytest.raises(TransitionRefused):
        svc.declare_no_conflict(assignment=assignment, actor=assignment.reviewer)


def test_declaring_a_conflict_records_it_and_draws_a_replacement(assignment):
    spare = make_reviewer()

    svc.declare_conflict(assignment=assignment, actor=assignment.reviewer, note="我曾是该机构理事")

    assignment.refresh_from_db()
    assert assignment.state == A.CONFLICTED
    record = ConflictRecord.objects.get()
    assert (record.reviewer, record.source, record.reason) == (
        assignment.reviewer,
        ConflictSource.DECLARED,
        "我曾是该机构理事",
    )
    replacement = ReviewAssignment.objects.get(replaces=assignment)
    assert replacement.reviewer == spare and replacement.drawn


def test_declaring_a_conflict_after_accepting_is_allowed(assignment):
    svc.declare_no_conflict(assignment=assignment, actor=assignment.reviewer)

    svc.declare_conflict(assignment=assignment, actor=assignment.reviewer, note="后来发现")

    assert ReviewAssignment.objects.get(pk=assignment.pk).state == A.CONFLICTED


def test_declining_needs_a_reason_and_draws_a_replacement(assignment, officer):
    spare = make_reviewer()
    with pytest.raises(ValidationError):
        svc.decline_assignment(assignment=assignment, actor=assignment.reviewer, reason="  ")

    svc.decline_assignment(assignment=assignment, actor=assignment.reviewer, reason="出国访学")

    assignment.refresh_from_db()
    assert (assignment.state, assignment.decline_reason) == (A.DECLINED, "出国访学")
    replacement = ReviewAssignment.objects.get(replaces=assignment)
    assert replacement.reviewer == spare
    officer_note = Notification.objects.get(recipient=officer, verb="review_declined")
    assert "出国访学" in officer_note.body


def test_replacement_excludes_conflicts_and_reviewers_already_on_the_panel(call):
    application = in_review(call)
    on_panel = make_reviewer()
    assign(application, on_panel)
    leaving = assign(application, make_reviewer())
    conflicted = make_reviewer()
    ConflictRecord.objects.create(
        reviewer=conflicted, application=application, source=ConflictSource.OFFICER, reason="x"
    )
    spare = make_reviewer()

    svc.decline_assignment(assignment=leaving, actor=leaving.reviewer, reason="没时间")

    assert ReviewAssignment.objects.get(replaces=leaving).reviewer == spare


def test_a_decline_without_anyone_left_reports_no_replacement(assignment, officer):
    svc.decline_assignment(assignment=assignment, actor=assignment.reviewer, reason="没时间")

    assert not ReviewAssignment.objects.filter(replaces=assignment).exists()


def test_declining_after_submitting_is_refused(assignment):
    ReviewAssignment.objects.filter(pk=assignment.pk).update(state=A.SUBMITTED)

    # signing again changes nothing; declining or declaring a conflict is refused
    assert svc.declare_no_conflict(assignment=assignment, actor=assignment.reviewer).state == (
        A.SUBMITTED
    )
    with pytest.raises(TransitionRefused):
        svc.decline_assignment(assignment=assignment, actor=assignment.reviewer, reason="x")
    with pytest.raises(TransitionRefused):
        svc.declare_conflict(assignment=assignment, actor=assignment.reviewer, note="x")


def test_declining_during_a_correction_is_refused(assignment):
    ReviewAssignment.objects.filter(pk=assignment.pk).update(state=A.ACCEPTED)
    sheet(assignment, submitted=True, is_current=False)

    with pytest.raises(TransitionRefused):
        svc.decline_assignment(assignment=assignment, actor=assignment.reviewer, reason="x")


@pytest.mark.parametrize("state", [A.CONFLICTED, A.DECLINED, A.WITHDRAWN])
def test_closed_assignments_allow_no_reviewer_action(call, state):
    assignment = assign(in_review(call), make_reviewer(), state)
    reviewer = assignment.reviewer

    with pytest.raises((PermissionDenied, TransitionRefused)):
        svc.declare_no_conflict(assignment=assignment, actor=reviewer)
    if state != A.DECLINED:
        with pytest.raises((PermissionDenied, TransitionRefused)):
            svc.decline_assignment(assignment=assignment, actor=reviewer, reason="x")
    if state != A.CONFLICTED:
        with pytest.raises((PermissionDenied, TransitionRefused)):
            svc.declare_conflict(assignment=assignment, actor=reviewer, note="x")
    assert ReviewAssignment.objects.get(pk=assignment.pk).state == state


# --- Reminders -----------------------------------------------------------------------------------


def test_reminders_go_to_unsubmitted_reviews_due_within_two_days(officer):
    now = timezone.now()
    soon = review_call(review_deadline=now + timedelta(days=1))
    later = review_call(review_deadline=now + timedelta(days=5))
    due = assign(in_review(soon), make_reviewer())
    accepted = assign(in_review(soon), make_reviewer(), A.ACCEPTED)
    assign(in_review(soon), make_reviewer(), A.SUBMITTED)
    assign(in_review(soon), make_reviewer(), A.DECLINED)
    assign(in_review(later), make_reviewer())

    sent = svc.send_review_reminders(now=now)

    assert sent == 2
    reminded = set(
        Notification.objects.filter(verb="review_reminder").values_list("recipient_id", flat=True)
    )
    assert reminded == {due.reviewer_id, accepted.reviewer_id}


def test_reminders_are_sent_at_most_once_a_day():
    # a day in Asia/Shanghai: the reminder's day is the local calendar day
    morning = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    call = review_call(review_deadline=morning + timedelta(days=2))
    assign(in_review(call), make_reviewer())

    assert svc.send_review_reminders(now=morning) == 1
    assert svc.send_review_reminders(now=morning + timedelta(hours=14, minutes=59)) == 0
    assert svc.send_review_reminders(now=morning + timedelta(hours=15)) == 1  # next day, 00:00


def test_no_reminder_for_a_conflicted_pair():
    now = timezone.now()
    call = review_call(review_deadline=now + timedelta(days=1))
    assignment = assign(in_review(call), make_reviewer())
    ConflictRecord.objects.create(
        reviewer=assignment.reviewer,
        application=assignment.application,
        source=ConflictSource.OFFICER,
        reason="x",
    )

    assert svc.send_review_reminders(now=now) == 0


def test_the_command_sends_the_reminders(capsys):
    call = review_call(review_deadline=timezone.now() + timedelta(hours=20))
    assign(in_review(call), make_reviewer())

    call_command("send_review_reminders")

    assert "1" in capsys.readouterr().out
    assert Notification.objects.filter(verb="review_reminder").count() == 1
