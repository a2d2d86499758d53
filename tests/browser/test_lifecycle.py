"""Issue #3, "Done when": the whole grant lifecycle up to expert review, in real Chromium.

On the demo data (``seed_demo``): ngo1 finds the open call on the public site and its call page,
applies with a budget and a PDF, closes the tab mid-way, comes back to the draft, submits; the
officer returns it for revision with a reason; ngo1 reads the reason, revises and resubmits; the
officer screens it and accepts it for expert review.

Which application: the demo's open call takes one application per organisation, and ngo1's
organisation (崇川区邻里守望社会工作服务中心, incubator.demo.NGO1_ORGANISATION) already has one,
seeded by grants/demo_lifecycle.py in state "returned" (the officer asked for a community
endorsement). That is the application ngo1 reaches when she presses Apply, so it is the
one this test works on: she rewrites it (one activity, one indicator, one budget line, another
partner community, a PDF), which is exactly what the real ngo1 would do on the demo site.

The test never reads the database while the browser works: with SQLite the live server and the
test share one in-memory connection. Everything is read before the first page opens and checked
after the last one closes.
"""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts.demo import DEMO_PASSWORD
from cms.demo import build_site
from cms.models import CallIndexPage, CallPage
from grants.demo import OPEN_CALL_SLUG
from grants.enums import ApplicationState
from grants.models import Application, Call
from incubator.demo import NGO1_ORGANISATION
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_apply import AutosaveRequests, settle
from tests.factories import CallFactory

S = ApplicationState
PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
SAVED = re.compile(r"Saved|已保存")
TITLE = "楼道守望·独居老人每周探访"
RETURN_REASON = "请把探访频次写进产出指标，并补充志愿者培训的时间安排。"
VIEWPORT = {"width": 375, "height": 812}


def log_in(page, base_url: str, username: str) -> None:
    """On the login page (wherever it was reached from), sign in with the demo password."""
    if "/accounts/login/" not in page.url:
        page.goto(f"{base_url}{reverse('account_login')}")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form:has(input[name=login]) [type=submit]").click()
    page.wait_for_load_state()


def new_page(chromium):
    context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    return context, tab


def run_officer_action(page, code: str, reason: str = "") -> None:
    form = page.locator(f"form[action$='/actions/{code}/']")
    if reason:
        form.locator("textarea").fill(reason)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.django_db(transaction=True)
