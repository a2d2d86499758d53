"""Reads for volunteering. Each query carries its own joins, so list pages cost a fixed number of
queries whatever the number of rows.

``PersonalDataPolicy`` is the one place that decides how much of a volunteer's phone number and ID
number a viewer sees. Pages, the CSV export and the certificate all go through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from accounts.rules import is_officer
from incubator.enums_volunteers import (
    ID_DOCUMENT_TYPE,
    STAR_THRESHOLDS,
    HoursState,
    RedemptionState,
    SignupState,
)
from incubator.models import (
    HoursRecord,
    Organisation,
    PointsEntry,
    Redemption,
    RewardItem,
    Volunteer,
    VolunteerActivity,
    VolunteerSignup,
    VolunteerTeam,
)
from incubator.personal_data import mask_id_number, mask_phone
from incubator.rules_volunteers import organiser_organisation_ids, volunteer_id_of

ZERO = Decimal(0)


def _is_officer(user: User | None) -> bool:
    return is_officer.test(user)


# --- Personal data: who sees what -----------------------------------------------------------------


@dataclass(frozen=True)
class VolunteerContact:
    """A volunteer's personal data as one viewer may see it."""

    name: str
    phone: str
    id_number: str
    phone_is_full: bool
    id_number_is_full: bool

    @property
    def id_document_type(self) -> str:
        return ID_DOCUMENT_TYPE if self.id_number else ""


class PersonalDataPolicy:
    """The masking rule, in one place:

    - the volunteer themself and programme officers see the full phone number and ID number;
    - organisers (applicant or social-worker members) of an organisation see the full phone number
      of the volunteers who appear in that organisation's context — signed up to its activities,
      with hours there, or registered on paper by it — so they can call them; the ID number masked;
    - everyone else sees both masked (3201**********1234, 138****5678).

    ``organisation_id`` names that context: the organisation of the activity the volunteer is
    listed under. Build one policy per request (``personal_data_policy``): it reads the viewer's
    memberships once, however many volunteers it presents.
    """

    def __init__(self, viewer: User | None):
        self.viewer = viewer
        self.is_officer = bool(viewer and viewer.has_perm("incubator.see_full_id_numbers"))
        self.volunteer_id = volunteer_id_of(viewer)
        self.organiser_ids = organiser_organisation_ids(viewer)

    def sees_full_phone(self, volunteer: Volunteer, *, organisation_id: int | None = None) -> bool:
        if self.is_officer or volunteer.pk == self.volunteer_id:
            return True
        if organisation_id is not None and organisation_id in self.organiser_ids:
            return True
        return volunteer.registered_by_organisation_id in self.organiser_ids

    def sees_full_id_number(self, volunteer: Volunteer) -> bool:
        return self.is_officer or (
            self.volunteer_id is not None and volunteer.pk == self.volunteer_id
        )

    def contact(
        self, volunteer: Volunteer, *, organisation_id: int | None = None
    ) -> VolunteerContact:
        full_phone = self.sees_full_phone(volunteer, organisation_id=organisation_id)
        full_id = self.sees_full_id_number(volunteer)
        return VolunteerContact(
            name=volunteer.real_name,
            phone=volunteer.phone if full_phone else mask_phone(volunteer.phone),
            id_number=volunteer.id_number if full_id else mask_id_number(volunteer.id_number),
            phone_is_full=full_phone,
            id_number_is_full=full_id,
        )


def personal_data_policy(viewer: User | None) -> PersonalDataPolicy:
    return PersonalDataPolicy(viewer)


# --- Star levels and totals ----------------------------------------------------------------------


def star_level(hours: Decimal | int) -> int:
    """0 to 5 stars: one more at each of 100, 300, 600, 1000 and 1500 approved hours."""
    return sum(1 for threshold in STAR_THRESHOLDS if hours >= threshold)


def next_star_threshold(hours: Decimal | int) -> int | None:
    return next((threshold for threshold in STAR_THRESHOLDS if hours < threshold), None)


@dataclass(frozen=True)
class VolunteerSummary:
    approved_hours: Decimal
    pending_hours: Decimal
    points: Decimal
    stars: int
    next_threshold: int | None

    @property
    def hours_to_next_star(self) -> Decimal | None:
        if self.next_threshold is None:
            return None
        return Decimal(self.next_threshold) - self.approved_hours

    @property
    def star_range(self) -> range:
        return range(self.stars)


