"""The officer ranks a call in real Chromium on a phone-sized screen: reads how the methods work,
compares them, overrides one recommendation with a reason and recommends within the budget.

The test never reads the database while the browser works (with SQLite the live server and the
test share one connection): everything is prepared before the first page and checked at the end.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.urls import reverse

from grants.enums import ApplicationState
from grants.models import Application, ReviewSummary
from tests.factories import PASSWORD
from tests.grants._ranking_helpers import make_reviewer, ranking_call, reviewed, score

S = ApplicationState
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_compares_methods_overrides_and_recommends_within_budget(
    live_server, page, screenshot, officer
):
    # given a budget of 60,000 and three reviewed applications, five experts each
    panel = [make_reviewer(f"expert{n}", f"专家{n}") for n in range(1, 6)]
    call = ranking_call(budget=D("60000"))
    totals = {
        "邻里守望·独居老人探访": ((90, 90, 90, 90, 20), "30000"),  # trimmed 90, mean 76
        "四点半课堂": ((82, 82, 82, 82, 82), "40000"),  # 82 everywhere
        "社区花园": ((70, 72, 74, 76, 78), "20000"),  # trimmed 74
    }
    applications = {}
    for title, (scores, amount) in totals.items():
        application = reviewed(call, title=title, amount=amount)
        for reviewer, total in zip(panel, scores, strict=True):
            score(application, reviewer, total)
        applications[title] = application
    base = live_server.url
    ranking_url = f"{base}{reverse('grants:call_ranking', args=[call.pk])}"

    # when the officer signs in and opens the ranking
    page.goto(
        f"{base}{reverse('account_login')}?next={reverse('grants:call_ranking', args=[call.pk])}"
    )
    page.fill("input[name=login]", officer.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=login]) [type=submit]").click()
    page.wait_for_url(ranking_url)
    screenshot("ranking")

    # then the call's method (trimmed mean) ranks 邻里守望 first, and the experts' disagreement shows
    first_row = page.locator("table.ranking tbody tr").first
    assert "邻里守望" in first_row.inner_text()
    assert "专家5" in first_row.inner_text()
    # and the four methods are explained on the page
    assert page.locator(".methods li").count() == 4

    # when they look at the plain mean instead
    page.locator(".methods a[href='?method=mean']").click()
    page.wait_for_url(f"{ranking_url}?method=mean")
    assert "四点半课堂" in page.locator("table.ranking tbody tr").first.inner_text()

    # when they go back, force 四点半课堂 in with a reason, and recommend within the budget
    page.goto(ranking_url)
    override = page.locator("form[action$='/ranking/override/']")
    override.locator("select").select_option(str(applications["四点半课堂"].pk))
    override.locator("input[value=in]").check()
    override.locator("textarea").fill("该项目覆盖全区唯一的流动儿童聚居点")
    override.locator("button[type=submit]").click()
    page.wait_for_url(ranking_url)
    page.locator("form[action$='/ranking/recommend/'] button").click()
    page.wait_for_url(ranking_url)
    screenshot("recommended")

    # then 四点半课堂 (40k, forced in) and 社区花园 (20k) are recommended; 邻里守望 (30k) no longer fits
    states = {
        title: Application.objects.get(pk=application.pk).state
        for title, application in applications.items()
    }
    assert states == {
        "邻里守望·独居老人探访": S.NOT_RECOMMENDED,
        "四点半课堂": S.RECOMMENDED,
        "社区花园": S.RECOMMENDED,
    }
    summary = ReviewSummary.objects.get(application=applications["四点半课堂"])
    assert summary.override_reason == "该项目覆盖全区唯一的流动儿童聚居点"