def test_ngo1_applies_on_the_public_site_and_the_officer_screens_it_into_review(
    live_server, chromium, page, screenshot
):
    # given: the demo (idempotent), with its open call and ngo1's returned application to it
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    call = Call.objects.get(slug=OPEN_CALL_SLUG)
    application = Application.objects.get(call=call, organisation__name=NGO1_ORGANISATION)
    assert application.state == S.RETURNED
    base = live_server.url
    page.set_default_timeout(20_000)

    # when: ngo1 opens the public site and finds the open call through the menu
    page.goto(f"{base}/")
    page.get_by_role("link", name=call.title).first.wait_for()  # listed on the home page too
    screenshot("01-home")
    page.locator(".main-nav").get_by_role("link", name="创投公告").click()
    page.wait_for_url(f"{base}/calls/")
    screenshot("02-call-index")
    page.locator("section[aria-labelledby=open-calls-heading]").get_by_role(
        "link", name=call.title
    ).click()
    page.wait_for_url(f"{base}/calls/{OPEN_CALL_SLUG}/")
    page.locator("[data-countdown-text]").filter(has_text=re.compile(r"\d")).wait_for()
    page.get_by_text("需求分析").first.wait_for()  # the rubric
    screenshot("03-call-page")

    # ... presses Apply, signs in, and starts (she lands on her organisation's application)
    page.locator("a#apply-button").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    log_in(page, base, "ngo1")
    page.wait_for_url(f"{base}/calls/{OPEN_CALL_SLUG}/apply/")
    screenshot("04-apply")
    page.locator("main form [type=submit]").click()
    page.wait_for_url(re.compile(r"/me/applications/\d+/edit/"))
    autosaves = AutosaveRequests(page)

    # ... fills the application: one activity, one indicator, one budget line, a partner community
    page.fill("#id_title", TITLE)
    page.fill("#id_summary", "楼道志愿者与独居老人结对，每周上门探访并排查安全隐患。")
    page.fill("#id_need", "钮家巷社区独居老人126人，去年两起跌倒后长时间无人发现。")
    page.fill("#id_objectives", "每位独居老人每周至少被探访一次。")
    page.fill("input[name=activities-0-name]", "志愿者培训与结对")
    page.fill("input[name=activities-0-start]", "2026-03-01")
    page.fill("input[name=activities-0-end]", "2026-03-31")
    for section in ("activities", "indicators"):
        for extra in page.locator(f"input[name^={section}-][name$=-DELETE]").all()[1:]:
            extra.check()
    page.fill("input[name=indicators-0-name]", "探访人次")
    page.fill("input[name=indicators-0-target]", "5000")
    page.get_by_label("钮家巷社区").uncheck()
    page.get_by_label("平江路社区").check()
    page.select_option("select[name=budget-0-category]", "activity")
    page.fill("input[name=budget-0-description]", "探访物资与安全检查工具")
    page.fill("input[name=budget-0-amount]", "16000")
    page.fill("input[name=budget-0-matching_amount]", "4000")
    for extra in page.locator("input[name^=budget-][name$=-DELETE]").all()[1:]:
        extra.check()
    settle(page, autosaves)
    page.locator("#autosave-status").filter(has_text=SAVED).wait_for()

    # ... attaches the project plan
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "项目计划书.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.locator("button[name=upload]").click()
    page.wait_for_load_state()
    page.get_by_text("项目计划书.pdf").first.wait_for()
    page.fill("#id_objectives", "每位独居老人每周至少被探访一次；建立三级应急联络网。")
    settle(page, autosaves)
    page.locator("#autosave-status").filter(has_text=SAVED).wait_for()
    screenshot("05-form-filled")

    # ... and closes the tab without pressing Save
    context = page.context
    page.close()

    # then: in a new tab the draft is there, from her list of applications, as she left it
    again = context.new_page()
    again.set_default_timeout(20_000)
    again.goto(f"{base}{reverse('grants:my_applications')}")
    screenshot("06-my-applications", again)
    again.get_by_role("link", name=TITLE).click()
    again.wait_for_url(re.compile(r"/me/applications/\d+/edit/"))
    assert again.input_value("#id_title") == TITLE
    assert "三级应急联络网" in again.input_value("#id_objectives")
    assert again.input_value("input[name=activities-0-name]") == "志愿者培训与结对"
    assert again.locator("input[name=activities-1-name]").count() == 0
    assert again.input_value("input[name=budget-0-amount]") in ("16000", "16000.00")
    assert again.locator("input[name=budget-1-amount]").count() == 0
    assert again.get_by_label("平江路社区").is_checked()
    assert not again.get_by_label("钮家巷社区").is_checked()
    again.get_by_text("项目计划书.pdf").first.wait_for()

    # when: she submits
    again.locator("button[name=submit]").click()
    again.wait_for_url(re.compile(r"/me/applications/\d+/$"))
    screenshot("07-submitted", again)

    # ... the officer (another browser) opens the call's list and returns it with a reason
    officer_context, officer = new_page(chromium)
    try:
        log_in(officer, base, "officer")
        officer.goto(f"{base}{reverse('grants:officer_workspace')}")
        officer.get_by_role("link", name=call.title).click()
        officer.wait_for_url(re.compile(r"/workspace/calls/\d+/applications/"))
        screenshot("08-officer-list", officer)
        officer.get_by_role("link", name=TITLE).click()
        officer.wait_for_url(re.compile(r"/workspace/applications/\d+/$"))
        officer.get_by_text("项目计划书.pdf").first.wait_for()
        screenshot("09-officer-application", officer)
        run_officer_action(officer, "return_for_revision", RETURN_REASON)
        officer.get_by_text(RETURN_REASON).first.wait_for()

        # then: ngo1 sees it returned, with the reason, revises and resubmits
        again.goto(f"{base}{reverse('grants:my_applications')}")
        card = again.locator("li.card").filter(has_text=TITLE)
        card.get_by_text(re.compile(r"Returned for revision|退回修改")).wait_for()
        card.get_by_role("link", name=re.compile(r"Details and timeline|详情")).click()
        again.wait_for_url(re.compile(r"/me/applications/\d+/$"))
        again.get_by_text(RETURN_REASON).wait_for()
        screenshot("10-returned-with-reason", again)
        again.locator("a.button[href$='/edit/']").click()
        again.wait_for_url(re.compile(r"/me/applications/\d+/edit/"))
        autosaves = AutosaveRequests(again)
        again.fill("input[name=indicators-0-target]", "5200")
        again.fill("[name=activities-0-description]", "2026年3月上旬完成两期志愿者培训，中旬结对。")
        settle(again, autosaves)
        again.locator("#autosave-status").filter(has_text=SAVED).wait_for()
        again.locator("button[name=submit]").click()
        again.wait_for_url(re.compile(r"/me/applications/\d+/$"))
        screenshot("11-resubmitted", again)

        # ... and the officer screens it into expert review with the buttons the page offers
        officer.reload()
        run_officer_action(officer, "start_screening")
        run_officer_action(officer, "accept_for_review")
        officer.locator(".state--in_review").first.wait_for()
        screenshot("12-in-review", officer)
    finally:
        officer_context.close()
        context.close()

    # then: the application is in expert review, with what ngo1 typed and the whole history
    application.refresh_from_db()
    assert application.state == S.IN_REVIEW
    assert application.title == TITLE
    assert [a["name"] for a in application.activities] == ["志愿者培训与结对"]
    assert [i["target"] for i in application.indicators] == ["5200"]
    assert [str(line.amount) for line in application.budget_lines.all()] == ["16000.00"]
    assert [c.name for c in application.partner_communities.all()] == ["平江路社区"]
    assert application.attachments.get(original_name="项目计划书.pdf").size == len(PDF)
    transitions = list(
        StateLog.objects.filter(object_id=application.pk, content_type__model="application")
        .order_by("timestamp", "pk")
        .values_list("transition", flat=True)
    )
    assert transitions[-5:] == [
        "submit",
        "return_for_revision",
        "submit",
        "start_screening",
        "accept_for_review",
    ]
    assert StateLog.objects.filter(object_id=application.pk, description=RETURN_REASON).exists()
    assert (
        ARTIFACTS
        / "test_ngo1_applies_on_the_public_site_and_the_officer_screens_it_into_review-12-in-review.png"
    ).exists()


@pytest.mark.django_db(transaction=True)
def test_countdown_script_closes_the_apply_button_at_the_deadline(live_server, page, screenshot):
    # given: an English call page whose call closes in a few seconds
    build_site()
    call = CallFactory(slug="closing-soon", closes_at=timezone.now() + timedelta(seconds=15))
    index = CallIndexPage.objects.get(locale__language_code="en")
    index.add_child(
        instance=CallPage(title="Closing soon", slug="closing-soon", call=call, locale=index.locale)
    )

    # when: a visitor keeps the page open past the deadline
    page.goto(f"{live_server.url}/en/calls/closing-soon/")
    page.locator("a#apply-button[href$='/calls/closing-soon/apply/']").wait_for()
    assert page.locator("[data-countdown-text]").inner_text() == "1 minute left"
    screenshot("1-open")

    # then: without a reload, the script says so and the Apply link no longer leads anywhere
    page.locator("[data-countdown-text]").filter(has_text="The deadline has passed.").wait_for(
        timeout=30_000
    )
    assert page.locator("#apply-button").get_attribute("aria-disabled") == "true"
    assert page.locator("#apply-button").get_attribute("href") is None
    screenshot("2-closed")
