"""The impact dashboard on a 375 px phone in real Chromium: the officer opens the programme's year,
reads the charts without the page scrolling sideways, and downloads the annual report."""

from __future__ import annotations

import pytest
from django.urls import reverse

from grants.enums import ApplicationState
from tests.factories import CallFactory, ProgrammeFactory
from tests.grants import factories_evaluations as evaluations
from tests.grants.factories_reports import make_officer

from .test_pitch import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = ApplicationState


def test_the_officer_reads_the_impact_of_a_year_on_a_phone(live_server, page, screenshot):
    # given two funded projects of a 2026 programme
    programme = ProgrammeFactory(name="2026年崇川区公益创投大赛")
    call = CallFactory(programme=programme, title="崇川区“邻里+”邻里服务项目（第一批）")
    evaluations.funded_project(
        call=call,
        title="“邻里+”楼道长守望探访计划",
        indicators=[{"name": "探访人次", "kind": "output", "target": "2,400", "unit": "人次"}],
    )
    evaluations.funded_project(
        call=call,
        state=S.COMPLETED,
        title="困境家庭儿童“微心愿”圆梦行动",
        indicators=[{"name": "探访人次", "kind": "output", "target": "600", "unit": "人次"}],
    )
    make_officer("oscar_i")

    # when
    log_in(page, live_server.url, "oscar_i")
    page.goto(
        f"{live_server.url}{reverse('grants:impact_programme', args=[programme.pk])}?year=2026"
    )

    # then
    assert "2026年崇川区公益创投大赛" in page.locator("h1").inner_text()
    assert page.locator("svg.impact-chart__svg").first.is_visible()
    assert (
        "3,000" in page.locator("section[aria-labelledby=impact-targets]").inner_text()
    )  # 2,400 + 600 planned visits
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 376, f"the page scrolls sideways: {wide}px"
    screenshot("dashboard")

    with page.expect_download() as download:
        page.locator("a[href*='annual-report.pdf']").click()
    assert download.value.suggested_filename == f"annual-report-{programme.pk}-2026.pdf"
