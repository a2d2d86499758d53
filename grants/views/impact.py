"""The impact dashboard of a call and of a programme's year, and the year's annual report (年度报告)
as Excel and PDF. Officers and finance staff only (``grants.view_impact``); anyone else gets 403.

The views only pick the projects and the year; the figures come from ``grants.selectors_impact``
in a fixed number of queries whatever the number of projects.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from grants import exports_impact
from grants.charts_impact import impact_charts
from grants.models import Call, Programme
from grants.report_annual import build_annual_report, render_annual_pdf
from grants.selectors_impact import (
    Impact,
    call_projects,
    default_year,
    impact_of,
    programme_years,
)

# The areas whose figures may be missing (grants.selectors_impact.Figures.missing), as the notice
# names them.
SOURCE_LABELS = {
    "reports": gettext_lazy("progress reports"),
    "feedback": gettext_lazy("resident feedback"),
    "evaluations": gettext_lazy("evaluations"),
    "finance": gettext_lazy("finance"),
}


def _require(user) -> None:
    if not user.has_perm("grants.view_impact"):
        raise PermissionDenied(
            _("The impact figures are for programme officers and finance staff.")
        )


def _programme_and_year(request, pk: int) -> tuple[Programme, int, list[int]]:
    _require(request.user)
    programme = get_object_or_404(Programme, pk=pk)
    years = programme_years(programme)
    raw = request.GET.get("year", "").strip()
    if not raw:
        return programme, default_year(years), years
    if not raw.isdigit() or int(raw) not in years:
        # A year the programme never ran has no report.
        raise Http404(_("This programme has no such year."))
    return programme, int(raw), years


def _context(request, impact: Impact) -> dict:
    targets, grades = impact_charts(impact)
    return {
        "impact": impact,
        "targets_chart": targets,
        "grades_chart": grades,
        "missing_sources": [str(SOURCE_LABELS[name]) for name in impact.missing],
        # Finance staff may not open the officer's application page.
        "can_open_applications": request.user.has_perm("grants.use_officer_workspace"),
    }


@never_cache
@login_required
def call_dashboard(request, pk: int):
    _require(request.user)
    call = get_object_or_404(Call.objects.select_related("programme"), pk=pk)
    context = _context(request, impact_of(call_projects(call)))
    context["call"] = call
    return render(request, "grants/impact/call.html", context)


@never_cache
@login_required
def programme_dashboard(request, pk: int):
    programme, year, years = _programme_and_year(request, pk)
    report = build_annual_report(programme, year)
    context = _context(request, report.impact)
    context.update({"programme": programme, "year": year, "years": years, "report": report})
    return render(request, "grants/impact/programme.html", context)


@login_required
def annual_report_xlsx(request, pk: int):
    programme, year, _years = _programme_and_year(request, pk)
    report = build_annual_report(programme, year)
    response = HttpResponse(
        exports_impact.workbook_bytes(exports_impact.annual_workbook(report)),
        content_type=exports_impact.XLSX_CONTENT_TYPE,
    )
    response["Content-Disposition"] = f'attachment; filename="{report.filename_stem}.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def annual_report_pdf(request, pk: int):
    programme, year, _years = _programme_and_year(request, pk)
    report = build_annual_report(programme, year)
    response = HttpResponse(render_annual_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report.filename_stem}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
