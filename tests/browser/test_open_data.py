"""The transparency dashboard on a 375 px phone in real Chromium: a resident opens 信息公开 from
the footer, reads the charts and tables without the page scrolling sideways, and downloads the CSV."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cms.demo import build_site
from cms.demo_open_data import build_open_data_page
from cms.models import HomePage
from tests.factories import CallFactory, DistrictFactory, OrganisationFactory, ProgrammeFactory
from tests.grants import factories_finance as finance

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_resident_reads_the_open_data_on_a_phone(live_server, page, screenshot):
    # given the public site with its open-data page and two funded projects
    build_site()
    build_open_data_page(HomePage.objects.get(locale__language_code="zh-hans"), "zh-hans")
    programme = ProgrammeFactory(name="2026年崇川区公益创投大赛")
    call = CallFactory(programme=programme, title="崇川区“邻里+”邻里服务项目（第一批）")
    for name, district, award in (
        ("崇川区和平桥邻里服务社", "崇川区", "20000"),
        ("港闸区青少年成长协会", "港闸区", "30000"),
    ):
        organisation = OrganisationFactory(name=name, district=DistrictFactory(name=district))
        finance.funded_project(call=call, organisation=organisation, award=Decimal(award))

    # when
    page.goto(f"{live_server.url}/")
    page.locator("footer a[href='/open-data/']").click()

    # then the dashboard of the newest year shows, with charts and their tables
    assert "2026年崇川区公益创投大赛" in page.locator("main").inner_text()
    assert page.locator("figure.transparency-chart svg").first.is_visible()
    assert "¥50,000" in page.locator(".transparency-totals").inner_text()
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 376, f"the page scrolls sideways: {wide}px"
    screenshot("dashboard")

    with page.expect_download() as download:
        page.locator("a[href$='/csv/']").click()
    assert download.value.suggested_filename.endswith(".csv")
    content = download.value.path().read_bytes()
    assert content.startswith("\ufeff".encode())
    assert "港闸区青少年成长协会" in content.decode("utf-8-sig")
