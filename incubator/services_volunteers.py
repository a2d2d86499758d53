"""One service per user action in volunteering: registration, activities, sign-up, check-in, hours.

Registration is in ``incubator.services_volunteer_profiles``; points, rewards and certificates are
in ``incubator.services_volunteer_points``. Registration is re-exported here.

Every action is keyword-only, takes the acting user as ``actor``, checks the actor's permission
through django-rules (the views ask the same question, but services do not trust them), and runs in
``transaction.atomic()``. Rows are locked with ``select_for_update`` in one fixed order, so two
actions never wait for each other in a circle:

    activity → volunteer → sign-up → hours record → reward → redemption

Doing an action twice (a double tap, a second tab, two phones) has one effect: the second call
returns what the first one made. The database constraints on the models are the last line of
defence if anything slips through.
"""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from incubator.enums import CommunityLevel
from incubator.enums_volunteers import (
    CHECKIN_OPENS_BEFORE,
    CHECKOUT_CLOSES_AFTER,
    HOURS_UNIT,
    MAX_POINTS_PER_HOUR,
    HoursSource,
    HoursState,
    SignupState,
)
from incubator.models import (
    Community,
    HoursRecord,
    Organisation,
    Volunteer,
    VolunteerActivity,
    VolunteerSignup,
    VolunteerTeam,
)
from incubator.models.volunteers import round_down_to_unit
from incubator.rules_volunteers import volunteer_id_of
from incubator.services_volunteer_points import VolunteeringRefused, award_points_for_hours
from incubator.services_volunteer_profiles import (
    register_volunteer,
    register_volunteer_on_paper,
    update_volunteer,
)

__all__ = [
    "VolunteeringRefused",
    "approve_hours",
    "cancel_signup",
    "check_in",
    "check_out",
    "create_activity",
    "create_team",
    "enter_hours",
    "register_volunteer",
    "register_volunteer_on_paper",
    "reject_hours",
    "round_down_to_unit",
    "set_activity_published",
    "sign_up",
    "update_activity",
    "update_volunteer",
]


def _require(actor: User | None, perm: str, obj: Any = None) -> None:
    if actor is None or not actor.has_perm(perm, obj):
        raise PermissionDenied(_("You may not do this."))


def _local(moment) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _lock_volunteer(volunteer_id: int) -> Volunteer:
    return Volunteer.objects.select_for_update().get(pk=volunteer_id)


def _own_volunteer_id(actor: User) -> int:
    volunteer_id = volunteer_id_of(actor)
    if volunteer_id is None:
        raise VolunteeringRefused(_("Please register as a volunteer first."))
    return volunteer_id


# --- Activities and teams ---------------------------------------------------------------------

ACTIVITY_FIELDS = (
    "title",
    "description",
    "application",
    "community",
    "place",
    "starts_at",
    "ends_at",
    "slots",
    "points_per_hour",
)


def _check_activity(activity: VolunteerActivity) -> None:
    errors: dict[str, Any] = {}
    if not (activity.title or "").strip():
        errors["title"] = _("Give the activity a title.")
    if activity.starts_at and activity.ends_at and activity.ends_at <= activity.starts_at:
        errors["ends_at"] = _("The activity must end after it starts.")
    if not activity.slots or activity.slots < 1:
        errors["slots"] = _("Offer at least one place.")
    if activity.community_id and activity.community.level == CommunityLevel.DISTRICT:
        errors["community"] = _("Choose the sub-district or community where it takes place.")
    if activity.application_id and activity.application.organisation_id != activity.organisation_id:
        errors["application"] = _("Choose one of your organisation's own projects.")
    rate = activity.points_per_hour
    if rate is None or not (Decimal(0) <= rate <= MAX_POINTS_PER_HOUR):
        errors["points_per_hour"] = _("Points per hour must be between 0 and %(max)s.") % {
            "max": MAX_POINTS_PER_HOUR
        }
    if errors:
        raise ValidationError(errors)


def _apply_activity(activity: VolunteerActivity, data: dict[str, Any]) -> None:
    unknown = set(data) - set(ACTIVITY_FIELDS)
    if unknown:
        raise ValueError(f"not activity fields: {sorted(unknown)}")
    for field, value in data.items():
        setattr(activity, field, value)
    _check_activity(activity)


