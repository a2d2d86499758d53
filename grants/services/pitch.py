"""路演 (live pitch): sessions, the schedule, judging and the score announced on the spot.

One function per action, keyword-only, taking ``actor``; each runs in one transaction, checks the
permission (``grants.rules_pitch``) and is safe to repeat (a second run changes nothing).

Lock order, the same in every function, so two actions never wait on each other in a circle:
session → applications (primary-key order) → slots → assignments (each function takes the part it
needs, in this order; the written review's services also lock an application before its
assignments). Scoring locks the application and then its slot row: the slot lock is what makes "the
last judge's submission tallies the pitch" happen exactly once when two judges press Submit at the
same moment (after the lock each sees the other's committed submission, never both "not yet all
in").

Pitch scores use the call's rubric and the same ``ScoreSheet`` model as the written review, on a
``ReviewAssignment`` of round ``pitch`` for each judge and application, saved and submitted by the
written review's sheet service (``grants.services.review_scores``). The judge signs the conflict
declaration on the judging screen (one tap) before scoring; a judge in the conflict register is
never assigned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from grants import scoring
from grants.enums import (
    LIVE_ASSIGNMENT_STATES,
    AssignmentState,
    ConflictSource,
    ReviewRound,
    SheetStatus,
)
from grants.enums import ApplicationState as S
from grants.models import (
    Application,
    Call,
    ConflictRecord,
    Notification,
    PitchSession,
    PitchSlot,
    ReviewAssignment,
    RubricCriterion,
    ScoreSheet,
)
from grants.selectors_pitch import (
    SCHEDULABLE_STATES,
    conflict_pairs,
    reviewers,
    scheduled_times,
)
from grants.services import notifications, review_draw, review_scores, review_transitions
from grants.services.errors import TransitionRefused

A = AssignmentState
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
# Positions are unique per session; a reorder parks the moving rows here first.
PARKING = 20000


@dataclass(frozen=True)
class PitchScoreResult:
    sheet: ScoreSheet
    slot: PitchSlot
    tallied: bool  # this call announced the pitch's score


def _require(actor, perm: str, obj, message) -> None:
    if actor is None or not actor.has_perm(perm, obj):
        raise PermissionDenied(message)


def _require_officer(actor, call: Call) -> None:
    _require(actor, "grants.manage_pitch", call, _("Only programme officers run a live pitch."))


def declaration_text(call: Call) -> str:
    """What a judge signs per application (shown on the judging screen): the written review's."""
    return review_draw.declaration_text() % {"years": call.conflict_lookback_years}


# --- Sessions -----------------------------------------------------------------------------------


def _check_session_fields(
    *, call: Call, title: str, starts_at, pitch_minutes: int, qa_minutes: int, judges
) -> str:
    """Check what the officer typed; returns the cleaned title."""
    errors = {}
    if not call.has_defense:
        raise TransitionRefused(_("This call has no live pitch."))
    title = (title or "").strip()
    if not title:
        errors["title"] = _("Give the session a title.")
    if starts_at is None:
        errors["starts_at"] = _("Give the date and time of the session.")
    if not 1 <= pitch_minutes <= 60:
        errors["pitch_minutes"] = _("A pitch lasts between 1 and 60 minutes.")
    if not 0 <= qa_minutes <= 60:
        errors["qa_minutes"] = _("Questions last between 0 and 60 minutes.")
    allowed = set(
        reviewers().filter(pk__in=[judge.pk for judge in judges]).values_list("pk", flat=True)
    )
    if any(judge.pk not in allowed for judge in judges):
        errors["judges"] = _("Judges must be members of the expert pool (reviewer role).")
    if errors:
        raise ValidationError(errors)
    return title[:200]


