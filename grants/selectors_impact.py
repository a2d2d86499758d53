"""The impact figures of a call or of a programme's year (issue #6): what the money did.

Three layers, so that the arithmetic can be tested on plain data:

1. ``funded_applications`` / ``call_projects`` / ``programme_projects``: the funded projects
   (contracted, running, in evaluation, completed or terminated), one query.
2. ``fetch_figures``: the figures other areas own, taken only through their published selectors
   (reports: indicators reached, beneficiaries, volunteer hours; feedback: satisfaction;
   evaluations: latest grade; finance: money). Each is called once for all projects, so the cost
   does not depend on the number of projects. A module that does not exist (yet) gives ``None``:
   the pages then say "no data yet" instead of showing zeros that would look like failure.
3. ``build_impact``: pure functions over dicts that add everything up.

Indicator targets are free text in the application (``"2400"``, ``"2,400"``, ``"≥90%"``,
``"1.2万"``); ``parse_number`` reads the number or gives ``None``. Indicators are added up across
projects by name and unit; rates (unit ``%``) are averaged, since adding percentages means nothing.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from grants.enums import ApplicationState
from grants.models import Application, Call, Programme

S = ApplicationState

# Projects that received (or were promised) money: from the signed agreement to the close-out.
IMPACT_STATES: tuple[str, ...] = (
    S.CONTRACTED,
    S.ACTIVE,
    S.MID_TERM,
    S.FINAL_EVALUATION,
    S.COMPLETED,
    S.TERMINATED,
)

# Grade codes of the evaluations area, best first (优秀 ≥ 90, 良好 ≥ 75, 合格 ≥ 60, 不合格 < 60).
GRADES: tuple[tuple[str, object], ...] = (
    ("excellent", pgettext_lazy("evaluation grade", "Excellent")),
    ("good", pgettext_lazy("evaluation grade", "Good")),
    ("pass", pgettext_lazy("evaluation grade", "Pass")),
    ("fail", pgettext_lazy("evaluation grade", "Fail")),
)
GRADE_LABELS = dict(GRADES)

MONEY_KEYS = (
    "awarded",
    "paid",
    "pending",
    "donated",
    "matched",
    "spent",
    "unspent",
    "clawback_due",
    "clawback_repaid",
)

# Standard indicators of the reports area that have their own figures on the dashboard.
SHOWN_APART = frozenset({"beneficiaries", "volunteer_hours"})

# The other areas' selectors: (source, module, function). Taken by name, never imported at the top,
# so this module works (and says "no data yet") before those areas exist.
SOURCES = {
    "indicator_progress": ("reports", "grants.selectors_reports", "indicator_progress"),
    "beneficiaries": ("reports", "grants.selectors_reports", "beneficiaries_reached"),
    "volunteer_hours": ("reports", "grants.selectors_reports", "volunteer_hours"),
    "feedback": ("feedback", "grants.selectors_feedback", "feedback_summary"),
    "grades": ("evaluations", "grants.selectors_evaluations", "latest_grades"),
    "money": ("finance", "grants.selectors_finance", "project_money"),
}

HUNDRED = Decimal(100)
ONE_DECIMAL = Decimal("0.1")
TWO_DECIMALS = Decimal("0.01")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_TEN_THOUSAND = ("万", "w", "W")


# --- Numbers ------------------------------------------------------------------------------------


def parse_number(value) -> Decimal | None:
    """The number an indicator target states, or None (``"2,400人次"`` → 2400, ``"≥90%"`` → 90,
    ``"1.2万"`` → 12000, ``"两场"`` → None). Full-width digits count; a range gives its first end."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        number = Decimal(value)
        return number if number.is_finite() else None
    if isinstance(value, float):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    # Thousands separators, Western or Chinese, between digits.
    text = re.sub(r"(?<=\d)[,，](?=\d{3})", "", text)
    match = _NUMBER.search(text)
    if match is None:
        return None
    number = Decimal(match.group())
    if text[match.end() : match.end() + 1] in _TEN_THOUSAND:
        number *= 10000
    return number


