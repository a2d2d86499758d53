from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Stable role codes carried by memberships. Code checks these codes, never group names."""

    APPLICANT = "applicant", _("Applicant organisation member")
    OFFICER = "officer", _("Programme officer")
    REVIEWER = "reviewer", _("Reviewer")
    FINANCE = "finance", _("Finance")
    EVALUATOR = "evaluator", _("Evaluator")
    COMMUNITY = "community", _("Community worker")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    VOLUNTEER = "volunteer", _("Volunteer")
    DONOR = "donor", _("Donor")


# Roles that act for an organisation and so need one on the membership.
ORGANISATION_ROLES = frozenset({Role.APPLICANT, Role.SOCIAL_WORKER})
# Roles that work inside the staff workspaces.
STAFF_ROLES = frozenset({Role.OFFICER, Role.FINANCE})


class EmailFrequency(models.TextChoices):
    IMMEDIATELY = "immediately", _("Immediately")
    DAILY = "daily", _("Daily digest")
    OFF = "off", _("Off")
