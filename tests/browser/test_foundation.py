"""The first thing a visitor does, in real Chromium: the Chinese home page, a switch to English,
a login as the demo NGO member, their organisation in the workspace, and a logout."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from incubator.models import Organisation


@pytest.mark.django_db(transaction=True)
def test_visitor_switches_language_logs_in_as_ngo1_sees_organisation_and_logs_out(
    live_server, page, screenshot
):
    # given the demo data
    call_command("seed_demo", verbosity=0)
    organisation = Organisation.objects.get(memberships__user__username="ngo1")

    # when a visitor opens the home page it is in Chinese
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_role("link", name="登录").is_visible()
    screenshot("1-home-zh")

    # and switching language shows the English site
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Log in").is_visible()
    screenshot("2-home-en")

    # and back to Chinese
    page.get_by_role("button", name="简体中文").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-hans"

    # when ngo1 logs in with the demo password
    page.get_by_role("link", name="登录").click()
    page.fill("input[name=login]", "ngo1")
    page.fill("input[name=password]", "yichuang-demo")
    page.locator("form:has(input[name=login]) [type=submit]").click()
    page.wait_for_load_state()

    # then the workspace shows their organisation
    assert page.get_by_text(organisation.name).first.is_visible()
    screenshot("3-workspace")

    # when they log out
    page.get_by_role("button", name=re.compile("退出")).first.click()
    page.wait_for_load_state()
    if page.locator("form [type=submit]").count() and "logout" in page.url:
        page.locator("main form [type=submit]").click()  # allauth's confirmation page
        page.wait_for_load_state()

    # then they are anonymous again
    assert page.get_by_role("link", name="登录").is_visible()
    screenshot("4-logged-out")
