"""Codes of mid-term and final evaluations (中期评估, 结项评估): kinds, states, methods and grades.

Codes are stable English words stored in the database; labels are translated. The grade bands are
the funders' usual ones: 优秀 ≥ 90, 良好 ≥ 75, 合格 ≥ the pass mark (60), 不合格 below it.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class EvaluationKind(models.TextChoices):
    MID_TERM = "mid_term", _("Mid-term evaluation")
    FINAL = "final", _("Final evaluation")


class EvaluationState(models.TextChoices):
    ASSIGNED = "assigned", pgettext_lazy("evaluation", "Assigned")
    IN_PROGRESS = "in_progress", pgettext_lazy("evaluation", "In progress")
    SUBMITTED = "submitted", pgettext_lazy("evaluation", "Submitted")
    CANCELLED = "cancelled", pgettext_lazy("evaluation", "Cancelled")


# The evaluator is still working on it: scores and activities may change.
OPEN_EVALUATION_STATES = (EvaluationState.ASSIGNED, EvaluationState.IN_PROGRESS)


class EvaluationMethod(models.TextChoices):
    DESK_REVIEW = "desk_review", _("Desk review of reports and records")
    PHONE_CHECK = "phone_check", _("Phone check with beneficiaries")
    SITE_VISIT = "site_visit", _("Site visit")
    INTERVIEW = "interview", _("Interview with staff or partners")


class Grade(models.TextChoices):
    EXCELLENT = "excellent", pgettext_lazy("evaluation grade", "Excellent")
    GOOD = "good", pgettext_lazy("evaluation grade", "Good")
    PASS = "pass", pgettext_lazy("evaluation grade", "Pass")
    FAIL = "fail", pgettext_lazy("evaluation grade", "Fail")


EXCELLENT_FROM = Decimal("90")
GOOD_FROM = Decimal("75")
DEFAULT_PASS_MARK = Decimal("60")
MAX_SCORE = Decimal("100")


def grade_for(score, pass_mark=DEFAULT_PASS_MARK) -> str:
    """The grade code of a total out of 100: excellent ≥ 90, good ≥ 75, pass ≥ the pass mark.

    A call may set another pass mark; the grade follows it, so "pass" always means passed.
    """
    score = Decimal(str(score))
    if score < Decimal(str(pass_mark)):
        return Grade.FAIL
    if score >= EXCELLENT_FROM:
        return Grade.EXCELLENT
    if score >= GOOD_FROM:
        return Grade.GOOD
    return Grade.PASS


# The default template of a call that has none: four dimensions, 100 points (label, weight,
# indicators). Stored in the site's language when a call's template is first created; officers
# edit the copy.
DEFAULT_DIMENSIONS = (
    (
        _("Implementation"),
        30,
        _(
            "Activities held as planned (number, dates, places); output indicators reached; "
            "records and sign-in sheets complete."
        ),
    ),
    (
        _("Inputs and management"),
        20,
        _(
            "Staff and social workers as promised; volunteers organised; partner community "
            "involved; project management and archives in order."
        ),
    ),
    (
        _("Financial management"),
        20,
        _(
            "Dedicated account; spending against the budget lines; receipts and vouchers "
            "complete; no money used for other purposes."
        ),
    ),
    (
        _("Outcomes"),
        30,
        _(
            "Outcome indicators reached; beneficiaries' and residents' satisfaction; lasting "
            "effect in the community."
        ),
    ),
)
DEFAULT_BONUS_MAX = Decimal("5")
DEFAULT_BONUS_GUIDANCE = _("E.g. media coverage, awards, innovation adopted by others: up to +5.")
DEFAULT_PENALTY_MAX = Decimal("5")
DEFAULT_PENALTY_GUIDANCE = _(
    "E.g. late or missing reports, activities changed without approval: up to −5."
)
