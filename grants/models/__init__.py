from grants.models.applications import (
    Application,
    ApplicationComment,
    Attachment,
    BudgetLine,
    CallForm,
)
from grants.models.blacklist import BlacklistEntry, BlacklistKind
from grants.models.calls import Call, CallQuerySet, Programme, RubricCriterion
from grants.models.decisions import Objection, PublicNotice
from grants.models.disbursements import *  # noqa: F403
from grants.models.disbursements import __all__ as _disbursements_all
from grants.models.donations import *  # noqa: F403
from grants.models.donations import __all__ as _donations_all
from grants.models.evaluations import *  # noqa: F403
from grants.models.evaluations import __all__ as _evaluations_all
from grants.models.expenses import *  # noqa: F403
from grants.models.expenses import __all__ as _expenses_all
from grants.models.feedback import *  # noqa: F403
from grants.models.feedback import __all__ as _feedback_all
from grants.models.funding import *  # noqa: F403
from grants.models.funding import __all__ as _funding_all
from grants.models.notifications import Notification
from grants.models.reports import *  # noqa: F403
from grants.models.reports import __all__ as _reports_all
from grants.models.review import (
    ConductRating,
    ConflictRecord,
    CriterionScore,
    PitchSession,
    PitchSlot,
    ReviewAssignment,
    ReviewerProfile,
    ReviewerRelation,
    ReviewSummary,
    ScoreSheet,
)

__all__ = [
    "Application",
    "ApplicationComment",
    "Attachment",
    "BlacklistEntry",
    "BlacklistKind",
    "BudgetLine",
    "Call",
    "CallForm",
    "CallQuerySet",
    "ConductRating",
    "ConflictRecord",
    "CriterionScore",
    "Objection",
    "PitchSession",
    "PitchSlot",
    "PublicNotice",
    "ReviewAssignment",
    "ReviewSummary",
    "ReviewerProfile",
    "ReviewerRelation",
    "ScoreSheet",
    "Notification",
    "Programme",
    "RubricCriterion",
    *_funding_all,
    *_disbursements_all,
    *_donations_all,
    *_expenses_all,
    *_reports_all,
    *_evaluations_all,
    *_feedback_all,
]
