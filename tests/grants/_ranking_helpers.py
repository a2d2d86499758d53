"""Helpers of the ranking tests: a call with a rubric, applications past the review, reviewers and
their submitted score sheets, one at a time or by the hundred (bulk, for query-count tests)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from accounts.enums import Role
from grants.enums import ApplicationState, AssignmentState, ReviewRound, SheetStatus
from grants.models import (
    Application,
    CriterionScore,
    ReviewAssignment,
    RubricCriterion,
    ScoreSheet,
)
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)

S = ApplicationState
RUBRIC = (("需求分析", 40), ("项目设计", 35), ("执行能力", 25))


def ranking_call(**kwargs):
    kwargs.setdefault("budget", Decimal("100000.00"))
    kwargs.setdefault("max_grant", min(Decimal("50000.00"), kwargs["budget"]))
    kwargs.setdefault("themes", ["elderly", "youth"])
    call = CallFactory(**kwargs)
    for position, (label, weight) in enumerate(RUBRIC):
        RubricCriterion.objects.create(call=call, position=position, label=label, weight=weight)
    return call


def make_reviewer(username: str, name: str = ""):
    user = UserFactory(username=username, display_name=name or username)
    MembershipFactory(user=user, organisation=None, role=Role.REVIEWER)
    return user


def reviewed(call, *, amount="20000", theme="elderly", state=S.REVIEWED, **kwargs) -> Application:
    application = ApplicationFactory(call=call, state=state, theme=theme, budget=False, **kwargs)
    Application.objects.filter(pk=application.pk).update(requested_amount=Decimal(amount))
    application.requested_amount = Decimal(amount)
    return application


def score(application, reviewer, total, *, round=ReviewRound.WRITTEN, criteria=True) -> ScoreSheet:
    """A submitted, current score sheet of ``reviewer`` with ``total``, split over the rubric."""
    now = timezone.now()
    assignment = ReviewAssignment.objects.create(
        application=application,
        reviewer=reviewer,
        round=round,
        state=AssignmentState.SUBMITTED,
        declared_at=now,
    )
    total = Decimal(str(total))
    sheet = ScoreSheet.objects.create(
        assignment=assignment,
        status=SheetStatus.SUBMITTED,
        total=total,
        submitted_at=now,
        comment=f"总分{total}",
    )
    if criteria:
        rubric = RubricCriterion.objects.filter(call_id=application.call_id).order_by("position")
        CriterionScore.objects.bulk_create(
            CriterionScore(
                sheet=sheet,
                criterion=criterion,
                score=(total * criterion.weight / 100).quantize(Decimal("0.1")),
            )
            for criterion in rubric
        )
    return sheet


def bulk_panel(call, count: int, reviewers: list, *, state=S.REVIEWED) -> list[Application]:
    """``count`` applications, each scored by every reviewer (totals vary), in a few queries."""
    organisation = OrganisationFactory()
    creator = UserFactory()
    now = timezone.now()
    applications = Application.objects.bulk_create(
        Application(
            call=call,
            organisation=organisation,
            created_by=creator,
            state=state,
            title=f"社区项目{number}",
            theme="elderly",
            requested_amount=Decimal("10000") + number,
            submitted_at=now,
        )
        for number in range(count)
    )
    assignments = ReviewAssignment.objects.bulk_create(
        ReviewAssignment(
            application=application,
            reviewer=reviewer,
            state=AssignmentState.SUBMITTED,
            declared_at=now,
        )
        for application in applications
        for reviewer in reviewers
    )
    sheets = ScoreSheet.objects.bulk_create(
        ScoreSheet(
            assignment=assignment,
            status=SheetStatus.SUBMITTED,
            total=Decimal(60 + (index * 7) % 40),
            submitted_at=now,
        )
        for index, assignment in enumerate(assignments)
    )
    rubric = list(RubricCriterion.objects.filter(call=call))
    CriterionScore.objects.bulk_create(
        CriterionScore(sheet=sheet, criterion=criterion, score=Decimal(criterion.weight // 2))
        for sheet in sheets
        for criterion in rubric
    )
    return applications
