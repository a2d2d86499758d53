"""The public site in real Chromium on a phone (375 px) and a desktop (1280 px), issue #8.

For each page a visitor meets first (home, a call, a 公示 with its objection form open, a funded
project, the transparency dashboard, a search in Chinese) the test takes a screenshot, collects
console errors and uncaught exceptions, runs axe-core and checks that the page does not scroll
sideways. Every problem of every page is collected, and the test fails once at the end with the
whole list, so one run shows all that needs fixing.

The data is the full demo (``seed_demo``); the test reads it before the browser starts and never
while the browser works.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.utils import timezone

from grants.enums import FUNDED_STATES, CallPhase
from grants.models import Application, Call, PublicNotice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"phone": (375, 800), "desktop": (1280, 900)}
BLOCKING_IMPACTS = ("serious", "critical")
AXE = Axe()


@dataclass
class Step:
    name: str
    url: str
    open_objection_form: bool = False
    shows: str = ""  # a text the visitor must see on it


def _steps() -> list[Step]:
    """The pages to visit, found in the seeded demo (the open call, an open 公示, a funded project)."""
    now = timezone.now()
    call = next(call for call in Call.objects.order_by("pk") if call.phase() == CallPhase.OPEN)
    notice = next(
        notice
        for notice in PublicNotice.objects.select_related("call").order_by("pk")
        if notice.is_open(now)
    )
    project = Application.objects.filter(state__in=FUNDED_STATES).order_by("pk").first()
    return [
        Step("home", "/"),
        Step("call", f"/calls/{call.slug}/", shows=call.title),
        Step("gongshi", f"/gongshi/{notice.call.slug}/", open_objection_form=True),
        Step("project", f"/projects/{project.pk}/", shows=project.title),
        Step("open-data", "/open-data/"),
        Step("search", f"/search/?q={quote('养老')}"),
    ]


def _axe_problems(page) -> list[str]:
    results = AXE.run(page).response
    problems = []
    for violation in results["violations"]:
        if violation.get("impact") not in BLOCKING_IMPACTS:
            continue
        targets = "; ".join(
            " ".join(str(part) for part in node["target"]) for node in violation["nodes"][:5]
        )
        problems.append(
            f"axe {violation['impact']} {violation['id']} ({len(violation['nodes'])}×): "
            f"{targets}\n      {violation['nodes'][0].get('failureSummary', '')}".rstrip()
        )
    return problems


@pytest.mark.parametrize("device", VIEWPORTS)
def test_the_public_pages_work_and_are_accessible(live_server, page, screenshot, device):
    # given the demo data and a phone or desktop window
    call_command("seed_demo", verbosity=0)
    steps = _steps()
    width, height = VIEWPORTS[device]
    page.set_viewport_size({"width": width, "height": height})
    console: list[str] = []
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and console.append(f"{message.text} ({message.location.get('url', '')})")
        ),
    )
    page.on("pageerror", lambda error: console.append(f"uncaught: {error}"))
    problems: list[str] = []

    for step in steps:
        # when the visitor opens the page
        console.clear()
        response = page.goto(live_server.url + step.url)
        page.wait_for_load_state("networkidle")
        if response is None or response.status != 200:
            problems.append(f"{step.name} {step.url}: HTTP {response and response.status}")
            screenshot(step.name)
            continue
        if step.open_objection_form:
            card = page.locator("details.objection").first
            card.locator("summary").click()
            card.locator("form").wait_for(state="visible")
        screenshot(step.name)
        if step.shows and step.shows not in page.locator("main").inner_text():
            problems.append(f"{step.name} {step.url}: does not show {step.shows!r}")

        # then it has no console errors, no serious accessibility problem, no sideways scrolling
        problems += [f"{step.name} {step.url}: console: {text}" for text in console]
        problems += [f"{step.name} {step.url}: {text}" for text in _axe_problems(page)]
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            problems.append(f"{step.name} {step.url}: {scroll_width} px wide in {width} px")

    assert not problems, "\n".join(problems)