def create_session(
    *,
    call: Call,
    actor,
    title: str,
    starts_at: datetime,
    place: str = "",
    pitch_minutes: int = 8,
    qa_minutes: int = 7,
    judges: Sequence = (),
) -> PitchSession:
    """A new 路演 session of ``call`` with its judges (nothing scheduled yet)."""
    _require_officer(actor, call)
    judges = list(judges)
    title = _check_session_fields(
        call=call, title=title, starts_at=starts_at, pitch_minutes=pitch_minutes,
        qa_minutes=qa_minutes, judges=judges,
    )  # fmt: skip
    with transaction.atomic():
        session = PitchSession.objects.create(
            call=call, title=title, place=(place or "").strip()[:200], starts_at=starts_at,
            pitch_minutes=pitch_minutes, qa_minutes=qa_minutes,
        )  # fmt: skip
        session.judges.set(judges)
        _notify_judges(session, judges)
    return session


def update_session(
    *,
    session: PitchSession,
    actor,
    title: str,
    starts_at: datetime,
    place: str = "",
    pitch_minutes: int = 8,
    qa_minutes: int = 7,
    judges: Sequence = (),
) -> PitchSession:
    """Change the session; the schedule follows the new start and lengths, and the judges' pitch
    assignments follow the new panel (a removed judge's unfinished ones are withdrawn, which may
    complete a pitch's panel and announce its score)."""
    _require_officer(actor, session.call)
    judges = list(judges)
    title = _check_session_fields(
        call=session.call, title=title, starts_at=starts_at, pitch_minutes=pitch_minutes,
        qa_minutes=qa_minutes, judges=judges,
    )  # fmt: skip
    with transaction.atomic():
        session = _lock_session(session)
        before = set(session.judges.values_list("pk", flat=True))
        session.title, session.place = title, (place or "").strip()[:200]
        session.starts_at, session.pitch_minutes, session.qa_minutes = (
            starts_at, pitch_minutes, qa_minutes,
        )  # fmt: skip
        session.save()
        session.judges.set(judges)
        after = {judge.pk for judge in judges}
        slots = list(
            PitchSlot.objects.select_for_update().filter(session=session).order_by("position")
        )
        # The schedule follows a new start time or length.
        _place(
            session, [slot.application_id for slot in slots], {s.application_id: s for s in slots}
        )
        removed = before - after
        if removed:
            open_ones = ReviewAssignment.objects.select_for_update().filter(
                round=ReviewRound.PITCH,
                reviewer_id__in=removed,
                application_id__in=[slot.application_id for slot in slots],
                state__in=(A.ASSIGNED, A.ACCEPTED),
            )
            for assignment in open_ones.order_by("pk"):
                assignment.unassign(
                    by=actor, description=gettext("Removed from the live pitch panel.")
                )
                assignment.save()
        _sync_assignments(session, slots, actor=actor)
        for slot in slots:
            _maybe_tally(slot, call=session.call)
        _notify_judges(session, [judge for judge in judges if judge.pk not in before])
    return session


def _lock_session(session: PitchSession | int) -> PitchSession:
    pk = session.pk if isinstance(session, PitchSession) else session
    return PitchSession.objects.select_for_update(of=("self",)).select_related("call").get(pk=pk)


def _notify_judges(session: PitchSession, judges: Iterable) -> None:
    """Tell each new judge where the judging screen is (inbox, and e-mail if they want it now)."""
    url = reverse("grants:pitch_judge", args=[session.pk])
    rows = []
    for judge in judges:
        with translation.override(judge.preferred_language or settings.LANGUAGE_CODE):
            when = timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M")
            rows.append(
                Notification(
                    recipient=judge,
                    verb="pitch_judge",
                    title=gettext("You are a judge at the live pitch “%(title)s”")
                    % {"title": session.title},
                    body=gettext(
                        "%(when)s, %(place)s. Open the judging screen on your phone at the session; "
                        "you sign the conflict declaration for each project there."
                    )
                    % {"when": when, "place": session.place or "—"},
                    url=url,
                )
            )
    notifications.deliver(rows)


