"""The open-data figures (issue #8): what a programme's year of funded projects received and did.

Per programme and year (the year its calls opened, as ``grants.selectors_impact.programme_projects``
counts it), only public projects (``cms.public_urls.PUBLIC_PROJECT_STATES``). Nothing is derived
twice: money comes from the finance area's ``project_money`` (awarded = award entries, paid =
tranches paid, returned = clawbacks repaid, spent = counted expenses, donated net of refunds,
matched), beneficiaries and volunteer hours from accepted reports, satisfaction from counted
resident feedback and grades from sealed evaluations — all through ``selectors_impact.fetch_figures``,
which calls each area's selector once for all projects. So the number of queries never depends on
the number of projects.

Three layers, as in the impact module: ``public_projects`` (one query), ``open_data`` (the figures
fetched), and ``build_open_data`` (pure: adds up and groups by district, theme and organisation
type). ``as_dict`` and ``csv_rows`` give the same figures to the JSON download, the API and the CSV.

Public figures only: organisation names, project titles and sums. No contact person, no
per-resident or per-volunteer row, no reviewer, nothing of applications that were not funded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db.models import QuerySet
from django.db.models.functions import ExtractYear
from django.utils import translation
from django.utils.translation import gettext

from cms import page_cache
from cms.public_urls import PUBLIC_PROJECT_STATES, project_url
from grants.enums import Theme
from grants.models import Application, Programme
from grants.selectors_impact import (
    combine_feedback,
    fetch_figures,
    funded_applications,
    grade_distribution,
)
from incubator.enums import OrganisationType
from yichuang.csv_safety import spreadsheet_cell

ZERO = Decimal("0.00")
# The money figures, in the order of every table, file and chart.
MONEY = ("awarded", "paid", "returned", "spent", "donated", "matched")
CHART_MONEY = ("awarded", "paid", "spent")
# The finance area's names for the figures we show under a plainer one.
FINANCE_NAMES = {"returned": "clawback_repaid"}
BREAKDOWNS = ("district", "theme", "organisation_type")
MIN_YEAR, MAX_YEAR = 1900, 9999


# --- Projects ------------------------------------------------------------------------------------


def public_applications() -> QuerySet[Application]:
    return Application.objects.filter(state__in=PUBLIC_PROJECT_STATES)


def public_projects(*, programme: Programme, year: int) -> QuerySet[Application]:
    """The public projects of the programme's calls that opened in ``year``; one query."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        # A year lookup outside datetime's range would raise instead of finding nothing.
        return Application.objects.none()
    return (
        funded_applications(
            public_applications().filter(call__programme=programme, call__opens_at__year=year)
        )
        # Only what a row shows: applications carry large form answers the page never reads.
        .select_related(None)
        .select_related("organisation__district")
        .only(*PROJECT_FIELDS)
    )


# The columns ``project_figures`` reads (loading whole applications cost more than the figures).
PROJECT_FIELDS = (
    "id",
    "title",
    "call_id",  # for the reference (YC-call-id) of an untitled project
    "theme",
    "state",  # read when an application is loaded (its state transitions)
    "organisation__name",
    "organisation__org_type",
    "organisation__district__name",
)
# The other areas' figures the open data shows (no indicator progress: it is not published here).
FIGURE_SOURCES = ("beneficiaries", "volunteer_hours", "feedback", "grades", "money")


@dataclass
class ProgrammeYears:
    programme: Programme
    years: list[int]  # newest first
    links: list[tuple[int, str]] = field(default_factory=list)  # (year, URL), set by the page


def programmes_with_data() -> list[ProgrammeYears]:
    """Programmes with public projects and the years those projects' calls opened; 2 queries.

    Newest year first, then programme name. Cached like ``open_data`` (no query on a hit).
    """
    seconds = page_cache.timeout_seconds()
    if seconds <= 0:
        return _programmes_with_data()
    key = f"opendata:{page_cache.generation()}:programmes"
    result = cache.get(key)
    if result is None:
        result = _programmes_with_data()
        cache.set(key, result, seconds)
    return result


def _programmes_with_data() -> list[ProgrammeYears]:
    pairs = (
        public_applications()
        .annotate(year=ExtractYear("call__opens_at"))
        .values_list("call__programme_id", "year")
        .distinct()
        .order_by()
    )
    years: dict[int, set[int]] = {}
    for programme_pk, year in pairs:
        years.setdefault(programme_pk, set()).add(year)
    if not years:
        return []
    programmes = Programme.objects.filter(pk__in=years).order_by("name", "pk")
    result = [
        ProgrammeYears(programme, sorted(years[programme.pk], reverse=True))
        for programme in programmes
    ]
    result.sort(key=lambda item: -item.years[0])  # stable: name order within a year
    return result


def latest_with_data(choices: list[ProgrammeYears]) -> tuple[Programme, int] | None:
    """The programme and year the dashboard opens on: the newest year with data."""
    if not choices:
        return None
    return choices[0].programme, choices[0].years[0]


