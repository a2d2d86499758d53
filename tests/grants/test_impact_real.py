"""The impact dashboard over the other areas' real rows: an accepted report, a sealed mid-term
evaluation, counted resident feedback and the ledger, each written through that area's own
services or factories. The figures are those a user would count by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from grants import selectors_impact as sel
from grants.enums import ApplicationState
from grants.models.feedback import FeedbackState
from grants.services import evaluations as evaluation_svc
from grants.services import reports as report_svc
from tests.factories import CallFactory, ProgrammeFactory
from tests.grants import factories_evaluations as evaluations
from tests.grants import factories_feedback as feedback
from tests.grants import factories_reports as reports


@pytest.fixture(autouse=True)
def _english_messages(english):
    """These tests read the English msgids; the zh-hans wording is checked by test_translations."""


pytestmark = pytest.mark.django_db
S = ApplicationState
D = Decimal


@pytest.fixture
def call():
    return CallFactory(
        title="崇川区“邻里+”邻里服务项目（第一批）",
        programme=ProgrammeFactory(name="2026年崇川区公益创投大赛"),
    )


@pytest.fixture
def project(call):
    # given a running project with its agreement, award and first tranche paid (¥10,000 of ¥20,000)
    return evaluations.funded_project(
        call=call,
        state=S.ACTIVE,
        title="“邻里+”楼道长守望探访计划",
        indicators=[{"name": "探访人次", "kind": "output", "target": "2,400", "unit": "人次"}],
        beneficiaries_count=120,
    )


def test_the_dashboard_adds_up_the_real_records(client, officer, call, project):
    # an accepted mid-term report: 180 beneficiaries, 6.5 + 4 volunteer hours, 50 per indicator
    member = reports.member_of(project.organisation)
    report = reports.submitted_report(project, member)
    report_svc.accept_report(report=report, actor=officer)
    # a sealed mid-term evaluation of 82 points (良好)
    evaluator = evaluations.make_evaluator()
    evaluation = evaluations.started(project, officer=officer, evaluator=evaluator)
    evaluations.scored(evaluation, evaluator=evaluator)
    evaluation_svc.submit_evaluation(evaluation=evaluation, actor=evaluator)
    # two counted residents (5 and 4 stars) and one who never typed the code
    channel = feedback.channel_for(project)
    feedback.verified_response(channel, phone="13900000001", satisfaction=5)
    feedback.verified_response(channel, phone="13900000002", satisfaction=4)
    feedback.verified_response(
        channel, phone="13900000003", satisfaction=1, state=FeedbackState.UNVERIFIED
    )

    # when
    client.force_login(officer)
    response = client.get(reverse("grants:impact_call", args=[call.pk]))

    # then
    assert response.status_code == 200
    impact = response.context["impact"]
    assert impact.missing == []
    assert impact.project_count == 1
    visits = next(row for row in impact.indicators if row.name == "探访人次")
    assert (visits.target, visits.reached) == (D("2400"), D("50"))
    # The plan's standard beneficiaries and hours rows are the summary's own figures, not rows.
    assert len([row for row in impact.indicators if row.name == "探访人次"]) == 1
    assert len(impact.indicators) == len(impact.projects[0].indicators)
    assert impact.beneficiaries_target == 120
    assert impact.beneficiaries_reached == 180
    assert impact.volunteer_hours == D("10.5")
    assert impact.satisfaction["responses"] == 2
    assert impact.satisfaction["mean_satisfaction"] == D("4.50")
    assert [(code, count) for code, _label, count in impact.grades] == [
        ("excellent", 0),
        ("good", 1),
        ("pass", 0),
        ("fail", 0),
    ]
    assert impact.projects[0].grade["score"] == D("82")
    assert impact.money["awarded"] == D("20000.00")
    assert impact.money["paid"] == D("10000.00")
    html = response.content.decode()
    assert "“邻里+”楼道长守望探访计划" in html
    assert "¥20,000" in html


def test_the_real_sources_cost_the_same_queries_for_1_and_30_projects(
    django_assert_max_num_queries, call
):
    small, large = CallFactory(), CallFactory()
    evaluations.funded_project(call=small)
    for _ in range(30):
        evaluations.funded_project(call=large)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert sel.impact_of(sel.call_projects(small)).project_count == 1
    with django_assert_max_num_queries(len(queries)):
        assert sel.impact_of(sel.call_projects(large)).project_count == 30
