"""The annual report (年度报告) of a programme's year as an Excel workbook (openpyxl).

Four sheets: overview (the summary figures, every indicator across projects, the grades), projects
(one row per project), indicators (one row per project and indicator) and evaluations (one row per
project). Numbers stay numbers (Decimal, int) so the funder can sum and sort them; text written by
applicants (titles, indicator names) goes through ``grants.exports._append``, which keeps a cell
starting with "=" as text. A figure whose source does not exist yet is written "no data yet",
never 0.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from grants.exports import XLSX_CONTENT_TYPE, _append, _format_sheet, workbook_bytes
from grants.report_annual import AnnualReport
from grants.selectors_impact import MONEY_KEYS, Impact

__all__ = ["XLSX_CONTENT_TYPE", "annual_workbook", "workbook_bytes"]


def _money_labels() -> dict[str, str]:
    return {
        "awarded": _("Awarded (yuan)"),
        "paid": _("Paid (yuan)"),
        "pending": _("Pending (yuan)"),
        "donated": _("Donated (yuan)"),
        "matched": _("Matched (yuan)"),
        "spent": _("Spent (yuan)"),
        "unspent": _("Unspent (yuan)"),
        "clawback_due": _("Clawback due (yuan)"),
        "clawback_repaid": _("Clawback repaid (yuan)"),
    }


def _or_no_data(available: bool, value):
    return value if available else _("No data yet")


def annual_workbook(report: AnnualReport) -> Workbook:
    impact = report.impact
    workbook = Workbook()
    overview = workbook.active
    overview.title = _("Overview")[:31]
    _overview_sheet(overview, report)
    _projects_sheet(workbook.create_sheet(_("Projects")[:31]), impact)
    _indicators_sheet(workbook.create_sheet(_("Indicators")[:31]), impact)
    _evaluations_sheet(workbook.create_sheet(_("Evaluations")[:31]), impact)
    workbook.properties.title = report.title
    workbook.properties.creator = "Yichuang"
    return workbook


def _overview_sheet(sheet, report: AnnualReport) -> None:
    impact = report.impact
    satisfaction = impact.satisfaction or {}
    _append(sheet, [report.title, ""])
    rows: list[list] = [
        [_("Programme"), report.programme.name],
        [_("Funder"), report.programme.funder],
        [_("Year"), report.year],
        [_("Calls"), "、".join(call.title for call in report.calls)],
        [_("Generated"), timezone.localtime(report.generated_at).strftime("%Y-%m-%d %H:%M")],
        [_("Projects funded"), impact.project_count],
        *[[label, count] for _code, label, count in impact.state_counts],
        [_("Beneficiaries: target"), impact.beneficiaries_target],
        [
            _("Beneficiaries: reached"),
            _or_no_data(impact.has_reports, impact.beneficiaries_reached),
        ],
        [
            _("Beneficiaries: share of target (%)"),
            _or_no_data(impact.has_reports, impact.beneficiaries_percent),
        ],
        [_("Volunteer hours"), _or_no_data(impact.has_reports, impact.volunteer_hours)],
        [
            _("Resident feedback: responses"),
            _or_no_data(impact.has_feedback, satisfaction.get("responses")),
        ],
        [
            _("Resident feedback: mean satisfaction (1–5)"),
            _or_no_data(impact.has_feedback, satisfaction.get("mean_satisfaction")),
        ],
        [
            _("Resident feedback: satisfied (%)"),
            _or_no_data(impact.has_feedback, satisfaction.get("satisfied_percent")),
        ],
        *[
            [_("Grade: %(grade)s") % {"grade": label}, _or_no_data(impact.has_grades, count)]
            for _code, label, count in impact.grades
        ],
        [_("Not evaluated yet"), _or_no_data(impact.has_grades, impact.not_evaluated)],
    ]
    labels = _money_labels()
    money_rows = set()
    for key in MONEY_KEYS:
        rows.append([labels[key], _or_no_data(impact.has_money, (impact.money or {}).get(key))])
        money_rows.add(len(rows) + 1)
    for row in rows:
        _append(sheet, row)
    for row_number in money_rows:
        sheet.cell(row=row_number, column=2).number_format = "#,##0.00"

    _append(sheet, [])
    _append(
        sheet,
        [
            _("Indicator"),
            _("Unit"),
            _("Projects"),
            _("Target"),
            _("Reached"),
            _("Share of target (%)"),
            _("Added up or averaged"),
        ],
    )
    header_row = sheet.max_row
    for indicator in impact.indicators:
        _append(
            sheet,
            [
                indicator.name,
                indicator.unit,
                indicator.projects,
                indicator.target,
                _or_no_data(impact.has_reports, indicator.reached),
                _or_no_data(impact.has_reports, indicator.percent),
                _("Average") if indicator.rate else _("Sum"),
            ],
        )
    _format_sheet(sheet, money_columns=set(), datetime_columns=set())
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = None


def _projects_sheet(sheet, impact: Impact) -> None:
    labels = _money_labels()
    money_keys = ("awarded", "paid", "spent", "unspent", "clawback_due") if impact.has_money else ()
    header = [
        _("Reference"),
        _("Call"),
        _("Project title"),
        _("Organisation"),
        _("State"),
        _("Project starts"),
        _("Project ends"),
        _("Grant in the agreement (yuan)"),
        _("Beneficiaries: target"),
        _("Beneficiaries: reached"),
        _("Volunteer hours"),
        _("Feedback responses"),
        _("Mean satisfaction (1–5)"),
        _("Grade"),
        _("Score"),
        *[labels[key] for key in money_keys],
    ]
    _append(sheet, header)
    for project in impact.projects:
        feedback = project.feedback or {}
        grade = project.grade or {}
        money = project.money or {}
        _append(
            sheet,
            [
                project.reference,
                project.call,
                project.title,
                project.organisation,
                project.state_label,
                project.starts_on.isoformat() if project.starts_on else "",
                project.ends_on.isoformat() if project.ends_on else "",
                project.award,
                project.beneficiaries_target,
                _or_no_data(impact.has_reports, project.beneficiaries_reached),
                _or_no_data(impact.has_reports, project.volunteer_hours),
                _or_no_data(impact.has_feedback, feedback.get("responses", 0)),
                _or_no_data(impact.has_feedback, feedback.get("mean_satisfaction")),
                _or_no_data(impact.has_grades, project.grade_label),
                _or_no_data(impact.has_grades, grade.get("score")),
                *[money.get(key) for key in money_keys],
            ],
        )
    money_columns = {8} | {16 + offset for offset in range(len(money_keys))}
    _format_sheet(sheet, money_columns=money_columns, datetime_columns=set())


def _indicators_sheet(sheet, impact: Impact) -> None:
    _append(
        sheet,
        [
            _("Reference"),
            _("Project title"),
            _("Organisation"),
            _("Indicator"),
            _("Unit"),
            _("Target as written"),
            _("Target"),
            _("Reached"),
            _("Share of target (%)"),
        ],
    )
    for project in impact.projects:
        for indicator in project.indicators:
            _append(
                sheet,
                [
                    project.reference,
                    project.title,
                    project.organisation,
                    indicator.name,
                    indicator.unit,
                    indicator.target_text,
                    indicator.target,
                    _or_no_data(impact.has_reports, indicator.reached),
                    _or_no_data(impact.has_reports, indicator.percent),
                ],
            )
    _format_sheet(sheet, money_columns=set(), datetime_columns=set())


def _evaluations_sheet(sheet, impact: Impact) -> None:
    kinds = {"mid_term": _("Mid-term evaluation"), "final": _("Final evaluation")}
    _append(
        sheet,
        [
            _("Reference"),
            _("Project title"),
            _("Organisation"),
            _("State"),
            _("Latest evaluation"),
            _("Score"),
            _("Grade"),
            _("Passed"),
        ],
    )
    for project in impact.projects:
        grade = project.grade
        if not impact.has_grades:
            outcome = [_("No data yet"), None, "", ""]
        elif not grade:
            outcome = [_("Not evaluated yet"), None, "", ""]
        else:
            outcome = [
                kinds.get(grade.get("kind"), grade.get("kind") or ""),
                grade.get("score"),
                project.grade_label,
                _("Yes") if grade.get("passed") else _("No"),
            ]
        _append(
            sheet,
            [project.reference, project.title, project.organisation, project.state_label, *outcome],
        )
    _format_sheet(sheet, money_columns=set(), datetime_columns=set())