def is_rate(unit: str, target_text: str = "") -> bool:
    """A percentage (satisfaction rate, attendance rate): averaged across projects, never added."""
    unit = unicodedata.normalize("NFKC", unit or "").strip()
    if unit:
        return unit == "%"
    return "%" in unicodedata.normalize("NFKC", str(target_text or ""))


def percent(part: Decimal | int | None, whole: Decimal | int | None) -> Decimal | None:
    """part / whole in percent with one decimal, or None when either is unknown or whole is 0."""
    if part is None or not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def _key(name, unit) -> tuple[str, str]:
    return (
        unicodedata.normalize("NFKC", str(name or "")).strip(),
        unicodedata.normalize("NFKC", str(unit or "")).strip(),
    )


def _decimal(value) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


# --- Projects ------------------------------------------------------------------------------------


def funded_applications(applications: QuerySet[Application]) -> QuerySet[Application]:
    """The funded projects with what a row shows (organisation, call, agreement), one query."""
    return (
        applications.filter(state__in=IMPACT_STATES)
        .select_related("organisation", "call", "agreement")
        .order_by("call__opens_at", "call_id", "pk")
    )


def call_projects(call: Call) -> QuerySet[Application]:
    return funded_applications(Application.objects.filter(call=call))


def programme_projects(programme: Programme, year: int) -> QuerySet[Application]:
    """The funded projects of the programme's calls that opened in ``year`` (Asia/Shanghai)."""
    return funded_applications(
        Application.objects.filter(call__programme=programme, call__opens_at__year=year)
    )


def programme_years(programme: Programme) -> list[int]:
    """The years a programme's report can cover: its own years and those its calls opened in."""
    years = set(range(programme.start_year, programme.end_year + 1))
    years.update(moment.year for moment in programme.calls.dates("opens_at", "year"))
    return sorted(years)


def default_year(years: Sequence[int], *, today: date | None = None) -> int:
    """This year if the programme runs in it, else the last year before it, else its first."""
    today = today or timezone.localdate()
    earlier = [year for year in years if year <= today.year]
    return max(earlier) if earlier else min(years)


def project_row(application: Application) -> dict:
    """The plain facts of one project the aggregation needs (no database access)."""
    agreement = getattr(application, "agreement", None)
    indicators = []
    for indicator in application.indicators or []:
        if not isinstance(indicator, dict) or not str(indicator.get("name") or "").strip():
            continue
        name, unit = _key(indicator.get("name"), indicator.get("unit"))
        target_text = str(indicator.get("target") or "").strip()
        indicators.append(
            {
                "name": name,
                "unit": unit,
                "kind": indicator.get("kind") or "",
                "target": parse_number(indicator.get("target")),
                "target_text": target_text,
            }
        )
    return {
        "id": application.pk,
        "reference": application.reference,
        "title": application.title or application.reference,
        "organisation": application.organisation.name,
        "call": application.call.title,
        "state": application.state,
        "state_label": str(application.get_state_display()),
        "beneficiaries_target": application.beneficiaries_count,
        "indicators": indicators,
        "requested": application.requested_amount,
        "award": agreement.award_amount if agreement is not None else None,
        "starts_on": agreement.starts_on if agreement is not None else None,
        "ends_on": agreement.ends_on if agreement is not None else None,
    }


# --- The other areas' figures ------------------------------------------------------------------


@dataclass
class Figures:
    """What the other areas say about the projects; ``None`` where the source does not exist yet."""

    indicator_progress: dict | None = None
    beneficiaries: dict | None = None
    volunteer_hours: dict | None = None
    feedback: dict | None = None
    grades: dict | None = None
    money: dict | None = None
    # The reports area's standard indicators, label in the active language → code, for progress
    # rows that carry no "code".
    standard_codes: dict[str, str] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        """The source areas with no figures (each named once)."""
        names = []
        for attribute, (source, _module, _function) in SOURCES.items():
            if getattr(self, attribute) is None and source not in names:
                names.append(source)
        return names


