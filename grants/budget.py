"""The budget of an application: totals, shares and the call's caps, as one pure function.

``summarise(lines, call)`` is shared by the application form (live totals swapped in by htmx), the
detail pages and the eligibility engine, so the applicant sees exactly the checks that will decide
the submission. It does no I/O: ``lines`` may be ``BudgetLine`` rows, unsaved ones, or dicts with
``category``, ``amount`` (grant) and ``matching_amount``.

Shares of personnel costs and of the management fee are measured against the GRANT (资助资金),
as the published programme rules put it ("人员经费不超过资助金额的30%"): matching funds may pay
staff without limit. The grant share is measured against the whole project budget.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from grants.enums import BudgetCategory, RuleSeverity

ZERO = Decimal("0")
HUNDRED = Decimal("100")


def yuan(amount: Decimal) -> str:
    """¥35,000 or ¥35,000.50: whole yuan without decimals, grouped by thousands (as on Chinese forms)."""
    amount = Decimal(amount or 0)
    if amount == amount.to_integral_value():
        return f"¥{amount:,.0f}"
    return f"¥{amount:,.2f}"


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (part * HUNDRED / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _decimal(value) -> Decimal:
    if value in (None, ""):
        return ZERO
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ZERO
    return number if number.is_finite() else ZERO


def _read(line, name: str):
    return line.get(name) if isinstance(line, dict) else getattr(line, name, None)


@dataclass(frozen=True)
class BudgetCheck:
    """One cap of the call checked against the budget; ``message`` is in the active language."""

    code: str
    passed: bool
    message: str
    severity: str = RuleSeverity.HARD


@dataclass(frozen=True)
class CategoryTotal:
    category: str
    label: str
    grant: Decimal
    matching: Decimal

    @property
    def total(self) -> Decimal:
        return self.grant + self.matching


@dataclass(frozen=True)
class BudgetSummary:
    grant_total: Decimal
    matching_total: Decimal
    personnel_grant: Decimal
    management_grant: Decimal
    categories: list[CategoryTotal] = field(default_factory=list)
    checks: list[BudgetCheck] = field(default_factory=list)

    @property
    def project_total(self) -> Decimal:
        return self.grant_total + self.matching_total

    @property
    def grant_share_percent(self) -> Decimal | None:
        return _percent(self.grant_total, self.project_total)

    @property
    def personnel_percent(self) -> Decimal | None:
        return _percent(self.personnel_grant, self.grant_total)

    @property
    def management_percent(self) -> Decimal | None:
        return _percent(self.management_grant, self.grant_total)

    @property
    def failed_checks(self) -> list[BudgetCheck]:
        return [check for check in self.checks if not check.passed]

    @property
    def ok(self) -> bool:
        return not self.failed_checks


def summarise(lines: Iterable, call) -> BudgetSummary:
    """Totals per category and overall, and every budget cap of ``call`` with a reason in words."""
    grant_by_category: dict[str, Decimal] = {}
    matching_by_category: dict[str, Decimal] = {}
    for line in lines:
        category = _read(line, "category") or BudgetCategory.OTHER
        if category not in BudgetCategory.values:
            category = BudgetCategory.OTHER
        grant_by_category[category] = grant_by_category.get(category, ZERO) + _decimal(
            _read(line, "amount")
        )
        matching_by_category[category] = matching_by_category.get(category, ZERO) + _decimal(
            _read(line, "matching_amount")
        )

    categories = [
        CategoryTotal(code, str(label), grant_by_category[code], matching_by_category[code])
        for code, label in BudgetCategory.choices
        if code in grant_by_category
    ]
    grant_total = sum(grant_by_category.values(), ZERO)
    matching_total = sum(matching_by_category.values(), ZERO)
    summary = BudgetSummary(
        grant_total=grant_total,
        matching_total=matching_total,
        personnel_grant=grant_by_category.get(BudgetCategory.PERSONNEL, ZERO),
        management_grant=grant_by_category.get(BudgetCategory.MANAGEMENT, ZERO),
        categories=categories,
    )
    return replace(summary, checks=_checks(summary, call))


def _checks(summary: BudgetSummary, call) -> list[BudgetCheck]:
    grant = summary.grant_total
    checks = []

    if grant > call.max_grant:
        message = _("The grant requested, %(amount)s, is over this call's maximum of %(cap)s.")
    else:
        message = _("The grant requested, %(amount)s, is within this call's maximum of %(cap)s.")
    checks.append(
        BudgetCheck(
            "max_grant",
            grant <= call.max_grant,
            message % {"amount": yuan(grant), "cap": yuan(call.max_grant)},
        )
    )

    if call.min_grant:
        passed = grant >= call.min_grant
        if passed:
            message = _(
                "The grant requested, %(amount)s, reaches this call's minimum of %(minimum)s."
            )
        else:
            message = _(
                "The grant requested, %(amount)s, is below this call's minimum of %(minimum)s."
            )
        checks.append(
            BudgetCheck(
                "min_grant",
                passed,
                message % {"amount": yuan(grant), "minimum": yuan(call.min_grant)},
            )
        )

    for code, part, cap, over, within in (
        (
            "personnel_cap",
            summary.personnel_grant,
            call.personnel_cap_percent,
            _(
                "Personnel costs paid by the grant are %(share)s%% of the grant (%(amount)s), over the cap of %(cap)s%%."
            ),
            _(
                "Personnel costs paid by the grant are %(share)s%% of the grant (%(amount)s), within the cap of %(cap)s%%."
            ),
        ),
        (
            "management_cap",
            summary.management_grant,
            call.management_cap_percent,
            _(
                "The management fee is %(share)s%% of the grant (%(amount)s), over the cap of %(cap)s%%."
            ),
            _(
                "The management fee is %(share)s%% of the grant (%(amount)s), within the cap of %(cap)s%%."
            ),
        ),
    ):
        share = _percent(part, grant) or ZERO
        passed = share <= cap
        checks.append(
            BudgetCheck(
                code,
                passed,
                (within if passed else over) % {"share": share, "amount": yuan(part), "cap": cap},
            )
        )

    if call.requires_matching:
        share = summary.grant_share_percent
        cap = call.max_grant_share_percent
        if share is None:
            checks.append(
                BudgetCheck(
                    "matching",
                    False,
                    _("This call requires matching funds: add the budget lines first."),
                )
            )
        else:
            passed = share <= cap
            if passed:
                message = _(
                    "The grant is %(share)s%% of the project budget of %(total)s; this call allows at most "
                    "%(cap)s%%, so matching funds cover the rest."
                )
            else:
                message = _(
                    "The grant is %(share)s%% of the project budget of %(total)s; this call allows at most "
                    "%(cap)s%%: add matching funds of at least %(needed)s."
                )
            checks.append(
                BudgetCheck(
                    "matching",
                    passed,
                    message
                    % {
                        "share": share,
                        "total": yuan(summary.project_total),
                        "cap": cap,
                        "needed": yuan(_matching_needed(grant, cap) - summary.matching_total),
                    },
                )
            )
    return checks


def _matching_needed(grant: Decimal, cap_percent: int) -> Decimal:
    """Matching funds for ``grant`` to be at most ``cap_percent`` of the project total."""
    if not cap_percent:
        return ZERO
    total = (grant * HUNDRED / Decimal(cap_percent)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    return max(total - grant, ZERO)
