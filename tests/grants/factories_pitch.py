"""Set-up for the 路演 (live pitch) tests: a call with a live pitch and a rubric, judges,
applications in expert review, and a session with its schedule."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.enums import Role
from grants.enums import ApplicationState
from grants.models import Application, PitchSession, RubricCriterion
from grants.services import pitch as svc
from tests.factories import ApplicationFactory, CallFactory, MembershipFactory, UserFactory

S = ApplicationState
# (label, weight, lowest, highest): one criterion scored 0–10, the others out of their weight.
RUBRIC = (("需求分析", 40, 0, None), ("项目设计", 35, 0, None), ("执行能力", 25, 0, 10))


def pitch_call(**kwargs):
    kwargs.setdefault("has_defense", True)
    kwargs.setdefault("aggregation_method", "mean")
    call = CallFactory(**kwargs)
    for position, (label, weight, low, high) in enumerate(RUBRIC):
        RubricCriterion.objects.create(
            call=call,
            position=position,
            label=label,
            weight=weight,
            min_score=low,
            max_score=high,
            guidance=f"{label}：请根据路演陈述和答辩评分。",
        )
    return call


def make_judge(username: str, name: str = ""):
    user = UserFactory(username=username, display_name=name or username)
    MembershipFactory(user=user, organisation=None, role=Role.REVIEWER)
    return user


def make_officer(username: str = "pitch_officer"):
    user = UserFactory(username=username, display_name="路演官员")
    MembershipFactory(user=user, organisation=None, role=Role.OFFICER)
    return user


def in_review(call, **kwargs) -> Application:
    kwargs.setdefault("state", S.IN_REVIEW)
    kwargs.setdefault("submitted_at", timezone.now() - timedelta(days=10))
    return ApplicationFactory(call=call, budget=False, **kwargs)


def bulk_in_review(call, count: int) -> list[Application]:
    """``count`` applications in review, in a few queries (query-count tests)."""
    from tests.factories import OrganisationFactory

    organisation = OrganisationFactory()
    creator = UserFactory()
    return Application.objects.bulk_create(
        Application(
            call=call,
            organisation=organisation,
            created_by=creator,
            state=S.IN_REVIEW,
            title=f"路演项目{number}",
            requested_amount=Decimal("10000"),
        )
        for number in range(count)
    )


def make_session(call, judges, *, officer, starts_at=None, **kwargs) -> PitchSession:
    return svc.create_session(
        call=call,
        actor=officer,
        title=kwargs.pop("title", "2026年公益创投项目路演"),
        place=kwargs.pop("place", "区社会组织服务中心报告厅"),
        starts_at=starts_at or timezone.now().replace(second=0, microsecond=0) + timedelta(hours=1),
        judges=judges,
        **kwargs,
    )


def criterion_scores(call, percent: int) -> dict[int, Decimal]:
    """A score of ``percent`` % of each criterion's range: a total of ``percent`` (exact for
    multiples of 10 with this rubric)."""
    scores = {}
    for criterion in RubricCriterion.objects.filter(call=call):
        span = criterion.top_score - criterion.min_score
        value = Decimal(criterion.min_score) + Decimal(span) * percent / 100
        scores[criterion.pk] = value.quantize(Decimal("0.1"))
    return scores


def judge_scores(slot, judge, percent: int, *, submit: bool = True):
    """``judge`` declares no conflict and submits ``percent`` on every criterion of ``slot``."""
    assignment = slot.application.assignments.get(reviewer=judge, round="pitch")
    svc.declare(assignment=assignment, actor=judge, conflict=False)
    scores = criterion_scores(slot.session.call, percent)
    return svc.save_pitch_scores(
        assignment=assignment,
        actor=judge,
        scores=scores,
        comments=dict.fromkeys(scores, "陈述清楚，答辩到位。"),
        submit=submit,
    )
