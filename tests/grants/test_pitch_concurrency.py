"""路演 on PostgreSQL: two judges pressing Submit at the same moment announce the score exactly once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import User
from grants.models import PitchSlot, ReviewAssignment
from grants.services import pitch as svc
from tests.grants.factories_pitch import (
    criterion_scores,
    in_review,
    make_judge,
    make_officer,
    make_session,
    pitch_call,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_judges_submitting_at_once_tally_the_pitch_exactly_once():
    # given a pitch on stage with two judges, both declared and ready to submit
    officer = make_officer()
    call = pitch_call()
    judges = [make_judge("race_a"), make_judge("race_b")]
    session = make_session(call, judges, officer=officer)
    (slot,) = svc.schedule_pitches(session=session, applications=[in_review(call)], actor=officer)
    svc.start_slot(slot=slot, actor=officer)
    assignments = {}
    for judge in judges:
        assignment = ReviewAssignment.objects.get(application=slot.application, reviewer=judge)
        assignments[judge.pk] = svc.declare(assignment=assignment, actor=judge, conflict=False).pk
    scores = criterion_scores(call, 80)
    percents = {judges[0].pk: 80, judges[1].pk: 90}

    for _round in range(
        3
    ):  # a few rounds make an unlucky interleaving likely if the lock were missing
        barrier = threading.Barrier(2)

        def submit(judge_id, barrier=barrier):
            try:
                judge = User.objects.get(pk=judge_id)
                assignment = ReviewAssignment.objects.get(pk=assignments[judge_id])
                barrier.wait(timeout=10)
                return svc.save_pitch_scores(
                    assignment=assignment, actor=judge,
                    scores=criterion_scores(call, percents[judge_id]), submit=True,
                ).tallied  # fmt: skip
            finally:
                connection.close()

        # when both press Submit at the same moment
        with ThreadPoolExecutor(max_workers=2) as pool:
            tallied = list(pool.map(submit, [judge.pk for judge in judges]))

        # then exactly one of them announced the score, with both totals in it
        assert sorted(tallied) == [False, True]
        slot.refresh_from_db()
        assert slot.tally == Decimal("85.00") and slot.tallied_at is not None

        # (reset for the next round: both back to "declared, not submitted")
        ReviewAssignment.objects.filter(pk__in=assignments.values()).update(state="accepted")
        from grants.models import ScoreSheet

        ScoreSheet.objects.filter(assignment_id__in=assignments.values()).delete()
        PitchSlot.objects.filter(pk=slot.pk).update(tally=None, tallied_at=None)
    assert scores  # the rubric was scored on every criterion
