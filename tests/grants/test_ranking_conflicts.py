"""A conflict found after a reviewer submitted takes their score out of the ranking."""

from __future__ import annotations

from decimal import Decimal as D

from grants.enums import ConflictSource
from grants.models import ConflictRecord
from grants.selectors_ranking import submitted_scores
from tests.grants._ranking_helpers import make_reviewer, ranking_call, reviewed, score


def test_score_of_a_reviewer_entered_in_the_conflict_register_later_does_not_count(db):
    # given an application scored 90 by one reviewer and 30 by another
    call = ranking_call()
    application = reviewed(call, title="邻里守望")
    fair, conflicted = make_reviewer("fair"), make_reviewer("late")
    score(application, fair, 90)
    score(application, conflicted, 30)
    assert sorted(s.total for s in submitted_scores(call=call)["written"]) == [D("30"), D("90")]

    # when the officer records the second reviewer's conflict after the fact
    ConflictRecord.objects.create(
        reviewer=conflicted,
        application=application,
        source=ConflictSource.OFFICER,
        reason="评审后发现其配偶任该机构理事。",
    )

    # then only the fair reviewer's score is ranked
    assert [s.total for s in submitted_scores(call=call)["written"]] == [D("90")]
