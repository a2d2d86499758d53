"""The review demo: profiles, one detected and one declared conflict, panels of five, submitted
scores and drafts; a second run creates nothing."""

from __future__ import annotations

import pytest

from accounts.enums import Role
from grants.demo_review import ensure_reviewer_users, seed_review
from grants.enums import AssignmentState, ConflictSource, SheetStatus
from grants.models import (
    ConflictRecord,
    Notification,
    ReviewAssignment,
    ReviewerRelation,
    ScoreSheet,
)
from tests.grants.factories_review import in_review, review_call

A = AssignmentState
pytestmark = pytest.mark.django_db


def counts():
    return (
        ReviewAssignment.objects.count(),
        ScoreSheet.objects.count(),
        ConflictRecord.objects.count(),
        ReviewerRelation.objects.count(),
        Notification.objects.count(),
    )


def test_demo_fills_a_call_in_review_and_is_idempotent(officer):
    call = review_call()
    applications = [
        in_review(call, theme=theme) for theme in ("elderly", "youth") * 3 + ("elderly",)
    ]

    reviewers = ensure_reviewer_users()
    result = seed_review(call=call, reviewers=reviewers, officer=officer)

    assert [user.username for user in reviewers][:5] == [f"reviewer{n}" for n in range(1, 6)]
    assert all(user.has_role(Role.REVIEWER) for user in reviewers)
    assert reviewers[0].check_password("yichuang-demo")
    for application in applications:
        live = ReviewAssignment.objects.filter(
            application=application, state__in=[A.ASSIGNED, A.ACCEPTED, A.SUBMITTED]
        )
        assert live.count() == 5
    sources = set(ConflictRecord.objects.values_list("source", flat=True))
    assert {ConflictSource.DETECTED, ConflictSource.DECLARED} <= sources
    assert ReviewAssignment.objects.filter(replaces__isnull=False).exists()
    assert result.submitted > result.drafts > 0
    assert ScoreSheet.objects.filter(status=SheetStatus.SUBMITTED).count() == result.submitted
    assert ReviewAssignment.objects.filter(
        reviewer__username="reviewer1", state=A.ASSIGNED
    ).exists()
    # no conflicted reviewer is on a panel
    conflicted = set(ConflictRecord.objects.values_list("reviewer_id", "application_id"))
    live_pairs = set(
        ReviewAssignment.objects.filter(
            state__in=[A.ASSIGNED, A.ACCEPTED, A.SUBMITTED]
        ).values_list("reviewer_id", "application_id")
    )
    assert not conflicted & live_pairs

    before = counts()
    ensure_reviewer_users()
    seed_review(call=call, reviewers=reviewers, officer=officer)
    assert counts() == before
