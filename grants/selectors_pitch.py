"""Reads of the 路演 (live pitch): sessions, their schedule, the judging screen and the room display.

Every function here runs a fixed number of queries whatever the number of slots, judges and
applications (the board and the judging screen are polled every few seconds by every phone in the
room). Nothing here shows a score before its slot is tallied, and a judge's conflicts are read in
the same step as the slots, so the templates cannot show a conflicted judge the application.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.enums import Role
from accounts.models import User
from grants.enums import (
    LIVE_ASSIGNMENT_STATES,
    ApplicationState,
    AssignmentState,
    ReviewRound,
    SheetStatus,
)
from grants.models import (
    Application,
    Call,
    ConflictRecord,
    PitchSession,
    PitchSlot,
    ReviewAssignment,
    RubricCriterion,
    ScoreSheet,
)

S = ApplicationState
A = AssignmentState
# Applications that can go on (or are already on) the live pitch.
SCHEDULABLE_STATES = (S.IN_REVIEW, S.DEFENSE)
# Time between two pitches for the teams to change over, on top of pitch and questions.
CHANGEOVER = timedelta(minutes=2)


def slot_interval(session: PitchSession) -> timedelta:
    return timedelta(minutes=session.pitch_minutes + session.qa_minutes) + CHANGEOVER


# --- Conflicts ----------------------------------------------------------------------------------


def conflicted_application_ids(*, user, application_ids: Iterable[int]) -> set[int]:
    """The applications ``user`` must not see: in the conflict register, or declared conflicted in
    any round (one query)."""
    ids = list(application_ids)
    if not ids or user is None or not user.is_authenticated:
        return set()
    # ``order_by()``: the models' default ordering is not allowed inside a UNION.
    register = (
        ConflictRecord.objects.filter(reviewer=user, application_id__in=ids)
        .order_by()
        .values_list("application_id", flat=True)
    )
    declared = (
        ReviewAssignment.objects.filter(reviewer=user, application_id__in=ids, state=A.CONFLICTED)
        .order_by()
        .values_list("application_id", flat=True)
    )
    return set(register.union(declared))


def conflict_pairs(*, application_ids: Iterable[int]) -> set[tuple[int, int]]:
    """{(reviewer id, application id)} of every conflict on these applications (one query)."""
    ids = list(application_ids)
    if not ids:
        return set()
    register = (
        ConflictRecord.objects.filter(application_id__in=ids)
        .order_by()
        .values_list("reviewer_id", "application_id")
    )
    declared = (
        ReviewAssignment.objects.filter(application_id__in=ids, state=A.CONFLICTED)
        .order_by()
        .values_list("reviewer_id", "application_id")
    )
    return set(register.union(declared))


# --- Sessions and slots -------------------------------------------------------------------------


def reviewers() -> QuerySet[User]:
    """Everyone who may judge: active users with an active reviewer membership."""
    return (
        User.objects.filter(
            is_active=True, memberships__is_active=True, memberships__role=Role.REVIEWER
        )
        .distinct()
        .order_by("display_name", "username")
    )


def sessions_of_call(*, call: Call) -> QuerySet[PitchSession]:
    return (
        PitchSession.objects.filter(call=call)
        .annotate(
            slot_count=Count("slots", distinct=True),
            tallied_count=Count("slots", filter=Q(slots__tallied_at__isnull=False), distinct=True),
            judge_count=Count("judges", distinct=True),
        )
        .order_by("starts_at", "pk")
    )


def session_queryset() -> QuerySet[PitchSession]:
    """Sessions with what every pitch page needs (the call, and the judges for the permission)."""
    return PitchSession.objects.select_related("call__programme").prefetch_related(
        Prefetch("judges", queryset=User.objects.order_by("display_name", "username"))
    )


def slots_of_session(*, session: PitchSession) -> list[PitchSlot]:
    """The schedule, with the number of judges still on each pitch and how many have submitted."""
    live = Q(
        application__assignments__round=ReviewRound.PITCH,
        application__assignments__state__in=LIVE_ASSIGNMENT_STATES,
    )
    submitted = Q(
        application__assignments__round=ReviewRound.PITCH,
        application__assignments__state=A.SUBMITTED,
    )
    return list(
        PitchSlot.objects.filter(session=session)
        .select_related("application__organisation")
        .annotate(
            judges_live=Count("application__assignments", filter=live),
            judges_submitted=Count("application__assignments", filter=submitted),
        )
        .order_by("position")
    )


def live_slot(slots: Iterable[PitchSlot]) -> PitchSlot | None:
    """The pitch on stage: the one started last (the officer presses Start for each)."""
    started = [slot for slot in slots if slot.started_at is not None]
    return max(started, key=lambda slot: (slot.started_at, slot.position), default=None)


# --- The timer ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PitchTimer:
    """Where a pitch stands on the clock. ``pitch.js`` counts down from the same data."""

    phase: str  # "waiting", "pitch", "qa" or "over"
    remaining: int  # whole seconds left in the phase (0 when waiting or over)
    started_at: datetime | None
    now: datetime
    pitch_seconds: int
    qa_seconds: int

    @property
    def clock(self) -> str:
        minutes, seconds = divmod(max(self.remaining, 0), 60)
        return f"{minutes:02d}:{seconds:02d}"

    @property
    def label(self) -> str:
        # The same messages as pitch.js counts with (``{clock}`` is filled in there too).
        if self.phase == "pitch":
            return str(_("Pitch {clock}")).replace("{clock}", self.clock)
        if self.phase == "qa":
            return str(_("Q&A {clock}")).replace("{clock}", self.clock)
        if self.phase == "over":
            return str(_("Time up"))
        return str(_("Not started"))


def pitch_timer(*, slot: PitchSlot, session: PitchSession, now: datetime | None = None):
    now = now or timezone.now()
    pitch_seconds, qa_seconds = session.pitch_minutes * 60, session.qa_minutes * 60
    if slot.started_at is None:
        return PitchTimer("waiting", 0, None, now, pitch_seconds, qa_seconds)
    # Round up, as a countdown does: "00:01" until the very last second has gone.
    elapsed = (now - slot.started_at).total_seconds()
    if elapsed < pitch_seconds:
        phase, remaining = "pitch", pitch_seconds - elapsed
    elif elapsed < pitch_seconds + qa_seconds:
        phase, remaining = "qa", pitch_seconds + qa_seconds - elapsed
    else:
        phase, remaining = "over", 0
    whole = int(remaining) + (1 if remaining % 1 else 0)
    return PitchTimer(phase, whole, slot.started_at, now, pitch_seconds, qa_seconds)


# --- Rows as a viewer sees them -----------------------------------------------------------------


@dataclass
class SlotRow:
    slot: PitchSlot
    visible: bool  # the viewer may see the application (and its score)
    is_live: bool
    assignment: ReviewAssignment | None = None  # the viewing judge's own, if any

    @property
    def status(self) -> str:
        slot = self.slot
        if slot.tallied_at:
            return "tallied"
        if slot.started_at is None:
            return "scheduled"
        return "live" if self.is_live else "scoring"

    @property
    def status_label(self) -> str:
        return str(
            {
                "tallied": _("Score announced"),
                "scheduled": _("Scheduled"),
                "live": _("On stage"),
                "scoring": _("Judges scoring"),
            }[self.status]
        )

    @property
    def tally(self):
        """The announced score, only once tallied and only to those who may see the application."""
        return self.slot.tally if self.visible and self.slot.tallied_at else None

    @property
    def to_score(self) -> bool:
        """The viewing judge still has something to do on this pitch."""
        return self.assignment is not None and self.assignment.state in (A.ASSIGNED, A.ACCEPTED)


@dataclass
class BoardView:
    session: PitchSession
    rows: list[SlotRow]
    live: SlotRow | None
    timer: PitchTimer | None
    now: datetime

    @property
    def tallied(self) -> list[SlotRow]:
        return [row for row in self.rows if row.slot.tallied_at]


def _rows(slots, *, live, hidden: set[int], assignments: dict[int, ReviewAssignment]):
    return [
        SlotRow(
            slot=slot,
            visible=slot.application_id not in hidden,
            is_live=live is not None and slot.pk == live.pk,
            assignment=assignments.get(slot.application_id),
        )
        for slot in slots
    ]


def board(*, session: PitchSession, viewer, now: datetime | None = None) -> BoardView:
    """The room display: the schedule, the pitch on stage with its timer, announced scores.

    Officers see every application; a judge does not see those they are conflicted on.
    """
    now = now or timezone.now()
    slots = slots_of_session(session=session)
    live = live_slot(slots)
    hidden = (
        set()
        if viewer.has_perm("grants.manage_pitch")
        else conflicted_application_ids(
            user=viewer, application_ids=[s.application_id for s in slots]
        )
    )
    rows = _rows(slots, live=live, hidden=hidden, assignments={})
    live_row = next((row for row in rows if row.is_live), None)
    timer = pitch_timer(slot=live, session=session, now=now) if live else None
    return BoardView(session=session, rows=rows, live=live_row, timer=timer, now=now)


@dataclass
class JudgeScreen(BoardView):
    shown: SlotRow | None = None  # the pitch the screen is about (live by default)
    shown_timer: PitchTimer | None = None
    criteria: list[RubricCriterion] = field(default_factory=list)
    sheet: ScoreSheet | None = None  # the judge's own sheet for the shown pitch
    scores: dict[int, object] = field(default_factory=dict)  # criterion id → CriterionScore

    @property
    def pending(self) -> list[SlotRow]:
        """Pitches already held that this judge has still to score (not the one shown)."""
        return [
            row
            for row in self.rows
            if row.to_score and row.slot.started_at and row is not self.shown and row.visible
        ]


def judge_screen(
    *, session: PitchSession, judge, slot_id: int | None = None, now: datetime | None = None
) -> JudgeScreen:
    """The judging screen of ``judge``: the pitch on stage (or ``slot_id``), their own assignment
    and sheet for it, the rubric, and what they still have to score. Constant query count."""
    now = now or timezone.now()
    slots = slots_of_session(session=session)
    live = live_slot(slots)
    application_ids = [slot.application_id for slot in slots]
    hidden = conflicted_application_ids(user=judge, application_ids=application_ids)
    assignments = {
        assignment.application_id: assignment
        for assignment in ReviewAssignment.objects.filter(
            reviewer=judge, round=ReviewRound.PITCH, application_id__in=application_ids
        )
    }
    rows = _rows(slots, live=live, hidden=hidden, assignments=assignments)
    live_row = next((row for row in rows if row.is_live), None)
    if slot_id is None:
        shown = live_row
    else:
        shown = next((row for row in rows if row.slot.pk == slot_id), None)
    screen = JudgeScreen(
        session=session,
        rows=rows,
        live=live_row,
        timer=pitch_timer(slot=live, session=session, now=now) if live else None,
        now=now,
        shown=shown,
    )
    if shown is None:
        return screen
    screen.shown_timer = pitch_timer(slot=shown.slot, session=session, now=now)
    assignment = shown.assignment
    if shown.visible and assignment is not None and assignment.state in LIVE_ASSIGNMENT_STATES:
        screen.criteria = list(
            RubricCriterion.objects.filter(call_id=session.call_id).order_by("position", "pk")
        )
        screen.sheet = (
            ScoreSheet.objects.filter(assignment=assignment, is_current=True)
            .prefetch_related("scores")
            .first()
        )
        if screen.sheet is not None:
            screen.scores = {score.criterion_id: score for score in screen.sheet.scores.all()}
    return screen


# --- The officer's pages ------------------------------------------------------------------------


def schedulable_applications(*, call: Call) -> QuerySet[Application]:
    """Applications of ``call`` that can go on the live pitch, with their slot if they have one."""
    return (
        Application.objects.filter(call=call, state__in=SCHEDULABLE_STATES)
        .select_related("organisation", "review_summary", "pitch_slot__session")
        .order_by("pk")
    )


def order_for_schedule(applications: Iterable[Application], *, by: str) -> list[Application]:
    """Reference order (the order they were received) or rank order (written review rank first,
    unranked ones after, by reference)."""
    rows = sorted(applications, key=lambda application: application.pk)
    if by != "rank":
        return rows

    def rank(application):
        summary = getattr(application, "review_summary", None)
        value = summary.rank if summary is not None else None
        return (value is None, value or 0, application.pk)

    return sorted(rows, key=rank)


@dataclass
class JudgeCell:
    judge: User
    assignment: ReviewAssignment | None
    conflicted: bool
    sheet_total: object = None  # shown to the officer once the pitch is tallied


@dataclass
class OfficerRow:
    slot: PitchSlot
    cells: list[JudgeCell]
    is_live: bool

    @property
    def status(self) -> str:
        return SlotRow(slot=self.slot, visible=True, is_live=self.is_live).status

    @property
    def status_label(self) -> str:
        return SlotRow(slot=self.slot, visible=True, is_live=self.is_live).status_label


@dataclass
class SessionOverview:
    session: PitchSession
    rows: list[OfficerRow]
    live: PitchSlot | None
    next_slot: PitchSlot | None
    candidates: list[Application]
    # (judge, the applications they are conflicted on and so never assigned), in the judges' order
    conflicts: list[tuple[User, list[Application]]]
    closable: list[int]  # tallied applications still in the live pitch state


def session_overview(*, session: PitchSession) -> SessionOverview:
    """Everything on the officer's session page, in a fixed number of queries."""
    slots = slots_of_session(session=session)
    judges = list(session.judges.all())
    candidates = list(schedulable_applications(call=session.call))
    application_ids = {slot.application_id for slot in slots} | {a.pk for a in candidates}
    pairs = conflict_pairs(application_ids=application_ids)
    assignments = {
        (assignment.reviewer_id, assignment.application_id): assignment
        for assignment in ReviewAssignment.objects.filter(
            round=ReviewRound.PITCH, application__pitch_slot__session=session
        )
    }
    # Individual totals only for pitches already announced: before that nobody sees a partial score.
    totals = {
        (reviewer_id, application_id): total
        for reviewer_id, application_id, total in ScoreSheet.objects.filter(
            assignment__round=ReviewRound.PITCH,
            assignment__application__pitch_slot__session=session,
            assignment__application__pitch_slot__tallied_at__isnull=False,
            status=SheetStatus.SUBMITTED,
            is_current=True,
        ).values_list("assignment__reviewer_id", "assignment__application_id", "total")
    }
    live = live_slot(slots)
    rows = [
        OfficerRow(
            slot=slot,
            is_live=live is not None and slot.pk == live.pk,
            cells=[
                JudgeCell(
                    judge=judge,
                    assignment=assignments.get((judge.pk, slot.application_id)),
                    conflicted=(judge.pk, slot.application_id) in pairs,
                    sheet_total=totals.get((judge.pk, slot.application_id)),
                )
                for judge in judges
            ],
        )
        for slot in slots
    ]
    by_pk = {application.pk: application for application in candidates}
    by_pk.update({slot.application_id: slot.application for slot in slots})
    conflicts: dict[int, list[Application]] = defaultdict(list)
    for reviewer_id, application_id in sorted(pairs, key=lambda pair: pair[1]):
        if application_id in by_pk:
            conflicts[reviewer_id].append(by_pk[application_id])
    return SessionOverview(
        session=session,
        rows=rows,
        live=live,
        next_slot=next((slot for slot in slots if slot.started_at is None), None),
        candidates=candidates,
        conflicts=[(judge, conflicts.get(judge.pk, [])) for judge in judges],
        closable=[
            slot.application_id
            for slot in slots
            if slot.tallied_at and slot.application.state == S.DEFENSE
        ],
    )


def scheduled_times(*, session: PitchSession, count: int) -> list[datetime]:
    """The start time of each position 1…count: one pitch every pitch + Q&A + changeover."""
    step = slot_interval(session)
    return [session.starts_at + step * index for index in range(count)]
