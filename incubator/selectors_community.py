"""Reads for social workers, charitable resources, resident proposals and the 五社联动 view.

Each carries its joins or aggregates, so the pages run a fixed number of queries however many rows
they show. The volunteer side (``VolunteerTeam``) is written by another area; it is looked up
through ``Application.volunteer_teams`` and every use is guarded, so these pages work before it
exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, When
from django.db.models.functions import Coalesce

from accounts.enums import Role
from grants.enums import ApplicationState
from grants.models import Application, Call, Programme
from incubator.enums import CommunityLevel
from incubator.enums_community import (
    CERTIFIED_LEVELS,
    COUNTED_PLEDGE_STATES,
    CertificateLevel,
)
from incubator.models import (
    Community,
    Donor,
    InKindDonation,
    MatchingPledge,
    Organisation,
    ResidentProposal,
    SocialWorker,
)

# --- 持证率 --------------------------------------------------------------------------------------


def certification_rate(certified: int, total: int) -> Decimal | None:
    """Certified share in per cent, one decimal (half up); ``None`` when there is nobody to count."""
    if not total:
        return None
    return (Decimal(certified) * 100 / Decimal(total)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def _rate_counts(prefix: str) -> dict:
    """Aggregates over active social workers reached through ``prefix`` (one JOIN, no subqueries)."""
    active = Q(**{f"{prefix}is_active": True})
    counts = {
        "total": Count(f"{prefix}pk", filter=active),
        "certified": Count(
            f"{prefix}pk", filter=active & Q(**{f"{prefix}certificate_level__in": CERTIFIED_LEVELS})
        ),
    }
    for level in CERTIFIED_LEVELS:
        counts[level.value] = Count(
            f"{prefix}pk", filter=active & Q(**{f"{prefix}certificate_level": level})
        )
    return counts


def with_rates(rows):
    """Set ``rate`` on rows (objects or dicts) that carry ``certified`` and ``total``."""
    rows = list(rows)
    for row in rows:
        if isinstance(row, dict):
            row["rate"] = certification_rate(row["certified"], row["total"])
        else:
            row.rate = certification_rate(row.certified, row.total)
    return rows


def certification_by_organisation(*, district_id: int | None = None) -> QuerySet[Organisation]:
    """Organisations with social workers, each with total/certified/per-level counts (one query)."""
    queryset = (
        Organisation.objects.annotate(**_rate_counts("social_workers__"))
        .filter(total__gt=0)
        .select_related("district")
        .order_by("district__name", "name", "pk")
    )
    if district_id:
        queryset = queryset.filter(district_id=district_id)
    return queryset


def certification_by_district() -> list[dict]:
    """Every district with its social workers' counts and 持证率 (one query)."""
    rows = (
        Community.objects.filter(level=CommunityLevel.DISTRICT)
        .annotate(**_rate_counts("district_organisations__social_workers__"))
        .order_by("name", "pk")
        .values("pk", "name", "total", "certified", *[level.value for level in CERTIFIED_LEVELS])
    )
    return with_rates(rows)


def certification_of(*, organisation: Organisation) -> dict:
    counts = SocialWorker.objects.filter(organisation=organisation).aggregate(**_rate_counts(""))
    counts["rate"] = certification_rate(counts["certified"], counts["total"])
    return counts


def social_workers_of(*, organisation: Organisation) -> QuerySet[SocialWorker]:
    """The organisation's social workers, current first, with how many projects each is on."""
    return (
        SocialWorker.objects.filter(organisation=organisation)
        .select_related("user")
        .annotate(project_count=Count("applications", distinct=True))
        .order_by("-is_active", "name", "pk")
    )


def social_worker_for(*, pk: int, user) -> SocialWorker | None:
    worker = SocialWorker.objects.select_related("organisation", "user").filter(pk=pk).first()
    if worker is None or not user.has_perm("incubator.change_social_worker", worker):
        return None
    return worker


# --- Charitable resources --------------------------------------------------------------------------


def pledges() -> QuerySet[MatchingPledge]:
    return MatchingPledge.objects.select_related(
        "donor", "application__organisation", "application__call", "programme"
    ).order_by("-pledged_on", "-pk")


def donations() -> QuerySet[InKindDonation]:
    return InKindDonation.objects.select_related(
        "donor", "application__organisation", "organisation"
    ).order_by("-received_on", "-pk")


def donors() -> QuerySet[Donor]:
    return Donor.objects.annotate(
        pledge_count=Count("pledges", distinct=True),
        donation_count=Count("donations", distinct=True),
    ).order_by("name", "pk")


# --- Volunteer teams (another area's models, guarded) ----------------------------------------------


def volunteer_team_model():
    """``VolunteerTeam`` when the volunteers area has linked it to applications, else ``None``."""
    try:
        relation = Application._meta.get_field("volunteer_teams")
    except FieldDoesNotExist:
        return None
    return relation.related_model


