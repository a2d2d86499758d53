"""Excel outputs of a call's review (openpyxl): the score summary (评分汇总表) and one score sheet per
reviewer and round (criteria × applications).

For officers only: the summary names the organisations and the score sheets name the reviewers,
even in a blind review. Everything comes from ``grants.selectors_ranking`` in a fixed number of
queries. Cells hold numbers (Decimal), not text, so the sheet can be summed and sorted in Excel.
"""

from __future__ import annotations

import re

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from grants import recommendation, scoring
from grants.enums import AggregationMethod, ReviewRound
from grants.exports import XLSX_CONTENT_TYPE, _append, _format_sheet, workbook_bytes
from grants.selectors_ranking import CallRanking, ReviewerSheet

__all__ = ["XLSX_CONTENT_TYPE", "export_filename", "review_workbook", "workbook_bytes"]

SCORE_FORMAT = "0.00"
# Characters Excel does not allow in a worksheet's name.
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def review_workbook(ranking: CallRanking, *, criteria, sheets: list[ReviewerSheet]) -> Workbook:
    """The summary table first, then the method notes, then one sheet per reviewer and round."""
    workbook = Workbook()
    summary = workbook.active
    summary.title = _("Score summary")[:31]
    _summary_sheet(summary, ranking)
    _notes_sheet(workbook.create_sheet(_("Method")[:31]), ranking)
    used = {summary.title, _("Method")[:31]}
    for sheet in sheets:
        name = str(sheet.reviewer)
        if sheet.round == ReviewRound.PITCH:
            name = f"{name} ({_('pitch')})"
        _reviewer_sheet(workbook.create_sheet(_unique_title(name, used)), sheet, criteria)
    workbook.properties.title = ranking.call.title
    workbook.properties.creator = "Yichuang"
    return workbook


def export_filename(ranking: CallRanking) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"scores-{ranking.call.pk}-{stamp}.xlsx"


def _yes_no(outcome: recommendation.Outcome | None) -> str:
    if outcome is None:
        return "—"
    return _("Yes") if outcome.recommended else _("No")


def _summary_sheet(sheet, ranking: CallRanking) -> None:
    header = [
        _("Rank"),
        _("Reference"),
        _("Organisation"),
        _("Project title"),
        _("Theme"),
        _("Number of scores"),
        *[str(AggregationMethod(method).label) for method in scoring.METHODS],
    ]
    if ranking.has_pitch:
        header.append(
            _("Live pitch (%(method)s)") % {"method": AggregationMethod(ranking.method).label}
        )
    header += [
        _("Public score"),
        _("Bonus points"),
        _("Final score"),
        _("Spread (max − min)"),
        _("Outlier reviewers"),
        _("Recommended"),
        _("Requested (yuan)"),
        _("Recommended amount (yuan)"),
        _("Reason"),
        _("State"),
    ]
    _append(sheet, header)
    score_columns = set(range(7, 7 + len(scoring.METHODS) + int(ranking.has_pitch) + 4))
    requested_column = header.index(_("Requested (yuan)")) + 1
    for row in ranking.rows:
        written = row.ranking.written
        summary = row.summary
        values = [
            row.ranking.rank,
            row.application.reference,
            row.application.organisation.name,
            row.application.title,
            row.theme_label,
            written.count,
            *[written.value(method) for method in scoring.METHODS],
        ]
        if ranking.has_pitch:
            values.append(row.ranking.pitch.value(ranking.method) if row.ranking.pitch else None)
        recommended = row.outcome is not None and row.outcome.recommended
        values += [
            summary.public_score if summary else None,
            summary.bonus_points if summary and summary.bonus_points else None,
            row.ranking.final,
            written.spread,
            "、".join(row.outlier_names),
            _yes_no(row.outcome),
            row.application.requested_amount,
            row.application.requested_amount if recommended else None,
            _outcome_text(row),
            row.application.get_state_display(),
        ]
        _append(sheet, values)
    total_row = [None] * len(header)
    total_row[requested_column - 2] = _("Total recommended")
    total_row[requested_column] = ranking.recommendation.used
    _append(sheet, total_row)
    _format_sheet(
        sheet, money_columns={requested_column, requested_column + 1}, datetime_columns=set()
    )
    for column in score_columns:
        for cell in list(sheet.iter_cols(min_col=column, max_col=column, min_row=2))[0]:
            cell.number_format = SCORE_FORMAT
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)


def _outcome_text(row) -> str:
    if row.outcome is None:
        return ""
    text = str(row.outcome.label)
    if row.overridden:
        text += f"：{row.summary.override_reason}"
    return text


def _notes_sheet(sheet, ranking: CallRanking) -> None:
    call = ranking.call
    weights = ranking.weights
    lines = [
        (_("Call"), call.title),
        (_("Aggregation method"), str(AggregationMethod(ranking.method).label)),
        (_("How it works"), str(scoring.METHOD_EXPLANATIONS[ranking.method])),
        (_("Expert share of the final score (%)"), weights.expert_percent),
        (_("Public share of the final score (%)"), weights.public_percent),
        (_("Live pitch share of the expert score (%)"), weights.pitch_percent),
        (_("Budget (yuan)"), call.budget),
        (_("Total recommended (yuan)"), ranking.recommendation.used),
        (_("Remaining (yuan)"), ranking.recommendation.remaining),
        (
            _("Ties"),
            _(
                "Equal final scores share a rank; they are listed by the higher total before the "
                "100-point cap, then the higher median, then the reference number."
            ),
        ),
        (_("Exported"), timezone.localtime().strftime("%Y-%m-%d %H:%M")),
    ]
    for label, value in lines:
        _append(sheet, [label, value])
    for cell in sheet["A"]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 80
    for cell in sheet["B"]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _reviewer_sheet(sheet, entry: ReviewerSheet, criteria) -> None:
    """Rows: criteria, then total and comment; columns: the applications the reviewer scored."""
    _append(
        sheet,
        [
            _("Criterion"),
            _("Weight"),
            *[application.reference for application in entry.applications],
        ],
    )
    _append(sheet, [_("Project title"), None, *[a.title for a in entry.applications]])
    for criterion in criteria:
        _append(
            sheet,
            [
                criterion.label,
                criterion.weight,
                *[entry.scores.get((a.pk, criterion.pk)) for a in entry.applications],
            ],
        )
    _append(sheet, [_("Total (0–100)"), 100, *[entry.totals.get(a.pk) for a in entry.applications]])
    _append(
        sheet, [_("Comment"), None, *[entry.comments.get(a.pk, "") for a in entry.applications]]
    )
    _format_sheet(sheet, money_columns=set(), datetime_columns=set())
    for cell in sheet["A"]:
        cell.font = Font(bold=True)
    for cell in sheet[sheet.max_row]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _unique_title(name: str, used: set[str]) -> str:
    base = _SHEET_NAME_FORBIDDEN.sub("_", name).strip("'") or "-"
    title, number = base[:31], 2
    while title.lower() in {value.lower() for value in used}:
        suffix = f" {number}"
        title = base[: 31 - len(suffix)] + suffix
        number += 1
    used.add(title)
    return title
