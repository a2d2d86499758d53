"""Codes and fixed numbers of volunteering: stable English codes, translated labels.

The numbers come from the published volunteer-service rules the domain brief cites: hours in 0.5 h
units, star levels at 100 / 300 / 600 / 1000 / 1500 approved hours, 1 hour = 1 point by default.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.enums import Role


class Skill(models.TextChoices):
    VISITING = "visiting", _("Visiting and companionship")
    ELDERLY_CARE = "elderly_care", _("Help for older people")
    TUTORING = "tutoring", _("Tutoring and homework help")
    HEALTH = "health", _("Health care")
    LEGAL = "legal", _("Legal advice")
    COUNSELLING = "counselling", _("Counselling")
    HAIRDRESSING = "hairdressing", _("Hairdressing")
    REPAIRS = "repairs", _("Repairs")
    IT = "it", _("Computers and phones")
    ARTS = "arts", _("Arts and performance")
    PHOTOGRAPHY = "photography", _("Photography and publicity")
    ENVIRONMENT = "environment", _("Environment")
    EMERGENCY = "emergency", _("First aid and emergencies")
    DRIVING = "driving", _("Driving")
    LANGUAGES = "languages", _("Languages and translation")
    ORGANISING = "organising", _("Organising events")


class SignupState(models.TextChoices):
    SIGNED_UP = "signed_up", pgettext_lazy("volunteer sign-up state", "Signed up")
    CANCELLED = "cancelled", pgettext_lazy("volunteer sign-up state", "Cancelled")


class HoursSource(models.TextChoices):
    CHECKIN = "checkin", _("Checked in and out")
    ENTERED = "entered", _("Entered")


class HoursState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("volunteer hours state", "Awaiting approval")
    APPROVED = "approved", pgettext_lazy("volunteer hours state", "Approved")
    REJECTED = "rejected", pgettext_lazy("volunteer hours state", "Rejected")


class PointsKind(models.TextChoices):
    EARNED = "earned", pgettext_lazy("volunteer points", "Earned")
    REDEEMED = "redeemed", pgettext_lazy("volunteer points", "Redeemed")
    REFUNDED = "refunded", pgettext_lazy("volunteer points", "Refunded")


class RedemptionState(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("reward redemption state", "Requested")
    FULFILLED = "fulfilled", pgettext_lazy("reward redemption state", "Handed over")
    CANCELLED = "cancelled", pgettext_lazy("reward redemption state", "Cancelled")


# Members of an organisation who run its activities: they publish activities, see the roster, show
# the check-in QR code, enter and approve hours and export them.
ORGANISER_ROLES = frozenset({Role.APPLICANT, Role.SOCIAL_WORKER})

HOURS_UNIT = Decimal("0.5")
# Approved hours at which a volunteer reaches 1, 2, 3, 4 and 5 stars.
STAR_THRESHOLDS = (100, 300, 600, 1000, 1500)
# Points per approved hour unless the activity sets another rate (e.g. double for night shifts).
DEFAULT_POINTS_PER_HOUR = Decimal("1")
MAX_POINTS_PER_HOUR = Decimal("10")

# The QR code works from an hour before the start (volunteers set up) until the end; check-out is
# accepted until 12 hours after the end. Later, the organiser enters the hours instead.
CHECKIN_OPENS_BEFORE = timedelta(hours=1)
CHECKOUT_CLOSES_AFTER = timedelta(hours=12)

# The consent a volunteer gives at registration. A new text gets a new version; the version a
# volunteer agreed to is stored with the time, so we can show what they agreed to.
CONSENT_VERSION = "2026-01"
CONSENT_TEXTS = {
    CONSENT_VERSION: _(
        "I agree that the platform and the organisations whose activities I join store and use my "
        "name, mobile phone number, ID number (if I give it), community, skills and service record to "
        "organise volunteer activities, record and certify my service hours, and report them to "
        "volunteer-service platforms. My ID number is stored encrypted and shown in full only to me and "
        "to programme officers. I can ask for my data to be corrected or deleted."
    ),
}
OFFLINE_CONSENT_NOTE = _("Consent signed on paper, recorded by the organiser.")

# 证件类型 in the export: platforms expect the Chinese label, whatever the interface language.
ID_DOCUMENT_TYPE = "居民身份证"
