"""The annual report (年度报告) of a programme's year: the workbook opens with the four sheets and
the figures, applicant text stays text, and the PDF names the programme and its projects."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from grants.enums import ApplicationState
from grants.exports_impact import annual_workbook
from grants.models import Application
from grants.report_annual import build_annual_report, render_annual_pdf
from tests.factories import CallFactory, ProgrammeFactory
from tests.grants.factories_impact import funded, no_sources, sources

pytestmark = pytest.mark.django_db
S = ApplicationState
D = Decimal


@pytest.fixture
def programme():
    return ProgrammeFactory(name="2026年崇川区公益创投大赛", funder="南通市崇川区民政局")


@pytest.fixture
def projects(programme):
    call = CallFactory(programme=programme, title="崇川区“邻里+”邻里服务项目（第一批）")
    one = funded(
        call,
        state=S.ACTIVE,
        title="学田社区长者助餐与健康管理",
        indicators=[{"name": "助餐人次", "kind": "output", "target": "3000", "unit": "人次"}],
        beneficiaries=150,
    )
    two = funded(
        call,
        state=S.TERMINATED,
        title='=HYPERLINK("http://evil.example","点我")',
        indicators=[{"name": "助餐人次", "kind": "output", "target": "1000", "unit": "人次"}],
        beneficiaries=50,
    )
    return one, two


@pytest.fixture
def figures(monkeypatch, projects):
    one, two = projects
    sources(
        monkeypatch,
        progress={
            one.pk: [
                {"name": "助餐人次", "unit": "人次", "target": D("3000"), "reached": D("2100")}
            ],
            two.pk: [
                {"name": "助餐人次", "unit": "人次", "target": D("1000"), "reached": D("300")}
            ],
        },
        beneficiaries={one.pk: 140, two.pk: 20},
        hours={one.pk: D("250"), two.pk: D("30.5")},
        feedback={
            one.pk: {"responses": 25, "mean_satisfaction": D("4.4"), "satisfied_percent": D("88")}
        },
        grades={
            one.pk: {"kind": "mid_term", "score": D("78"), "grade": "good", "passed": True},
            two.pk: {"kind": "mid_term", "score": D("52"), "grade": "fail", "passed": False},
        },
        money={
            one.pk: {"awarded": D("20000"), "paid": D("10000"), "spent": D("6000")},
            two.pk: {"awarded": D("20000"), "paid": D("10000"), "spent": D("4000")},
        },
    )
    return one, two


def _values(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _lookup(sheet) -> dict:
    return {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}


def test_the_workbook_has_the_four_sheets_and_the_figures(programme, figures):
    # given
    one, two = figures
    report = build_annual_report(programme, 2026)
    # when
    workbook = load_workbook(BytesIO(_bytes(annual_workbook(report))))
    # then
    overview, projects, indicators, evaluations = workbook.worksheets
    assert len(workbook.worksheets) == 4
    assert overview["A1"].value == report.title
    summary = _lookup(overview)
    values = list(summary.values())
    assert "2026年崇川区公益创投大赛" in values
    assert 2 in values  # projects funded
    assert 200 in values  # beneficiaries planned: 150 + 50
    assert 160 in values  # reached: 140 + 20
    assert D("280.5") in [D(str(v)) for v in values if isinstance(v, int | float)]  # hours
    rows = _values(overview)
    indicator = next(row for row in rows if row[0] == "助餐人次")
    assert indicator[1:6] == ["人次", 2, 4000, 2400, 60]
    titles = [row[2] for row in _values(projects)[1:]]
    assert titles == ["学田社区长者助餐与健康管理", two.title]
    assert [row[3] for row in _values(indicators)[1:]] == ["助餐人次", "助餐人次"]
    scores = [row[5] for row in _values(evaluations)[1:]]
    assert scores == [78, 52]


def test_applicant_text_that_looks_like_a_formula_stays_text(programme, figures):
    report = build_annual_report(programme, 2026)
    workbook = load_workbook(BytesIO(_bytes(annual_workbook(report))))
    sheet = workbook.worksheets[1]
    cell = sheet.cell(row=3, column=3)
    assert cell.value.startswith("=HYPERLINK")
    assert cell.data_type == "s"


def test_without_the_other_areas_the_workbook_says_no_data_yet(monkeypatch, programme, projects):
    no_sources(monkeypatch)
    with translation.override("en"):
        report = build_annual_report(programme, 2026)
        workbook = load_workbook(BytesIO(_bytes(annual_workbook(report))))
    summary = _lookup(workbook.worksheets[0])
    # Unknown, not zero: a funder must not read "nobody was reached".
    assert summary["Beneficiaries: reached"] == "No data yet"
    assert summary["Volunteer hours"] == "No data yet"
    assert summary["Beneficiaries: target"] == 200


def test_the_officer_downloads_the_workbook(client, officer, programme, figures):
    client.force_login(officer)
    url = reverse("grants:impact_annual_xlsx", args=[programme.pk])
    response = client.get(url, {"year": "2026"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"annual-report-{programme.pk}-2026.xlsx" in response["Content-Disposition"]
    workbook = load_workbook(BytesIO(response.content))
    assert len(workbook.worksheets) == 4


def _bytes(workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF")
    result = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],  # noqa: S607
        input=pdf,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode("utf-8")


def _flat(text: str) -> str:
    return "".join(text.split())


needs_pdftotext = pytest.mark.skipif(
    not shutil.which("pdftotext"), reason="needs poppler's pdftotext"
)


@needs_pdftotext
def test_the_pdf_names_the_programme_the_year_and_the_projects(programme, figures):
    report = build_annual_report(programme, 2026)
    pdf = render_annual_pdf(report)
    text = _text(pdf)
    assert "2026年崇川区公益创投大赛" in text
    # Table cells wrap long titles: compare without the line breaks.
    assert "学田社区长者助餐与健康管理" in _flat(text)
    assert "南通市崇川区民政局" in text
    assert "2026" in text
    # The chart's numbers are drawn too (SVG text): the reached meals, 2,400 of 4,000.
    assert "2,400" in text and "4,000" in text


@needs_pdftotext
def test_the_officer_downloads_the_pdf(client, officer, programme, figures):
    client.force_login(officer)
    response = client.get(reverse("grants:impact_annual_pdf", args=[programme.pk]), {"year": 2026})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "学田社区长者助餐与健康管理" in _flat(_text(response.content))


@needs_pdftotext
def test_a_year_without_projects_still_gives_a_report(monkeypatch, programme):
    no_sources(monkeypatch)
    report = build_annual_report(programme, 2026)
    assert report.impact.project_count == 0
    assert not Application.objects.exists()
    assert "2026年崇川区公益创投大赛" in _text(render_annual_pdf(report))