def create_activity(
    *, actor: User, organisation: Organisation, data: dict[str, Any], published: bool = False
) -> VolunteerActivity:
    _require(actor, "incubator.create_volunteer_activity", organisation)
    activity = VolunteerActivity(
        organisation=organisation,
        created_by=actor,
        published=published,
        checkin_token=secrets.token_urlsafe(24),
    )
    _apply_activity(activity, data)
    with transaction.atomic():
        activity.save()
    return activity


def update_activity(
    *, actor: User, activity: VolunteerActivity, data: dict[str, Any]
) -> VolunteerActivity:
    with transaction.atomic():
        activity = VolunteerActivity.objects.select_for_update().get(pk=activity.pk)
        _require(actor, "incubator.manage_volunteer_activity", activity)
        _apply_activity(activity, data)
        taken = activity.signups.filter(state=SignupState.SIGNED_UP).count()
        if activity.slots < taken:
            raise ValidationError(
                {
                    "slots": _(
                        "%(count)d volunteers have already signed up: offer at least as many places."
                    )
                    % {"count": taken}
                }
            )
        activity.save()
    return activity


def set_activity_published(
    *, actor: User, activity: VolunteerActivity, published: bool
) -> VolunteerActivity:
    with transaction.atomic():
        activity = VolunteerActivity.objects.select_for_update().get(pk=activity.pk)
        _require(actor, "incubator.manage_volunteer_activity", activity)
        if activity.published != published:
            activity.published = published
            activity.save(update_fields=["published"])
    return activity


def create_team(
    *,
    actor: User,
    organisation: Organisation,
    name: str,
    community: Community | None = None,
    description: str = "",
    applications=(),
) -> VolunteerTeam:
    """A volunteer team of ``organisation``, naming the organisation's projects it works on."""
    _require(actor, "incubator.manage_volunteer_teams", organisation)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the team a name.")})
    if any(application.organisation_id != organisation.pk for application in applications):
        raise ValidationError({"applications": _("Choose your organisation's own projects.")})
    if VolunteerTeam.objects.filter(organisation=organisation, name=name).exists():
        raise ValidationError({"name": _("Your organisation already has a team with this name.")})
    with transaction.atomic():
        team = VolunteerTeam.objects.create(
            organisation=organisation, name=name, community=community, description=description
        )
        team.applications.set(applications)
    return team


# --- Sign-up ---------------------------------------------------------------------------------------


def sign_up(
    *, actor: User, activity: VolunteerActivity, volunteer: Volunteer | None = None
) -> VolunteerSignup:
    """Sign the actor (or, for an organiser, ``volunteer``) up to ``activity``.

    The activity row is locked while the places are counted, so two volunteers taking the last
    place at the same moment get one place between them. Signing up twice returns the sign-up.
    """
    with transaction.atomic():
        activity = VolunteerActivity.objects.select_for_update().get(pk=activity.pk)
        if volunteer is None:
            _require(actor, "incubator.sign_up_for_activity", activity)
            volunteer_id = _own_volunteer_id(actor)
        else:
            _require(actor, "incubator.manage_volunteer_activity", activity)
            volunteer_id = volunteer.pk
        if timezone.now() >= activity.ends_at:
            raise VolunteeringRefused(_("This activity has ended."))
        signup = (
            VolunteerSignup.objects.select_for_update()
            .filter(activity=activity, volunteer_id=volunteer_id)
            .first()
        )
        if signup is not None and signup.state == SignupState.SIGNED_UP:
            return signup
        taken = activity.signups.filter(state=SignupState.SIGNED_UP).count()
        if taken >= activity.slots:
            raise VolunteeringRefused(_("Sorry, all places for this activity are taken."))
        if signup is not None:
            signup.rejoin(by=actor)
            signup.save()
            return signup
        return VolunteerSignup.objects.create(activity=activity, volunteer_id=volunteer_id)


