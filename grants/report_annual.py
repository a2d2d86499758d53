"""The annual report (年度报告) of a programme's year as PDF (WeasyPrint, Noto CJK).

The year's projects are the funded projects of the programme's calls that opened that year; the
figures are those of the impact dashboard (``grants.selectors_impact``), so the report, the
workbook (``grants.exports_impact``) and the page always agree. Charts are inline SVG: WeasyPrint
draws them, but ignores the document's stylesheet inside an SVG, so the report's charts carry
their colours in an SVG ``<style>`` (a PDF has no CSP to respect).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grants.charts_impact import impact_charts
from grants.models import Programme
from grants.selectors_impact import Impact, impact_of, programme_projects


@dataclass(frozen=True)
class AnnualReport:
    programme: Programme
    year: int
    impact: Impact
    calls: list
    generated_at: datetime

    @property
    def title(self) -> str:
        return _("%(programme)s %(year)s annual report") % {
            "programme": self.programme.name,
            "year": self.year,
        }

    @property
    def filename_stem(self) -> str:
        return f"annual-report-{self.programme.pk}-{self.year}"


def build_annual_report(programme: Programme, year: int) -> AnnualReport:
    impact = impact_of(programme_projects(programme, year))
    calls = list(programme.calls.filter(opens_at__year=year).order_by("opens_at", "pk"))
    return AnnualReport(
        programme=programme, year=year, impact=impact, calls=calls, generated_at=timezone.now()
    )


def render_annual_html(report: AnnualReport) -> str:
    targets, grades = impact_charts(report.impact)
    return render_to_string(
        "grants/impact/annual_report.html",
        {
            "report": report,
            "programme": report.programme,
            "impact": report.impact,
            "targets_chart": targets,
            "grades_chart": grades,
            "generated_on": timezone.localtime(report.generated_at).date(),
            "LANGUAGE_CODE": translation.get_language(),
        },
    )


def render_annual_pdf(report: AnnualReport) -> bytes:
    # Imported here: WeasyPrint loads Pango and fonts, which only the download needs.
    from weasyprint import CSS, HTML

    stylesheet = CSS(string=render_to_string("grants/impact/annual_report.css"))
    return HTML(string=render_annual_html(report), base_url=str(settings.BASE_DIR)).write_pdf(
        stylesheets=[stylesheet]
    )