# --- The schedule -------------------------------------------------------------------------------


def schedule_pitches(
    *, session: PitchSession, applications: Sequence[Application], actor
) -> list[PitchSlot]:
    """Put ``applications`` on the session's schedule in this order, and keep it that way.

    New applications go on the live pitch (``start_pitch``: in review → 路演) and get a pitch
    assignment for every judge without a conflict on them. Applications already scheduled in the
    session and not listed keep their turn after the listed ones. Scheduled times are one pitch
    every pitch + Q&A + 2 minutes from the session's start. Running it again with the same list
    changes nothing; with another order it only moves the slots.
    """
    _require_officer(actor, session.call)
    with transaction.atomic():
        session = _lock_session(session)
        ordered_ids = list(dict.fromkeys(application.pk for application in applications))
        locked = {
            application.pk: application
            for application in Application.objects.select_for_update(of=("self",))
            .filter(pk__in=ordered_ids)
            .order_by("pk")
        }
        slots = {
            slot.application_id: slot
            for slot in PitchSlot.objects.select_for_update(of=("self",))
            .filter(session=session)
            .order_by("position")
        }
        elsewhere = dict(
            PitchSlot.objects.filter(application_id__in=ordered_ids)
            .exclude(session=session)
            .values_list("application_id", "session__title")
        )
        errors = []
        for pk in ordered_ids:
            application = locked.get(pk)
            if application is None or application.call_id != session.call_id:
                errors.append(_("An application is not part of this call."))
            elif pk in elsewhere:
                errors.append(
                    _("%(reference)s is already scheduled in “%(session)s”.")
                    % {"reference": application.reference, "session": elsewhere[pk]}
                )
            elif pk not in slots and application.state not in SCHEDULABLE_STATES:
                errors.append(
                    _("%(reference)s is “%(state)s”: only applications in expert review can pitch.")
                    % {"reference": application.reference, "state": application.get_state_display()}
                )
        if errors:
            raise ValidationError(errors)
        order = ordered_ids + [pk for pk in slots if pk not in ordered_ids]
        for pk in ordered_ids:
            if locked[pk].state == S.IN_REVIEW:
                review_transitions.start_pitch(application=locked[pk], actor=actor)
        _place(session, order, slots)
        final = list(PitchSlot.objects.filter(session=session).order_by("position"))
        _sync_assignments(session, final, actor=actor)
    return final


def _place(session: PitchSession, order: list[int], slots: dict[int, PitchSlot]) -> None:
    """Give every application in ``order`` the position of its place, creating missing slots."""
    times = scheduled_times(session=session, count=len(order))
    moving = []
    for index, pk in enumerate(order):
        slot = slots.get(pk)
        if slot is not None and (slot.position != index + 1 or slot.starts_at != times[index]):
            moving.append((slot, index))
    if moving:
        # Two steps so that swapping two positions never breaks "one slot per position".
        for slot, _index in moving:
            slot.position += PARKING
        PitchSlot.objects.bulk_update([slot for slot, _index in moving], ["position"])
        for slot, index in moving:
            slot.position, slot.starts_at = index + 1, times[index]
        PitchSlot.objects.bulk_update([slot for slot, _index in moving], ["position", "starts_at"])
    PitchSlot.objects.bulk_create(
        PitchSlot(session=session, application_id=pk, position=index + 1, starts_at=times[index])
        for index, pk in enumerate(order)
        if pk not in slots
    )