def cancel_signup(
    *, actor: User, activity: VolunteerActivity, volunteer: Volunteer | None = None
) -> VolunteerSignup | None:
    """Give the place back before the activity starts (organisers may remove anyone not checked in)."""
    if volunteer is None:
        volunteer_id = _own_volunteer_id(actor)
        own = True
    else:
        _require(actor, "incubator.manage_volunteer_activity", activity)
        volunteer_id, own = volunteer.pk, False
    with transaction.atomic():
        activity = VolunteerActivity.objects.select_for_update().get(pk=activity.pk)
        signup = (
            VolunteerSignup.objects.select_for_update()
            .filter(activity=activity, volunteer_id=volunteer_id)
            .first()
        )
        if signup is None:
            raise VolunteeringRefused(_("You have not signed up to this activity."))
        if signup.state == SignupState.CANCELLED:
            return signup
        if signup.checked_in_at is not None:
            raise VolunteeringRefused(_("A sign-up that has checked in cannot be cancelled."))
        if own and timezone.now() >= activity.starts_at:
            raise VolunteeringRefused(
                _("The activity has started; please tell the organiser instead.")
            )
        signup.cancel(by=actor)
        signup.save()
        return signup


# --- Check-in and check-out by QR code -----------------------------------------------------------


def activity_for_token(token: str) -> VolunteerActivity:
    """The activity whose QR code carries ``token`` (``VolunteerActivity.DoesNotExist`` if none)."""
    return VolunteerActivity.objects.select_related("organisation", "community").get(
        checkin_token=token
    )


def _lock_own_signup(actor: User, activity: VolunteerActivity) -> VolunteerSignup:
    volunteer_id = _own_volunteer_id(actor)
    _lock_volunteer(volunteer_id)
    signup = (
        VolunteerSignup.objects.select_for_update()
        .filter(activity=activity, volunteer_id=volunteer_id)
        .first()
    )
    if signup is None or signup.state != SignupState.SIGNED_UP:
        raise VolunteeringRefused(_("Please sign up to this activity before checking in."))
    return signup


def check_in(*, actor: User, token: str) -> VolunteerSignup:
    """The volunteer, at the venue, opened the QR link: record the time. Twice changes nothing."""
    activity = activity_for_token(token)
    with transaction.atomic():
        signup = _lock_own_signup(actor, activity)
        if signup.checked_in_at is not None:
            return signup
        now = timezone.now()
        if now < activity.starts_at - CHECKIN_OPENS_BEFORE:
            raise VolunteeringRefused(
                _("Check-in opens an hour before the start, at %(time)s.")
                % {"time": _local(activity.starts_at - CHECKIN_OPENS_BEFORE)}
            )
        if now > activity.ends_at:
            raise VolunteeringRefused(
                _("This activity has ended; ask the organiser to enter your hours.")
            )
        signup.checked_in_at = now
        signup.save(update_fields=["checked_in_at"])
    return signup


def check_out(*, actor: User, token: str) -> tuple[VolunteerSignup, HoursRecord | None]:
    """Record the check-out and the hours it earns, approved at once (the QR code at the venue is
    the evidence) and paid in points.

    Hours are the time between check-in and check-out, rounded down to half hours and capped by the
    activity's length. Checking out again — a double tap, another phone, a retry — returns the first
    result: the sign-up row is locked, and the database allows one hours record per check-in.
    Less than half an hour records no hours.
    """
    activity = activity_for_token(token)
    with transaction.atomic():
        signup = _lock_own_signup(actor, activity)
        if signup.checked_in_at is None:
            raise VolunteeringRefused(_("Please check in first."))
        if signup.checked_out_at is not None:
            record = signup.hours_records.filter(source=HoursSource.CHECKIN).first()
            return signup, record
        now = timezone.now()
        if now > activity.ends_at + CHECKOUT_CLOSES_AFTER:
            raise VolunteeringRefused(
                _("Check-out has closed for this activity; ask the organiser to enter your hours.")
            )
        signup.checked_out_at = now
        signup.save(update_fields=["checked_out_at"])
        hours = min(round_down_to_unit(now - signup.checked_in_at), activity.length_hours)
        if hours <= 0:
            return signup, None
        if (
            HoursRecord.objects.filter(volunteer_id=signup.volunteer_id, activity=activity)
            .exclude(state=HoursState.REJECTED)
            .exists()
        ):
            # Hours were entered by hand for this activity already: never count it twice.
            return signup, None
        record = HoursRecord.objects.create(
            volunteer_id=signup.volunteer_id,
            activity=activity,
            signup=signup,
            hours=hours,
            source=HoursSource.CHECKIN,
            state=HoursState.APPROVED,
            service_date=timezone.localdate(signup.checked_in_at),
            decided_at=now,
            entered_by=actor,
        )
        award_points_for_hours(record=record, actor=actor)
    return signup, record


