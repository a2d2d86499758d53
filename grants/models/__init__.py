from grants.models.applications import (
    Application,
    ApplicationComment,
    Attachment,
    BudgetLine,
    CallForm,
)
from grants.models.calls import Call, CallQuerySet, Programme, RubricCriterion

__all__ = [
    "Application",
    "ApplicationComment",
    "Attachment",
    "BudgetLine",
    "Call",
    "CallForm",
    "CallQuerySet",
    "Programme",
    "RubricCriterion",
]
