"""Stable codes of the organisation vault and of incubation (孵化); labels are translated."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# --- Organisation vault ------------------------------------------------------------------------


class DocumentKind(models.TextChoices):
    CHARTER = "charter", _("Charter (章程)")
    REGISTRATION = "registration", _("Registration certificate (登记证书)")
    ANNUAL_REPORT = "annual_report", _("Annual report (年报)")
    RATING = "rating", _("Rating certificate (评估等级证书)")
    OTHER = "other", pgettext_lazy("document kind", "Other")


# How long before a document expires its organisation is reminded.
VAULT_REMINDER_DAYS = 30
# Vault files are certificates and reports: 20 MB holds a scanned charter of many pages.
VAULT_MAX_MB = 20


# --- Incubation ----------------------------------------------------------------------------------


class IncubationState(models.TextChoices):
    APPLIED = "applied", pgettext_lazy("incubation state", "Applied")
    UNDER_REVIEW = "under_review", pgettext_lazy("incubation state", "Under review")
    ADMITTED = "admitted", pgettext_lazy("incubation state", "Admitted")
    REJECTED = "rejected", pgettext_lazy("incubation state", "Not admitted")
    AGREEMENT_SIGNED = "agreement_signed", pgettext_lazy("incubation state", "Agreement signed")
    INCUBATING = "incubating", pgettext_lazy("incubation state", "Incubating")
    GRADUATED = "graduated", pgettext_lazy("incubation state", "Graduated")
    WITHDRAWN = "withdrawn", pgettext_lazy("incubation state", "Withdrawn")
    TERMINATED = "terminated", pgettext_lazy("incubation state", "Terminated")


I = IncubationState  # noqa: E741 - short alias used in the state groups below
# The base owes the organisation an answer (due within REVIEW_WORKING_DAYS).
AWAITING_ANSWER_STATES = (I.APPLIED, I.UNDER_REVIEW)
# The organisation may still withdraw.
WITHDRAWABLE_STATES = (I.APPLIED, I.UNDER_REVIEW, I.ADMITTED)
# A live application or incubation: an organisation holds at most one at a time.
LIVE_STATES = (I.APPLIED, I.UNDER_REVIEW, I.ADMITTED, I.AGREEMENT_SIGNED, I.INCUBATING)
# In the cohort: takes part in courses, mentoring and assessments.
COHORT_STATES = (I.ADMITTED, I.AGREEMENT_SIGNED, I.INCUBATING)
# Nothing more happens.
FINAL_STATES = (I.REJECTED, I.GRADUATED, I.WITHDRAWN, I.TERMINATED)

REVIEW_WORKING_DAYS = 5
HANDBACK_WORKING_DAYS = 15


class IncubationMode(models.TextChoices):
    IN_HOUSE = "in_house", _("In-house (入驻)")
    OUTSIDE = "outside", _("Outside the base (场外)")
    CLOUD = "cloud", _("Cloud incubation (云孵化)")


# Modes that occupy a space at the base and so must hand it back.
MODES_WITH_SPACE = (IncubationMode.IN_HOUSE,)


class CapacityDimension(models.TextChoices):
    """The four dimensions of the capacity scorecard, 0–25 points each (100 in all)."""

    GOVERNANCE = "governance", _("Governance")
    FINANCE = "finance", _("Financial management")
    PROJECTS = "projects", _("Projects")
    TEAM = "team", _("Team")


DIMENSION_MAX = 25


class GraduationCriterion(models.TextChoices):
    """What an intake may require before graduation (出壳); the intake switches each on."""

    REGISTERED = "registered", _("Legally registered (unified social credit code)")
    COMPLETED_PROJECT = "completed_project", _("At least one completed project")
    FINANCIAL_SYSTEM = "financial_system", _("Basic financial system in place")
    CAPACITY_SCORE = "capacity_score", _("Minimum capacity score")
    MONTHS = "months", _("Minimum time in incubation")
