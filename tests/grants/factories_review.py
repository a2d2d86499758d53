"""Set-up for the expert review tests: reviewers with profiles, a call with a rubric, applications
in review, assignments in any state and score sheets (set-up only: the services move things on)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.enums import Role
from grants.enums import ApplicationState, AssignmentState, ReviewRound, SheetStatus
from grants.models import (
    CriterionScore,
    ReviewAssignment,
    ReviewerProfile,
    ReviewerRelation,
    RubricCriterion,
    ScoreSheet,
)
from tests.factories import ApplicationFactory, CallFactory, MembershipFactory, UserFactory

# The classic weighted rubric (need 20, design 25, capacity 20, budget 15, innovation 10,
# sustainability 10 = 100), each scored out of its weight.
RUBRIC = (
    ("需求分析", 20),
    ("项目设计", 25),
    ("执行能力", 20),
    ("预算合理性", 15),
    ("创新性", 10),
    ("可持续性", 10),
)


def make_reviewer(username: str | None = None, *, expertise=(), display_name=None, **profile):
    """A user with the reviewer role and an active profile."""
    kwargs = {"username": username} if username else {}
    if display_name:
        kwargs["display_name"] = display_name
    user = UserFactory(**kwargs)
    MembershipFactory(user=user, organisation=None, role=Role.REVIEWER)
    ReviewerProfile.objects.update_or_create(
        user=user, defaults={"expertise": list(expertise), **profile}
    )
    return user


def make_reviewers(count: int, *, expertise=()) -> list:
    return [make_reviewer(expertise=expertise) for _ in range(count)]


def add_rubric(call, rubric=RUBRIC, **extra) -> list[RubricCriterion]:
    return [
        RubricCriterion.objects.create(
            call=call, position=position, label=label, weight=weight, **extra
        )
        for position, (label, weight) in enumerate(rubric)
    ]


def review_call(**kwargs):
    """A closed call with a review deadline in a week and the classic rubric."""
    now = timezone.now()
    kwargs.setdefault("opens_at", now - timedelta(days=40))
    kwargs.setdefault("closes_at", now - timedelta(days=10))
    kwargs.setdefault("review_deadline", now + timedelta(days=7))
    kwargs.setdefault("themes", ["elderly", "youth"])
    call = CallFactory(**kwargs)
    add_rubric(call)
    return call


def in_review(call, **kwargs):
    kwargs.setdefault("state", ApplicationState.IN_REVIEW)
    kwargs.setdefault("submitted_at", timezone.now() - timedelta(days=12))
    kwargs.setdefault("theme", "elderly")
    return ApplicationFactory(call=call, **kwargs)


def assign(application, reviewer, state=AssignmentState.ASSIGNED, **kwargs) -> ReviewAssignment:
    if state in (AssignmentState.ACCEPTED, AssignmentState.SUBMITTED):
        kwargs.setdefault("declared_at", timezone.now())
    kwargs.setdefault("due_at", application.call.review_deadline)
    return ReviewAssignment.objects.create(
        application=application, reviewer=reviewer, state=state, round=ReviewRound.WRITTEN, **kwargs
    )


def sheet(
    assignment, scores: dict | None = None, *, submitted: bool = False, comment: str = "", **kwargs
) -> ScoreSheet:
    """A sheet with ``scores`` ({criterion: score}; default: everyone at 80 % of the weight)."""
    criteria = list(RubricCriterion.objects.filter(call_id=assignment.application.call_id))
    if scores is None:
        scores = {criterion: Decimal(criterion.weight) * Decimal("0.8") for criterion in criteria}
    if submitted:
        kwargs.setdefault("status", SheetStatus.SUBMITTED)
        kwargs.setdefault("submitted_at", timezone.now())
        kwargs.setdefault("total", Decimal("80.00"))
    row = ScoreSheet.objects.create(assignment=assignment, comment=comment, **kwargs)
    CriterionScore.objects.bulk_create(
        CriterionScore(sheet=row, criterion=criterion, score=Decimal(score))
        for criterion, score in scores.items()
    )
    return row


class RelationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewerRelation

    kind = "employed"
    started_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=2000))
    ended_on = None


def attach(application, content: bytes = b"%PDF-1.4 plan", *, kind="plan", name="项目计划书.pdf"):
    """An attachment stored in the private storage (set-up only)."""
    from django.core.files.base import ContentFile

    from grants.models import Attachment

    attachment = Attachment(
        application=application,
        kind=kind,
        original_name=name,
        content_type="application/pdf",
        size=len(content),
        sha256="0" * 64,
        uploaded_by=application.created_by,
    )
    attachment.file.save(f"test-{application.pk}-{kind}.pdf", ContentFile(content), save=False)
    attachment.save()
    return attachment
