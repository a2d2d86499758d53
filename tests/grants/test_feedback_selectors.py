"""feedback_summary: the figures other areas read (evaluation, impact dashboard)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from grants.models.feedback import FeedbackState
from grants.selectors_feedback import distribution, distribution_rows, feedback_summary
from grants.services import feedback as svc
from tests.grants.factories_feedback import channel_for, funded_project, verified_response

pytestmark = pytest.mark.django_db
F = FeedbackState


def test_summary_counts_only_counted_responses_and_matches_hand_computed_figures():
    # given: ratings 5, 5, 4, 3, 1 counted; a flagged 5, an excluded 1 and an unverified 1
    channel = channel_for(funded_project())
    for n, stars in enumerate([5, 5, 4, 3, 1]):
        verified_response(channel, phone=f"1390000000{n}", satisfaction=stars)
    verified_response(channel, phone="13911111111", satisfaction=5, state=F.FLAGGED)
    verified_response(channel, phone="13922222222", satisfaction=1, state=F.EXCLUDED)
    svc.submit_response(channel=channel, answers=svc.Answers(satisfaction=1, phone="13933333333"))
    empty = funded_project(title="书香濠南·亲子共读与长者读报")

    # when
    summary = feedback_summary([channel.application_id, empty.pk])

    # then: 18 / 5 = 3.60; 3 of 5 gave 4 or 5 stars = 60.0 %
    assert summary[channel.application_id] == {
        "responses": 5,
        "mean_satisfaction": Decimal("3.60"),
        "satisfied_percent": Decimal("60.0"),
    }
    assert summary[empty.pk] == {
        "responses": 0,
        "mean_satisfaction": None,
        "satisfied_percent": None,
    }
    assert distribution(channel.application_id) == {1: 1, 2: 0, 3: 1, 4: 1, 5: 2}
    rows = distribution_rows(distribution(channel.application_id))
    assert [(r["stars"], r["count"], r["percent"]) for r in rows] == [
        (5, 2, 40), (4, 1, 20), (3, 1, 20), (2, 0, 0), (1, 1, 20),
    ]  # fmt: skip


def test_mean_is_rounded_half_up_to_two_places():
    channel = channel_for(funded_project())
    for n, stars in enumerate([5, 4, 4]):
        verified_response(channel, phone=f"1390000000{n}", satisfaction=stars)
    figures = feedback_summary([channel.application_id])[channel.application_id]
    assert figures["mean_satisfaction"] == Decimal("4.33")  # 13 / 3
    assert figures["satisfied_percent"] == Decimal("100.0")


def test_summary_of_nothing_is_empty(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert feedback_summary([]) == {}


@pytest.mark.parametrize("projects", [1, 30])
def test_summary_runs_one_query_whatever_the_number_of_projects(
    projects, django_assert_num_queries
):
    ids = []
    for n in range(projects):
        channel = channel_for(funded_project(title=f"项目{n}"))
        verified_response(channel, phone="13900000000", satisfaction=4)
        ids.append(channel.application_id)
    with django_assert_num_queries(1):
        summary = feedback_summary(ids)
    assert all(summary[pk]["responses"] == 1 for pk in ids)
