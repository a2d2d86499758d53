"""Volunteers (社区志愿者, one of the five forces of 五社联动): registration, activities, hours, points.

The points models (catalogue, redemptions, ledger, certificates) are in ``volunteer_points`` and
re-exported here.

Thin models: the invariants that money-like numbers need are database constraints — hours are
positive multiples of 0.5, one check-in yields at most one hours record, a volunteer has at most one
live hours record per activity, the points ledger never goes below zero and its rows are never
changed. Every write goes through ``incubator.services_volunteers``.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Mod
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition
from django_fsm_log.decorators import fsm_log_by

from incubator.enums import CommunityLevel
from incubator.enums_volunteers import (
    DEFAULT_POINTS_PER_HOUR,
    HOURS_UNIT,
    MAX_POINTS_PER_HOUR,
    HoursSource,
    HoursState,
    SignupState,
)
from incubator.models.volunteer_points import (  # re-exported, see __all__
    PointsEntry,
    Redemption,
    RewardItem,
    VolunteerCertificate,
)
from incubator.personal_data import (
    EncryptedTextField,
    mask_id_number,
    mask_phone,
    validate_mobile,
)

__all__ = [
    "HoursRecord",
    "PointsEntry",
    "Redemption",
    "RewardItem",
    "Volunteer",
    "VolunteerActivity",
    "VolunteerCertificate",
    "VolunteerSignup",
    "VolunteerTeam",
]


def round_down_to_unit(duration: timedelta) -> Decimal:
    """The whole half hours in ``duration``, rounded down: 1 h 29 min counts 1 h, 29 min nothing."""
    half_hours = max(int(duration.total_seconds() // 1800), 0)
    return Decimal(half_hours) * HOURS_UNIT


def _half_hours(field: str) -> Exact:
    """``field`` is a whole number of half hours (0.5, 1, 1.5 …)."""
    return Exact(Mod(F(field) * Value(2), Value(1)), Value(0))


class Volunteer(models.Model):
    """A registered volunteer: signs in (``user``), or was registered on paper by an organiser."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        # Certified hours hang on this profile: an account with a service record is closed by
        # anonymising the profile, never by deleting it (which would orphan the record).
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="volunteer",
        verbose_name=_("user account"),
    )
    real_name = models.CharField(_("real name"), max_length=50)
    phone = models.CharField(_("mobile phone"), max_length=20, validators=[validate_mobile])
    id_number = EncryptedTextField(_("ID number"), blank=True)
    # Keyed hash of the ID number: one volunteer per person without storing the number in clear.
    id_number_index = models.CharField(max_length=64, blank=True, editable=False)
    skills = models.JSONField(_("skills"), default=list, blank=True)
    community = models.ForeignKey(
        "incubator.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="volunteers",
        limit_choices_to={"level": CommunityLevel.COMMUNITY},
        verbose_name=_("community"),
    )
    consent_at = models.DateTimeField(_("consent given"))
    consent_version = models.CharField(_("consent text version"), max_length=20)
    consent_note = models.CharField(_("how consent was given"), max_length=200, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by"),
    )
    registered_by_organisation = models.ForeignKey(
        "incubator.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="registered_volunteers",
        verbose_name=_("registered on paper by"),
    )
    created_at = models.DateTimeField(_("registered"), default=timezone.now)

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["real_name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_index"],
                condition=~Q(id_number_index=""),
                name="volunteer_unique_id_number",
                violation_error_message=_("A volunteer with this ID number is already registered."),
            ),
            models.CheckConstraint(
                condition=~Q(consent_version=""), name="volunteer_consent_recorded"
            ),
            # Offline volunteers have no account, so an organisation must answer for them.
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(registered_by_organisation__isnull=False),
                name="volunteer_has_account_or_registering_organisation",
            ),
        ]

    def __str__(self) -> str:
        return self.real_name

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class VolunteerTeam(models.Model):
    """志愿服务队: an organisation's team; projects name the teams that work on them (五社联动)."""

    name = models.CharField(_("name"), max_length=100)
    organisation = models.ForeignKey(
        "incubator.Organisation",
        on_delete=models.CASCADE,
        related_name="volunteer_teams",
        verbose_name=_("organisation"),
    )
    community = models.ForeignKey(
        "incubator.Community",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="volunteer_teams",
        verbose_name=_("community"),
    )
    description = models.TextField(_("description"), blank=True)
    members = models.ManyToManyField(
        Volunteer, blank=True, related_name="teams", verbose_name=_("members")
    )
    applications = models.ManyToManyField(
        "grants.Application",
        blank=True,
        related_name="volunteer_teams",
        verbose_name=_("projects"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("volunteer team")
        verbose_name_plural = _("volunteer teams")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"],
                name="volunteerteam_unique_name_per_organisation",
                violation_error_message=_("Your organisation already has a team with this name."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class VolunteerActivity(models.Model):
    """An organisation's project activity, published as a volunteer opportunity."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    organisation = models.ForeignKey(
        "incubator.Organisation",
        on_delete=models.PROTECT,
        related_name="volunteer_activities",
        verbose_name=_("organisation"),
    )
    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="volunteer_activities",
        verbose_name=_("project"),
    )
    community = models.ForeignKey(
        "incubator.Community",
        on_delete=models.PROTECT,
        related_name="volunteer_activities",
        verbose_name=_("community"),
    )
    place = models.CharField(_("place"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    slots = models.PositiveIntegerField(_("places for volunteers"))
    points_per_hour = models.DecimalField(
        _("points per hour"),
        max_digits=3,
        decimal_places=1,
        default=DEFAULT_POINTS_PER_HOUR,
        help_text=_(
            "Volunteer-service points per approved hour; 1 unless the activity is special."
        ),
    )
    published = models.BooleanField(_("published"), default=False)
    # The secret in the QR code shown at the venue; knowing it is the proof of being there.
    checkin_token = models.CharField(max_length=43, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("volunteer activity")
        verbose_name_plural = _("volunteer activities")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="volunteeractivity_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(slots__gt=0), name="volunteeractivity_has_slots"),
            models.CheckConstraint(
                condition=Q(points_per_hour__gte=0, points_per_hour__lte=MAX_POINTS_PER_HOUR),
                name="volunteeractivity_points_rate_in_range",
            ),
        ]
        indexes = [models.Index(fields=["published", "ends_at"], name="volact_published_ends")]

    def __str__(self) -> str:
        return self.title

    @property
    def length_hours(self) -> Decimal:
        """The activity's length in whole half hours, rounded down: the most it can earn."""
        return round_down_to_unit(self.ends_at - self.starts_at)


class VolunteerSignup(FSMModelMixin, models.Model):
    """One volunteer on one activity; check-in and check-out times are kept on it."""

    activity = models.ForeignKey(
        VolunteerActivity,
        on_delete=models.CASCADE,
        related_name="signups",
        verbose_name=_("activity"),
    )
    volunteer = models.ForeignKey(
        Volunteer, on_delete=models.CASCADE, related_name="signups", verbose_name=_("volunteer")
    )
    state = FSMField(
        _("state"),
        default=SignupState.SIGNED_UP,
        choices=SignupState.choices,
        protected=True,
        max_length=16,
    )
    signed_up_at = models.DateTimeField(_("signed up"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)

    class Meta:
        verbose_name = _("volunteer sign-up")
        verbose_name_plural = _("volunteer sign-ups")
        ordering = ["signed_up_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "volunteer"], name="volunteersignup_one_per_activity"
            ),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True)
                | Q(checked_in_at__isnull=False, checked_out_at__gte=F("checked_in_at")),
                name="volunteersignup_checkout_after_checkin",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.activity}"

    def not_checked_in(self) -> bool:
        return self.checked_in_at is None

    @fsm_log_by
    @transition(
        field=state,
        source=SignupState.SIGNED_UP,
        target=SignupState.CANCELLED,
        conditions=[not_checked_in],
    )
    def cancel(self, *, by=None) -> None:
        self.cancelled_at = timezone.now()

    @fsm_log_by
    @transition(field=state, source=SignupState.CANCELLED, target=SignupState.SIGNED_UP)
    def rejoin(self, *, by=None) -> None:
        self.cancelled_at = None
        self.signed_up_at = timezone.now()


class HoursRecord(FSMModelMixin, models.Model):
    """Service hours of one volunteer at one activity: from check-in/out, or entered and approved."""

    volunteer = models.ForeignKey(
        Volunteer,
        on_delete=models.PROTECT,
        related_name="hours_records",
        verbose_name=_("volunteer"),
    )
    activity = models.ForeignKey(
        VolunteerActivity,
        on_delete=models.PROTECT,
        related_name="hours_records",
        verbose_name=_("activity"),
    )
    signup = models.ForeignKey(
        VolunteerSignup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hours_records",
        verbose_name=_("sign-up"),
    )
    hours = models.DecimalField(
        _("hours"), max_digits=5, decimal_places=1, validators=[MinValueValidator(Decimal("0.5"))]
    )
    source = models.CharField(_("source"), max_length=16, choices=HoursSource.choices)
    state = FSMField(
        _("state"),
        default=HoursState.PENDING,
        choices=HoursState.choices,
        protected=True,
        max_length=16,
        db_index=True,
    )
    service_date = models.DateField(_("service date"))
    note = models.TextField(_("note"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved or rejected by"),
    )
    decided_at = models.DateTimeField(_("approved or rejected"), null=True, blank=True)
    decision_note = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("volunteer hours")
        verbose_name_plural = _("volunteer hours")
        ordering = ["-service_date", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="hoursrecord_hours_positive"),
            models.CheckConstraint(
                condition=_half_hours("hours"), name="hoursrecord_hours_in_half_hours"
            ),
            models.CheckConstraint(
                condition=~Q(source=HoursSource.CHECKIN) | Q(signup__isnull=False),
                name="hoursrecord_checkin_has_signup",
            ),
            # One check-in (one sign-up) produces at most one hours record, whatever happens.
            models.UniqueConstraint(
                fields=["signup"],
                condition=Q(source=HoursSource.CHECKIN),
                name="hoursrecord_one_per_checkin",
            ),
            # And entered hours cannot add a second count for the same activity either.
            models.UniqueConstraint(
                fields=["volunteer", "activity"],
                condition=~Q(state=HoursState.REJECTED),
                name="hoursrecord_one_live_per_activity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.activity} · {self.hours} h"

    @property
    def approved_by(self):
        return self.decided_by if self.state == HoursState.APPROVED else None

    @fsm_log_by
    @transition(
        field=state,
        source=HoursState.PENDING,
        target=HoursState.APPROVED,
        permission="incubator.decide_volunteer_hours",
    )
    def approve(self, *, by, note: str = "") -> None:
        self.decided_by = by
        self.decided_at = timezone.now()
        self.decision_note = note

    @fsm_log_by
    @transition(
        field=state,
        source=HoursState.PENDING,
        target=HoursState.REJECTED,
        permission="incubator.decide_volunteer_hours",
    )
    def reject(self, *, by, note: str) -> None:
        self.decided_by = by
        self.decided_at = timezone.now()
        self.decision_note = note
