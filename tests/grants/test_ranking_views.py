"""The officer's ranking page and its actions: who may see it, what it shows, what its forms do."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from grants.enums import AggregationMethod, ApplicationState
from grants.models import Application, Call, ReviewSummary
from tests.grants._ranking_helpers import bulk_panel, make_reviewer, ranking_call, reviewed, score

S = ApplicationState
pytestmark = pytest.mark.django_db


@pytest.fixture
def panel(db):
    return [make_reviewer(f"expert{n}", f"专家{n}") for n in range(1, 6)]


@pytest.fixture
def call(db):
    return ranking_call(budget=D("60000"))


def scored(call, panel, totals, **kwargs):
    application = reviewed(call, **kwargs)
    for reviewer, total in zip(panel, totals, strict=False):
        score(application, reviewer, total)
    return application


def url(name, call, **query):
    address = reverse(f"grants:{name}", args=[call.pk])
    if query:
        address += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return address


PAGES = ["call_ranking", "ranking_export"]
ACTIONS = ["ranking_recommend", "ranking_method", "ranking_override", "ranking_adjust"]


# --- Who may see it -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES + ACTIONS)
def test_anonymous_visitors_are_sent_to_log_in(client, call, name):
    response = client.post(url(name, call)) if name in ACTIONS else client.get(url(name, call))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


@pytest.mark.parametrize("persona", ["outsider", "reviewer", "applicant"])
@pytest.mark.parametrize("name", PAGES + ACTIONS)
def test_only_officers_may_open_the_ranking(request, client, call, panel, persona, name):
    application = scored(call, panel, (80, 80, 80))
    client.force_login(request.getfixturevalue(persona))
    if name in ACTIONS:
        response = client.post(
            url(name, call),
            {"method": "mean", "override-application": application.pk, "override-decision": "in",
             "override-reason": "x", "adjust-application": application.pk, "adjust-public_score": "1"},
        )  # fmt: skip
    else:
        response = client.get(url(name, call))
    assert response.status_code == 403
    assert Application.objects.get(pk=application.pk).state == S.REVIEWED
    assert not ReviewSummary.objects.exists()
    assert Call.objects.get(pk=call.pk).aggregation_method == AggregationMethod.TRIMMED_MEAN


def test_unknown_call_is_404(client, officer):
    client.force_login(officer)
    assert client.get(reverse("grants:call_ranking", args=[999999])).status_code == 404


@pytest.mark.parametrize("name", ACTIONS)
def test_actions_need_post(client, officer, call, name):
    client.force_login(officer)
    assert client.get(url(name, call)).status_code == 405


# --- What it shows --------------------------------------------------------------------------------


def test_page_explains_the_methods_and_ranks_with_the_calls_method(client, officer, call, panel):
    x = scored(call, panel, (90, 90, 90, 90, 20), title="X项目", amount="30000")
    y = scored(call, panel, (82, 82, 82, 82, 82), title="Y项目", amount="40000")
    few = scored(call, panel, (70, 75, 80), title="少于五人", amount="10000")
    client.force_login(officer)
    response = client.get(url("call_ranking", call))
    assert response.status_code == 200
    html = response.content.decode()
    ranking = response.context["ranking"]
    # trimmed mean by default: X (90) before Y (82) before the three-score one (75, plain mean)
    assert ranking.method == "trimmed_mean"
    assert [row.application.pk for row in ranking.rows] == [x.pk, y.pk, few.pk]
    # every method is explained in plain words
    for method in response.context["methods"]:
        assert escape(str(method["explanation"]))[:20] in html
    # the trimmed mean says when it fell back to the plain mean
    assert ranking.rows[2].ranking.written.trimmed is False
    # the reviewer who gave 20 is named as an outlier and X's spread is flagged
    assert "专家5" in html
    assert ranking.rows[0].ranking.written.wide_spread
    # X and Y swap places between methods: the largest move is flagged
    assert ranking.rows[0].ranking.largest_move and ranking.rows[1].ranking.largest_move
    # budget 60,000: X (30k) and the 10k one fit, Y (40k) does not
    recommendation = ranking.recommendation
    assert recommendation.recommended_ids == [x.pk, few.pk]
    assert recommendation.remaining == D("20000")
    assert ranking.pending  # the states have not followed yet


def test_method_selector_previews_another_method(client, officer, call, panel):
    x = scored(call, panel, (90, 90, 90, 90, 20))
    y = scored(call, panel, (82, 82, 82, 82, 82))
    client.force_login(officer)
    response = client.get(url("call_ranking", call, method="mean"))
    ranking = response.context["ranking"]
    assert ranking.method == "mean"
    assert [row.application.pk for row in ranking.rows] == [y.pk, x.pk]
    assert reverse("grants:ranking_method", args=[call.pk]) in response.content.decode()
    # an unknown method falls back to the call's own
    response = client.get(url("call_ranking", call, method="nonsense"))
    assert response.context["ranking"].method == "trimmed_mean"


def test_empty_call(client, officer, call):
    client.force_login(officer)
    response = client.get(url("call_ranking", call))
    assert response.status_code == 200
    assert response.context["ranking"].rows == []


# --- What its forms do ----------------------------------------------------------------------------


def test_recommend_within_budget(client, officer, call, panel):
    a = scored(call, panel, (90, 90, 90), amount="50000")
    b = scored(call, panel, (80, 80, 80), amount="30000")
    client.force_login(officer)
    response = client.post(url("ranking_recommend", call), follow=True)
    assert response.redirect_chain[-1][0] == url("call_ranking", call)
    assert Application.objects.get(pk=a.pk).state == S.RECOMMENDED
    assert Application.objects.get(pk=b.pk).state == S.NOT_RECOMMENDED
    assert not response.context["ranking"].pending
    assert "50,000.00" in response.content.decode()


def test_recommend_refused_while_in_review_shows_why(client, officer, call, panel):
    done = scored(call, panel, (90, 90, 90))
    waiting = scored(call, panel, (80,), state=S.IN_REVIEW)
    client.force_login(officer)
    response = client.post(url("ranking_recommend", call), follow=True)
    assert waiting.reference in response.content.decode()
    assert Application.objects.get(pk=done.pk).state == S.REVIEWED


def test_override_with_reason(client, officer, call, panel):
    a = scored(call, panel, (90, 90, 90), amount="50000")
    b = scored(call, panel, (80, 80, 80), amount="30000")
    client.force_login(officer)
    response = client.post(
        url("ranking_override", call),
        {"override-application": b.pk, "override-decision": "in", "override-reason": "填补空白"},
    )
    assert response.status_code == 302
    summary = ReviewSummary.objects.get(application=b)
    assert (summary.override_recommended, summary.override_reason) == (True, "填补空白")
    client.post(url("ranking_recommend", call))
    assert Application.objects.get(pk=b.pk).state == S.RECOMMENDED
    assert Application.objects.get(pk=a.pk).state == S.NOT_RECOMMENDED
    page = client.get(url("call_ranking", call)).content.decode()
    assert "填补空白" in page


def test_override_without_reason_is_refused_with_the_form(client, officer, call, panel):
    b = scored(call, panel, (80, 80, 80))
    client.force_login(officer)
    response = client.post(
        url("ranking_override", call),
        {"override-application": b.pk, "override-decision": "out", "override-reason": ""},
    )
    assert response.status_code == 400
    assert response.context["override_form"].errors["reason"]
    assert not ReviewSummary.objects.exists()


def test_override_of_an_application_still_in_review_is_not_offered(client, officer, call, panel):
    waiting = scored(call, panel, (80,), state=S.IN_REVIEW)
    client.force_login(officer)
    response = client.post(
        url("ranking_override", call),
        {"override-application": waiting.pk, "override-decision": "in", "override-reason": "x"},
    )
    assert response.status_code == 400
    assert response.context["override_form"].errors["application"]


def test_adjust_public_score_and_bonus(client, officer, panel):
    call = ranking_call(expert_weight_percent=70)
    a = scored(call, panel, (80, 80, 80))
    client.force_login(officer)
    response = client.post(
        url("ranking_adjust", call),
        {
            "adjust-application": a.pk,
            "adjust-public_score": "90",
            "adjust-bonus_points": "2",
            "adjust-bonus_reason": "社区推荐",
        },
    )
    assert response.status_code == 302
    row = client.get(url("call_ranking", call)).context["ranking"].rows[0]
    # 80 × 0.7 + 90 × 0.3 + 2 = 56 + 27 + 2 = 85.00
    assert row.final == D("85.00")


def test_adjust_bonus_without_reason_is_refused(client, officer, call, panel):
    a = scored(call, panel, (80, 80, 80))
    client.force_login(officer)
    response = client.post(
        url("ranking_adjust", call),
        {"adjust-application": a.pk, "adjust-bonus_points": "2", "adjust-bonus_reason": ""},
    )
    assert response.status_code == 400
    assert response.context["adjust_form"].errors["bonus_reason"]


def test_choose_the_calls_method(client, officer, call, panel):
    scored(call, panel, (80, 80, 80))
    client.force_login(officer)
    response = client.post(url("ranking_method", call), {"method": "median"})
    assert response.status_code == 302
    assert response["Location"].endswith("?method=median")
    assert Call.objects.get(pk=call.pk).aggregation_method == "median"


# --- Query counts --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_same_number_of_queries_for_1_and_30_applications(
    client, officer, panel, name, django_assert_num_queries
):
    # given one application with 5 reviewers
    call = ranking_call()
    bulk_panel(call, 1, panel)
    client.force_login(officer)
    client.get(url(name, call))  # warm-up: per-process caches
    with CaptureQueriesContext(connection) as one:
        response = client.get(url(name, call))
    assert response.status_code == 200

    # when there are 30, each with 5 reviewers
    bulk_panel(call, 29, panel)

    # then the page needs exactly as many queries
    with django_assert_num_queries(len(one)):
        response = client.get(url(name, call))
    assert response.status_code == 200
    if name == "call_ranking":
        assert len(response.context["ranking"].rows) == 30
