"""Excel export of a call's applications, with every answer (openpyxl).

Sheet 1 has one row per application: the fixed sections, the call's extra questions by label, budget
totals, the eligibility results and the state in the reader's language. Sheet 2 has the budget lines.
The number of queries does not depend on the number of applications: everything a row needs is
fetched with ``export_queryset``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from io import BytesIO

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from grants.enums import BudgetCategory, RuleSeverity, Theme
from grants.models import Application, BudgetLine, Call

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def export_queryset(applications: QuerySet[Application]) -> QuerySet[Application]:
    """The applications with everything a row of the workbook reads, in a fixed number of queries."""
    return applications.select_related(
        "call", "form", "organisation", "organisation__district"
    ).prefetch_related(
        "partner_communities",
        Prefetch("budget_lines", queryset=BudgetLine.objects.order_by("position", "pk")),
    )


def applications_workbook(applications: Iterable[Application], *, call: Call) -> Workbook:
    applications = list(applications)
    questions = _question_columns(applications)
    # Labels are translated once per workbook, not once per cell: ``get_FOO_display`` hashes every
    # lazy choice label (a translation each) on every call, and ``gettext`` is slow in a loop.
    state_display = _choice_labels(Application, "state")
    category_display = _choice_labels(BudgetLine, "category")
    theme_labels = {code: str(label) for code, label in Theme.choices}
    words = _words()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Applications")[:31]

    categories = list(BudgetCategory)
    header = [
        _("Reference"),
        _("State"),
        _("Submitted"),
        _("Organisation"),
        _("Unified social credit code"),
        _("District"),
        _("Contact person"),
        _("Contact phone"),
        _("Project title"),
        _("Theme"),
        _("Project summary"),
        _("Need and problem"),
        _("Objectives"),
        _("Activities and timeline"),
        _("Beneficiaries"),
        _("Number of beneficiaries"),
        _("Output and outcome indicators"),
        _("Partner communities"),
        _("Team"),
        _("Grant requested (yuan)"),
        _("Matching funds (yuan)"),
        _("Project budget (yuan)"),
        *[
            _("Budget: %(category)s (yuan)") % {"category": category.label}
            for category in categories
        ],
        _("Hard eligibility failures"),
        _("Soft eligibility flags"),
        _("Eligibility results"),
        *[label for _key, label in questions],
    ]
    money_columns = {
        header.index(_("Grant requested (yuan)")) + offset + 1
        for offset in range(3 + len(categories))
    }
    _append(sheet, header)
    for application in applications:
        organisation = application.organisation
        lines = list(application.budget_lines.all())
        per_category = {category: Decimal("0") for category in categories}
        for line in lines:
            per_category[BudgetCategory(line.category)] += line.total
        results = application.eligibility or []
        answers = application.extra_answers or {}
        _append(
            sheet,
            [
                application.reference,
                state_display(application.state),
                _excel_datetime(application.submitted_at),
                organisation.name,
                organisation.credit_code or "",
                organisation.district.name if organisation.district_id else "",
                organisation.contact_name,
                organisation.contact_phone,
                application.title,
                theme_labels.get(_theme_code(application), ""),
                application.summary,
                application.need,
                application.objectives,
                _activities_text(application.activities),
                application.beneficiaries,
                application.beneficiaries_count,
                _indicators_text(application.indicators, words),
                "、".join(community.name for community in application.partner_communities.all()),
                _team_text(application.team, words),
                application.requested_amount,
                application.matching_amount,
                application.project_budget,
                *[per_category[category] for category in categories],
                application.eligibility_hard_failures,
                application.eligibility_soft_flags,
                _eligibility_text(results, words),
                *[_answer_text(answers.get(key), words) for key, _label in questions],
            ],
        )
    _format_sheet(sheet, money_columns=money_columns, datetime_columns={3})

    lines_sheet = workbook.create_sheet(_("Budget lines")[:31])
    _append(
        lines_sheet,
        [
            _("Reference"),
            _("Project title"),
            _("Category"),
            _("Item"),
            _("Grant (yuan)"),
            _("Matching funds (yuan)"),
            _("Total (yuan)"),
        ],
    )
    for application in applications:
        for line in application.budget_lines.all():
            _append(
                lines_sheet,
                [
                    application.reference,
                    application.title,
                    category_display(line.category),
                    line.description,
                    line.amount,
                    line.matching_amount,
                    line.total,
                ],
            )
    _format_sheet(lines_sheet, money_columns={5, 6, 7}, datetime_columns=set())
    workbook.properties.title = call.title
    workbook.properties.creator = "Yichuang"
    return workbook


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_filename(call: Call) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"applications-{call.pk}-{stamp}.xlsx"


def theme_label(application: Application) -> str:
    """The project's theme; in a call with one theme the applicant chooses none, so it is that one."""
    code = _theme_code(application)
    return str(Theme(code).label) if code in Theme.values else ""


def _theme_code(application: Application) -> str:
    return application.theme or (
        application.call.themes[0] if len(application.call.themes) == 1 else ""
    )


# --- Helpers ------------------------------------------------------------------------------------


