"""Excel files of the funder dashboard and of a project statement (openpyxl).

Money cells are numbers (formatted ¥#,##0.00), never text, so a funder can add them up; text from
users (payees, memos, voucher numbers) is written as text even when it starts with "=" (the same
formula-injection guard as ``grants/exports.py``).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from grants.exports import (
    XLSX_CONTENT_TYPE,
    _append,
    _excel_datetime,
    _format_sheet,
    workbook_bytes,
)
from grants.selectors_finance import FIGURES, ProgrammeBlock, StatementRow

__all__ = [
    "XLSX_CONTENT_TYPE",
    "dashboard_workbook",
    "statement_workbook",
    "workbook_bytes",
]


def figure_labels() -> dict[str, str]:
    return {
        "awarded": _("Awarded"),
        "paid": _("Paid"),
        "pending": _("Pending (releasable, not paid)"),
        "donated": _("Donated"),
        "matched": _("Matched"),
        "spent": _("Spent"),
        "unspent": _("Unspent"),
        "clawback_due": _("Clawbacks due"),
        "clawback_repaid": _("Clawbacks repaid"),
    }


def dashboard_workbook(blocks: list[ProgrammeBlock], projects=()) -> Workbook:
    """Sheet 1: per programme and call; sheet 2: per project (``projects``: (application, figures))."""
    labels = figure_labels()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Funding")[:31]
    _append(
        sheet,
        [_("Programme"), _("Call"), _("Projects"), *[f"{labels[k]} (¥)" for k in FIGURES]],
    )
    for block in blocks:
        _append(
            sheet,
            [
                block.row.label,
                _("All calls"),
                block.row.projects,
                *[block.row.figures[k] for k in FIGURES],
            ],
        )
        for row in block.calls:
            _append(
                sheet,
                [block.row.label, row.label, row.projects, *[row.figures[k] for k in FIGURES]],
            )
    _format_sheet(sheet, money_columns=set(range(4, 4 + len(FIGURES))), datetime_columns=set())
    projects_sheet = workbook.create_sheet(_("Projects")[:31])
    _append(
        projects_sheet,
        [
            _("Reference"),
            _("Project title"),
            _("Organisation"),
            _("Call"),
            _("State"),
            *[f"{labels[k]} (¥)" for k in FIGURES],
        ],
    )
    for application, figures in projects:
        _append(
            projects_sheet,
            [
                application.reference,
                application.title,
                application.organisation.name,
                application.call.title,
                application.get_state_display(),
                *[figures[k] for k in FIGURES],
            ],
        )
    _format_sheet(
        projects_sheet, money_columns=set(range(6, 6 + len(FIGURES))), datetime_columns=set()
    )
    workbook.properties.title = _("Funder dashboard")
    workbook.properties.creator = "Yichuang"
    return workbook


def statement_workbook(application, rows: list[StatementRow]) -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Statement")[:31]
    _append(
        sheet,
        [
            _("Date"),
            _("Movement"),
            _("Tranche"),
            _("Amount (¥)"),
            _("In (¥)"),
            _("Out (¥)"),
            _("Grant balance (¥)"),
            _("Voucher or reference"),
            _("Memo"),
        ],
    )
    for row in rows:
        _append(
            sheet,
            [
                _excel_datetime(row.occurred_at),
                row.kind_label,
                row.tranche_number,
                row.amount,
                row.money_in,
                row.money_out,
                row.balance,
                row.reference,
                row.memo,
            ],
        )
    _format_sheet(sheet, money_columns={4, 5, 6, 7}, datetime_columns={1})
    workbook.properties.title = f"{application.reference} {application.title}"[:200]
    workbook.properties.creator = "Yichuang"
    return workbook


def export_filename(prefix: str) -> str:
    return f"{prefix}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