def _sync_assignments(session: PitchSession, slots: list[PitchSlot], *, actor) -> int:
    """A pitch assignment (awaiting the judge's declaration) for every judge × scheduled
    application without one and without a conflict; returns how many were created."""
    judges = list(session.judges.all())
    application_ids = [slot.application_id for slot in slots]
    if not judges or not application_ids:
        return 0
    conflicts = conflict_pairs(application_ids=application_ids)
    existing = set(
        ReviewAssignment.objects.filter(
            round=ReviewRound.PITCH, application_id__in=application_ids
        ).values_list("reviewer_id", "application_id")
    )
    new = [
        ReviewAssignment(
            application_id=application_id,
            reviewer=judge,
            round=ReviewRound.PITCH,
            assigned_by=actor,
        )
        for application_id in application_ids
        for judge in judges
        if (judge.pk, application_id) not in conflicts
        and (judge.pk, application_id) not in existing
    ]
    ReviewAssignment.objects.bulk_create(new)
    return len(new)


def start_slot(*, slot: PitchSlot, actor) -> PitchSlot:
    """ "Start pitch": the timer of every phone and of the board runs from this moment."""
    with transaction.atomic():
        slot = (
            PitchSlot.objects.select_for_update(of=("self",))
            .select_related("session__call", "application")
            .get(pk=slot.pk)
        )
        _require_officer(actor, slot.session.call)
        if slot.started_at is not None:
            return slot
        if slot.application.state != S.DEFENSE:
            raise TransitionRefused(
                _("This application is “%(state)s”, not on the live pitch.")
                % {"state": slot.application.get_state_display()}
            )
        slot.started_at = timezone.now()
        slot.save(update_fields=["started_at"])
    return slot


# --- Judging ------------------------------------------------------------------------------------


def _lock_for_judging(assignment: ReviewAssignment, actor) -> tuple[PitchSlot, ReviewAssignment]:
    """Lock the application, its slot, then the assignment; check that ``actor`` judges it.

    The application comes first because the written review's services lock it before its
    assignments, and the schedule locks it before the slots.
    """
    Application.objects.select_for_update(of=("self",)).filter(pk=assignment.application_id).get()
    slot = (
        PitchSlot.objects.select_for_update(of=("self",))
        .select_related("session__call", "application")
        .filter(application_id=assignment.application_id)
        .first()
    )
    if slot is None or assignment.round != ReviewRound.PITCH:
        raise PermissionDenied(_("This is not a live pitch assignment."))
    _require(actor, "grants.judge_pitch", slot.session, _("Only the session's judges score it."))
    assignment = ReviewAssignment.objects.select_for_update().get(pk=assignment.pk)
    _require(actor, "grants.act_on_assignment", assignment, _("This is not your assignment."))
    return slot, assignment


def declare(
    *, assignment: ReviewAssignment, actor, conflict: bool, text: str = ""
) -> ReviewAssignment:
    """The judge's declaration for one pitch: no conflict (they may score) or a conflict (they sit
    out; the conflict register records it and the pitch no longer waits for them)."""
    with transaction.atomic():
        slot, assignment = _lock_for_judging(assignment, actor)
        if conflict:
            if assignment.state not in (A.ASSIGNED, A.ACCEPTED):
                return assignment
            reason = (text or "").strip() or gettext("Declared by the judge at the live pitch.")
            assignment.declare_conflict(by=actor, description=reason, text=reason)
            assignment.save()
            ConflictRecord.objects.get_or_create(
                reviewer=actor,
                application_id=assignment.application_id,
                defaults={
                    "source": ConflictSource.DECLARED,
                    "reason": reason,
                    "recorded_by": actor,
                },
            )
            _maybe_tally(slot, call=slot.session.call)
        elif assignment.state == A.ASSIGNED:
            # The written review's declaration: same words, same checks, same log row.
            assignment = review_draw.declare_no_conflict(assignment=assignment, actor=actor)
    return assignment