# --- Figures (pure) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectFigures:
    """One public project's row: what the page, the CSV and the JSON show of it."""

    id: int
    title: str
    organisation: str
    district_key: str
    district: str
    theme_key: str
    theme: str
    organisation_type_key: str
    organisation_type: str
    money: dict[str, Decimal]
    beneficiaries: int
    volunteer_hours: Decimal
    feedback: dict
    grade: str = ""

    def __getattr__(self, name):
        # Templates and charts read project.awarded, project.paid, …
        if name in MONEY:
            return self.money[name]
        raise AttributeError(name)

    @property
    def responses(self) -> int:
        return int(self.feedback.get("responses") or 0)

    @property
    def mean_satisfaction(self) -> Decimal | None:
        return self.feedback.get("mean_satisfaction")

    def url(self, language: str | None = None) -> str:
        return project_url(self.id, language)


@dataclass
class Tally:
    """The sums over some projects: all of them, or those of one district, theme or type."""

    key: str
    label: str
    projects: int = 0
    money: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(MONEY, ZERO))
    beneficiaries: int = 0
    volunteer_hours: Decimal = Decimal(0)
    satisfaction: dict = field(default_factory=dict)

    def __getattr__(self, name):
        if name in MONEY:
            return self.__dict__["money"][name]
        raise AttributeError(name)

    @property
    def figures(self) -> dict[str, Decimal]:
        # What grants.charts_finance.bar_chart reads.
        return self.money

    @property
    def responses(self) -> int:
        return int(self.satisfaction.get("responses") or 0)

    @property
    def mean_satisfaction(self) -> Decimal | None:
        return self.satisfaction.get("mean_satisfaction")


@dataclass
class OpenData:
    programme: Programme
    year: int
    projects: list[ProjectFigures]
    totals: Tally
    by_district: list[Tally]
    by_theme: list[Tally]
    by_organisation_type: list[Tally]
    grades: list[tuple[str, str, int]]
    not_evaluated: int
    # The cache key of these figures and how long they are kept ("" and 0 when not cached): the
    # page keeps its rendered project cards under the same key.
    version: str = ""
    cache_seconds: int = 0

    @property
    def breakdowns(self) -> list[tuple[str, list[Tally]]]:
        return [
            ("district", self.by_district),
            ("theme", self.by_theme),
            ("organisation_type", self.by_organisation_type),
        ]


def tally(projects: Iterable[ProjectFigures], *, key: str = "", label: str = "") -> Tally:
    projects = list(projects)
    result = Tally(key=key, label=label, projects=len(projects))
    for project in projects:
        for name in MONEY:
            result.money[name] += project.money.get(name, ZERO)
        result.beneficiaries += project.beneficiaries
        result.volunteer_hours += project.volunteer_hours
    # Weighted by each project's number of counted responses, as the impact dashboard does.
    result.satisfaction = combine_feedback(project.feedback for project in projects)
    return result


def group(projects: list[ProjectFigures], dimension: str) -> list[Tally]:
    """One tally per district (or theme, or organisation type); largest grant first."""
    groups: dict[str, list[ProjectFigures]] = {}
    labels: dict[str, str] = {}
    for project in projects:
        key = getattr(project, f"{dimension}_key")
        groups.setdefault(key, []).append(project)
        labels[key] = getattr(project, dimension)
    tallies = [tally(members, key=key, label=labels[key]) for key, members in groups.items()]
    tallies.sort(key=lambda item: (-item.money["awarded"], item.label))
    return tallies


def build_open_data(programme: Programme, year: int, projects: list[ProjectFigures]) -> OpenData:
    grades, not_evaluated = grade_distribution({"grade": p.grade} for p in projects)
    return OpenData(
        programme=programme,
        year=year,
        projects=projects,
        totals=tally(projects, key="total", label=gettext("All projects")),
        by_district=group(projects, "district"),
        by_theme=group(projects, "theme"),
        by_organisation_type=group(projects, "organisation_type"),
        grades=grades,
        not_evaluated=not_evaluated,
    )


def _money(finance: dict | None) -> dict[str, Decimal]:
    finance = finance or {}
    return {name: finance.get(FINANCE_NAMES.get(name, name), ZERO) for name in MONEY}


def project_figures(application: Application, figures) -> ProjectFigures:
    """The row of one project from the application and the other areas' figures (no query)."""
    pk = application.pk
    organisation = application.organisation
    theme = application.theme
    grade = ((figures.grades or {}).get(pk) or {}).get("grade") or ""
    return ProjectFigures(
        id=pk,
        title=application.title or application.reference,
        organisation=organisation.name,
        district_key=str(organisation.district_id),
        district=organisation.district.name,
        theme_key=theme or "none",
        theme=str(Theme(theme).label) if theme in Theme.values else gettext("Not stated"),
        organisation_type_key=organisation.org_type,
        organisation_type=str(OrganisationType(organisation.org_type).label)
        if organisation.org_type in OrganisationType.values
        else organisation.org_type,
        money=_money((figures.money or {}).get(pk)),
        beneficiaries=int((figures.beneficiaries or {}).get(pk) or 0),
        volunteer_hours=Decimal((figures.volunteer_hours or {}).get(pk) or 0),
        feedback=(figures.feedback or {}).get(pk) or {},
        grade=grade,
    )