def _source(module_name: str, function_name: str):
    """The other area's selector, or None when its module or function does not exist yet.

    Only the module itself being absent counts: an import error *inside* an existing module is a
    bug and must surface, not turn into "no data".
    """
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:
            return None
        raise
    return getattr(module, function_name, None)


def _standard_codes() -> dict[str, str]:
    try:
        from grants.models.reports import StandardIndicator
    except ImportError:
        return {}
    return {str(label): code for code, label in StandardIndicator.choices}


def fetch_figures(application_ids: Iterable[int], *, only: Iterable[str] | None = None) -> Figures:
    """The other areas' figures of these projects; ``only``: just these ``SOURCES`` keys (a page
    that shows no indicator, such as the open-data one, skips their queries)."""
    ids = list(application_ids)
    wanted = None if only is None else frozenset(only)
    figures = Figures(standard_codes=_standard_codes())
    for attribute, (_source_name, module_name, function_name) in SOURCES.items():
        if wanted is not None and attribute not in wanted:
            continue
        function = _source(module_name, function_name)
        if function is None:
            continue
        # No projects, no queries: every source gives {} for an empty list anyway.
        setattr(figures, attribute, dict(function(ids)) if ids else {})
    return figures


# --- Aggregation (pure) ------------------------------------------------------------------------


@dataclass
class IndicatorRow:
    name: str
    unit: str
    target: Decimal | None
    reached: Decimal | None
    rate: bool = False
    projects: int = 1
    target_text: str = ""

    @property
    def percent(self) -> Decimal | None:
        return percent(self.reached, self.target)


