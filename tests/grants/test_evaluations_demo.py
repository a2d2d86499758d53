"""The evaluation demo: results that explain the demo projects' states, idempotent."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest

from grants import demo_evaluations
from grants.enums_evaluations import EvaluationState, Grade
from grants.models import Evaluation, EvaluationActivity, EvaluationScore

pytestmark = pytest.mark.django_db
E = EvaluationState


@pytest.fixture
def projects(db):
    import importlib

    for name in ("incubator.demo", "accounts.demo", "grants.demo", "grants.demo_projects"):
        importlib.import_module(name).seed(stdout=StringIO())


def by_title(title: str, kind: str) -> Evaluation:
    return Evaluation.objects.get(application__title=title, kind=kind)


def test_the_demo_writes_the_evaluations_behind_each_project(projects):
    out = StringIO()
    demo_evaluations.seed(stdout=out)
    assert "评估 evaluations: 7 created" in out.getvalue()
    passed = by_title("残障人士社区融合与辅助就业", "mid_term")
    assert (passed.state, passed.total, passed.grade) == (E.SUBMITTED, Decimal("82"), Grade.GOOD)
    final = by_title("困境家庭儿童“微心愿”圆梦行动", "final")
    assert (final.total, final.grade) == (Decimal("92"), Grade.EXCELLENT)
    failed = by_title("邻里文化大串门巡演", "mid_term")
    assert (failed.total, failed.grade, failed.passed) == (Decimal("52"), Grade.FAIL, False)
    open_one = by_title("学田社区长者助餐与健康管理", "mid_term")
    assert open_one.state == E.IN_PROGRESS and open_one.evaluator.username == "evaluator"
    assigned = by_title("书香濠南·亲子共读与长者读报", "final")
    assert assigned.state == E.ASSIGNED
    assert [s.label for s in passed.scores.all()] == [
        "执行情况",
        "投入与管理",
        "财务管理",
        "项目成效",
    ]
    assert passed.activities.filter(method="site_visit").exists()


def test_running_the_demo_again_creates_nothing(projects):
    demo_evaluations.seed(stdout=StringIO())
    counts = (
        Evaluation.objects.count(),
        EvaluationScore.objects.count(),
        EvaluationActivity.objects.count(),
    )
    out = StringIO()
    demo_evaluations.seed(stdout=out)
    assert "0 created" in out.getvalue()
    assert counts == (
        Evaluation.objects.count(),
        EvaluationScore.objects.count(),
        EvaluationActivity.objects.count(),
    )


def test_the_demo_evaluator_can_open_the_open_mid_term(projects, client):
    from django.urls import reverse

    from accounts.models import User

    demo_evaluations.seed(stdout=StringIO())
    evaluation = by_title("学田社区长者助餐与健康管理", "mid_term")
    client.force_login(User.objects.get(username="evaluator"))
    page = client.get(reverse("grants:evaluations_workspace")).content.decode()
    assert "学田社区长者助餐与健康管理" in page
    response = client.get(reverse("grants:evaluations_workspace_detail", args=[evaluation.pk]))
    assert response.status_code == 200
