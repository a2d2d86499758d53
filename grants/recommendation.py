"""Funding recommendation down a ranking, within the call's budget and quotas: pure functions.

The rule (see also ``grants.scoring``): walk down the ranking and **skip and continue** — an
application that does not fit the remaining budget, or the remaining quota of its theme or its
district where the call sets one, is passed over and smaller ones below it may still be funded.
Applications already past the recommendation (public notice, approved …) and those the officer
forced in take their money first (even beyond the budget or a quota, which is then shown as
exceeded); those forced out are never recommended; those without a final score are not either.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0")


class Reason:
    """Why an application is, or is not, recommended (stable codes; labels in ``REASON_LABELS``)."""

    WITHIN_BUDGET = "within_budget"
    OVERRIDE_IN = "override_in"
    OVERRIDE_OUT = "override_out"
    COMMITTED = "committed"
    BUDGET = "budget"
    THEME_QUOTA = "theme_quota"
    DISTRICT_QUOTA = "district_quota"
    NO_SCORE = "no_score"


REASON_LABELS = {
    Reason.WITHIN_BUDGET: _("Recommended: next in the ranking and within the budget"),
    Reason.OVERRIDE_IN: _("Recommended by the officer's decision"),
    Reason.OVERRIDE_OUT: _("Not recommended by the officer's decision"),
    Reason.COMMITTED: _("Already in public notice or approved: its money is committed"),
    Reason.BUDGET: _("Not recommended: the remaining budget is too small"),
    Reason.THEME_QUOTA: _("Not recommended: the theme's quota is used up"),
    Reason.DISTRICT_QUOTA: _("Not recommended: the district's quota is used up"),
    Reason.NO_SCORE: _("Not recommended: no final score"),
}


@dataclass(frozen=True)
class Candidate:
    application_id: int
    amount: Decimal
    score: Decimal | None
    theme: str = ""
    district_id: int | None = None
    override: bool | None = None  # True: forced in; False: forced out; None: follow the ranking
    # Past the recommendation (public notice, approved …): it keeps its money, whatever its rank.
    committed: bool = False


@dataclass(frozen=True)
class Outcome:
    recommended: bool
    reason: str

    @property
    def label(self):
        return REASON_LABELS[self.reason]


@dataclass(frozen=True)
class Quota:
    key: str
    limit: Decimal
    used: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.limit - self.used

    @property
    def exceeded(self) -> bool:
        return self.used > self.limit


@dataclass
class Recommendation:
    budget: Decimal
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    used: Decimal = ZERO
    theme_quotas: dict[str, Quota] = field(default_factory=dict)
    district_quotas: dict[str, Quota] = field(default_factory=dict)

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.used

    @property
    def over_budget(self) -> bool:
        return self.used > self.budget

    @property
    def recommended_ids(self) -> list[int]:
        return [pk for pk, outcome in self.outcomes.items() if outcome.recommended]


def _quotas(raw: Mapping | None) -> dict[str, Decimal]:
    # JSON object keys are strings: district ids arrive as "12".
    return {str(key): Decimal(str(value)) for key, value in (raw or {}).items()}


def recommend(
    candidates: Sequence[Candidate],
    *,
    budget: Decimal,
    theme_quotas: Mapping | None = None,
    district_quotas: Mapping | None = None,
) -> Recommendation:
    """Recommend down the ranking (``candidates`` in rank order) within the budget and the quotas.

    Applications already past the recommendation (``committed``) and forced-in ones take their
    money first; forced-out ones are dropped. Then
    every other scored application, best first, is recommended if its amount fits the remaining
    budget and the remaining quota of its theme and of its district (where the call sets one);
    one that does not fit is skipped and the walk continues with the next.
    """
    themes, districts = _quotas(theme_quotas), _quotas(district_quotas)
    theme_used: dict[str, Decimal] = defaultdict(lambda: ZERO)
    district_used: dict[str, Decimal] = defaultdict(lambda: ZERO)
    result = Recommendation(budget=budget)

    def take(candidate: Candidate) -> None:
        result.used += candidate.amount
        theme_used[candidate.theme] += candidate.amount
        district_used[str(candidate.district_id)] += candidate.amount

    for candidate in candidates:
        if candidate.committed or candidate.override is True:
            take(candidate)
            reason = Reason.COMMITTED if candidate.committed else Reason.OVERRIDE_IN
            result.outcomes[candidate.application_id] = Outcome(True, reason)
    for candidate in candidates:
        pk = candidate.application_id
        if candidate.committed or candidate.override is True:
            continue
        if candidate.override is False:
            result.outcomes[pk] = Outcome(False, Reason.OVERRIDE_OUT)
        elif candidate.score is None:
            result.outcomes[pk] = Outcome(False, Reason.NO_SCORE)
        elif candidate.amount > result.remaining:
            result.outcomes[pk] = Outcome(False, Reason.BUDGET)
        elif (
            candidate.theme in themes
            and theme_used[candidate.theme] + candidate.amount > themes[candidate.theme]
        ):
            result.outcomes[pk] = Outcome(False, Reason.THEME_QUOTA)
        elif (
            str(candidate.district_id) in districts
            and district_used[str(candidate.district_id)] + candidate.amount
            > districts[str(candidate.district_id)]
        ):
            result.outcomes[pk] = Outcome(False, Reason.DISTRICT_QUOTA)
        else:
            take(candidate)
            result.outcomes[pk] = Outcome(True, Reason.WITHIN_BUDGET)
    # Keep the ranking's order (forced-in rows were decided first).
    result.outcomes = {c.application_id: result.outcomes[c.application_id] for c in candidates}
    result.theme_quotas = {key: Quota(key, limit, theme_used[key]) for key, limit in themes.items()}
    result.district_quotas = {
        key: Quota(key, limit, district_used[key]) for key, limit in districts.items()
    }
    return result