def points_balance(volunteer: Volunteer | int) -> Decimal:
    """The balance is the sum of the ledger (equal to the last entry's running balance)."""
    volunteer_id = volunteer.pk if isinstance(volunteer, Volunteer) else volunteer
    return PointsEntry.objects.filter(volunteer_id=volunteer_id).aggregate(
        total=Coalesce(Sum("amount"), Value(ZERO), output_field=DecimalField())
    )["total"]


def volunteer_summary(volunteer: Volunteer) -> VolunteerSummary:
    totals = HoursRecord.objects.filter(volunteer=volunteer).aggregate(
        approved=Sum("hours", filter=Q(state=HoursState.APPROVED)),
        pending=Sum("hours", filter=Q(state=HoursState.PENDING)),
    )
    approved = totals["approved"] or ZERO
    return VolunteerSummary(
        approved_hours=approved,
        pending_hours=totals["pending"] or ZERO,
        points=points_balance(volunteer),
        stars=star_level(approved),
        next_threshold=next_star_threshold(approved),
    )


# --- The volunteer's own pages ------------------------------------------------------------------


def volunteer_of(user: User) -> Volunteer | None:
    if not (user and user.is_authenticated):
        return None
    return (
        Volunteer.objects.select_related("community__parent__parent", "registered_by_organisation")
        .filter(user=user)
        .first()
    )


def signups_of(volunteer: Volunteer) -> QuerySet[VolunteerSignup]:
    return (
        VolunteerSignup.objects.filter(volunteer=volunteer, state=SignupState.SIGNED_UP)
        .select_related("activity__organisation", "activity__community")
        .order_by("-activity__starts_at", "-pk")
    )


def hours_of(volunteer: Volunteer) -> QuerySet[HoursRecord]:
    return HoursRecord.objects.filter(volunteer=volunteer).select_related("activity__organisation")


def points_statement(volunteer: Volunteer) -> QuerySet[PointsEntry]:
    return (
        PointsEntry.objects.filter(volunteer=volunteer)
        .select_related("hours_record__activity", "redemption__reward")
        .order_by("-sequence")
    )


def redemptions_of(volunteer: Volunteer) -> QuerySet[Redemption]:
    return Redemption.objects.filter(volunteer=volunteer).select_related("reward")


@dataclass(frozen=True)
class ServedOrganisation:
    organisation: Organisation
    hours: Decimal
    activities: int


def served_organisations(volunteer: Volunteer) -> list[ServedOrganisation]:
    """Organisations where the volunteer has approved hours: each can certify them."""
    rows = (
        HoursRecord.objects.filter(volunteer=volunteer, state=HoursState.APPROVED)
        .values("activity__organisation")
        .annotate(hours=Sum("hours"), activities=Count("activity", distinct=True))
        .order_by("activity__organisation")
    )
    by_id = {row["activity__organisation"]: row for row in rows}
    organisations = Organisation.objects.filter(pk__in=by_id).order_by("name", "pk")
    return [
        ServedOrganisation(
            organisation=organisation,
            hours=by_id[organisation.pk]["hours"],
            activities=by_id[organisation.pk]["activities"],
        )
        for organisation in organisations
    ]


def certificate_rows(volunteer: Volunteer, organisation: Organisation) -> QuerySet[HoursRecord]:
    return (
        HoursRecord.objects.filter(
            volunteer=volunteer, activity__organisation=organisation, state=HoursState.APPROVED
        )
        .select_related("activity")
        .order_by("service_date", "pk")
    )


def teams_to_join() -> QuerySet[VolunteerTeam]:
    return VolunteerTeam.objects.select_related("organisation").order_by(
        "organisation__name", "name"
    )


# --- Public activity pages ------------------------------------------------------------------------


def _with_places(queryset: QuerySet[VolunteerActivity]) -> QuerySet[VolunteerActivity]:
    return queryset.select_related("organisation", "community__parent", "application").annotate(
        taken=Count("signups", filter=Q(signups__state=SignupState.SIGNED_UP))
    )


def open_activities(*, now: datetime | None = None) -> QuerySet[VolunteerActivity]:
    """Published activities that have not ended, soonest first: the public listing."""
    now = now or timezone.now()
    return _with_places(VolunteerActivity.objects.filter(published=True, ends_at__gt=now)).order_by(
        "starts_at", "pk"
    )


