"""The resident feedback demo: pages for the funded projects, responses on four; idempotent."""

from __future__ import annotations

import io

import pytest

from grants.demo import FUNDED_CALL_SLUG
from grants.demo_feedback import RESPONSES, seed
from grants.enums import ApplicationState
from grants.models.feedback import FeedbackChannel, FeedbackResponse, FeedbackState
from grants.selectors_feedback import feedback_summary
from tests.factories import CallFactory
from tests.grants.factories_feedback import funded_project

pytestmark = pytest.mark.django_db
S = ApplicationState
F = FeedbackState


@pytest.fixture
def demo_projects():
    call = CallFactory(slug=FUNDED_CALL_SLUG)
    states = {
        "“邻里公约”议事协商能力提升": S.CONTRACTED,
        "“邻里+”楼道长守望探访计划": S.ACTIVE,
        "残障人士社区融合与辅助就业": S.ACTIVE,
        "书香濠南·亲子共读与长者读报": S.FINAL_EVALUATION,
        "困境家庭儿童“微心愿”圆梦行动": S.COMPLETED,
        "钟楼社区高龄独居老人结对守望": S.APPROVED,
        "邻里文化大串门巡演": S.TERMINATED,
    }
    return {
        title: funded_project(call=call, title=title, state=state)
        for title, state in states.items()
    }


def test_seed_creates_pages_and_responses_once(demo_projects):
    out = io.StringIO()
    seed(stdout=out)

    assert FeedbackChannel.objects.count() == 5  # not the approved or the terminated project
    assert not FeedbackChannel.objects.get(
        application=demo_projects["困境家庭儿童“微心愿”圆梦行动"]
    ).is_open
    total = sum(len(rows) for rows in RESPONSES.values())
    assert 20 <= total <= 40
    assert FeedbackResponse.objects.count() == total
    flagged = FeedbackResponse.objects.get(state=F.FLAGGED)
    assert flagged.application.title == "“邻里+”楼道长守望探访计划"
    assert FeedbackResponse.objects.filter(satisfaction__lte=3).count() >= 3
    ids = [project.pk for project in demo_projects.values()]
    summary = feedback_summary(ids)
    assert summary[demo_projects["“邻里+”楼道长守望探访计划"].pk]["responses"] == 7
    assert summary[demo_projects["“邻里公约”议事协商能力提升"].pk]["responses"] == 0
    assert "resident feedback: 5 pages, 28 responses created" in out.getvalue()

    # a second run creates nothing
    out = io.StringIO()
    seed(stdout=out)
    assert FeedbackChannel.objects.count() == 5
    assert FeedbackResponse.objects.count() == total
    assert "0 pages, 0 responses created" in out.getvalue()


def test_seed_without_projects_says_so():
    out = io.StringIO()
    seed(stdout=out)
    assert "skipped" in out.getvalue()
    assert FeedbackChannel.objects.count() == 0