@dataclass
class ProjectImpact:
    row: dict
    indicators: list[IndicatorRow]
    beneficiaries_reached: int | None
    volunteer_hours: Decimal | None
    feedback: dict | None
    grade: dict | None
    money: dict | None

    def __getattr__(self, name):
        # Templates read the project's facts directly: project.title, project.state_label, …
        try:
            return self.__dict__["row"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def beneficiaries_percent(self) -> Decimal | None:
        return percent(self.beneficiaries_reached, self.row["beneficiaries_target"])

    @property
    def grade_label(self) -> str:
        if not self.grade:
            return ""
        return str(GRADE_LABELS.get(self.grade.get("grade")) or self.grade.get("grade_label") or "")


@dataclass
class Impact:
    projects: list[ProjectImpact]
    state_counts: list[tuple[str, str, int]]
    indicators: list[IndicatorRow]
    beneficiaries_target: int
    beneficiaries_reached: int | None
    volunteer_hours: Decimal | None
    satisfaction: dict | None
    grades: list[tuple[str, str, int]]
    not_evaluated: int | None
    money: dict | None
    missing: list[str] = field(default_factory=list)

    @property
    def project_count(self) -> int:
        return len(self.projects)

    @property
    def beneficiaries_percent(self) -> Decimal | None:
        return percent(self.beneficiaries_reached, self.beneficiaries_target)

    @property
    def evaluated(self) -> int:
        return sum(count for _code, _label, count in self.grades)

    @property
    def has_reports(self) -> bool:
        return "reports" not in self.missing

    @property
    def has_feedback(self) -> bool:
        return "feedback" not in self.missing

    @property
    def has_grades(self) -> bool:
        return "evaluations" not in self.missing

    @property
    def has_money(self) -> bool:
        return "finance" not in self.missing


def _is_satisfaction(name: str) -> bool:
    # As the reports area decides which of the application's indicators is the satisfaction one.
    return "满意" in name or "satisf" in name.lower()


def project_indicators(
    row: dict, progress: list[dict] | None, standard_codes: dict[str, str] | None = None
) -> list[IndicatorRow]:
    """The project's indicators: its targets from the application, reached from accepted reports.

    ``progress`` is None when the reports area gives nothing yet (reached unknown, not 0). An
    indicator reported but not in the application keeps the report's target. The reports area's
    standard indicators (by ``code``, or by label through ``standard_codes``): beneficiaries and
    volunteer hours are left out (the dashboard counts them from the reports' own fields);
    satisfaction is the application's satisfaction indicator under its standard label.
    """
    standard_codes = standard_codes or {}
    satisfaction_key = next(
        (
            (indicator["name"], indicator["unit"])
            for indicator in row["indicators"]
            if _is_satisfaction(indicator["name"])
        ),
        None,
    )
    reached: dict[tuple[str, str], Decimal] = {}
    reported_targets: dict[tuple[str, str], Decimal | None] = {}
    order: list[tuple[str, str]] = []
    for item in progress or []:
        key = _key(item.get("name"), item.get("unit"))
        if not key[0]:
            continue
        code = item.get("code") or standard_codes.get(key[0], "")
        if code in SHOWN_APART:
            continue
        if code == "satisfaction" and satisfaction_key is not None:
            key = satisfaction_key
        if key not in reached:
            order.append(key)
            reached[key] = Decimal(0)
            reported_targets[key] = _decimal(item.get("target"))
        reached[key] += _decimal(item.get("reached")) or Decimal(0)
    rows: list[IndicatorRow] = []
    seen: set[tuple[str, str]] = set()
    for indicator in row["indicators"]:
        key = (indicator["name"], indicator["unit"])
        if key in seen:
            continue  # the same indicator twice in one application counts once
        seen.add(key)
        target = indicator["target"]
        if target is None:
            target = reported_targets.get(key)
        rows.append(
            IndicatorRow(
                name=key[0],
                unit=key[1],
                target=target,
                reached=None if progress is None else reached.get(key, Decimal(0)),
                rate=is_rate(key[1], indicator["target_text"]),
                target_text=indicator["target_text"],
            )
        )
    for key in order:
        if key not in seen:
            rows.append(
                IndicatorRow(
                    name=key[0],
                    unit=key[1],
                    target=reported_targets[key],
                    reached=reached[key],
                    rate=is_rate(key[1]),
                )
            )
    return rows


def combine_indicators(projects: Iterable[list[IndicatorRow]]) -> list[IndicatorRow]:
    """One row per indicator name and unit across projects, in order of first appearance.

    Counts are added up; rates are averaged over the projects that state them. A target only
    some projects state in numbers adds up what is known (the table shows how many projects).
    """
    groups: dict[tuple[str, str], list[IndicatorRow]] = {}
    for rows in projects:
        for row in rows:
            groups.setdefault((row.name, row.unit), []).append(row)
    combined = []
    for (name, unit), rows in groups.items():
        rate = any(row.rate for row in rows)
        targets = [row.target for row in rows if row.target is not None]
        reached = [row.reached for row in rows if row.reached is not None]
        if rate:
            target = _mean(targets)
            total_reached = _mean(reached)
        else:
            target = sum(targets, Decimal(0)) if targets else None
            total_reached = sum(reached, Decimal(0)) if reached else None
        combined.append(
            IndicatorRow(
                name=name,
                unit=unit,
                target=target,
                reached=total_reached,
                rate=rate,
                projects=len(rows),
            )
        )
    return combined


def _mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(TWO_DECIMALS, ROUND_HALF_UP)


def combine_feedback(summaries: Iterable[dict]) -> dict:
    """All responses together: the means weighted by each project's number of responses."""
    responses = 0
    satisfaction_sum = Decimal(0)
    satisfaction_weight = 0
    satisfied_sum = Decimal(0)
    satisfied_weight = 0
    for summary in summaries:
        count = int(summary.get("responses") or 0)
        if count <= 0:
            continue
        responses += count
        mean = _decimal(summary.get("mean_satisfaction"))
        if mean is not None:
            satisfaction_sum += mean * count
            satisfaction_weight += count
        satisfied = _decimal(summary.get("satisfied_percent"))
        if satisfied is not None:
            satisfied_sum += satisfied * count
            satisfied_weight += count
    return {
        "responses": responses,
        "mean_satisfaction": (
            (satisfaction_sum / satisfaction_weight).quantize(TWO_DECIMALS, ROUND_HALF_UP)
            if satisfaction_weight
            else None
        ),
        "satisfied_percent": (
            (satisfied_sum / satisfied_weight).quantize(ONE_DECIMAL, ROUND_HALF_UP)
            if satisfied_weight
            else None
        ),
    }


def grade_distribution(grades: Iterable[dict | None]) -> tuple[list[tuple[str, str, int]], int]:
    """([(code, label, count) for 优秀, 良好, 合格, 不合格], projects not evaluated yet)."""
    counts = dict.fromkeys(GRADE_LABELS, 0)
    not_evaluated = 0
    for grade in grades:
        code = (grade or {}).get("grade")
        if code in counts:
            counts[code] += 1
        else:
            not_evaluated += 1
    return [(code, str(label), counts[code]) for code, label in GRADES], not_evaluated


def combine_money(moneys: Iterable[dict]) -> dict[str, Decimal]:
    totals = dict.fromkeys(MONEY_KEYS, Decimal("0.00"))
    for money in moneys:
        for key in MONEY_KEYS:
            totals[key] += _decimal(money.get(key)) or Decimal(0)
    return totals


def build_impact(rows: list[dict], figures: Figures) -> Impact:
    """Everything the dashboard, the workbook and the PDF show, from plain data."""
    projects = []
    for row in rows:
        pid = row["id"]
        progress = (
            None
            if figures.indicator_progress is None
            else list(figures.indicator_progress.get(pid) or [])
        )
        projects.append(
            ProjectImpact(
                row=row,
                indicators=project_indicators(row, progress, figures.standard_codes),
                beneficiaries_reached=(
                    None
                    if figures.beneficiaries is None
                    else int(figures.beneficiaries.get(pid) or 0)
                ),
                volunteer_hours=(
                    None
                    if figures.volunteer_hours is None
                    else _decimal(figures.volunteer_hours.get(pid)) or Decimal(0)
                ),
                feedback=None if figures.feedback is None else figures.feedback.get(pid),
                grade=None if figures.grades is None else figures.grades.get(pid),
                money=None if figures.money is None else figures.money.get(pid),
            )
        )

    by_state = dict.fromkeys(IMPACT_STATES, 0)
    for row in rows:
        if row["state"] in by_state:
            by_state[row["state"]] += 1
    state_counts = [(code, str(S(code).label), by_state[code]) for code in IMPACT_STATES]

    grades, not_evaluated = grade_distribution(
        project.grade for project in projects if figures.grades is not None
    )
    return Impact(
        projects=projects,
        state_counts=state_counts,
        indicators=combine_indicators(project.indicators for project in projects),
        beneficiaries_target=sum(row["beneficiaries_target"] or 0 for row in rows),
        beneficiaries_reached=(
            None
            if figures.beneficiaries is None
            else sum(project.beneficiaries_reached for project in projects)
        ),
        volunteer_hours=(
            None
            if figures.volunteer_hours is None
            else sum((project.volunteer_hours for project in projects), Decimal(0))
        ),
        satisfaction=(
            None
            if figures.feedback is None
            else combine_feedback(project.feedback or {} for project in projects)
        ),
        grades=grades,
        not_evaluated=None if figures.grades is None else not_evaluated,
        money=(
            None
            if figures.money is None
            else combine_money(project.money or {} for project in projects)
        ),
        missing=figures.missing,
    )


def impact_of(applications: QuerySet[Application]) -> Impact:
    """The impact of these funded projects: one query for the projects, one call per source."""
    rows = [project_row(application) for application in applications]
    return build_impact(rows, fetch_figures(row["id"] for row in rows))