def _question_columns(applications: list[Application]) -> list[tuple[str, str]]:
    """(key, label) of every extra question answered, newest form version first, in form order.

    Applications may have answered different versions of the form; a key keeps the label of the
    newest version that asks it, and questions only older versions ask come after.
    """
    forms = {
        application.form.pk: application.form for application in applications if application.form_id
    }
    columns: dict[str, str] = {}
    for form in sorted(forms.values(), key=lambda form: form.version, reverse=True):
        for question in form.questions or []:
            key = question.get("key")
            if key and key not in columns:
                columns[key] = question.get("label") or key
    return list(columns.items())


def _append(sheet, values: list) -> None:
    # The cells are made here and handed to ``append``: looking the new row up again
    # (``sheet[sheet.max_row]``) scans every cell of the sheet, which is quadratic in the rows.
    cells = []
    for value in values:
        cell = Cell(sheet, value=_clean(value))
        # openpyxl stores any string starting with "=" as a formula: applicant text must stay text.
        if cell.data_type == "f":
            cell.data_type = "s"
        cells.append(cell)
    sheet.append(cells)


def _clean(value):
    if isinstance(value, str):
        # Control characters are not allowed in the XML of a workbook.
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _excel_datetime(moment: datetime | None):
    # Excel has no time zones: write the local (Asia/Shanghai) wall-clock time.
    if moment is None:
        return None
    return timezone.localtime(moment).replace(tzinfo=None)


def _format_sheet(sheet, *, money_columns: set[int], datetime_columns: set[int]) -> None:
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "B2"
    for index, column in enumerate(sheet.iter_cols(min_row=1, max_row=sheet.max_row), start=1):
        letter = get_column_letter(index)
        if index in money_columns:
            for cell in column[1:]:
                cell.number_format = MONEY_FORMAT
        if index in datetime_columns:
            for cell in column[1:]:
                cell.number_format = DATETIME_FORMAT
        longest = max(
            (len(str(cell.value)) for cell in column if cell.value is not None), default=8
        )
        # CJK characters are about twice as wide as Latin ones; long answers wrap instead.
        sheet.column_dimensions[letter].width = min(max(12, longest * 2), 60)


def _choice_labels(model, field_name: str):
    """``instance.get_<field>_display()`` as a function of the value, translated once."""
    field = model._meta.get_field(field_name)
    labels = {
        make_hashable(value): force_str(label, strings_only=True)
        for value, label in field.flatchoices
    }

    def display(value):
        return force_str(labels.get(make_hashable(value), value), strings_only=True)

    return display


def _words() -> dict[str, str]:
    """The words the cell helpers write, translated into the current language."""
    return {
        "yes": _("Yes"),
        "no": _("No"),
        "output": _("Output"),
        "outcome": _("Outcome"),
        "social_worker": _("Social worker"),
        "volunteer": _("Volunteer"),
        "staff": _("Staff"),
        "passed": _("Passed"),
        "failed": _("Failed"),
        "flag": _("Flag"),
    }


def _answer_text(value, words: dict[str, str] | None = None) -> str | int | float | Decimal:
    if value is None:
        return ""
    if isinstance(value, bool):
        words = words or _words()
        return words["yes"] if value else words["no"]
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    return str(value)


def _activities_text(activities) -> str:
    rows = []
    for activity in activities or []:
        if not isinstance(activity, dict):
            continue
        period = " – ".join(str(activity.get(key)) for key in ("start", "end") if activity.get(key))
        text = str(activity.get("name") or "")
        if period:
            text += f" ({period})"
        if activity.get("description"):
            text += f": {activity['description']}"
        rows.append(text)
    return "\n".join(rows)


def _indicators_text(indicators, words: dict[str, str] | None = None) -> str:
    words = words or _words()
    kinds = {"output": words["output"], "outcome": words["outcome"]}
    rows = []
    for indicator in indicators or []:
        if not isinstance(indicator, dict):
            continue
        kind = kinds.get(indicator.get("kind"), "")
        target = " ".join(
            str(indicator.get(key))
            for key in ("target", "unit")
            if indicator.get(key) not in (None, "")
        )
        rows.append(f"[{kind}] {indicator.get('name') or ''}: {target}".replace("[] ", ""))
    return "\n".join(rows)


def _team_text(team, words: dict[str, str] | None = None) -> str:
    words = words or _words()
    roles = {key: words[key] for key in ("social_worker", "volunteer", "staff")}
    rows = []
    for member in team or []:
        if not isinstance(member, dict):
            continue
        parts = [
            str(member.get("name") or ""),
            str(roles.get(member.get("role"), member.get("role") or "")),
        ]
        if member.get("qualification"):
            parts.append(str(member["qualification"]))
        rows.append(", ".join(part for part in parts if part))
    return "\n".join(rows)


def _eligibility_text(results, words: dict[str, str] | None = None) -> str:
    words = words or _words()
    marks = {RuleSeverity.HARD: words["failed"], RuleSeverity.SOFT: words["flag"]}
    rows = []
    for result in results:
        if not isinstance(result, dict):
            continue
        mark = (
            words["passed"]
            if result.get("passed")
            else marks.get(result.get("severity"), words["failed"])
        )
        rows.append(f"{mark}: {result.get('reason') or result.get('code') or ''}")
    return "\n".join(rows)
