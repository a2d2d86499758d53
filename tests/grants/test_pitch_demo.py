"""The 路演 demo: five pitches, two announced, one on stage; a second run creates nothing."""

from __future__ import annotations

import pytest

from grants.demo_pitch import SESSION_TITLE, seed_pitch
from grants.enums import ApplicationState, ConflictSource
from grants.models import (
    ConflictRecord,
    CriterionScore,
    Notification,
    PitchSession,
    PitchSlot,
    ReviewAssignment,
    ScoreSheet,
)
from grants.selectors_pitch import live_slot, slots_of_session
from tests.factories import CallFactory
from tests.grants.factories_pitch import in_review, make_judge, make_officer, pitch_call

pytestmark = pytest.mark.django_db


def counts():
    return [
        model.objects.count()
        for model in (
            PitchSession,
            PitchSlot,
            ReviewAssignment,
            ScoreSheet,
            CriterionScore,
            Notification,
        )
    ]


def test_seed_pitch_builds_a_session_with_two_announced_and_one_on_stage():
    call = pitch_call(aggregation_method="trimmed_mean")
    applications = [in_review(call) for _ in range(6)]
    judges = [make_judge(f"demo_judge{n}") for n in range(5)]
    ConflictRecord.objects.create(
        reviewer=judges[0], application=applications[0], source=ConflictSource.DETECTED,
        reason="曾任该机构理事",
    )  # fmt: skip
    officer = make_officer()

    session = seed_pitch(call=call, judges=judges, officer=officer)

    assert session.title == SESSION_TITLE
    slots = slots_of_session(session=session)
    assert len(slots) == 5
    assert [slot.tallied_at is not None for slot in slots] == [True, True, False, False, False]
    assert all(slot.tally is not None for slot in slots[:2])
    assert live_slot(slots) == slots[2] and slots[2].started_at is not None
    assert 0 < slots[2].judges_submitted < slots[2].judges_live
    assert not ReviewAssignment.objects.filter(
        reviewer=judges[0], application=applications[0]
    ).exists()
    assert all(
        application.state == ApplicationState.DEFENSE
        for application in (slot.application for slot in slots)
    )

    before = counts()
    assert seed_pitch(call=call, judges=judges, officer=officer) == session
    assert counts() == before


def test_seed_pitch_needs_a_call_with_a_live_pitch():
    with pytest.raises(ValueError):
        seed_pitch(call=CallFactory(has_defense=False), judges=[], officer=make_officer())
