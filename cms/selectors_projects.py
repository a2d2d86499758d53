"""Reads for the public project pages and the organisation directory (issue #8).

Everything here is public by construction: projects only in ``PUBLIC_PROJECT_STATES`` (from the
signed agreement on, the 公示 already named them), photos only from ACCEPTED reports, and
organisations loaded with their public columns only (``.only``), so a template cannot show a
contact person, a phone number or an e-mail address even by mistake.

Which organisations appear: registered ones (with a unified social credit code: their registration
is public in the civil-affairs register anyway) and filed community organisations with at least one
public project. Being listed says nothing about applications: the profile's track record shows
public projects only, never drafts or applications turned down. The site search
(``cms.search``) indexes the same organisations, so its links never lead to a 404.

Every list runs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import QueryDict
from django.utils.translation import pgettext_lazy

from cms.public_urls import PUBLIC_PROJECT_STATES
from grants.enums import ApplicationState, Theme
from grants.models import Application, Call, Programme
from grants.models.reports import EvidenceKind, Report, ReportEvidence, ReportState
from incubator.enums import CommunityLevel, OrganisationType
from incubator.models import Community, Organisation, VolunteerActivity

S = ApplicationState

# What a resident understands, rather than the workflow's names.
STATE_WORDS = {
    S.CONTRACTED: pgettext_lazy("public project state", "Agreement signed, starting soon"),
    S.ACTIVE: pgettext_lazy("public project state", "Under way"),
    S.MID_TERM: pgettext_lazy("public project state", "Under way (mid-term evaluation)"),
    S.FINAL_EVALUATION: pgettext_lazy(
        "public project state", "Finished, final evaluation under way"
    ),
    S.COMPLETED: pgettext_lazy("public project state", "Completed"),
    S.TERMINATED: pgettext_lazy("public project state", "Ended early"),
}
# Projects whose track record (the final grade) is public.
CLOSED_STATES = (S.COMPLETED, S.TERMINATED)

# Evidence the public may see: photos (never sign-in sheets: names and signatures) that are JPEG or
# PNG, of an accepted report of a public project.
PUBLIC_PHOTO_TYPES = ("image/jpeg", "image/png")
PHOTOS_PER_PROJECT = 12
VOLUNTEER_OPPORTUNITIES = 6

# Organisation columns a public page may read. Contact person, phone, e-mail, address, members,
# documents and bank details stay in the database.
ORGANISATION_PUBLIC_FIELDS = (
    "id",
    "name",
    "org_type",
    "credit_code",
    "registration_date",
    "registration_authority",
    "rating",
    "rating_expires_on",
    "district",
    "community",
    "description",
    "website",
)


PRIVATE_PROJECT_COLUMNS = (
    "organisation__contact_name",
    "organisation__contact_phone",
    "organisation__contact_email",
    "organisation__address",
    "agreement__account_name",
    "agreement__account_bank",
    "agreement__account_number",
    "agreement__accepted_ip",
    "agreement__accepted_user_agent",
)


def state_words(state: str) -> str:
    return str(STATE_WORDS.get(state, ""))


def _int(value) -> int | None:
    try:
        number = int(str(value or "").strip())
    except ValueError:
        return None
    return number if number > 0 else None


def public_projects() -> QuerySet[Application]:
    return Application.objects.filter(state__in=PUBLIC_PROJECT_STATES)


def _with_places(queryset: QuerySet[Application]) -> QuerySet[Application]:
    communities = Community.objects.select_related("parent__parent").order_by("name", "pk")
    return (
        queryset.select_related("organisation__district", "call__programme", "agreement")
        # Never loaded, so never shown: the organisation's contacts, the agreement's bank account.
        .defer(*PRIVATE_PROJECT_COLUMNS)
        .prefetch_related(Prefetch("partner_communities", queryset=communities))
    )


# --- The project list ------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectFilters:
    programme: int | None = None
    call: int | None = None
    district: int | None = None
    theme: str = ""

    @classmethod
    def from_query(cls, query: QueryDict) -> ProjectFilters:
        """Unknown or malformed values are ignored (the list shows everything)."""
        theme = query.get("theme", "")
        return cls(
            programme=_int(query.get("programme")),
            call=_int(query.get("call")),
            district=_int(query.get("district")),
            theme=theme if theme in Theme.values else "",
        )

    @property
    def active(self) -> bool:
        return bool(self.programme or self.call or self.district or self.theme)


def _in_district(district_id: int) -> Q:
    """Projects of an organisation based in the district, or with a partner community in it."""
    through = Application.partner_communities.through.objects.filter(
        Q(community_id=district_id)
        | Q(community__parent_id=district_id)
        | Q(community__parent__parent_id=district_id)
    )
    return Q(organisation__district_id=district_id) | Q(pk__in=through.values("application_id"))


def project_list(*, filters: ProjectFilters) -> QuerySet[Application]:
    """Public projects, newest call first, with what a card shows (two queries per page)."""
    projects = public_projects()
    if filters.programme:
        projects = projects.filter(call__programme_id=filters.programme)
    if filters.call:
        projects = projects.filter(call_id=filters.call)
    if filters.district:
        projects = projects.filter(_in_district(filters.district))
    if filters.theme:
        projects = projects.filter(theme=filters.theme)
    return _with_places(projects).order_by("-call__opens_at", "-pk")


@dataclass(frozen=True)
class ProjectFilterOptions:
    programmes: list[Programme]
    calls: list[Call]
    districts: list[Community]
    themes: list[tuple[str, str]]


def project_filter_options() -> ProjectFilterOptions:
    """The choices of the filter form: only values that have public projects (three queries)."""
    has_projects = Q(calls__applications__state__in=PUBLIC_PROJECT_STATES)
    programmes = list(
        Programme.objects.filter(has_projects).distinct().order_by("-start_year", "name", "pk")
    )
    calls = list(
        Call.objects.filter(applications__state__in=PUBLIC_PROJECT_STATES)
        .distinct()
        .order_by("-opens_at", "pk")
    )
    districts = list(
        Community.objects.filter(level=CommunityLevel.DISTRICT)
        .filter(
            Q(district_organisations__applications__state__in=PUBLIC_PROJECT_STATES)
            | Q(applications__state__in=PUBLIC_PROJECT_STATES)
            | Q(children__applications__state__in=PUBLIC_PROJECT_STATES)
            | Q(children__children__applications__state__in=PUBLIC_PROJECT_STATES)
        )
        .distinct()
        .order_by("name", "pk")
    )
    return ProjectFilterOptions(
        programmes=programmes,
        calls=calls,
        districts=districts,
        themes=[(code, str(label)) for code, label in Theme.choices],
    )


# --- One project -----------------------------------------------------------------------------


def public_project(*, pk: int) -> Application | None:
    """The public project with its organisation, call, agreement and feedback channel; or None."""
    return (
        _with_places(public_projects())
        .select_related("feedback_channel", "organisation__community")
        .filter(pk=pk)
        .first()
    )


def public_photos(*, application_id: int, limit: int = PHOTOS_PER_PROJECT) -> list[ReportEvidence]:
    return list(
        _public_evidence()
        .filter(report__application_id=application_id)
        .select_related("report__milestone")
        .order_by("-report__milestone__due_on", "pk")[:limit]
    )


def has_accepted_report(*, application_id: int) -> bool:
    """Whether any report was accepted: until then "reached" is unknown, not zero."""
    return Report.objects.filter(application_id=application_id, state=ReportState.ACCEPTED).exists()


def _public_evidence() -> QuerySet[ReportEvidence]:
    return ReportEvidence.objects.filter(
        kind=EvidenceKind.PHOTO,
        content_type__in=PUBLIC_PHOTO_TYPES,
        report__state=ReportState.ACCEPTED,
        report__application__state__in=PUBLIC_PROJECT_STATES,
    )


def public_photo(*, pk: int) -> ReportEvidence | None:
    """The photo the public photo view may serve, or None (any other evidence, any other state)."""
    return _public_evidence().filter(pk=pk).first()


def volunteer_opportunities(
    *, application: Application, now: datetime, limit: int = VOLUNTEER_OPPORTUNITIES
) -> list[VolunteerActivity]:
    """Published activities of the project or its organisation that have not ended, soonest first."""
    return list(
        VolunteerActivity.objects.filter(published=True, ends_at__gt=now)
        .filter(Q(application_id=application.pk) | Q(organisation_id=application.organisation_id))
        .select_related("community")
        .order_by("starts_at", "pk")[:limit]
    )


# --- The organisation directory ---------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationFilters:
    q: str = ""
    district: int | None = None
    org_type: str = ""

    @classmethod
    def from_query(cls, query: QueryDict) -> OrganisationFilters:
        org_type = query.get("type", "")
        return cls(
            q=" ".join(query.get("q", "").split())[:100],
            district=_int(query.get("district")),
            org_type=org_type if org_type in OrganisationType.values else "",
        )

    @property
    def active(self) -> bool:
        return bool(self.q or self.district or self.org_type)


def listed_organisations() -> QuerySet[Organisation]:
    """Registered organisations, and filed ones with a public project (see the module's doc)."""
    has_public_project = Exists(
        Application.objects.filter(organisation=OuterRef("pk"), state__in=PUBLIC_PROJECT_STATES)
    )
    return Organisation.objects.filter(Q(credit_code__isnull=False) | has_public_project)


def public_organisations() -> QuerySet[Organisation]:
    """The listed organisations with their public columns only."""
    return (
        listed_organisations()
        .select_related("district", "community")
        .only(
            *ORGANISATION_PUBLIC_FIELDS,
            "district__name",
            "district__level",
            "community__name",
            "community__level",
        )
    )


def organisation_list(*, filters: OrganisationFilters) -> QuerySet[Organisation]:
    organisations = public_organisations()
    if filters.q:
        organisations = organisations.filter(name__icontains=filters.q)
    if filters.district:
        organisations = organisations.filter(district_id=filters.district)
    if filters.org_type:
        organisations = organisations.filter(org_type=filters.org_type)
    return organisations.annotate(
        public_project_count=Count(
            "applications", filter=Q(applications__state__in=PUBLIC_PROJECT_STATES)
        )
    ).order_by("name", "pk")


def organisation_districts() -> list[Community]:
    """Districts that have a listed organisation (the filter's choices)."""
    listed = listed_organisations().filter(district_id=OuterRef("pk"))
    return list(
        Community.objects.filter(Exists(listed), level=CommunityLevel.DISTRICT).order_by(
            "name", "pk"
        )
    )


def public_organisation(*, pk: int) -> Organisation | None:
    return public_organisations().filter(pk=pk).first()


def organisation_projects(*, organisation_id: int) -> list[Application]:
    """The organisation's public projects, newest call first (two queries)."""
    return list(
        _with_places(public_projects().filter(organisation_id=organisation_id)).order_by(
            "-call__opens_at", "-pk"
        )
    )


def track_record_grades(projects: list[Application]) -> dict[int, dict]:
    """{project id: latest sealed grade row} for the closed projects only; one query."""
    from grants.selectors_evaluations import latest_grades

    closed = [project.pk for project in projects if project.state in CLOSED_STATES]
    return latest_grades(closed) if closed else {}
