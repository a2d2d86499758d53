"""Helpers of the officer-side tests: applications already submitted, one at a time or by the hundred."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.enums import Role
from grants.enums import ApplicationState
from grants.models import Application, BudgetLine
from tests.factories import ApplicationFactory, MembershipFactory, UserFactory

HARD_FAILURE = {
    "code": "max_grant",
    "passed": False,
    "severity": "hard",
    "reason": "申请资助 ¥35,000 超过本期上限 ¥30,000",
}
SOFT_FLAG = {
    "code": "rating_expired",
    "passed": False,
    "severity": "soft",
    "reason": "机构等级评估已过期",
}
PASSED = {"code": "deadline", "passed": True, "severity": "hard", "reason": "在截止时间前提交"}


def submitted(call, **kwargs) -> Application:
    """A complete application in ``submitted`` (set-up only; the services move it afterwards)."""
    kwargs.setdefault("state", ApplicationState.SUBMITTED)
    kwargs.setdefault("submitted_at", timezone.now() - timedelta(hours=1))
    kwargs.setdefault("eligibility", [PASSED])
    return ApplicationFactory(call=call, **kwargs)


def bulk_submitted(
    call, organisation, count: int, *, title: str = "社区微项目"
) -> list[Application]:
    """``count`` submitted applications in a few queries, each with two budget lines."""
    creator = UserFactory()
    now = timezone.now()
    rows = Application.objects.bulk_create(
        Application(
            call=call,
            organisation=organisation,
            created_by=creator,
            state=ApplicationState.SUBMITTED,
            title=f"{title}{number}",
            summary="为社区居民提供服务",
            requested_amount=Decimal("10000") + number,
            submitted_at=now - timedelta(minutes=number),
            eligibility=[PASSED, SOFT_FLAG],
            eligibility_soft_flags=1,
            extra_answers={"volunteers": f"{number}名志愿者"},
        )
        for number in range(count)
    )
    BudgetLine.objects.bulk_create(
        BudgetLine(
            application=application,
            position=position,
            category=category,
            description="物资",
            amount=amount,
        )
        for application in rows
        for position, (category, amount) in enumerate(
            (("activity", Decimal("8000")), ("personnel", Decimal("2000")))
        )
    )
    return rows


def make_officer(username: str = "olivia"):
    user = UserFactory(username=username)
    MembershipFactory(user=user, organisation=None, role=Role.OFFICER)
    return user