def volunteer_teams_for(*, organisation: Organisation) -> QuerySet:
    """The teams an organisation may name on its projects: its own, or all where teams have no owner."""
    model = volunteer_team_model()
    if model is None:
        return Application.objects.none()
    names = {f.name for f in model._meta.get_fields()}
    queryset = model.objects.all()
    if "organisation" in names:
        queryset = queryset.filter(Q(organisation=organisation) | Q(organisation__isnull=True))
    return queryset.order_by("name", "pk") if "name" in names else queryset.order_by("pk")


def volunteer_members_relation() -> str | None:
    """The name of the team → volunteer relation, if the volunteers area has one."""
    model = volunteer_team_model()
    if model is None:
        return None
    for name in ("members", "volunteers", "memberships"):
        try:
            model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        return name
    return None


# --- 五社联动 links of one application -------------------------------------------------------------


@dataclass
class PartnerChoices:
    social_workers: list
    volunteer_teams: list
    donations: list
    pledges: list
    chosen_workers: set[int] = field(default_factory=set)
    chosen_teams: set[int] = field(default_factory=set)
    chosen_donations: set[int] = field(default_factory=set)
    teams_available: bool = False


def partner_choices(*, application: Application) -> PartnerChoices:
    """What the partners page offers and what is already chosen; a fixed number of queries."""
    organisation = application.organisation
    workers = list(
        SocialWorker.objects.filter(organisation=organisation)
        .filter(Q(is_active=True) | Q(applications=application))
        .distinct()
        .order_by("name", "pk")
    )
    chosen_workers = set(application.social_workers.values_list("pk", flat=True))
    teams, chosen_teams = [], set()
    available = volunteer_team_model() is not None
    if available:
        teams = list(volunteer_teams_for(organisation=organisation))
        chosen_teams = set(application.volunteer_teams.values_list("pk", flat=True))
    gifts = list(
        InKindDonation.objects.filter(Q(organisation=organisation) | Q(application=application))
        .select_related("donor")
        .order_by("-received_on", "pk")
    )
    chosen_donations = {gift.pk for gift in gifts if gift.application_id == application.pk}
    matching = list(
        pledges()
        .filter(
            Q(application=application) | Q(programme_id=application.call.programme_id),
            state__in=COUNTED_PLEDGE_STATES,
        )
        .order_by("application_id", "pk")
    )
    return PartnerChoices(
        social_workers=workers,
        volunteer_teams=teams,
        donations=gifts,
        pledges=matching,
        chosen_workers=chosen_workers,
        chosen_teams=chosen_teams,
        chosen_donations=chosen_donations,
        teams_available=available,
    )


def application_for_partners(*, pk: int, user) -> Application | None:
    application = (
        Application.objects.select_related("call__programme", "organisation").filter(pk=pk).first()
    )
    if application is None or not user.has_perm("grants.view_application", application):
        return None
    return application


# --- Resident proposals ----------------------------------------------------------------------------


def _with_tally(queryset: QuerySet[ResidentProposal]) -> QuerySet[ResidentProposal]:
    return queryset.select_related("community__parent__parent").annotate(
        yes_votes=Count("votes", filter=Q(votes__in_favour=True)),
        no_votes=Count("votes", filter=Q(votes__in_favour=False)),
    )


def public_proposals(*, community: Community | None = None) -> QuerySet[ResidentProposal]:
    """Every proposal (or one community's) with its vote tally; no voter is ever named."""
    queryset = _with_tally(ResidentProposal.objects.all())
    if community is not None:
        queryset = queryset.filter(community=community)
    return queryset.order_by("-submitted_at", "-pk")


def proposal(*, pk: int) -> ResidentProposal | None:
    return (
        _with_tally(ResidentProposal.objects.filter(pk=pk))
        .select_related("converted_call", "converted_application__organisation")
        .first()
    )


def proposals_for_staff(*, user, states: list[str] | None = None) -> QuerySet[ResidentProposal]:
    """The proposals a community worker's area covers (all for officers), oldest first."""
    from incubator.rules_community import community_scope

    queryset = _with_tally(ResidentProposal.objects.all())
    if not user.has_role(Role.OFFICER):  # officers see every community
        scope = community_scope(user)
        if scope is not None:
            queryset = queryset.filter(
                Q(community_id__in=scope)
                | Q(community__parent_id__in=scope)
                | Q(community__parent__parent_id__in=scope)
            )
    if states:
        queryset = queryset.filter(state__in=states)
    return queryset.order_by("submitted_at", "pk")


def turnout(proposal: ResidentProposal) -> Decimal | None:
    """Households that voted, as a share of the community's households (per cent), if known."""
    households = proposal.community.households
    if not households:
        return None
    yes, no = proposal.count_votes()
    return certification_rate(yes + no, households)


def communities() -> QuerySet[Community]:
    """Every 社区 with its 街道 and 区 (for choosers)."""
    return (
        Community.objects.filter(level=CommunityLevel.COMMUNITY)
        .select_related("parent__parent")
        .order_by("parent__parent__name", "parent__name", "name", "pk")
    )


def programmes() -> QuerySet[Programme]:
    return Programme.objects.order_by("-start_year", "name", "pk")


