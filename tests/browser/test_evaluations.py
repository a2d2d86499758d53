"""Mid-term and final evaluation in real Chromium at 375 px: the officer starts the mid-term and
assigns the evaluator; the evaluator (on their own phone: a separate browser context) records a site
visit, scores and submits; tranche 2 becomes releasable on the officer's page; the officer starts
the final evaluation; the evaluator passes it; the project is completed.

Everything in the database is set up before the first page opens; while the browsers work the test
only looks at the pages.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.enums import Role
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.grants.factories_evaluations import funded_project, make_evaluator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWPORT = {"width": 375, "height": 812}


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}{reverse('account_login')}")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=login]) [type=submit]").click()
    page.wait_for_load_state()


def phone(chromium):
    context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    return context, tab


def start_evaluation(page, evaluator_pk: int) -> None:
    """On the officer's project page: choose the evaluator in the evaluations panel and start."""
    form = page.locator("form.evaluation-start")
    form.locator("select[name=evaluator]").select_option(str(evaluator_pk))
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def evaluate(
    tab, base: str, *, scores: tuple[int, ...], findings: str, total: str, shoot=None
) -> None:
    """In the evaluator's workspace: open the open evaluation, record a site visit, score, submit."""
    tab.goto(f"{base}{reverse('grants:evaluations_workspace')}")
    tab.locator(".evaluation-item h2 a").first.click()
    tab.wait_for_load_state()
    tab.locator("details.evaluation-activity-form summary").click()
    activity = tab.locator("details.evaluation-activity-form form")
    activity.locator("select[name=method]").select_option("site_visit")
    activity.locator("input[name=occurred_on]").fill(timezone.localdate().isoformat())
    activity.locator("input[name=place]").fill("学田社区邻里中心长者食堂")
    activity.locator("textarea[name=people_contacted]").fill("项目负责人、两名志愿者、五位老人")
    activity.locator("textarea[name=notes]").fill(
        "查看助餐台账和签到表，抽访五位老人，服务记录属实。"
    )
    activity.locator("button[type=submit]").click()
    tab.wait_for_load_state()
    tab.locator(".evaluation-activities li").first.wait_for()
    for position, score in enumerate(scores):
        tab.fill(f"input[name=score_{position}]", str(score))
    tab.fill("textarea[name=comments]", findings)
    tab.locator("#evaluation-total").filter(has_text=re.compile(re.escape(total))).wait_for()
    if shoot is not None:
        shoot(tab)
    tab.locator("button[name=submit]").click()
    tab.wait_for_load_state()
    tab.locator(".evaluation-result").wait_for()


def test_officer_and_evaluator_take_a_project_through_mid_term_and_final(
    live_server, chromium, page, screenshot
):
    # given: a running project (tranche 1 paid), an officer and the third-party evaluator
    officer = UserFactory(username="officer_lin", display_name="林官员")
    MembershipFactory(user=officer, organisation=None, role=Role.OFFICER)
    evaluator = make_evaluator("evaluator_xu", "徐立新")
    project = funded_project(title="学田社区长者助餐与健康管理")
    base = live_server.url
    officer_url = f"{base}{reverse('grants:officer_application', args=[project.pk])}"

    # when: the officer starts the mid-term evaluation and assigns the evaluator
    log_in(page, base, "officer_lin")
    page.goto(officer_url)
    screenshot("01-officer-panel")
    start_evaluation(page, evaluator.pk)
    panel = page.locator("section.evaluations-panel")
    assert "徐立新" in panel.inner_text()
    assert page.locator(".state--mid_term").count() >= 1
    screenshot("02-mid-term-assigned")

    # and the evaluator records a site visit, scores 82 and submits on their phone
    context, tab = phone(chromium)
    try:
        log_in(tab, base, "evaluator_xu")
        evaluate(
            tab,
            base,
            scores=(25, 16, 16, 25),
            findings="助餐服务运行平稳，送餐记录完整；建议加强慢病管理讲座的宣传。",
            total="82.00",
            shoot=lambda tab: screenshot("03a-evaluator-score-sheet", tab),
        )
        result = tab.locator(".evaluation-result").inner_text()
        assert "82.00" in result
        assert tab.locator("#evaluation-form").count() == 0  # sealed
        screenshot("03-evaluator-mid-term-sealed", tab)

        # then: tranche 2 is releasable on the officer's page, and the project runs again
        page.goto(officer_url)
        page.locator("#tranche-2 .tranche-status--releasable").wait_for()
        assert page.locator(".state--active").count() >= 1
        assert "82.00" in page.locator("section.evaluations-panel").inner_text()
        screenshot("04-officer-tranche-2-releasable")

        # when: the officer starts the final evaluation with the same evaluator
        start_evaluation(page, evaluator.pk)
        assert page.locator(".state--final_evaluation").count() >= 1
        screenshot("05-final-assigned")

        # and the evaluator passes it with 92 points
        evaluate(
            tab,
            base,
            scores=(28, 18, 18, 28),
            findings="各项指标全面完成，长者满意度高，财务规范，建议评为优秀项目。",
            total="92.00",
        )
        assert "92.00" in tab.locator(".evaluation-result").inner_text()
        screenshot("06-evaluator-final-sealed", tab)
    finally:
        context.close()

    # then: the project is completed and its last tranche releasable
    page.goto(officer_url)
    assert page.locator(".state--completed").count() >= 1
    page.locator("#tranche-3 .tranche-status--releasable").wait_for()
    screenshot("07-officer-completed")
