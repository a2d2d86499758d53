"""Demo of the 路演 (live pitch): one session of a call with five pitches, two already scored and
announced, the third on stage with some judges' scores in, two still to come.

``seed_pitch(*, call, judges, officer)`` is called by the review demo with a call that has a live
pitch and applications in expert review. Everything goes through the real services (session,
schedule, declarations, score sheets, tally); only the clock is set back (demo-only) so the first
two pitches happened earlier today and the third started three minutes ago. Idempotent: the session
is found by its title and a second run creates nothing.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from grants.enums import AssignmentState, ReviewRound
from grants.models import Call, PitchSession, PitchSlot, ReviewAssignment, RubricCriterion
from grants.selectors_pitch import order_for_schedule, schedulable_applications, slot_interval
from grants.services import pitch as svc

SESSION_TITLE = "公益创投项目路演评审会（第一场）"
PLACE = "区社会组织服务中心三楼多功能厅"
PITCHES = 5
# The judges' overall impression of each of the first three pitches (percent of each criterion).
BASE_PERCENT = (86, 74, 81)
JUDGE_OFFSET = (-3, 2, 4, -2, 1, 0, 3)
CRITERION_OFFSET = (2, -1, 0, 3, -2, 1)
COMMENTS = (
    "需求调研扎实，服务对象清晰。",
    "活动设计可操作，建议细化季度目标。",
    "团队有社工持证人员，执行有保障。",
    "预算基本合理，宣传费用可适当压缩。",
    "与社区的联动方式有新意。",
    "项目结束后的持续运营需进一步说明。",
)


def _scores(criteria: list[RubricCriterion], percent: int) -> dict[int, Decimal]:
    scores = {}
    for index, criterion in enumerate(criteria):
        share = min(max(percent + CRITERION_OFFSET[index % len(CRITERION_OFFSET)], 65), 98)
        span = criterion.top_score - criterion.min_score
        value = Decimal(criterion.min_score) + Decimal(span) * share / 100
        scores[criterion.pk] = (value * 2).quantize(Decimal("1")) / 2  # to half points
    return scores


def _judge(slot: PitchSlot, judge, *, percent: int, criteria, submit: bool = True) -> None:
    assignment = ReviewAssignment.objects.filter(
        application_id=slot.application_id, reviewer=judge, round=ReviewRound.PITCH
    ).first()
    if assignment is None or assignment.state != AssignmentState.ASSIGNED:
        return  # conflicted (never assigned) or already done
    assignment = svc.declare(assignment=assignment, actor=judge, conflict=False)
    if not submit:
        return
    scores = _scores(criteria, percent)
    svc.save_pitch_scores(
        assignment=assignment,
        actor=judge,
        scores=scores,
        comments={pk: COMMENTS[i % len(COMMENTS)] for i, pk in enumerate(scores)},
        comment="路演陈述清楚，答辩回应了评委关切。",
        submit=True,
    )


def seed_pitch(*, call: Call, judges, officer) -> PitchSession | None:
    """A 路演 session of ``call`` judged by ``judges`` (reviewers) and run by ``officer``.

    Returns the session (the existing one on a second run), or ``None`` when the call has no
    application in expert review to schedule.
    """
    if not call.has_defense:
        raise ValueError(f"The call {call.slug!r} has no live pitch (has_defense is off).")
    existing = PitchSession.objects.filter(call=call, title=SESSION_TITLE).first()
    if existing is not None:
        return existing
    candidates = schedulable_applications(call=call).filter(pitch_slot__isnull=True)
    applications = order_for_schedule(candidates, by="rank")[:PITCHES]
    if not applications:
        return None
    judges = list(judges)
    criteria = list(RubricCriterion.objects.filter(call=call).order_by("position", "pk"))
    now = timezone.localtime().replace(second=0, microsecond=0)
    with transaction.atomic():
        session = svc.create_session(
            call=call,
            actor=officer,
            title=SESSION_TITLE,
            place=PLACE,
            starts_at=now,  # moved below, once the length of a pitch is known
            judges=judges,
        )
        step = slot_interval(session)
        # DEMO-ONLY: the session began two pitches and three minutes ago.
        session.starts_at = now - 2 * step - timedelta(minutes=3)
        session.save(update_fields=["starts_at"])
        slots = svc.schedule_pitches(session=session, applications=applications, actor=officer)
        for index, slot in enumerate(slots[:3]):
            svc.start_slot(slot=slot, actor=officer)
            started = slot.starts_at if index < 2 else now - timedelta(minutes=3)
            PitchSlot.objects.filter(pk=slot.pk).update(started_at=started)
            slot.started_at = started
            base = BASE_PERCENT[index]
            panel = [
                judge
                for judge in judges
                if ReviewAssignment.objects.filter(
                    application_id=slot.application_id, reviewer=judge, round=ReviewRound.PITCH
                ).exists()
            ]
            # The pitch on stage: all but one or two judges have submitted, one is scoring, the
            # rest still have to sign their declaration.
            submitting = len(panel) if index < 2 else min(2, len(panel) - 1)
            for number, judge in enumerate(panel[: submitting + (index == 2)]):
                _judge(
                    slot,
                    judge,
                    percent=base + JUDGE_OFFSET[number % len(JUDGE_OFFSET)],
                    criteria=criteria,
                    submit=number < submitting,
                )
            if index < 2:
                # DEMO-ONLY: announced at the end of its questions, not at seeding time.
                PitchSlot.objects.filter(pk=slot.pk, tallied_at__isnull=False).update(
                    tallied_at=started
                    + timedelta(minutes=session.pitch_minutes + session.qa_minutes)
                )
    return session
