"""ngo1 applies in real Chromium: fills the form with a budget and a file, closes the tab, comes
back to the draft (saved on the server by autosave) and submits it.

Officer steps (return for revision, resubmission, screening into review) are added with the
officer workspace.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.enums import Role
from grants.enums import ApplicationState
from grants.models import Application
from tests.browser.conftest import ARTIFACTS
from tests.factories import (
    PASSWORD,
    CallFactory,
    CommunityFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
SAVED = re.compile(r"Saved|已保存")


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}{reverse('account_login')}")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=login]) [type=submit]").click()
    page.wait_for_load_state()


class AutosaveRequests:
    """Counts the autosave requests the page has in flight."""

    def __init__(self, page):
        self.in_flight = 0
        page.on("request", lambda r: self._count(r, +1))
        page.on("requestfinished", lambda r: self._count(r, -1))
        page.on("requestfailed", lambda r: self._count(r, -1))

    def _count(self, request, step: int) -> None:
        if "/autosave/" in request.url:
            self.in_flight += step


def settle(page, autosaves: AutosaveRequests) -> None:
    """Leave the field (its change event autosaves) and wait until every autosave has finished.

    The test never reads the database while the browser works: with SQLite the live server and
    the test share one in-memory connection.
    """
    page.locator("h1").click()
    page.wait_for_timeout(300)  # the change event's request starts
    for _ in range(150):
        if not autosaves.in_flight:
            return
        page.wait_for_timeout(100)
    raise AssertionError("autosave did not finish")


def shoot(page, name: str, step: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{step}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_ngo1_applies_closes_the_tab_comes_back_and_submits(
    live_server, chromium, page, screenshot, request
):
    # given: an open call, ngo1 of 彩虹社工 and a partner community
    ngo1 = UserFactory(username="ngo1", display_name="王丽")
    organisation = OrganisationFactory(name="南岸区彩虹社会工作服务中心")
    MembershipFactory(user=ngo1, organisation=organisation, role=Role.APPLICANT)
    call = CallFactory(
        title="2026年社区微创投项目征集", slug="2026-micro", max_grant=Decimal("30000")
    )
    CommunityFactory(name="龙门浩社区")
    base = live_server.url

    # when: ngo1 opens the call and starts an application
    log_in(page, base, "ngo1")
    page.goto(f"{base}{reverse('grants:apply', args=[call.slug])}")
    screenshot("1-apply")
    page.locator("main form [type=submit]").click()
    page.wait_for_url(re.compile(r"/me/applications/\d+/edit/"))
    application = Application.objects.get(call=call, organisation=organisation)
    autosaves = AutosaveRequests(page)

    # ... fills the form; autosave keeps it on the server as she types
    page.fill("#id_title", "邻里守望·独居老人探访")
    page.fill("#id_summary", "组织志愿者每周探访社区独居老人，提供陪伴与安全检查。")
    page.fill("#id_need", "社区独居老人120名，缺少日常照看。")
    page.fill("#id_objectives", "每位老人每周至少被探访一次。")
    page.fill("input[name=activities-0-name]", "志愿者培训")
    page.fill("input[name=activities-0-start]", "2026-03-01")
    page.fill("input[name=activities-0-end]", "2026-03-15")
    page.fill("#id_beneficiaries", "社区独居老人")
    page.fill("#id_beneficiaries_count", "120")
    page.fill("input[name=indicators-0-name]", "探访人次")
    page.fill("input[name=indicators-0-target]", "2400")
    page.get_by_label("龙门浩社区").check()
    page.fill("input[name=team-0-name]", "李社工")
    page.select_option("select[name=budget-0-category]", "activity")
    page.fill("input[name=budget-0-description]", "探访活动物资")
    page.fill("input[name=budget-0-amount]", "16000")
    page.fill("input[name=budget-0-matching_amount]", "4000")
    settle(page, autosaves)
    page.locator("#autosave-status").filter(has_text=SAVED).wait_for()
    page.locator("#budget-summary [data-total=project]").filter(has_text="¥20,000").wait_for()

    # ... attaches the project plan (a plain form post: works with or without JavaScript)
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "项目计划书.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.locator("button[name=upload]").click()
    page.wait_for_load_state()
    page.get_by_text("项目计划书.pdf").first.wait_for()
    page.fill("#id_objectives", "每位老人每周至少被探访一次；建立应急联络网。")
    settle(page, autosaves)
    page.locator("#autosave-status").filter(has_text=SAVED).wait_for()
    screenshot("2-form-filled")

    # ... and closes the tab without pressing anything
    page.context.close()

    # then: in a new browser session the draft is there with everything she typed
    context = chromium.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    try:
        again = context.new_page()
        again.set_default_timeout(15_000)
        log_in(again, base, "ngo1")
        again.goto(f"{base}{reverse('grants:my_applications')}")
        shoot(again, request.node.name, "3-workspace")
        again.get_by_role("link", name="邻里守望·独居老人探访").click()
        again.wait_for_url(re.compile(r"/me/applications/\d+/edit/"))
        assert again.input_value("#id_title") == "邻里守望·独居老人探访"
        assert "应急联络网" in again.input_value("#id_objectives")
        assert again.input_value("input[name=budget-0-amount]") in ("16000", "16000.00")
        assert again.get_by_label("龙门浩社区").is_checked()
        again.get_by_text("项目计划书.pdf").first.wait_for()

        # when: she submits
        again.locator("button[name=submit]").click()
        again.wait_for_url(re.compile(r"/me/applications/\d+/$"))
        shoot(again, request.node.name, "4-submitted")
    finally:
        context.close()

    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    assert application.attachments.get().original_name == "项目计划书.pdf"
    assert application.partner_communities.get().name == "龙门浩社区"
