"""Conflict detection (回避): relations within the look-back, ongoing ones, relatives, the drafted
call, shared communities; the register is written once; conflicted reviewers leave the panel."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from grants.enums import AssignmentState, ConflictSource, RelationKind
from grants.models import ConflictRecord, ReviewAssignment
from grants.services import review as pool_svc
from grants.services import review_conflicts as svc
from tests.factories import CommunityFactory, OrganisationFactory
from tests.grants.factories_review import (
    RelationFactory,
    assign,
    in_review,
    make_reviewer,
    review_call,
    sheet,
)

A = AssignmentState
pytestmark = pytest.mark.django_db


@pytest.fixture
def call():
    return review_call(conflict_lookback_years=3)


@pytest.fixture
def application(call):
    return in_review(call, organisation=OrganisationFactory(name="彩虹社工中心"))


def relate(reviewer, **kwargs):
    return RelationFactory(profile=reviewer.reviewer_profile, **kwargs)


def years_ago(years: int, days: int = 0) -> date:
    return svc.lookback_start(today=timezone.localdate(), years=years) + timedelta(days=days)


def pairs():
    return set(ConflictRecord.objects.values_list("reviewer_id", "application_id"))


def test_relation_that_ended_exactly_at_the_lookback_start_is_a_conflict(call, application):
    reviewer = make_reviewer()
    relate(reviewer, organisation=application.organisation, ended_on=years_ago(3))

    svc.detect_conflicts(call=call)

    record = ConflictRecord.objects.get()
    assert (record.reviewer, record.application) == (reviewer, application)
    assert record.source == ConflictSource.DETECTED
    assert "彩虹社工中心" in record.reason
    assert record.relation is not None


def test_relation_that_ended_a_day_before_the_lookback_is_not_a_conflict(call, application):
    reviewer = make_reviewer()
    relate(reviewer, organisation=application.organisation, ended_on=years_ago(3, days=-1))

    svc.detect_conflicts(call=call)

    assert not ConflictRecord.objects.exists()


def test_lookback_follows_the_call_setting(application):
    call = application.call
    call.conflict_lookback_years = 5
    call.save()
    reviewer = make_reviewer()
    relate(reviewer, organisation=application.organisation, ended_on=years_ago(4))

    svc.detect_conflicts(call=call)

    assert pairs() == {(reviewer.pk, application.pk)}


def test_ongoing_relation_is_a_conflict_however_old(call, application):
    reviewer = make_reviewer()
    relate(
        reviewer,
        kind=RelationKind.BOARD,
        organisation=application.organisation,
        started_on=date(2001, 1, 1),
        ended_on=None,
    )

    svc.detect_conflicts(call=call)

    assert (
        "ongoing" in ConflictRecord.objects.get().reason
        or "2001" in ConflictRecord.objects.get().reason
    )


def test_relation_through_a_relative_is_a_conflict_and_says_so(call, application):
    reviewer = make_reviewer()
    relate(
        reviewer,
        kind=RelationKind.DISPUTE,
        organisation=application.organisation,
        through_relative=True,
    )

    svc.detect_conflicts(call=call)

    record = ConflictRecord.objects.get()
    assert record.reviewer == reviewer
    assert "spouse" in record.reason or "配偶" in record.reason


def test_relation_with_another_organisation_is_no_conflict(call, application):
    reviewer = make_reviewer()
    relate(reviewer, organisation=OrganisationFactory())

    svc.detect_conflicts(call=call)

    assert not ConflictRecord.objects.exists()


def test_drafting_the_call_conflicts_with_every_application(call, application):
    other = in_review(call)
    in_review(review_call())  # another call: untouched
    reviewer = make_reviewer()
    relate(reviewer, kind=RelationKind.DRAFTED_CALL, organisation=None, call=call)

    svc.detect_conflicts(call=call)

    assert pairs() == {(reviewer.pk, application.pk), (reviewer.pk, other.pk)}


def test_shared_partner_community_is_a_conflict(call, application):
    community = CommunityFactory(name="钮家巷社区")
    application.partner_communities.add(community)
    reviewer = make_reviewer()
    reviewer.reviewer_profile.communities.add(community)

    svc.detect_conflicts(call=call)

    record = ConflictRecord.objects.get()
    assert record.source == ConflictSource.COMMUNITY
    assert "钮家巷社区" in record.reason


def test_the_organisations_own_community_is_a_conflict(call, application):
    community = CommunityFactory()
    application.organisation.community = community
    application.organisation.save()
    reviewer = make_reviewer()
    reviewer.reviewer_profile.communities.add(community)

    svc.detect_conflicts(call=call)

    assert pairs() == {(reviewer.pk, application.pk)}


def test_a_different_community_is_no_conflict(call, application):
    application.partner_communities.add(CommunityFactory())
    reviewer = make_reviewer()
    reviewer.reviewer_profile.communities.add(CommunityFactory())

    svc.detect_conflicts(call=call)

    assert not ConflictRecord.objects.exists()


def test_detection_is_idempotent(call, application):
    reviewer = make_reviewer()
    relate(reviewer, organisation=application.organisation)

    first = svc.detect_conflicts(call=call)
    second = svc.detect_conflicts(call=call)

    assert len(first.created) == 1
    assert second.found == 1 and second.created == []
    assert ConflictRecord.objects.count() == 1


def test_detection_keeps_a_declared_conflict_as_it_was(call, application):
    reviewer = make_reviewer()
    ConflictRecord.objects.create(
        reviewer=reviewer, application=application, source=ConflictSource.DECLARED, reason="亲属"
    )
    relate(reviewer, organisation=application.organisation)

    svc.detect_conflicts(call=call)

    record = ConflictRecord.objects.get()
    assert (record.source, record.reason) == (ConflictSource.DECLARED, "亲属")


def test_applications_not_in_review_are_not_checked(call):
    draft = in_review(call, state="draft")
    reviewer = make_reviewer()
    relate(reviewer, organisation=draft.organisation)

    svc.detect_conflicts(call=call)

    assert not ConflictRecord.objects.exists()


def test_detection_takes_an_unsubmitted_reviewer_off_the_panel_and_replaces_them(
    call, application, officer
):
    # given a reviewer on the panel who then turns out to be conflicted
    conflicted = make_reviewer()
    spare = make_reviewer()
    assignment = assign(application, conflicted, A.ACCEPTED)
    relate(conflicted, organisation=application.organisation)

    # when an officer runs the check
    result = svc.detect_conflicts(call=call, actor=officer)

    # then the reviewer is withdrawn and the spare reviewer replaces them
    assignment.refresh_from_db()
    assert assignment.state == A.WITHDRAWN
    replacement = ReviewAssignment.objects.get(replaces=assignment)
    assert replacement.reviewer == spare
    assert [a.pk for a in result.withdrawn] == [assignment.pk]


def test_detection_leaves_a_submitted_reviewer_for_the_officer_to_judge(call, application):
    reviewer = make_reviewer()
    assignment = assign(application, reviewer, A.SUBMITTED)
    sheet(assignment, submitted=True)
    relate(reviewer, organisation=application.organisation)

    svc.detect_conflicts(call=call)

    assignment.refresh_from_db()
    assert assignment.state == A.SUBMITTED
    assert ConflictRecord.objects.filter(reviewer=reviewer, application=application).exists()


def test_only_officers_run_the_check(call, reviewer):
    with pytest.raises(PermissionDenied):
        svc.detect_conflicts(call=call, actor=reviewer)


def test_declaring_a_relation_puts_the_conflict_in_the_register_at_once(application):
    reviewer = make_reviewer()

    pool_svc.add_relation(
        user=reviewer,
        actor=reviewer,
        kind=RelationKind.ADVISED,
        organisation=application.organisation,
        started_on=date(2024, 1, 1),
    )

    assert pairs() == {(reviewer.pk, application.pk)}


def test_adding_a_community_to_the_profile_puts_the_conflict_in_the_register(application):
    community = CommunityFactory()
    application.partner_communities.add(community)
    reviewer = make_reviewer()

    pool_svc.update_profile(
        user=reviewer, actor=reviewer, expertise=["elderly"], community_ids=[community.pk]
    )

    assert pairs() == {(reviewer.pk, application.pk)}


def test_officer_records_a_conflict_by_hand(application, officer):
    reviewer = make_reviewer()
    assignment = assign(application, reviewer)

    record = svc.record_conflict(
        application=application, reviewer=reviewer, actor=officer, reason="电话告知：曾任该机构顾问"
    )

    assert record.source == ConflictSource.OFFICER
    assert record.recorded_by == officer
    assignment.refresh_from_db()
    assert assignment.state == A.WITHDRAWN


def test_recording_a_conflict_needs_a_reason_and_an_officer(application, officer, reviewer):
    with pytest.raises(ValidationError):
        svc.record_conflict(application=application, reviewer=reviewer, actor=officer, reason=" ")
    with pytest.raises(PermissionDenied):
        svc.record_conflict(application=application, reviewer=reviewer, actor=reviewer, reason="x")


def test_a_relation_in_the_register_cannot_be_removed(call, application):
    reviewer = make_reviewer()
    relation = relate(reviewer, organisation=application.organisation)
    svc.detect_conflicts(call=call)

    with pytest.raises(ValidationError):
        pool_svc.remove_relation(relation=relation, actor=reviewer)


def test_lookback_start_on_29_february():
    assert svc.lookback_start(today=date(2028, 2, 29), years=3) == date(2025, 2, 28)
