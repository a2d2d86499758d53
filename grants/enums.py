from django.db import models
from django.utils.translation import gettext_lazy as _


class Theme(models.TextChoices):
    ELDERLY = "elderly", _("Elderly care")
    YOUTH = "youth", _("Children and youth")
    DISABILITY = "disability", _("Disability support")
    COMMUNITY = "community", _("Community building")
    ENVIRONMENT = "environment", _("Environment")
    CULTURE = "culture", _("Culture and moral education")
    POVERTY = "poverty", _("Poverty relief")
    HEALTH = "health", _("Health")


class CallPhase(models.TextChoices):
    """Derived from the clock and the call's window; never stored."""

    UPCOMING = "upcoming", _("Upcoming")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