# --- Entered hours and their approval --------------------------------------------------------------


def parse_hours(value) -> Decimal:
    """A positive number of hours in half-hour steps, or a ``ValidationError``."""
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"hours": _("Enter the hours as a number, e.g. 2.5.")}) from None
    if not hours.is_finite() or hours <= 0:
        raise ValidationError({"hours": _("Hours must be more than zero.")})
    if hours % HOURS_UNIT:
        raise ValidationError({"hours": _("Hours are counted in half hours: e.g. 2 or 2.5.")})
    return hours.quantize(Decimal("0.1"))


def enter_hours(
    *,
    actor: User,
    activity: VolunteerActivity,
    hours,
    volunteer: Volunteer | None = None,
    note: str = "",
) -> HoursRecord:
    """Hours for an activity without check-in, entered by the volunteer (own hours) or by an
    organiser (for a signed-up volunteer). They wait for approval by an organiser or officer."""
    if volunteer is None:
        _require(actor, "incubator.enter_own_hours")
        volunteer_id = _own_volunteer_id(actor)
    else:
        _require(actor, "incubator.manage_volunteer_activity", activity)
        volunteer_id = volunteer.pk
    hours = parse_hours(hours)
    if hours > activity.length_hours:
        raise ValidationError(
            {
                "hours": _("This activity lasted %(length)s hours; enter at most that.")
                % {"length": activity.length_hours}
            }
        )
    if timezone.now() < activity.starts_at:
        raise VolunteeringRefused(_("Hours can be entered once the activity has started."))
    with transaction.atomic():
        _lock_volunteer(volunteer_id)
        signup = (
            VolunteerSignup.objects.select_for_update()
            .filter(activity=activity, volunteer_id=volunteer_id, state=SignupState.SIGNED_UP)
            .first()
        )
        if signup is None:
            raise VolunteeringRefused(
                _("Only volunteers signed up to the activity can have hours.")
            )
        existing = (
            HoursRecord.objects.filter(volunteer_id=volunteer_id, activity=activity)
            .exclude(state=HoursState.REJECTED)
            .first()
        )
        if existing is not None:
            raise VolunteeringRefused(
                _("Hours for this activity are already recorded: %(hours)s h, %(state)s.")
                % {"hours": existing.hours, "state": existing.get_state_display()}
            )
        return HoursRecord.objects.create(
            volunteer_id=volunteer_id,
            activity=activity,
            hours=hours,
            source=HoursSource.ENTERED,
            service_date=timezone.localdate(activity.starts_at),
            note=(note or "").strip(),
            entered_by=actor,
        )


def _lock_record(record: HoursRecord) -> HoursRecord:
    # Lock order: volunteer, then the record (the same order as check-out and redemptions).
    _lock_volunteer(record.volunteer_id)
    return (
        HoursRecord.objects.select_for_update(of=("self",))
        .select_related("activity", "volunteer")
        .get(pk=record.pk)
    )


def approve_hours(*, actor: User, record: HoursRecord, note: str = "") -> HoursRecord:
    """Approve entered hours and pay their points. Approving twice pays once."""
    with transaction.atomic():
        record = _lock_record(record)
        _require(actor, "incubator.decide_volunteer_hours", record)
        if record.state == HoursState.APPROVED:
            return record
        if record.state != HoursState.PENDING:
            raise VolunteeringRefused(_("These hours have been rejected; they cannot be approved."))
        record.approve(by=actor, note=(note or "").strip())
        record.save()
        award_points_for_hours(record=record, actor=actor)
    return record


def reject_hours(*, actor: User, record: HoursRecord, reason: str) -> HoursRecord:
    """Reject entered hours with a reason the volunteer reads; they may enter them again."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Please give a reason; the volunteer will read it.")})
    with transaction.atomic():
        record = _lock_record(record)
        _require(actor, "incubator.decide_volunteer_hours", record)
        if record.state == HoursState.REJECTED:
            return record
        if record.state != HoursState.PENDING:
            raise VolunteeringRefused(_("These hours have been approved; they cannot be rejected."))
        record.reject(by=actor, note=reason)
        record.save()
    return record
