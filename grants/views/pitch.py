"""路演 (live pitch) pages.

- Officers (``grants.manage_pitch``, anyone else 403): a call's sessions, one session's schedule
  (judges, conflicts, automatic schedule, reorder, "Start pitch", closing the review of tallied
  applications through the existing action table).
- Judges (``grants.judge_pitch``): the phone-first judging screen, which polls a small live panel
  every 3 seconds (timer, announced score, "the next pitch has started").
- The room display (``grants.view_pitch_board``: officers and judges), polled every 3 seconds.

A session the user may not watch is a 404, so ids do not leak. A judge never sees an application
they are conflicted on: the selectors mark those rows hidden and the templates show no title,
organisation or score for them. Writes go through ``grants.services.pitch``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from grants.enums import AssignmentState, ReviewRound
from grants.forms_pitch import ScheduleForm, ScoreForm, SessionForm
from grants.models import Call, PitchSlot, ReviewAssignment
from grants.selectors_pitch import (
    board,
    judge_screen,
    order_for_schedule,
    session_overview,
    session_queryset,
    sessions_of_call,
    slot_interval,
    slots_of_session,
)
from grants.services import pitch as svc
from grants.services.errors import TransitionRefused

A = AssignmentState
POLL_SECONDS = 3


def _require_officer(user) -> None:
    if not user.has_perm("grants.manage_pitch"):
        raise PermissionDenied(_("Live pitch sessions are run by programme officers."))


def _officer_session(user, pk: int):
    _require_officer(user)
    return get_object_or_404(session_queryset(), pk=pk)


def _watched_session(user, pk: int):
    """The session if ``user`` may watch it (officer or judge); a 404 for everyone else."""
    session = get_object_or_404(session_queryset(), pk=pk)
    if not user.has_perm("grants.view_pitch_board", session):
        raise Http404
    return session


def _judged_session(user, pk: int):
    session = _watched_session(user, pk)
    if not user.has_perm("grants.judge_pitch", session):
        raise PermissionDenied(_("The judging screen is for the session's judges."))
    return session


def _put_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _message_errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- Officer: sessions of a call ----------------------------------------------------------------


@login_required
def call_sessions(request, pk: int):
    _require_officer(request.user)
    call = get_object_or_404(Call.objects.select_related("programme"), pk=pk)
    form = SessionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                session = svc.create_session(
                    call=call, actor=request.user, title=data["title"], place=data["place"],
                    starts_at=data["starts_at"], pitch_minutes=data["pitch_minutes"],
                    qa_minutes=data["qa_minutes"], judges=list(data["judges"]),
                )  # fmt: skip
            except TransitionRefused as error:
                messages.error(request, str(error))
            except ValidationError as error:
                _put_errors(form, error)
            else:
                messages.success(request, _("The session is created. Now schedule the pitches."))
                return redirect("grants:pitch_session", pk=session.pk)
        status = 400
    return render(
        request,
        "grants/pitch/call_sessions.html",
        {"call": call, "sessions": sessions_of_call(call=call), "form": form},
        status=status,
    )


# --- Officer: one session -----------------------------------------------------------------------


def _session_page(request, session, *, form=None, schedule_form=None, status=200):
    overview = session_overview(session=session)
    unscheduled = [a for a in overview.candidates if getattr(a, "pitch_slot", None) is None]
    return render(
        request,
        "grants/pitch/session.html",
        {
            "session": session,
            "call": session.call,
            "overview": overview,
            "interval": int(slot_interval(session).total_seconds() // 60),
            "form": form or SessionForm.for_session(session),
            "schedule_form": schedule_form
            or ScheduleForm(
                candidates=unscheduled,
                initial={"order": "rank", "applications": [a.pk for a in unscheduled]},
            ),
            "unscheduled": unscheduled,
        },
        status=status,
    )


@login_required
def session_detail(request, pk: int):
    session = _officer_session(request.user, pk)
    if request.method != "POST":
        return _session_page(request, session)
    form = SessionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            svc.update_session(
                session=session, actor=request.user, title=data["title"], place=data["place"],
                starts_at=data["starts_at"], pitch_minutes=data["pitch_minutes"],
                qa_minutes=data["qa_minutes"], judges=list(data["judges"]),
            )  # fmt: skip
        except TransitionRefused as error:
            messages.error(request, str(error))
        except ValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(request, _("The session is saved."))
            return redirect("grants:pitch_session", pk=session.pk)
    return _session_page(request, session, form=form, status=400)


@login_required
@require_POST
def schedule(request, pk: int):
    session = _officer_session(request.user, pk)
    overview = session_overview(session=session)
    candidates = [a for a in overview.candidates if getattr(a, "pitch_slot", None) is None]
    form = ScheduleForm(request.POST, candidates=candidates)
    if not form.is_valid():
        return _session_page(request, session, schedule_form=form, status=400)
    chosen = set(form.cleaned_data["applications"])
    current = slots_of_session(session=session)
    new = [a for a in candidates if a.pk in chosen]
    if not new and not current:
        messages.error(request, _("Choose at least one application."))
        return redirect("grants:pitch_session", pk=session.pk)
    if any(slot.started_at for slot in current):
        # Pitches have been held: the schedule keeps its order, the new ones follow.
        ordered = [slot.application for slot in current] + order_for_schedule(
            new, by=form.cleaned_data["order"]
        )
    else:
        ordered = order_for_schedule(
            [slot.application for slot in current] + new, by=form.cleaned_data["order"]
        )
    try:
        slots = svc.schedule_pitches(session=session, applications=ordered, actor=request.user)
    except ValidationError as error:
        _message_errors(request, error)
    except TransitionRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            ngettext(
                "%(count)d pitch is scheduled; the judges' declarations are awaited.",
                "%(count)d pitches are scheduled; the judges' declarations are awaited.",
                len(slots),
            )
            % {"count": len(slots)},
        )
    return redirect("grants:pitch_session", pk=session.pk)


@login_required
@require_POST
def move_slot(request, pk: int, slot: int):
    session = _officer_session(request.user, pk)
    slots = slots_of_session(session=session)
    index = next((i for i, row in enumerate(slots) if row.pk == slot), None)
    if index is None:
        raise Http404
    other = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= other < len(slots):
        slots[index], slots[other] = slots[other], slots[index]
        try:
            svc.schedule_pitches(
                session=session, applications=[row.application for row in slots], actor=request.user
            )
        except ValidationError as error:
            _message_errors(request, error)
    return redirect(f"{reverse('grants:pitch_session', args=[session.pk])}#schedule")


@login_required
@require_POST
def start_slot(request, pk: int, slot: int):
    session = _officer_session(request.user, pk)
    row = get_object_or_404(
        PitchSlot.objects.select_related("application"), pk=slot, session=session
    )
    try:
        svc.start_slot(slot=row, actor=request.user)
    except TransitionRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Pitch %(position)d is on stage: the timers are running.")
            % {"position": row.position},
        )
    return redirect(f"{reverse('grants:pitch_session', args=[session.pk])}#schedule")


# --- Judges -------------------------------------------------------------------------------------


def _judge_page(request, session, *, slot_id=None, form=None, status=200):
    screen = judge_screen(session=session, judge=request.user, slot_id=slot_id)
    if slot_id is not None and screen.shown is None:
        raise Http404
    if form is None and screen.criteria:
        form = ScoreForm(
            criteria=screen.criteria,
            threshold=session.call.comment_required_below_percent,
            initial=ScoreForm.initial_from(screen.sheet, screen.scores),
        )
    return render(
        request,
        "grants/pitch/judge.html",
        {
            "session": session,
            "call": session.call,
            "screen": screen,
            "form": form,
            "follow": slot_id is None,
            "poll_seconds": POLL_SECONDS,
            "declaration": svc.declaration_text(session.call),
        },
        status=status,
    )


@login_required
def judge(request, pk: int, slot: int | None = None):
    session = _judged_session(request.user, pk)
    return _judge_page(request, session, slot_id=slot)


@login_required
def judge_live(request, pk: int):
    """The judging screen's live panel, polled by htmx: timer, announced score, stage changes."""
    session = _judged_session(request.user, pk)
    try:
        slot_id = int(request.GET.get("slot", ""))
    except ValueError:
        slot_id = None
    follow = request.GET.get("follow") == "1"
    screen = judge_screen(session=session, judge=request.user, slot_id=slot_id)
    shown, live = screen.shown, screen.live
    if follow and live is not None and (shown is None or shown.slot.pk != live.slot.pk):
        # A new pitch is on stage. Reload onto it unless the judge may be typing scores here.
        typing = (
            shown is not None
            and shown.assignment is not None
            and (shown.assignment.state == A.ACCEPTED and shown.slot.started_at is not None)
        )
        if not typing:
            return HttpResponseClientRefresh()
    return render(
        request,
        "grants/pitch/_judge_live.html",
        {"session": session, "screen": screen, "follow": follow, "poll_seconds": POLL_SECONDS},
    )