def activity_with_places(pk: int) -> VolunteerActivity | None:
    return _with_places(VolunteerActivity.objects.filter(pk=pk)).first()


def signup_of(volunteer_id: int | None, activity: VolunteerActivity) -> VolunteerSignup | None:
    if volunteer_id is None:
        return None
    return VolunteerSignup.objects.filter(volunteer_id=volunteer_id, activity=activity).first()


# --- Organisers and officers ---------------------------------------------------------------------


def managed_activities(user: User) -> QuerySet[VolunteerActivity]:
    """Activities the user runs (officers: all), latest first, with sign-up and pending counts."""
    queryset = VolunteerActivity.objects.all()
    if not _is_officer(user):
        queryset = queryset.filter(organisation_id__in=organiser_organisation_ids(user))
    pending = (
        HoursRecord.objects.filter(activity=OuterRef("pk"), state=HoursState.PENDING)
        .values("activity")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        _with_places(queryset)
        .annotate(pending_hours=Coalesce(Subquery(pending), 0))
        .order_by("-starts_at", "-pk")
    )


def organisations_run_by(user: User) -> QuerySet[Organisation]:
    if _is_officer(user):
        return Organisation.objects.order_by("name", "pk")
    return Organisation.objects.filter(pk__in=organiser_organisation_ids(user)).order_by(
        "name", "pk"
    )


def roster(activity: VolunteerActivity) -> QuerySet[VolunteerSignup]:
    """Everyone signed up to ``activity``, with their live hours record (if any) in one query."""
    live = HoursRecord.objects.filter(activity=activity, volunteer=OuterRef("volunteer")).exclude(
        state=HoursState.REJECTED
    )
    return (
        VolunteerSignup.objects.filter(activity=activity, state=SignupState.SIGNED_UP)
        .select_related("volunteer")
        .annotate(
            live_hours=Subquery(live.values("hours")[:1]),
            live_hours_state=Subquery(live.values("state")[:1]),
        )
        .order_by("volunteer__real_name", "pk")
    )


def pending_hours_for(user: User) -> QuerySet[HoursRecord]:
    """Hours the user may approve: at activities they run (officers: all), never their own."""
    queryset = HoursRecord.objects.filter(state=HoursState.PENDING)
    if not _is_officer(user):
        queryset = queryset.filter(activity__organisation_id__in=organiser_organisation_ids(user))
    own = volunteer_id_of(user)
    if own is not None:
        queryset = queryset.exclude(volunteer_id=own)
    return queryset.select_related("volunteer", "activity__organisation", "entered_by").order_by(
        "activity__starts_at", "pk"
    )


def teams_of_organisations(user: User) -> QuerySet[VolunteerTeam]:
    queryset = VolunteerTeam.objects.all()
    if not _is_officer(user):
        queryset = queryset.filter(organisation_id__in=organiser_organisation_ids(user))
    return (
        queryset.select_related("organisation", "community")
        .annotate(member_count=Count("members", distinct=True))
        .prefetch_related("applications")
        .order_by("organisation__name", "name")
    )


def export_records(
    user: User,
    *,
    organisation: Organisation | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[HoursRecord]:
    """Approved hours for the platform export: the user's organisations (officers: all)."""
    queryset = HoursRecord.objects.filter(state=HoursState.APPROVED)
    if not _is_officer(user):
        queryset = queryset.filter(activity__organisation_id__in=organiser_organisation_ids(user))
    if organisation is not None:
        queryset = queryset.filter(activity__organisation=organisation)
    if date_from:
        queryset = queryset.filter(service_date__gte=date_from)
    if date_to:
        queryset = queryset.filter(service_date__lte=date_to)
    return queryset.select_related("volunteer", "activity__organisation").order_by(
        "service_date", "activity__title", "volunteer__real_name", "pk"
    )


# --- Rewards ---------------------------------------------------------------------------------------


def reward_catalogue(*, include_inactive: bool = False) -> QuerySet[RewardItem]:
    queryset = RewardItem.objects.all()
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    return queryset.order_by("points_cost", "name")


def redemptions_to_handle(*, state: str | None = RedemptionState.REQUESTED) -> QuerySet[Redemption]:
    """Redemptions for the officers' desk: the open ones by default, oldest request first."""
    queryset = Redemption.objects.select_related("volunteer", "reward")
    if state:
        queryset = queryset.filter(state=state)
    return queryset.order_by("requested_at", "pk")
