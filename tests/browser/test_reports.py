"""Issue #6, reports, in real Chromium at phone size: ngo1's member writes the mid-term report of a
running project (autosaved, with a photo uploaded), submits it; the officer returns it with a
comment; the member reads the comment, fixes the report and resubmits; the officer accepts it.

Everything is set up before the first page opens and checked after the browsers are done: with
SQLite the live server and the test share one connection.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_fsm_log.models import StateLog

from grants.models.reports import Report, ReportKind, ReportState
from tests.browser.test_apply import AutosaveRequests, settle
from tests.factories import PASSWORD, OrganisationFactory
from tests.grants.factories_reports import (
    funded_project,
    make_officer,
    member_of,
    milestone_of,
    png_bytes,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWPORT = {"width": 375, "height": 812}
SAVED = re.compile(r"Saved|已保存")
COMMENT = "请补充活动签到情况说明，并写明32名楼道长来自哪几个小区。"


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}{reverse('account_login')}")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=login]) [type=submit]").click()
    page.wait_for_load_state()


def test_ngo1_reports_the_officer_returns_ngo1_fixes_and_the_officer_accepts(
    live_server, chromium, page, screenshot, tmp_path
):
    # given: ngo1's running project with its plan, ngo1's member and the officer
    organisation = OrganisationFactory(name="崇川区邻里守望社会工作服务中心")
    project = funded_project(title="“邻里+”楼道长守望探访计划", organisation=organisation)
    member_of(organisation, "ngo1")
    make_officer("officer")
    milestone = milestone_of(project, ReportKind.MID_TERM)
    indicator_count = len(milestone.indicator_targets)
    picture = tmp_path / "楼道长培训.png"
    picture.write_bytes(png_bytes())
    base = live_server.url
    detail_url = f"{base}{reverse('grants:application_detail', args=[project.pk])}"

    # when: ngo1's member opens the project and starts the mid-term report
    log_in(page, base, "ngo1")
    autosaves = AutosaveRequests(page)
    page.goto(detail_url)
    panel = page.locator("#reports")
    panel.wait_for()
    screenshot("01-member-milestones")
    page.locator(f"form[action$='/me/milestones/{milestone.pk}/report/'] button").click()
    page.wait_for_load_state()
    page.locator("#report-form").wait_for()

    # ...types the report; each field autosaves
    page.fill(
        "textarea[name=narrative]",
        "本期完成楼道长集中培训两期，培育楼道长32名，开展守望探访860次。",
    )
    for index in range(indicator_count):
        page.fill(f"input[name=indicator_{index}]", "60")
    page.fill("input[name=beneficiaries_reached]", "180")
    page.fill("input[name=activities-0-held_on]", "2026-01-15")
    page.fill("input[name=activities-0-place]", "钟楼社区党群服务中心")
    page.fill("input[name=activities-0-description]", "楼道长集中培训（第一期）")
    page.fill("input[name=activities-0-participants]", "32")
    settle(page, autosaves)
    page.locator("#autosave-status").filter(has_text=SAVED).wait_for()
    screenshot("02-draft-autosaved")

    # ...adds a named volunteer (the draft is saved, a blank row comes back)
    page.locator("button[name=add_row][value=volunteers]").click()
    page.wait_for_load_state()
    page.fill("input[name=volunteers-0-name]", "李秀英")
    page.fill("input[name=volunteers-0-hours]", "6.5")
    settle(page, autosaves)

    # ...and a photo
    page.select_option("select[name=kind]", "photo")
    page.set_input_files("input[name=file]", str(picture))
    page.locator("button[name=upload]").click()
    page.wait_for_load_state()
    page.locator(".evidence-list img.evidence-thumb").wait_for()
    screenshot("03-photo-uploaded")

    # ...and submits
    page.locator("button[name=submit]").click()
    page.wait_for_load_state()
    page.locator("#reports").wait_for()
    screenshot("04-member-submitted")

    # then: the officer finds it awaiting review and returns it with a comment
    officer_context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN")
    officer_page = officer_context.new_page()
    officer_page.set_default_timeout(15_000)
    log_in(officer_page, base, "officer")
    officer_page.goto(f"{base}{reverse('grants:reports_workspace')}?status=awaiting_review")
    screenshot("05a-officer-reports-to-review", officer_page)
    officer_page.locator("table.reports-table a[href*='/workspace/reports/']").first.click()
    officer_page.wait_for_load_state()
    officer_page.locator(".evidence-list img").wait_for()
    screenshot("05-officer-reads", officer_page)
    officer_page.locator("button[name=action][value=return]").click()  # no comment: refused
    officer_page.wait_for_load_state()
    officer_page.locator(".report-review .errors").wait_for()
    officer_page.fill("textarea[name=comment]", COMMENT)
    officer_page.locator("button[name=action][value=return]").click()
    officer_page.wait_for_load_state()
    officer_page.locator(".report-state--returned").wait_for()
    screenshot("06-officer-returned", officer_page)

    # the member reads the comment on the project page, fixes the report and resubmits
    page.goto(detail_url)
    page.locator("#reports a.button").first.click()
    page.wait_for_load_state()
    page.locator("#return-comment").filter(has_text=COMMENT).wait_for()
    screenshot("07-member-reads-comment")
    page.fill(
        "textarea[name=narrative]",
        "本期完成楼道长集中培训两期，培育楼道长32名（钟楼、和平桥、五一三个社区各小区均有），"
        "开展守望探访860次；每次培训均有签到。",
    )
    settle(page, autosaves)
    page.locator("button[name=submit]").click()
    page.wait_for_load_state()
    page.locator("#reports").wait_for()

    # the officer accepts it
    officer_page.reload()
    officer_page.locator("button[name=action][value=accept]").click()
    officer_page.wait_for_load_state()
    officer_page.locator(".report-state--accepted").wait_for()
    screenshot("08-officer-accepted", officer_page)
    page.goto(detail_url)
    page.locator("#reports .report-state--accepted").wait_for()
    screenshot("09-member-sees-accepted")
    officer_context.close()

    # and in the database: accepted, with its photo, volunteer and the whole history
    report = Report.objects.get(milestone=milestone)
    assert report.state == ReportState.ACCEPTED
    assert "签到" in report.narrative
    assert report.evidence.get().original_name == "楼道长培训.png"
    assert list(report.volunteers.values_list("name", "hours")) == [("李秀英", 6.5)]
    assert report.activities.get().place == "钟楼社区党群服务中心"
    assert list(
        StateLog.objects.filter(object_id=report.pk, content_type__model="report")
        .order_by("timestamp", "pk")
        .values_list("transition", flat=True)
    ) == ["submit", "return_for_changes", "submit", "accept"]
