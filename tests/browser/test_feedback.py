"""群众评议 on a phone (375×812): a resident scans the poster's link, gives five stars and a comment,
confirms with the SMS code and is thanked; the officer's page then counts one response.

The code is read from the logging SMS backend's outbox (the live server runs in this process).
Everything in the database is set up before the browser starts and checked after it is done.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from grants.models.feedback import FeedbackResponse, FeedbackState
from grants.services.objections import LoggingSmsBackend
from tests.factories import PASSWORD
from tests.grants.factories_feedback import channel_for, funded_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = "13912345678"
COMMENT = "志愿者每周都来看望我母亲，很贴心"


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}{reverse('account_login')}")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=login]) [type=submit]").click()
    page.wait_for_load_state()


def test_a_resident_gives_feedback_on_a_phone_and_the_officer_sees_it(
    live_server, page, screenshot, officer, chromium
):
    # given: a running project with its feedback page
    project = funded_project(title="“邻里+”楼道长守望探访计划")
    channel = channel_for(project)
    base = live_server.url
    LoggingSmsBackend.outbox.clear()

    # when: the resident opens the link from the poster
    page.goto(f"{base}{reverse('grants:feedback_public', args=[channel.token])}")
    page.get_by_role("heading", name="“邻里+”楼道长守望探访计划").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot("01-form")

    # five stars (a tap on the fifth star), a comment and the number
    star = page.locator("label.stars__star[for=id_satisfaction_0]")
    box = star.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44  # a comfortable tap target
    star.click()
    assert page.locator("#id_satisfaction_0").is_checked()
    page.locator("label[for=id_attended_0]").click()
    page.fill("textarea[name=comment]", COMMENT)
    page.fill("input[name=phone]", PHONE)
    screenshot("02-filled")
    page.locator("button.feedback-submit").click()
    page.locator("input[name=code]").wait_for()
    screenshot("03-code")

    # the code arrives by SMS
    number, message = LoggingSmsBackend.outbox[-1]
    assert number == PHONE
    code = re.search(r"\b(\d{6})\b", message).group(1)
    assert PHONE not in page.content()
    page.fill("input[name=code]", code)
    page.locator("form.verify-form button[type=submit]").click()

    # then: the thank-you page
    page.locator(".feedback-thanks h1").wait_for()
    screenshot("04-thanks")

    # and the officer's page counts one response
    log_in(page, base, officer.username)
    page.goto(f"{base}{reverse('grants:feedback_officer', args=[project.pk])}")
    assert page.locator("[data-feedback-count]").inner_text().strip() == "1"
    page.get_by_text(COMMENT).first.wait_for()
    assert PHONE not in page.content()
    screenshot("05-officer")
    page.goto(f"{base}{reverse('grants:officer_application', args=[project.pk])}")
    panel = page.locator("section.feedback-panel")
    assert panel.locator("[data-feedback-count]").inner_text().strip() == "1"
    panel.scroll_into_view_if_needed()
    panel.screenshot(
        path=str(
            screenshot("06-officer-panel").with_name(
                "test_a_resident_gives_feedback_on_a_phone_and_the_officer_sees_it-06-panel.png"
            )
        )
    )

    response = FeedbackResponse.objects.get()
    assert (response.state, response.satisfaction, response.attended) == (
        FeedbackState.COUNTED,
        5,
        "yes",
    )
