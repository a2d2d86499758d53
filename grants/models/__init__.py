from grants.models.applications import (
    Application,
    ApplicationComment,
    Attachment,
    BudgetLine,
    CallForm,
)
from grants.models.blacklist import BlacklistEntry, BlacklistKind
from grants.models.calls import Call, CallQuerySet, Programme, RubricCriterion
from grants.models.notifications import Notification

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
    "Notification",
    "Programme",
    "RubricCriterion",
]