def open_calls(*, now) -> QuerySet[Call]:
    return Call.objects.open_at(now).select_related("programme").order_by("closes_at", "pk")


# --- 五社联动 per district -------------------------------------------------------------------------

# Applications that never became a real proposal do not count as partnerships.
NOT_COUNTED_APPLICATION_STATES = (ApplicationState.DRAFT, ApplicationState.WITHDRAWN)


@dataclass
class WusheRow:
    district: Community
    communities: int = 0
    organisations: int = 0
    social_workers: int = 0
    certified_social_workers: int = 0
    volunteers: int = 0
    donors: int = 0
    pledged: Decimal = Decimal("0.00")
    in_kind: Decimal = Decimal("0.00")
    donor_ids: set = field(default_factory=set, repr=False)

    @property
    def resources_value(self) -> Decimal:
        return self.pledged + self.in_kind


def _district_of(prefix: str):
    """The district id of a 区/街道/社区 reached through ``prefix`` (a Community relation)."""
    return Case(
        When(**{f"{prefix}level": CommunityLevel.COMMUNITY}, then=F(f"{prefix}parent__parent_id")),
        When(**{f"{prefix}level": CommunityLevel.SUBDISTRICT}, then=F(f"{prefix}parent_id")),
        default=F(f"{prefix}id"),
        output_field=IntegerField(),
    )


def wushe_by_district(*, district_id: int | None = None) -> list[WusheRow]:
    """The five forces of 五社联动 counted per district, in seven queries whatever the data.

    社区: distinct communities named as partners by applications past the draft stage; 社会组织:
    organisations registered in the district; 社工: active social workers of those organisations
    (and how many are certified); 志愿者: distinct members of those organisations' volunteer teams
    (0 until the volunteers area exists); 慈善资源: distinct donors with a
    pledge or an in-kind donation for the district, the caps of pledges not cancelled and the
    estimated value of in-kind donations. A programme pool counts for the programme's district.
    """
    districts = Community.objects.filter(level=CommunityLevel.DISTRICT).order_by("name", "pk")
    if district_id:
        districts = districts.filter(pk=district_id)
    rows = {d.pk: WusheRow(district=d) for d in districts}
    if not rows:
        return []

    links = (
        Application.partner_communities.through.objects.exclude(
            application__state__in=NOT_COUNTED_APPLICATION_STATES
        )
        .annotate(district=_district_of("community__"))
        .filter(district__in=list(rows))
        .values("district")
        .annotate(n=Count("community_id", distinct=True))
    )
    for link in links:
        rows[link["district"]].communities = link["n"]

    for org in (
        Organisation.objects.filter(district__in=list(rows))
        .values("district")
        .annotate(n=Count("pk"))
    ):
        rows[org["district"]].organisations = org["n"]

    for worker in (
        SocialWorker.objects.filter(is_active=True, organisation__district__in=list(rows))
        .values("organisation__district")
        .annotate(
            n=Count("pk"),
            certified=Count("pk", filter=~Q(certificate_level=CertificateLevel.NONE)),
        )
    ):
        row = rows[worker["organisation__district"]]
        row.social_workers, row.certified_social_workers = worker["n"], worker["certified"]

    members = volunteer_members_relation()
    if members is not None:
        for team in (
            volunteer_team_model()
            .objects.filter(organisation__district__in=list(rows))
            .values("organisation__district")
            .annotate(n=Count(members, distinct=True))
        ):
            rows[team["organisation__district"]].volunteers = team["n"]

    for pledge in (
        MatchingPledge.objects.filter(state__in=COUNTED_PLEDGE_STATES)
        .annotate(
            district=Coalesce("application__organisation__district_id", "programme__district_id")
        )
        .filter(district__in=list(rows))
        .values("district", "donor_id")
        .annotate(value=Sum("cap_amount"))
    ):
        row = rows[pledge["district"]]
        row.pledged += pledge["value"]
        row.donor_ids.add(pledge["donor_id"])

    for gift in (
        InKindDonation.objects.annotate(
            district=Coalesce("application__organisation__district_id", "organisation__district_id")
        )
        .filter(district__in=list(rows))
        .values("district", "donor_id")
        .annotate(value=Sum("estimated_value"))
    ):
        row = rows[gift["district"]]
        row.in_kind += gift["value"]
        row.donor_ids.add(gift["donor_id"])

    for row in rows.values():
        row.donors = len(row.donor_ids)
    return list(rows.values())


def wushe_totals(rows: list[WusheRow]) -> dict:
    """Sums over the district rows (donors counted once even when they give in several)."""
    donor_ids = set().union(*(row.donor_ids for row in rows)) if rows else set()
    return {
        "communities": sum(row.communities for row in rows),
        "organisations": sum(row.organisations for row in rows),
        "social_workers": sum(row.social_workers for row in rows),
        "certified_social_workers": sum(row.certified_social_workers for row in rows),
        "volunteers": sum(row.volunteers for row in rows),
        "donors": len(donor_ids),
        "pledged": sum((row.pledged for row in rows), Decimal("0.00")),
        "in_kind": sum((row.in_kind for row in rows), Decimal("0.00")),
    }
