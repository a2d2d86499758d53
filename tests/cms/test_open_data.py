"""The transparency dashboard (信息公开, issue #8): figures, files, API, languages, privacy."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page

from cms.demo_open_data import build_open_data_page
from cms.models import HomePage, TransparencyPage
from cms.selectors_open_data import open_data, programmes_with_data
from grants.enums import ApplicationState, LedgerKind
from grants.services import reports as report_svc
from grants.services.ledger import post_entry
from incubator.enums import OrganisationType
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    DistrictFactory,
    OrganisationFactory,
    ProgrammeFactory,
)
from tests.grants import factories_feedback as feedback
from tests.grants import factories_finance as finance
from tests.grants import factories_reports as reports

pytestmark = pytest.mark.django_db
S = ApplicationState
D = Decimal


def spend(application, amount: str, key: str) -> None:
    post_entry(
        kind=LedgerKind.EXPENSE,
        amount=D(amount),
        programme=None,
        application=application,
        idempotency_key=f"test-expense:{key}",
    )


def funded(call, organisation, *, award: str, paid: int, theme: str, title: str, state=S.ACTIVE):
    project = finance.funded_project(
        call=call, organisation=organisation, award=D(award), tranches_paid=paid, state=state
    )
    type(project).objects.filter(pk=project.pk).update(theme=theme, title=title)
    project.refresh_from_db()
    return project


@pytest.fixture
def dataset(officer):
    """Three public projects in two districts and two themes, and one application not funded.

    | project | district | theme   | org type      | awarded | paid (tranches) | spent |
    | 守望    | 崇川区   | elderly | social service | 20,000 | 10,000 (50%)    | 3,000 |
    | 护苗    | 港闸区   | youth   | social group   | 30,000 | 24,000 (50+30%) | 5,000 |
    | 银龄    | 崇川区   | elderly | community org  | 10,000 | 0               | 0     |
    """
    programme = ProgrammeFactory(name="2026年崇川区公益创投大赛", funder="崇川区民政局")
    call = CallFactory(programme=programme, title="崇川区“邻里+”邻里服务项目（第一批）")
    chongchuan = DistrictFactory(name="崇川区")
    gangzha = DistrictFactory(name="港闸区")
    service = OrganisationFactory(name="崇川区和平桥邻里服务社", district=chongchuan)
    group = OrganisationFactory(
        name="港闸区青少年成长协会", district=gangzha, org_type=OrganisationType.SOCIAL_GROUP
    )
    filed = OrganisationFactory(
        name="钟楼社区银龄互助队",
        district=chongchuan,
        org_type=OrganisationType.COMMUNITY_ORG,
        credit_code=None,
    )
    watch = funded(
        call, service, award="20000", paid=1, theme="elderly", title="“邻里+”楼道长守望探访计划"
    )
    sprouts = funded(call, group, award="30000", paid=2, theme="youth", title="护苗成长营")
    silver = funded(
        call, filed, award="10000", paid=0, theme="elderly", title="银龄互助", state=S.COMPLETED
    )
    spend(watch, "3000", "watch")
    spend(sprouts, "5000", "sprouts")
    # an accepted report: 180 beneficiaries, 6.5 + 4 volunteer hours
    member = reports.member_of(service, username="amy_open")
    report_svc.accept_report(report=reports.submitted_report(watch, member), actor=officer)
    # two counted ratings (5 and 4 stars) and one never verified
    channel = feedback.channel_for(watch)
    feedback.verified_response(channel, phone="13900000001", satisfaction=5)
    feedback.verified_response(channel, phone="13900000002", satisfaction=4)
    feedback.verified_response(
        channel, phone="13900000003", satisfaction=1, state=feedback.FeedbackState.UNVERIFIED
    )
    # a rejected application of the same call, with money in the ledger by mistake: never shown
    rejected = ApplicationFactory(
        call=call,
        organisation=OrganisationFactory(district=gangzha),
        state=S.REJECTED,
        title="未获资助的申报",
        theme="youth",
    )
    post_entry(
        kind=LedgerKind.AWARD,
        amount=D("99999"),
        programme=None,
        application=rejected,
        idempotency_key="test-award:rejected",
    )
    return {
        "programme": programme,
        "year": call.opens_at.astimezone().year,
        "projects": (watch, sprouts, silver),
        "rejected": rejected,
    }


@pytest.fixture
def pages(site):
    zh = HomePage.objects.get(locale__language_code="zh-hans")
    en = HomePage.objects.get(locale__language_code="en")
    return build_open_data_page(zh, "zh-hans"), build_open_data_page(en, "en")


def by_label(tallies) -> dict:
    return {item.label: item for item in tallies}


# --- Figures --------------------------------------------------------------------------------------


def test_figures_add_up_per_district_theme_and_organisation_type(dataset, english):
    # when
    data = open_data(programme=dataset["programme"], year=dataset["year"])

    # then the three funded projects count, the rejected application does not
    assert data.totals.projects == 3
    assert data.totals.awarded == D("60000.00")
    assert data.totals.paid == D("34000.00")
    assert data.totals.spent == D("8000.00")
    assert data.totals.beneficiaries == 180
    assert data.totals.volunteer_hours == D("10.5")
    assert data.totals.responses == 2
    assert data.totals.mean_satisfaction == D("4.50")
    districts = by_label(data.by_district)
    assert set(districts) == {"崇川区", "港闸区"}
    assert (districts["崇川区"].projects, districts["崇川区"].awarded) == (2, D("30000.00"))
    assert (districts["崇川区"].paid, districts["崇川区"].spent) == (D("10000.00"), D("3000.00"))
    assert (districts["港闸区"].awarded, districts["港闸区"].paid) == (D("30000.00"), D("24000.00"))
    assert districts["港闸区"].spent == D("5000.00")
    themes = by_label(data.by_theme)
    assert (themes["Elderly care"].awarded, themes["Elderly care"].projects) == (D("30000.00"), 2)
    assert themes["Children and youth"].paid == D("24000.00")
    types = {item.key: item for item in data.by_organisation_type}
    assert types[OrganisationType.COMMUNITY_ORG].awarded == D("10000.00")
    assert types[OrganisationType.SOCIAL_GROUP].spent == D("5000.00")
    assert [p.title for p in data.projects if p.title == "未获资助的申报"] == []
    assert data.not_evaluated == 3


def test_programme_picker_lists_only_programmes_with_public_projects(dataset):
    ProgrammeFactory(name="没有立项项目的计划")
    CallFactory(programme=ProgrammeFactory(name="只有草稿的计划"))
    ApplicationFactory(call__programme__name="只有申报中的计划", state=S.SUBMITTED)

    choices = programmes_with_data()

    assert [(c.programme.name, c.years) for c in choices] == [
        ("2026年崇川区公益创投大赛", [dataset["year"]])
    ]


# --- The page -------------------------------------------------------------------------------------


def test_dashboard_shows_the_figures_and_links_the_projects(client, dataset, pages):
    programme, year = dataset["programme"], dataset["year"]
    watch = dataset["projects"][0]

    response = client.get(f"/open-data/{programme.pk}/{year}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "2026年崇川区公益创投大赛" in html
    assert "¥60,000" in html and "¥34,000" in html and "¥8,000" in html
    assert f'href="/projects/{watch.pk}/"' in html
    assert "崇川区和平桥邻里服务社" in html
    assert "<svg" in html and "<table" in html  # a chart and its table
    assert "未获资助的申报" not in html


def test_each_programme_year_is_its_own_canonical_page(client, dataset, pages):
    programme, year = dataset["programme"], dataset["year"]

    dashboard = client.get(f"/open-data/{programme.pk}/{year}/").content.decode()
    index = client.get("/open-data/").content.decode()

    canonical = f'<link rel="canonical" href="http://testserver/open-data/{programme.pk}/{year}/">'
    assert canonical in dashboard
    assert '<link rel="canonical" href="http://testserver/open-data/">' in index


def test_index_shows_the_latest_programme_year(client, dataset, pages):
    response = client.get("/open-data/")

    assert response.status_code == 200
    assert "“邻里+”楼道长守望探访计划" in response.content.decode()


def test_index_without_data_says_so(client, pages, english):
    response = client.get("/en/open-data/")

    assert response.status_code == 200
    assert "No funded project has been published yet" in response.content.decode()


def test_both_languages_render_with_their_own_texts(client, dataset, pages, english):
    programme, year = dataset["programme"], dataset["year"]
    watch = dataset["projects"][0]

    zh = client.get(f"/open-data/{programme.pk}/{year}/").content.decode()
    en = client.get(f"/en/open-data/{programme.pk}/{year}/").content.decode()

    assert '<html lang="zh-hans"' in zh and "信息公开" in zh
    assert '<html lang="en"' in en and "Open data" in en
    assert "Every yuan of venture philanthropy" in en
    assert "By district" in en and "Elderly care" in en
    assert f'href="/en/projects/{watch.pk}/"' in en


def test_unknown_programme_or_year_without_projects_is_404(client, dataset, pages):
    programme, year = dataset["programme"], dataset["year"]
    empty = ProgrammeFactory()

    assert client.get(f"/open-data/{programme.pk + 999}/{year}/").status_code == 404
    assert client.get(f"/open-data/{programme.pk}/{year - 5}/").status_code == 404
    assert client.get(f"/open-data/{programme.pk}/99999/").status_code == 404
    assert client.get(f"/open-data/{empty.pk}/{year}/").status_code == 404
    assert client.get(f"/open-data/{empty.pk}/{year}/csv/").status_code == 404
    assert client.get(f"/api/v1/open-data/{empty.pk}/{year}").status_code == 404


def test_page_has_no_private_field_and_no_inline_script(client, dataset, pages):
    programme, year = dataset["programme"], dataset["year"]
    base = f"/open-data/{programme.pk}/{year}/"

    outputs = [
        client.get(base).content.decode(),
        client.get(base + "csv/").content.decode("utf-8-sig"),
        client.get(base + "json/").content.decode(),
        client.get(f"/api/v1/open-data/{programme.pk}/{year}").content.decode(),
    ]

    for text in outputs:
        assert "13800000000" not in text  # the organisation's contact phone
        assert "张老师" not in text  # its contact person
        assert "13900000001" not in text and "0001" not in text  # residents' phones
        assert "王社工" not in text and "李秀英" not in text  # report author, volunteer
        assert "99999" not in text and "未获资助的申报" not in text
        assert "@example.org" not in text
    assert "<script>" not in outputs[0] and "style=" not in outputs[0]


def test_demo_page_is_idempotent_and_linked_from_the_footer(client, pages):
    zh, en = pages
    home = HomePage.objects.get(locale__language_code="zh-hans")

    again = build_open_data_page(home, "zh-hans")

    assert again.pk == zh.pk
    assert TransparencyPage.objects.count() == 2
    assert en.translation_key == zh.translation_key
    assert Page.objects.get(pk=zh.pk).get_parent().pk == home.pk
    assert 'href="/open-data/"' in client.get("/").content.decode()


# --- Files and API agree with the page ------------------------------------------------------------


def test_csv_json_and_api_give_the_page_figures(client, dataset, pages):
    programme, year = dataset["programme"], dataset["year"]
    base = f"/open-data/{programme.pk}/{year}/"
    page_data = client.get(base).context["data"]

    csv_response = client.get(base + "csv/")
    json_data = client.get(base + "json/").json()
    api_data = client.get(f"/api/v1/open-data/{programme.pk}/{year}").json()

    # the API is the JSON download, figure for figure
    assert api_data == json_data
    assert json_data["totals"]["awarded"] == str(page_data.totals.awarded) == "60000.00"
    assert json_data["totals"]["paid"] == "34000.00"
    assert json_data["totals"]["spent"] == "8000.00"
    assert json_data["totals"]["beneficiaries"] == page_data.totals.beneficiaries == 180
    assert {row["label"]: row["awarded"] for row in json_data["by_district"]} == {
        item.label: str(item.awarded) for item in page_data.by_district
    }
    assert len(json_data["projects"]) == 3
    # the CSV: UTF-8 with a byte-order mark for Excel, the same numbers
    assert csv_response["Content-Type"].startswith("text/csv")
    assert csv_response.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    total = next(row for row in rows if row["section"] == "total")
    assert (total["awarded"], total["paid"], total["spent"]) == ("60000.00", "34000.00", "8000.00")
    districts = {row["name"]: row for row in rows if row["section"] == "district"}
    assert districts["崇川区"]["awarded"] == "30000.00"
    assert districts["港闸区"]["paid"] == "24000.00"
    projects = {row["name"]: row for row in rows if row["section"] == "project"}
    assert projects["护苗成长营"]["organisation"] == "港闸区青少年成长协会"
    assert projects["“邻里+”楼道长守望探访计划"]["mean_satisfaction"] == "4.50"


def test_api_lists_programmes_with_their_years(client, dataset):
    response = client.get("/api/v1/open-data/")

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": dataset["programme"].pk,
            "name": "2026年崇川区公益创投大赛",
            "funder": "崇川区民政局",
            "years": [dataset["year"]],
        }
    ]


# --- Cost -----------------------------------------------------------------------------------------


def test_dashboard_costs_the_same_queries_for_1_and_30_projects(
    client, pages, django_assert_max_num_queries
):
    small, large = CallFactory(), CallFactory()
    finance.funded_project(call=small)
    for _ in range(30):
        finance.funded_project(call=large)
    year = small.opens_at.astimezone().year

    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/open-data/{small.programme_id}/{year}/").status_code == 200
    with django_assert_max_num_queries(len(queries)):
        response = client.get(f"/open-data/{large.programme_id}/{year}/")
    assert len(response.context["data"].projects) == 30
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/open-data/{small.programme_id}/{year}/csv/").status_code == 200
    with django_assert_max_num_queries(len(queries)):
        assert client.get(f"/open-data/{large.programme_id}/{year}/csv/").status_code == 200


# --- Demo -----------------------------------------------------------------------------------------


def test_demo_projects_fill_the_dashboard(client, pages):
    import importlib
    from io import StringIO

    for name in (
        "incubator.demo",
        "accounts.demo",
        "grants.demo",
        "grants.demo_projects",
        "grants.demo_finance",
    ):
        importlib.import_module(name).seed(stdout=StringIO())

    response = client.get("/open-data/")

    assert response.status_code == 200
    data = response.context["data"]
    # 8 demo projects, one only approved (no agreement signed yet): not public
    assert len(data.projects) == 7
    assert data.totals.awarded > 0 and data.totals.paid > 0 and data.totals.spent > 0
    assert "“邻里+”楼道长守望探访计划" in response.content.decode()
