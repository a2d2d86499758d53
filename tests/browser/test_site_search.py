"""Searching from the header, in real Chromium: 养老 typed on the phone finds demo projects."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

from cms.search import rebuild_index


@pytest.mark.django_db(transaction=True)
def test_visitor_searches_from_the_header_and_sees_highlighted_results(
    live_server, page, screenshot
):
    # given the demo data, indexed (seed_demo does it last)
    call_command("seed_demo", verbosity=0)
    rebuild_index()

    # when a visitor types 养老 into the header's search box
    page.goto(live_server.url + "/")
    box = page.locator(".site-search").get_by_role("searchbox")
    box.fill("养老")
    box.press("Enter")
    page.wait_for_load_state()

    # then the search page lists results with the word marked, and is accessible
    assert "/search/" in page.url
    assert page.locator(".search-results mark").first.inner_text() == "养老"
    screenshot("results")
    violations = [
        violation["id"]
        for violation in Axe().run(page).response["violations"]
        if violation.get("impact") in ("serious", "critical")
    ]
    assert violations == []
