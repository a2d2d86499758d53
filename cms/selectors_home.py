"""What the home page shows besides news and open calls: the latest 公示 and the figures.

Constant cost whatever the data: two queries for the notices and five for the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum

from cms.public_urls import PUBLIC_PROJECT_STATES
from grants.enums import LedgerKind
from grants.models import Application, Call, LedgerEntry, PublicNotice
from grants.selectors_reports import beneficiaries_reached, volunteer_hours


def latest_notices(*, limit: int = 3) -> list[PublicNotice]:
    """The newest 公示 (open ones are the newest: a call's notice follows its decisions)."""
    return list(
        PublicNotice.objects.select_related("call__programme").order_by("-published_at", "-pk")[
            :limit
        ]
    )


@dataclass(frozen=True)
class HomeFigures:
    programmes: int
    calls: int
    projects: int
    awarded: Decimal  # yuan
    beneficiaries: int  # people reached, from accepted progress reports
    volunteer_hours: Decimal

    @property
    def any(self) -> bool:
        return bool(self.calls or self.projects)


def home_figures() -> HomeFigures:
    calls = Call.objects.aggregate(calls=Count("pk"), programmes=Count("programme", distinct=True))
    project_ids = list(
        Application.objects.filter(state__in=PUBLIC_PROJECT_STATES).values_list("pk", flat=True)
    )
    awarded = LedgerEntry.objects.filter(
        kind=LedgerKind.AWARD, application__state__in=PUBLIC_PROJECT_STATES
    ).aggregate(total=Sum("amount"))["total"]
    return HomeFigures(
        programmes=calls["programmes"],
        calls=calls["calls"],
        projects=len(project_ids),
        awarded=awarded or Decimal("0"),
        beneficiaries=sum(beneficiaries_reached(project_ids).values()),
        volunteer_hours=sum(volunteer_hours(project_ids).values(), Decimal("0")),
    )