def save_pitch_scores(
    *,
    assignment: ReviewAssignment,
    actor,
    scores: Mapping[int, object],
    comments: Mapping[int, str] | None = None,
    comment: str = "",
    submit: bool = False,
) -> PitchScoreResult:
    """Save the judge's draft for one pitch, and submit it if ``submit`` (then it is final).

    The sheet itself is the written review's (``review_scores.save_scores`` / ``submit_scores``:
    range, steps of 0.5, a comment below the call's threshold, the 0–100 total); this adds the
    pitch's rules (the session's judge, the pitch has started) and the tally. ``scores`` and
    ``comments`` are keyed by criterion id; errors are a ``ValidationError`` keyed ``score_<id>`` /
    ``comment_<id>``. A submission refused as incomplete still keeps the draft. Submitting the last
    sheet of a pitch announces its score.
    """
    comments = comments or {}
    refused = None
    with transaction.atomic():
        slot, assignment = _lock_for_judging(assignment, actor)
        call = slot.session.call
        if assignment.state == A.SUBMITTED:
            raise TransitionRefused(_("Your scores for this pitch are submitted and final."))
        if assignment.state == A.ASSIGNED:
            raise TransitionRefused(_("Sign the conflict declaration before scoring."))
        if assignment.state != A.ACCEPTED:
            raise PermissionDenied(_("You no longer judge this pitch."))
        if slot.started_at is None:
            raise TransitionRefused(_("Scoring opens when the pitch starts."))
        entries, errors = {}, {}
        for criterion in RubricCriterion.objects.filter(call=call):
            try:
                value = review_scores.parse_score(scores.get(criterion.pk))
            except ValueError:
                errors[review_scores.score_field(criterion.pk)] = _("Enter a number.")
                continue
            entries[criterion.pk] = review_scores.Entry(
                value, (comments.get(criterion.pk) or "").strip()
            )
        if errors:
            raise ValidationError(errors)
        sheet = review_scores.save_scores(
            assignment=assignment, actor=actor, entries=entries, comment=comment or ""
        )
        tallied = False
        if submit:
            try:
                with transaction.atomic():
                    sheet = review_scores.submit_scores(assignment=assignment, actor=actor)
            except ValidationError as error:
                refused = error  # raised after the draft is committed
            else:
                tallied = _maybe_tally(slot, call=call)
    if refused is not None:
        raise refused
    return PitchScoreResult(sheet=sheet, slot=slot, tallied=tallied)


# --- The tally ----------------------------------------------------------------------------------


def tally_value(*, totals: Sequence[tuple[int, Decimal]], method: str) -> Decimal | None:
    """The pitch's score from the judges' (judge id, total) pairs, by the call's aggregation method.

    Mean, median and trimmed mean (drop the highest and lowest from 5 judges up) are what the
    ranking uses (``grants.scoring``). A z-score needs every judge's scores over the whole session,
    so it cannot be announced on the spot: the room sees the mean and the ranking page applies the
    z-score afterwards.
    """
    if not totals:
        return None
    aggregate = scoring.aggregate_round(
        [scoring.Score(judge_id, 0, Decimal(total)) for judge_id, total in totals]
    )[0]
    if method == scoring.Z_SCORE or method not in scoring.METHODS:
        return aggregate.mean
    return aggregate.value(method)


def _maybe_tally(slot: PitchSlot, *, call: Call) -> bool:
    """Announce the pitch's score if every judge still on it has submitted (``slot`` is locked)."""
    if slot.tallied_at is not None:
        return False
    states = list(
        ReviewAssignment.objects.filter(
            application_id=slot.application_id,
            round=ReviewRound.PITCH,
            state__in=LIVE_ASSIGNMENT_STATES,
        ).values_list("state", flat=True)
    )
    if not states or any(state != A.SUBMITTED for state in states):
        return False
    totals = list(
        ScoreSheet.objects.filter(
            assignment__application_id=slot.application_id,
            assignment__round=ReviewRound.PITCH,
            assignment__state=A.SUBMITTED,
            status=SheetStatus.SUBMITTED,
            is_current=True,
        ).values_list("assignment__reviewer_id", "total")
    )
    slot.tally = tally_value(totals=totals, method=call.aggregation_method)
    slot.tallied_at = timezone.now()
    slot.save(update_fields=["tally", "tallied_at"])
    return True