def _own_assignment(request, session, slot_pk: int) -> tuple[PitchSlot, ReviewAssignment]:
    slot = get_object_or_404(PitchSlot, pk=slot_pk, session=session)
    assignment = ReviewAssignment.objects.filter(
        reviewer=request.user, application_id=slot.application_id, round=ReviewRound.PITCH
    ).first()
    if assignment is None or not request.user.has_perm("grants.view_pitch_slot", slot):
        raise Http404
    return slot, assignment


@login_required
@require_POST
def declare(request, pk: int, slot: int):
    session = _judged_session(request.user, pk)
    slot_row, assignment = _own_assignment(request, session, slot)
    conflict = request.POST.get("decision") == "conflict"
    svc.declare(
        assignment=assignment,
        actor=request.user,
        conflict=conflict,
        text=request.POST.get("text", "")[:2000],
    )
    if conflict:
        messages.info(request, _("Your conflict is recorded: you sit out this pitch."))
        return redirect("grants:pitch_judge", pk=session.pk)
    return redirect("grants:pitch_judge_slot", pk=session.pk, slot=slot_row.pk)


@login_required
@require_POST
def score(request, pk: int, slot: int):
    session = _judged_session(request.user, pk)
    slot_row, assignment = _own_assignment(request, session, slot)
    screen = judge_screen(session=session, judge=request.user, slot_id=slot_row.pk)
    form = ScoreForm(
        request.POST,
        criteria=screen.criteria,
        threshold=session.call.comment_required_below_percent,
    )
    submit = "submit" in request.POST
    if form.is_valid():
        try:
            result = svc.save_pitch_scores(
                assignment=assignment, actor=request.user, scores=form.scores(),
                comments=form.comments(), comment=form.cleaned_data["comment"], submit=submit,
            )  # fmt: skip
        except TransitionRefused as error:
            messages.error(request, str(error))
            return redirect("grants:pitch_judge_slot", pk=session.pk, slot=slot_row.pk)
        except ValidationError as error:
            _put_errors(form, error)
        else:
            if result.tallied:
                messages.success(
                    request, _("Submitted. You were the last judge: the score is announced.")
                )
            elif submit:
                messages.success(
                    request, _("Submitted. The score is announced when every judge has submitted.")
                )
            else:
                messages.success(request, _("Draft saved."))
            return redirect("grants:pitch_judge_slot", pk=session.pk, slot=slot_row.pk)
    return _judge_page(request, session, slot_id=slot_row.pk, form=form, status=400)


# --- The room display ---------------------------------------------------------------------------


@login_required
def board_page(request, pk: int):
    session = _watched_session(request.user, pk)
    return render(
        request,
        "grants/pitch/board.html",
        {
            "session": session,
            "view": board(session=session, viewer=request.user),
            "poll_seconds": POLL_SECONDS,
        },
    )


@login_required
def board_live(request, pk: int):
    session = _watched_session(request.user, pk)
    return render(
        request,
        "grants/pitch/_board_live.html",
        {
            "session": session,
            "view": board(session=session, viewer=request.user),
            "poll_seconds": POLL_SECONDS,
        },
    )
