"""The impact dashboards of a call and of a programme's year: who may see them, what they show,
and a number of queries that does not grow with the number of projects."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.enums import Role
from grants.enums import ApplicationState
from tests.factories import CallFactory, MembershipFactory, ProgrammeFactory, UserFactory
from tests.grants.factories_impact import funded, no_sources, sources


@pytest.fixture(autouse=True)
def _english_messages(english):
    """These tests read the English msgids; the zh-hans wording is checked by test_translations."""


pytestmark = pytest.mark.django_db
S = ApplicationState
D = Decimal


@pytest.fixture
def finance(db):
    user = UserFactory(username="fiona", display_name="财务小周")
    MembershipFactory(user=user, organisation=None, role=Role.FINANCE)
    return user


@pytest.fixture
def evaluator(db):
    user = UserFactory(username="eve", display_name="第三方评估员")
    MembershipFactory(user=user, organisation=None, role=Role.EVALUATOR)
    return user


@pytest.fixture
def call():
    return CallFactory(
        title="崇川区“邻里+”邻里服务项目（第一批）",
        programme=ProgrammeFactory(name="2026年崇川区公益创投大赛"),
    )


@pytest.fixture
def projects(call):
    one = funded(
        call,
        state=S.ACTIVE,
        title="“邻里+”楼道长守望探访计划",
        indicators=[
            {"name": "探访人次", "kind": "output", "target": "2,400", "unit": "人次"},
            {"name": "居民满意度", "kind": "outcome", "target": "≥90%", "unit": "%"},
        ],
        beneficiaries=120,
    )
    two = funded(
        call,
        state=S.COMPLETED,
        title="困境家庭儿童“微心愿”圆梦行动",
        indicators=[
            {"name": "探访人次", "kind": "output", "target": "1600", "unit": "人次"},
            {"name": "居民满意度", "kind": "outcome", "target": "80%", "unit": "%"},
        ],
        beneficiaries=80,
    )
    funded(call, state=S.APPROVED, title="钟楼社区高龄独居老人结对守望")  # not funded yet
    return one, two


def _figures(monkeypatch, one, two):
    sources(
        monkeypatch,
        progress={
            one.pk: [
                {"name": "探访人次", "unit": "人次", "target": D("2400"), "reached": D("1830")},
                {"name": "居民满意度", "unit": "%", "target": D("90"), "reached": D("94")},
            ],
            two.pk: [
                {"name": "探访人次", "unit": "人次", "target": D("1600"), "reached": D("1670")},
                {"name": "居民满意度", "unit": "%", "target": D("80"), "reached": D("88")},
            ],
        },
        beneficiaries={one.pk: 96, two.pk: 83},
        hours={one.pk: D("412.5"), two.pk: D("180")},
        feedback={
            one.pk: {"responses": 30, "mean_satisfaction": D("4.6"), "satisfied_percent": D("90")},
            two.pk: {"responses": 10, "mean_satisfaction": D("4.2"), "satisfied_percent": D("70")},
        },
        grades={
            one.pk: {"kind": "mid_term", "score": D("86"), "grade": "good", "passed": True},
            two.pk: {"kind": "final", "score": D("92.5"), "grade": "excellent", "passed": True},
        },
        money={
            one.pk: {"awarded": D("20000"), "paid": D("10000"), "spent": D("7300")},
            two.pk: {"awarded": D("30000"), "paid": D("30000"), "spent": D("29650.40")},
        },
    )


def test_the_officer_sees_the_figures_of_the_call_added_up(
    client, officer, call, projects, monkeypatch
):
    # given
    one, two = projects
    _figures(monkeypatch, one, two)
    client.force_login(officer)
    # when
    response = client.get(reverse("grants:impact_call", args=[call.pk]))
    # then
    assert response.status_code == 200
    impact = response.context["impact"]
    assert impact.project_count == 2
    assert [(r.name, r.target, r.reached) for r in impact.indicators] == [
        ("探访人次", D("4000"), D("3500")),
        ("居民满意度", D("85.00"), D("91.00")),  # rates averaged
    ]
    html = response.content.decode()
    assert "“邻里+”楼道长守望探访计划" in html
    assert "困境家庭儿童“微心愿”圆梦行动" in html
    assert "钟楼社区高龄独居老人结对守望" not in html  # approved, not funded yet
    assert "4,000" in html and "3,500" in html and "87.5%" in html
    assert "179" in html and "200" in html  # beneficiaries reached of planned
    assert "592.5" in html  # volunteer hours
    assert "4.5" in html  # (30 × 4.6 + 10 × 4.2) / 40
    assert "¥40,000" in html and "¥36,950.40" in html  # paid, spent
    assert 'class="bar bar--reached"' in html  # the SVG chart
    assert 'class="bar bar--excellent"' in html
    assert reverse("grants:officer_application", args=[one.pk]) in html


def test_before_the_other_areas_exist_the_page_says_no_data_yet(
    client, officer, call, projects, monkeypatch
):
    no_sources(monkeypatch)
    client.force_login(officer)
    response = client.get(reverse("grants:impact_call", args=[call.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "No data yet" in html or "暂无数据" in html
    assert response.context["impact"].missing == ["reports", "feedback", "evaluations", "finance"]
    # The targets are the applications' own: still shown.
    assert "4,000" in html


def test_finance_staff_see_the_dashboard_without_links_to_the_officer_pages(
    client, finance, call, projects, monkeypatch
):
    one, two = projects
    _figures(monkeypatch, one, two)
    client.force_login(finance)
    response = client.get(reverse("grants:impact_call", args=[call.pk]))
    assert response.status_code == 200
    assert reverse("grants:officer_application", args=[one.pk]) not in response.content.decode()


@pytest.mark.parametrize("persona", ["applicant", "reviewer", "evaluator", "outsider"])
@pytest.mark.parametrize("url_name", ["call", "programme", "annual_xlsx", "annual_pdf"])
def test_other_people_are_refused(client, request, call, projects, persona, url_name):
    client.force_login(request.getfixturevalue(persona))
    pk = call.pk if url_name == "call" else call.programme_id
    response = client.get(reverse(f"grants:impact_{url_name}", args=[pk]))
    assert response.status_code == 403


@pytest.mark.parametrize("url_name", ["call", "programme", "annual_xlsx", "annual_pdf"])
def test_anonymous_visitors_are_sent_to_sign_in(client, call, url_name):
    pk = call.pk if url_name == "call" else call.programme_id
    response = client.get(reverse(f"grants:impact_{url_name}", args=[pk]))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_programme_dashboard_shows_the_year_and_its_calls(
    client, officer, call, projects, monkeypatch
):
    one, two = projects
    _figures(monkeypatch, one, two)
    client.force_login(officer)
    url = reverse("grants:impact_programme", args=[call.programme_id])
    response = client.get(url, {"year": "2026"})
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["year"] == 2026
    assert call.title in html
    assert response.context["impact"].project_count == 2
    assert f"{reverse('grants:impact_annual_pdf', args=[call.programme_id])}?year=2026" in html


def test_without_a_year_the_programme_dashboard_shows_its_current_one(
    client, officer, call, projects, monkeypatch
):
    no_sources(monkeypatch)
    client.force_login(officer)
    response = client.get(reverse("grants:impact_programme", args=[call.programme_id]))
    assert response.status_code == 200
    # A programme of 2026 only: 2026 whatever today's date.
    assert response.context["year"] == 2026
    assert response.context["impact"].project_count == 2


@pytest.mark.parametrize("year", ["1999", "abc", "2026.5", "-1"])
def test_a_year_the_programme_never_ran_is_not_found(client, officer, call, year):
    client.force_login(officer)
    url = reverse("grants:impact_programme", args=[call.programme_id])
    assert client.get(url, {"year": year}).status_code == 404


def test_an_unknown_call_or_programme_is_not_found(client, officer):
    client.force_login(officer)
    assert client.get(reverse("grants:impact_call", args=[999999])).status_code == 404
    assert client.get(reverse("grants:impact_programme", args=[999999])).status_code == 404


def _projects(call, count):
    return [
        funded(
            call,
            state=(S.ACTIVE, S.MID_TERM, S.COMPLETED)[n % 3],
            indicators=[
                {"name": "探访人次", "kind": "output", "target": "100", "unit": "人次"},
                {"name": f"活动{n}", "kind": "output", "target": "5", "unit": "场"},
            ],
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("real_sources", [True, False], ids=["other-areas", "alone"])
@pytest.mark.parametrize("url_name", ["impact_call", "impact_programme"])
def test_the_dashboards_cost_the_same_queries_for_1_and_30_projects(
    client, officer, monkeypatch, django_assert_max_num_queries, url_name, real_sources
):
    if not real_sources:
        no_sources(monkeypatch)
    client.force_login(officer)
    small, large = CallFactory(), CallFactory()
    _projects(small, 1)
    _projects(large, 30)

    def url(call):
        pk = call.pk if url_name == "impact_call" else call.programme_id
        return reverse(f"grants:{url_name}", args=[pk])

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url(small))  # warm per-process caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url(small)).status_code == 200
    with django_assert_max_num_queries(len(queries)):
        response = client.get(url(large))
    assert response.context["impact"].project_count == 30
