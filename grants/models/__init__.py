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
from grants.models.notifications import Notification
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
]
