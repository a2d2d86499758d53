from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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


class ApplicationState(models.TextChoices):
    """Stable codes of the application lifecycle; labels are translated, codes never change."""

    DRAFT = "draft", pgettext_lazy("application state", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("application state", "Submitted")
    SCREENING = "screening", pgettext_lazy("application state", "Eligibility screening")
    RETURNED = "returned", pgettext_lazy("application state", "Returned for revision")
    WITHDRAWN = "withdrawn", pgettext_lazy("application state", "Withdrawn")
    INELIGIBLE = "ineligible", pgettext_lazy("application state", "Ineligible")
    IN_REVIEW = "in_review", pgettext_lazy("application state", "In expert review")
    DEFENSE = "defense", pgettext_lazy("application state", "Live pitch")
    REVIEWED = "reviewed", pgettext_lazy("application state", "Reviewed")
    RECOMMENDED = "recommended", pgettext_lazy("application state", "Recommended for funding")
    NOT_RECOMMENDED = "not_recommended", pgettext_lazy("application state", "Not recommended")
    PUBLIC_NOTICE = "public_notice", pgettext_lazy("application state", "Public notice")
    OBJECTION_REVIEW = (
        "objection_review",
        pgettext_lazy("application state", "Objection under review"),
    )
    APPROVED = "approved", pgettext_lazy("application state", "Approved")
    REJECTED = "rejected", pgettext_lazy("application state", "Rejected")
    CONTRACTED = "contracted", pgettext_lazy("application state", "Agreement signed")
    ACTIVE = "active", pgettext_lazy("application state", "Project running")
    MID_TERM = "mid_term", pgettext_lazy("application state", "Mid-term evaluation")
    FINAL_EVALUATION = "final_evaluation", pgettext_lazy("application state", "Final evaluation")
    COMPLETED = "completed", pgettext_lazy("application state", "Completed")
    TERMINATED = "terminated", pgettext_lazy("application state", "Terminated")


S = ApplicationState
# The applicant may still change the content.
EDITABLE_STATES = (S.DRAFT, S.RETURNED)
# Before the funding decision: the applicant may withdraw.
WITHDRAWABLE_STATES = (
    S.DRAFT, S.SUBMITTED, S.SCREENING, S.RETURNED, S.IN_REVIEW, S.DEFENSE, S.REVIEWED,
    S.RECOMMENDED, S.NOT_RECOMMENDED, S.PUBLIC_NOTICE, S.OBJECTION_REVIEW, S.APPROVED,
)  # fmt: skip
# A funded project: an officer may terminate it.
FUNDED_STATES = (S.CONTRACTED, S.ACTIVE, S.MID_TERM, S.FINAL_EVALUATION)
# Shown on the public site (project pages, search, open data, volunteer activities): from the
# signed agreement on, closed projects included; the 公示 already named them.
PUBLIC_PROJECT_STATES = (*FUNDED_STATES, S.COMPLETED, S.TERMINATED)
# Nothing more happens.
FINAL_STATES = (S.WITHDRAWN, S.INELIGIBLE, S.REJECTED, S.COMPLETED, S.TERMINATED)
# The officer has something to do.
OFFICER_QUEUE_STATES = (S.SUBMITTED, S.SCREENING, S.OBJECTION_REVIEW)


class BudgetCategory(models.TextChoices):
    PERSONNEL = "personnel", _("Personnel")
    ACTIVITY = "activity", _("Activities")
    MATERIALS = "materials", _("Materials and equipment")
    VENUE = "venue", _("Venue")
    PUBLICITY = "publicity", _("Publicity")
    MANAGEMENT = "management", _("Management fee")
    OTHER = "other", _("Other")


class AttachmentKind(models.TextChoices):
    PLAN = "plan", _("Project plan")
    BUDGET = "budget", _("Budget sheet")
    CERTIFICATE = "certificate", _("Registration certificate")
    ENDORSEMENT = "endorsement", _("Community endorsement")
    OTHER = "other", _("Other")


class CommentVisibility(models.TextChoices):
    APPLICANT = "applicant", _("Applicant and staff")
    STAFF = "staff", _("Staff only")


class RuleSeverity(models.TextChoices):
    HARD = "hard", _("Blocks submission")
    SOFT = "soft", _("For screening")


# --- Review (issue #4) ---------------------------------------------------------------------------


# Fields of expertise of the expert pool: every call theme (so a panel can be matched to an
# application's theme by code) plus professional fields.
Expertise = models.TextChoices(
    "Expertise",
    [(theme.name, (theme.value, theme.label)) for theme in Theme]
    + [
        ("SOCIAL_WORK", ("social_work", _("Social work practice"))),
        ("FINANCE", ("finance", _("Finance and audit"))),
        ("LAW", ("law", _("Law"))),
        ("MANAGEMENT", ("management", _("Non-profit management"))),
    ],
)


class RelationKind(models.TextChoices):
    EMPLOYED = "employed", _("Worked for")
    ADVISED = "advised", _("Advised or consulted for")
    BOARD = "board", _("Board or council member")
    DISPUTE = "dispute", _("Had a dispute with")
    DRAFTED_CALL = "drafted_call", _("Helped draft the call")


class ConflictSource(models.TextChoices):
    DETECTED = "detected", _("Detected from declared relations")
    COMMUNITY = "community", _("Shared community")
    DECLARED = "declared", _("Declared by the reviewer")
    OFFICER = "officer", _("Recorded by an officer")


class ReviewRound(models.TextChoices):
    WRITTEN = "written", _("Written review")
    PITCH = "pitch", _("Live pitch (路演)")


class AssignmentState(models.TextChoices):
    ASSIGNED = "assigned", pgettext_lazy("assignment state", "Awaiting declaration")
    ACCEPTED = "accepted", pgettext_lazy("assignment state", "Reviewing")
    SUBMITTED = "submitted", pgettext_lazy("assignment state", "Scores submitted")
    CONFLICTED = "conflicted", pgettext_lazy("assignment state", "Conflict declared")
    DECLINED = "declined", pgettext_lazy("assignment state", "Declined")
    WITHDRAWN = "withdrawn", pgettext_lazy("assignment state", "Removed")


# Assignments that still count towards the panel of an application.
LIVE_ASSIGNMENT_STATES = (
    AssignmentState.ASSIGNED,
    AssignmentState.ACCEPTED,
    AssignmentState.SUBMITTED,
)


class SheetStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("score sheet", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("score sheet", "Submitted")


class AggregationMethod(models.TextChoices):
    MEAN = "mean", _("Mean")
    MEDIAN = "median", _("Median")
    TRIMMED_MEAN = "trimmed_mean", _("Trimmed mean (drop highest and lowest)")
    Z_SCORE = "z_score", _("Z-score normalised per reviewer")


class PeerScoreVisibility(models.TextChoices):
    NEVER = "never", _("Never")
    AFTER_OWN = "after_own", _("After submitting their own scores")


class ObjectionState(models.TextChoices):
    UNVERIFIED = "unverified", pgettext_lazy("objection state", "Contact not verified")
    OPEN = "open", pgettext_lazy("objection state", "Open")
    UPHELD = "upheld", pgettext_lazy("objection state", "Upheld")
    DISMISSED = "dismissed", pgettext_lazy("objection state", "Dismissed")


# --- Funding (issue #5) ---------------------------------------------------------------------------


class Currency(models.TextChoices):
    CNY = "CNY", _("Renminbi (CNY)")
    USD = "USD", _("US dollar (USD)")
    HKD = "HKD", _("Hong Kong dollar (HKD)")
    EUR = "EUR", _("Euro (EUR)")


class TrancheCondition(models.TextChoices):
    """What must hold before a tranche may be paid (the call's schedule names one per tranche)."""

    ON_SIGNING = "on_signing", _("On signing the agreement")
    MID_TERM_PASSED = "mid_term_passed", _("After the mid-term evaluation passes")
    FINAL_PASSED = "final_passed", _("After the final evaluation passes")


class TrancheStatus(models.TextChoices):
    """Where a tranche stands. ``releasable`` once its condition holds; ``paid`` when a disbursement
    was paid; ``blocked`` when a failed evaluation or termination stops it."""

    SCHEDULED = "scheduled", pgettext_lazy("tranche", "Waiting for its condition")
    RELEASABLE = "releasable", pgettext_lazy("tranche", "Releasable")
    PAID = "paid", pgettext_lazy("tranche", "Paid")
    BLOCKED = "blocked", pgettext_lazy("tranche", "Stopped")


class AgreementState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("agreement", "Draft")
    ISSUED = "issued", pgettext_lazy("agreement", "Awaiting acceptance")
    ACCEPTED = "accepted", pgettext_lazy("agreement", "Accepted")
    VOID = "void", pgettext_lazy("agreement", "Void")


class LedgerKind(models.TextChoices):
    """Every movement of money. ``sign`` below says how each kind moves a project's grant balance."""

    AWARD = "award", _("Grant awarded")
    TRANCHE_PAID = "tranche_paid", _("Tranche paid")
    DONATION = "donation", _("Donation received")
    MATCHING = "matching", _("Matching funds")
    DONATION_REFUND = "donation_refund", _("Donation refunded")
    EXPENSE = "expense", _("Expense reported")
    CLAWBACK_DUE = "clawback_due", _("Clawback due")
    CLAWBACK_REPAID = "clawback_repaid", _("Clawback repaid")
