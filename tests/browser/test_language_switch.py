"""The language switcher in real headless Chromium at phone width: no JavaScript needed."""

from __future__ import annotations

import re

import pytest

from cms.demo import build_site


@pytest.mark.django_db(transaction=True)
def test_language_buttons_switch_the_site_and_back(live_server, chromium):
    build_site()
    context = chromium.new_context(
        viewport={"width": 375, "height": 812}, locale="en-US", java_script_enabled=False
    )
    page = context.new_page()

    # given an English browser on the Chinese home page
    page.goto(f"{live_server.url}/")
    assert page.evaluate("document.documentElement.lang") == "zh-hans"
    assert page.get_by_text("让社区的小事有人办").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # when the reader chooses English
    page.get_by_role("button", name="English").click()

    # then the English home page shows, and the choice sticks on non-page URLs
    page.wait_for_url(re.compile(r"/en/$"))
    assert page.get_by_text("Small community matters get done").is_visible()
    page.get_by_role("link", name="News").first.click()
    page.wait_for_url(re.compile(r"/en/news/$"))
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.evaluate("document.documentElement.lang") == "en"

    # and back to Chinese, from a news page to its translation
    page.goto(f"{live_server.url}/en/news/haishu-open-space/")
    page.get_by_role("button", name="简体中文").click()
    page.wait_for_url(f"{live_server.url}/news/haishu-open-space/")
    assert page.evaluate("document.documentElement.lang") == "zh-hans"
    assert page.get_by_role("heading", level=1).inner_text().startswith("海曙区")

    context.close()