def open_data(*, programme: Programme, year: int) -> OpenData:
    """The figures of the programme's year; a fixed number of queries whatever the row count.

    Kept in the cache under the public page cache's generation (``cms.page_cache``): every save of
    public data the figures come from (applications, agreements, ledger rows, accepted reports,
    evaluations, organisations) bumps it, so a save is never hidden, and an entry lives no longer
    than a cached page (``PAGE_CACHE_SECONDS``; 0 turns this cache off too). No query on a hit.
    Resident feedback purges nothing: a new response shows within that time, as on cached pages.
    """
    seconds = page_cache.timeout_seconds()
    if seconds <= 0:
        return _open_data(programme=programme, year=year)
    # The generation is read *before* the figures: a save during the computation bumps it, so
    # what was computed from the old data is stored under a key no one reads any more.
    key = f"opendata:{page_cache.generation()}:{programme.pk}:{year}:{translation.get_language()}"
    data = cache.get(key)
    if data is None:
        data = _open_data(programme=programme, year=year)
        data.version = key
        data.cache_seconds = seconds
        cache.set(key, data, seconds)
    data.programme = programme
    return data


def _open_data(*, programme: Programme, year: int) -> OpenData:
    applications = list(public_projects(programme=programme, year=year))
    figures = fetch_figures((application.pk for application in applications), only=FIGURE_SOURCES)
    return build_open_data(
        programme, year, [project_figures(application, figures) for application in applications]
    )


# --- Files: the same figures for the JSON, the API and the CSV ----------------------------------


def _number(value) -> str | None:
    """Decimals as strings ("1234.50"), so no consumer turns money into a float by accident."""
    return None if value is None else str(value)


def _tally_dict(item: Tally) -> dict:
    return {
        "key": item.key,
        "label": item.label,
        "projects": item.projects,
        **{name: _number(item.money[name]) for name in MONEY},
        "beneficiaries": item.beneficiaries,
        "volunteer_hours": _number(item.volunteer_hours),
        "responses": item.responses,
        "mean_satisfaction": _number(item.mean_satisfaction),
    }


def as_dict(data: OpenData, *, language: str | None = None) -> dict:
    """The figures as JSON-ready data: the download and the API give exactly this."""
    language = language or translation.get_language()
    return {
        "programme": {
            "id": data.programme.pk,
            "name": data.programme.name,
            "funder": data.programme.funder,
        },
        "year": data.year,
        "currency": "CNY",
        "totals": _tally_dict(data.totals),
        "by_district": [_tally_dict(item) for item in data.by_district],
        "by_theme": [_tally_dict(item) for item in data.by_theme],
        "by_organisation_type": [_tally_dict(item) for item in data.by_organisation_type],
        "grades": [
            {"code": code, "label": label, "projects": count} for code, label, count in data.grades
        ],
        "not_evaluated": data.not_evaluated,
        "projects": [
            {
                "id": project.id,
                "title": project.title,
                "organisation": project.organisation,
                "district": project.district,
                "theme": project.theme,
                "organisation_type": project.organisation_type,
                **{name: _number(project.money[name]) for name in MONEY},
                "beneficiaries": project.beneficiaries,
                "volunteer_hours": _number(project.volunteer_hours),
                "responses": project.responses,
                "mean_satisfaction": _number(project.mean_satisfaction),
                "url": project.url(language),
            }
            for project in data.projects
        ],
    }


# Stable English column codes (like the JSON keys): scripts read them whatever the language.
CSV_COLUMNS = (
    "section",
    "name",
    "organisation",
    "district",
    "theme",
    "state",  # read when an application is loaded (its state transitions)
    "organisation_type",
    "projects",
    *MONEY,
    "beneficiaries",
    "volunteer_hours",
    "responses",
    "mean_satisfaction",
    "url",
)


def csv_rows(data: OpenData, *, language: str | None = None) -> list[list]:
    """One table, one row per figure set: ``section`` says which (total, district, theme,
    organisation_type, grade, project). The header row first."""
    doc = as_dict(data, language=language)
    rows: list[list] = [list(CSV_COLUMNS)]

    def tally_row(section: str, item: dict) -> list:
        values = {"section": section, "name": item["label"], **item}
        values.pop("url", None)
        return [spreadsheet_cell(values.get(column)) for column in CSV_COLUMNS]

    rows.append(tally_row("total", doc["totals"]))
    for section in BREAKDOWNS:
        for item in doc[f"by_{section}"]:
            rows.append(tally_row(section, item))
    for grade in doc["grades"]:
        rows.append(
            [spreadsheet_cell({"section": "grade", "name": grade["label"], "projects": grade["projects"]}
                   .get(column)) for column in CSV_COLUMNS]
        )  # fmt: skip
    for project in doc["projects"]:
        values = {"section": "project", "name": project["title"], "projects": 1, **project}
        rows.append([spreadsheet_cell(values.get(column)) for column in CSV_COLUMNS])
    return rows
