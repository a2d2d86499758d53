"""Issue #7, "Done when" (incubation half), in real Chromium.

alice, an applicant member of 南岸区彩虹社会工作服务中心, applies to the open intake of an incubation
base from /incubation/; oscar, an officer, reviews and admits it, signs the agreement, writes the
service plan and moves the organisation in, records its attendance at a training session, records
two capacity assessments, attests its financial system and graduates it (出壳); alice then sees
her organisation graduated and the progress chart drawn on the page.

The test never reads the database while the browser works (with SQLite the live server and the
test share one connection): everything is set up before the first page opens and checked after
the last one closes. Selectors use ids, data attributes and URLs, so they hold in either language.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts.enums import Role
from incubator.enums_incubation import IncubationState
from incubator.models import Attendance, IncubationApplication
from tests.factories import PASSWORD, MembershipFactory, OrganisationFactory, UserFactory
from tests.incubator.factories_incubation import (
    IntakeFactory,
    TrainingSessionFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
I = IncubationState  # noqa: E741
MOTIVATION = "机构成立两年，服务社区独居老人，希望入驻获得场地、财务制度建设辅导和项目督导。"
VIEWPORT = {"width": 375, "height": 812}


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}{reverse('account_login')}")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=login]) [type=submit]").click()
    page.wait_for_load_state()


def run_action(page, code: str, reason: str = "") -> None:
    form = page.locator(f"form[data-action={code}]")
    if reason:
        form.locator("textarea").fill(reason)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def submit(page, form_id: str) -> None:
    page.locator(f"#{form_id} button[type=submit]").click()
    page.wait_for_load_state()


def open_details(page, form_id: str) -> None:
    """The writing forms sit in <details>; open the one holding ``form_id``."""
    summary = page.locator(f"details:has(#{form_id}) > summary")
    if summary.count() and not page.locator(f"#{form_id}").is_visible():
        summary.click()


def test_organisation_applies_is_admitted_trained_assessed_twice_and_graduates(
    live_server, chromium, page, screenshot
):
    # given: alice's organisation, an officer, a base with an open intake and a training session
    organisation = OrganisationFactory(name="南岸区彩虹社会工作服务中心")
    alice = UserFactory(username="alice", display_name="王丽")
    MembershipFactory(user=alice, organisation=organisation, role=Role.APPLICANT)
    oscar = UserFactory(username="oscar", display_name="陈官员")
    MembershipFactory(user=oscar, organisation=None, role=Role.OFFICER)
    intake = IntakeFactory(
        base__name="南岸区社区治理创新中心（社会组织孵化基地）",
        name="2026年第一期入驻",
        min_capacity_score=60,
        min_months=0,
    )
    session = TrainingSessionFactory(
        course__base=intake.base, course__title="社会组织财务管理基础", topic="预算编制与报销流程"
    )
    today = timezone.localdate()
    base = live_server.url

    # when: alice finds the open intake and applies
    page.goto(f"{base}{reverse('incubation:index')}")
    page.get_by_text(intake.base.name).first.wait_for()
    screenshot("01-bases")
    page.locator(f"a[href='{reverse('incubation:apply', args=[intake.pk])}']").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.fill("input[name=login]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=login]) [type=submit]").click()
    page.wait_for_url(re.compile(r"/incubation/intakes/\d+/apply/"))
    page.check("input[name=requested_mode][value=in_house]")
    page.fill("textarea[name=motivation]", MOTIVATION)
    screenshot("02-apply-form")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/incubation/applications/\d+/$"))
    page.locator("#incubation-state.state--applied").wait_for()
    application_url = page.url
    screenshot("03-applied")

    officer_context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN")
    officer = officer_context.new_page()
    officer.set_default_timeout(20_000)
    try:
        # ... oscar sees it in the workspace, with its answer date, and reviews and admits it
        log_in(officer, base, "oscar")
        officer.goto(f"{base}{reverse('incubation:workspace')}")
        officer.locator("#group-applied").wait_for()
        screenshot("04-workspace", officer)
        officer.get_by_role("link", name=organisation.name).click()
        officer.wait_for_url(application_url)
        run_action(officer, "start_review")
        officer.locator("#incubation-state.state--under_review").wait_for()
        run_action(officer, "admit", "材料齐全，符合入驻条件，欢迎入驻。")
        officer.locator("#incubation-state.state--admitted").wait_for()
        screenshot("05-admitted", officer)

        # ... signs the agreement: in-house, a space, a subsidy and a one-year term
        officer.select_option("#agreement-form select[name=mode]", "in_house")
        officer.fill("#agreement-form input[name=space]", "孵化室 A-203")
        officer.fill("#agreement-form input[name=subsidy]", "20000")
        officer.fill("#agreement-form input[name=term_start]", today.isoformat())
        officer.fill(
            "#agreement-form input[name=term_end]", (today + timedelta(days=365)).isoformat()
        )
        submit(officer, "agreement-form")
        officer.locator("#incubation-state.state--agreement_signed").wait_for()
        screenshot("06-agreement-signed", officer)

        # ... writes the service plan and moves the organisation in
        open_details(officer, "plan-form")
        officer.fill(
            "#plan-form textarea[name=goals]", "一年内建立基本财务制度，独立实施一个社区项目。"
        )
        officer.fill("#plan-form textarea[name=services]", "财务制度建设辅导\n项目设计督导")
        submit(officer, "plan-form")
        run_action(officer, "start_incubation")
        officer.locator("#incubation-state.state--incubating").wait_for()

        # ... records the organisation present at the training session
        officer.goto(f"{base}{reverse('incubation:course', args=[session.course_id])}")
        officer.locator(f"a[href='{reverse('incubation:attendance', args=[session.pk])}']").click()
        officer.get_by_label(organisation.name).check()
        screenshot("07-attendance", officer)
        submit(officer, "attendance-form")
        officer.wait_for_url(re.compile(r"/incubation/courses/\d+/$"))

        # ... records two capacity assessments, two months apart
        officer.goto(application_url)
        for day, scores in (
            (today - timedelta(days=60), (12, 9, 13, 11)),
            (today, (19, 17, 16, 18)),
        ):
            open_details(officer, "assessment-form")
            officer.fill("#assessment-form input[name=assessed_on]", day.isoformat())
            for name, score in zip(
                ("governance", "finance", "projects", "team"), scores, strict=True
            ):
                officer.fill(f"#assessment-form input[name={name}]", str(score))
            submit(officer, "assessment-form")
            officer.wait_for_url(re.compile(r"/incubation/applications/\d+/#assessments$"))
        officer.locator("svg.capacity-chart__svg polyline").first.wait_for()
        screenshot("08-assessed-twice", officer)

        # ... graduation is blocked until the financial system is attested, then goes through
        officer.locator("[data-criterion=financial_system].checklist__item--unmet").wait_for()
        officer.locator("#financial-form input[name=attested]").check()
        submit(officer, "financial-form")
        officer.locator("[data-criterion=financial_system].checklist__item--met").wait_for()
        run_action(officer, "graduate", "各项出壳条件均已达到。")
        officer.locator("#incubation-state.state--graduated").wait_for()
        screenshot("09-graduated", officer)
    finally:
        officer_context.close()

    # then: alice sees her organisation graduated, her training and the progress chart
    page.goto(application_url)
    page.locator("#incubation-state.state--graduated").wait_for()
    chart = page.locator("svg.capacity-chart__svg")
    chart.scroll_into_view_if_needed()
    assert chart.locator("polyline").count() == 4
    assert chart.locator("circle").count() == 8
    page.locator("#courses").get_by_text("社会组织财务管理基础").wait_for()
    screenshot("10-member-sees-chart")
    assert page.locator("#agreement-form").count() == 0  # no manager forms for the member

    application = IncubationApplication.objects.get(organisation=organisation)
    assert application.state == I.GRADUATED
    assert application.space == "孵化室 A-203"
    assert application.assessments.count() == 2
    assert application.handback_due_on is not None
    assert Attendance.objects.filter(session=session, organisation=organisation).exists()
    assert list(
        StateLog.objects.filter(
            object_id=application.pk, content_type__model="incubationapplication"
        )
        .order_by("pk")
        .values_list("transition", flat=True)
    ) == ["start_review", "admit", "sign_agreement", "start_incubation", "graduate"]
