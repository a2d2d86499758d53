"""The Content Security Policy in a real browser: what it blocks, and that our pages never trip it.

Here, under tests/browser/, so that these tests share the session's one Chromium (a second
sync_playwright in the same run fails inside the first one's event loop).
"""

from __future__ import annotations

import pytest

from tests.browser.test_pitch import log_in
from tests.factories import UserFactory


def _collect_violations(tab) -> list[str]:
    violations: list[str] = []
    tab.on(
        "console",
        lambda message: (
            message.type == "error"
            and "Content Security Policy" in message.text
            and violations.append(message.text)
        ),
    )
    return violations


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_chromium_blocks_injected_inline_script_style_and_handler(live_server, page):
    # given a real page of ours, with markup slipped into it on the way to the browser, as a
    # stored XSS that got past escaping would be (the server's headers are kept unchanged)
    injected = (
        "<script>window.pwned = 'script'</script>"
        "<img src=x onerror=\"window.pwned = 'onerror'\">"
        '<p id="styled" style="color: rgb(255, 0, 0)">styled</p>'
    )

    def inject(route):
        response = route.fetch()
        body = response.text().replace("</main>", injected + "</main>")
        route.fulfill(response=response, body=body)

    page.route(f"{live_server.url}/gongshi/", inject)
    violations = _collect_violations(page)

    # when Chromium loads it
    page.goto(f"{live_server.url}/gongshi/")
    page.wait_for_load_state("networkidle")

    # then nothing injected ran or applied, and Chromium reported each violation
    assert page.evaluate("window.pwned") is None
    colour = page.evaluate("getComputedStyle(document.getElementById('styled')).color")
    assert colour != "rgb(255, 0, 0)"
    assert any("inline script" in text for text in violations), violations
    assert any("inline style" in text for text in violations), violations
    # our own stylesheet still applies: the page is styled, not broken
    assert page.evaluate("document.styleSheets.length") >= 1


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_our_pages_and_the_admin_run_without_a_single_violation(live_server, page):
    # given the demo site and an editor signed in
    from django.core.management import call_command
    from wagtail.models import Page

    call_command("seed_demo", verbosity=0)
    home = Page.objects.filter(depth=2).order_by("pk").first()
    UserFactory(username="root", is_superuser=True, is_staff=True)
    violations = _collect_violations(page)
    urls = [
        "/",
        "/open-data/",
        "/gongshi/",
        "/workspace/",
        "/me/",
        "/api/v1/docs",
        "/admin/",
        "/admin/pages/",
        f"/admin/pages/{home.pk}/edit/",
        "/django-admin/",
    ]

    # when they walk the public site, the workspace, the API docs and both admins
    log_in(page, live_server.url, "root")
    problems = []
    for url in urls:
        violations.clear()
        page.goto(live_server.url + url)
        page.wait_for_load_state("networkidle")
        problems += [f"{url}: {text}" for text in violations]

    # then Chromium reports no Content Security Policy violation anywhere
    assert not problems, "\n".join(problems)
