"""The reviewer's pages (/review/…): dashboard, profile, declaration, the review and its history.

Every page asks the conflict rule through ``grants.selectors_review.assignment_for_reviewer``: an
assignment that is not the user's, or that the conflict rule closes, is a 404 — the same answer as
for an id that does not exist, so nothing leaks. Writes go through ``grants.services.review*``.
"""

from __future__ import annotations

import os

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from grants import budget
from grants import selectors_review as sel
from grants.enums import AssignmentState, AttachmentKind
from grants.forms_review import (
    ConflictNoteForm,
    ReasonForm,
    RelationForm,
    ReviewerProfileForm,
    ScoreSheetForm,
)
from grants.models import Attachment, ReviewerRelation
from grants.services import review as pool_svc
from grants.services import review_draw as draw_svc
from grants.services import review_scores as score_svc
from grants.services.errors import TransitionRefused
from grants.views.applicant import _answers

A = AssignmentState
# Under blind review these attachments are withheld: they name the organisation by design.
IDENTIFYING_KINDS = frozenset({AttachmentKind.CERTIFICATE})


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(str(message) for message in error.messages)
    return str(getattr(error, "message", error)) or _("You may not do this.")


def _require_reviewer(user) -> None:
    if not user.has_perm("grants.use_reviewer_workspace"):
        raise PermissionDenied(_("These pages are for reviewers."))


def _assignment(request, pk: int, *, perm: str = "grants.view_assignment"):
    _require_reviewer(request.user)
    assignment = sel.assignment_for_reviewer(pk=pk, user=request.user, perm=perm)
    if assignment is None:
        raise Http404
    return assignment


# --- Dashboard and profile ---------------------------------------------------------------------


def _set_due(assignments) -> None:
    """Give each assignment ``due`` (its own deadline, else the call's) and ``due_label``, that
    deadline as the page prints it (the ``date`` filter's output). A busy reviewer has a thousand
    rows but a dozen deadlines: formatting each distinct one once instead of per row in the
    template took a third off the dashboard's rendering."""
    labels: dict = {}
    for assignment in assignments:
        due = assignment.due_at or assignment.application.call.review_deadline
        assignment.due = due
        if due and due not in labels:
            labels[due] = date_filter(template_localtime(due), "Y-m-d H:i")
        assignment.due_label = labels.get(due, "")


@login_required
def dashboard(request):
    _require_reviewer(request.user)
    board = sel.reviewer_dashboard(user=request.user, page_number=request.GET.get("page"))
    _set_due(board.assignments)
    return render(request, "grants/review/dashboard.html", {"board": board, "now": timezone.now()})


def profile_context(user, *, profile_form, relation_form) -> dict:
    profile, relations = sel.profile_page(user=user)
    return {
        "profile_user": user,
        "profile": profile,
        "relations": relations,
        "profile_form": profile_form,
        "relation_form": relation_form,
    }


def handle_profile_post(request, user, *, profile_form_class, officer: bool):
    """Save the profile or add a relation (shared by the reviewer's and the officer's page)."""
    profile, _relations = sel.profile_page(user=user)
    profile_form = profile_form_class(initial=profile_form_class.initial_for(profile))
    relation_form = RelationForm()
    if "add_relation" in request.POST:
        relation_form = RelationForm(request.POST)
        if relation_form.is_valid():
            data = relation_form.cleaned_data
            try:
                pool_svc.add_relation(
                    user=user,
                    actor=request.user,
                    kind=data["kind"],
                    organisation=data["organisation"],
                    call=data["call"],
                    through_relative=data["through_relative"],
                    started_on=data["started_on"],
                    ended_on=data["ended_on"],
                    note=data["note"],
                )
            except ValidationError as error:
                _attach(relation_form, error)
            else:
                messages.success(request, _("The relation has been declared."))
                return None, None
    else:
        profile_form = profile_form_class(request.POST)
        if profile_form.is_valid():
            data = profile_form.cleaned_data
            try:
                pool_svc.update_profile(
                    user=user,
                    actor=request.user,
                    expertise=data["expertise"],
                    employer=data["employer"],
                    title=data["title"],
                    bio=data["bio"],
                    community_ids=[c.pk for c in data["communities"]],
                    district_ids=[c.pk for c in data["districts"]],
                    is_active=data.get("is_active") if officer else None,
                )
            except ValidationError as error:
                _attach(profile_form, error)
            else:
                messages.success(request, _("The profile has been saved."))
                return None, None
    return profile_form, relation_form


def _attach(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            for item in errors:
                form.add_error(name if name in form.fields else None, item)
    else:
        form.add_error(None, error)


@never_cache
@login_required
def profile(request):
    _require_reviewer(request.user)
    user = request.user
    if request.method == "POST":
        profile_form, relation_form = handle_profile_post(
            request, user, profile_form_class=ReviewerProfileForm, officer=False
        )
        if profile_form is None:
            return redirect("grants:review_profile")
        status = 400
    else:
        existing, _relations = sel.profile_page(user=user)
        profile_form = ReviewerProfileForm(initial=ReviewerProfileForm.initial_for(existing))
        relation_form = RelationForm()
        status = 200
    context = profile_context(user, profile_form=profile_form, relation_form=relation_form)
    return render(request, "grants/review/profile.html", context, status=status)


@require_POST
@login_required
def relation_delete(request, pk: int):
    _require_reviewer(request.user)
    relation = ReviewerRelation.objects.filter(pk=pk, profile__user=request.user).first()
    if relation is None:
        raise Http404
    try:
        pool_svc.remove_relation(relation=relation, actor=request.user)
    except ValidationError as error:
        messages.error(request, _message(error))
    else:
        messages.success(request, _("The relation has been removed."))
    return redirect("grants:review_profile")


# --- Declaration -------------------------------------------------------------------------------


@never_cache
@login_required
def declaration(request, pk: int):
    assignment = _assignment(request, pk)
    if assignment.state != A.ASSIGNED:
        return redirect("grants:review_assignment", pk=assignment.pk)
    conflict_form = ConflictNoteForm()
    if request.method == "POST":
        try:
            if request.POST.get("declare") == "no_conflict":
                draw_svc.declare_no_conflict(assignment=assignment, actor=request.user)
                messages.success(request, _("Thank you. You can now review the application."))
                return redirect("grants:review_assignment", pk=assignment.pk)
            if request.POST.get("declare") == "conflict":
                conflict_form = ConflictNoteForm(request.POST)
                conflict_form.is_valid()
                draw_svc.declare_conflict(
                    assignment=assignment,
                    actor=request.user,
                    note=conflict_form.cleaned_data.get("note", ""),
                )
                messages.success(
                    request,
                    _(
                        "Your conflict has been recorded. The application is closed to you and "
                        "another reviewer is asked in your place."
                    ),
                )
                return redirect("grants:review_dashboard")
        except (TransitionRefused, ValidationError, PermissionDenied) as error:
            messages.error(request, _message(error))
    call = assignment.application.call
    return render(
        request,
        "grants/review/declaration.html",
        {
            "assignment": assignment,
            "application": assignment.application,
            "call": call,
            "declaration": draw_svc.declaration_text() % {"years": call.conflict_lookback_years},
            "conflict_form": conflict_form,
            "decline_form": ReasonForm(label=_("Why do you decline?")),
        },
    )


@require_POST
@login_required
def decline(request, pk: int):
    assignment = _assignment(request, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please say why you decline."))
        return redirect("grants:review_declaration", pk=assignment.pk)
    try:
        draw_svc.decline_assignment(
            assignment=assignment, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except (TransitionRefused, ValidationError) as error:
        messages.error(request, _message(error))
        return redirect("grants:review_declaration", pk=assignment.pk)
    messages.success(request, _("You have declined this review; another reviewer is asked."))
    return redirect("grants:review_dashboard")


# --- The review --------------------------------------------------------------------------------


def _review_context(assignment, *, form=None, correction_form=None) -> dict:
    application = sel.application_for_review(assignment=assignment)
    call = application.call
    criteria = sel.rubric(call=call)
    sheet = sel.current_sheet_with_scores(assignment=assignment)
    if form is None:
        form = ScoreSheetForm(
            initial=ScoreSheetForm.initial_for(sheet),
            criteria=criteria,
            percent=call.comment_required_below_percent,
        )
    review_open = application.state in draw_svc.REVIEW_OPEN_STATES
    editable = (
        review_open and assignment.state == A.ACCEPTED and (sheet is None or not sheet.is_submitted)
    )
    attachments = [
        attachment
        for attachment in application.attachments.all()
        if not (call.blind_review and attachment.kind in IDENTIFYING_KINDS)
    ]
    lines = list(application.budget_lines.all())
    return {
        "assignment": assignment,
        "application": application,
        "call": call,
        "blind": call.blind_review,
        "answers": _answers(application),
        "budget_lines": lines,
        "summary": budget.summarise(lines, call),
        "communities": list(application.partner_communities.all()),
        "attachments": attachments,
        "criteria": criteria,
        "sheet": sheet,
        "form": form,
        "editable": editable,
        "can_correct": review_open and assignment.state == A.SUBMITTED,
        "correction_form": correction_form
        or ReasonForm(label=_("Why do the scores need correcting?")),
        "decline_form": ReasonForm(label=_("Why do you decline?")),
        "peers": sel.peer_scores(assignment=assignment),
    }


def _bind(request, assignment, call, criteria=None) -> ScoreSheetForm:
    form = ScoreSheetForm(
        request.POST,
        criteria=criteria if criteria is not None else sel.rubric(call=call),
        percent=call.comment_required_below_percent,
    )
    form.is_valid()
    return form


@never_cache
@login_required
def review(request, pk: int):
    assignment = _assignment(request, pk)
    if assignment.state == A.ASSIGNED:
        return redirect("grants:review_declaration", pk=assignment.pk)
    if not request.user.has_perm("grants.review_assignment", assignment):
        raise Http404
    if request.method != "POST":
        return render(request, "grants/review/assignment.html", _review_context(assignment))

    call = assignment.application.call
    form = _bind(request, assignment, call)
    entries, problems = form.entries()
    try:
        score_svc.save_scores(
            assignment=assignment,
            actor=request.user,
            entries=entries,
            comment=form.overall_comment(),
        )
    except ValidationError as error:
        _attach(form, error)
        return render(
            request,
            "grants/review/assignment.html",
            _review_context(assignment, form=form),
            status=400,
        )
    except TransitionRefused as error:
        messages.error(request, _message(error))
        return redirect("grants:review_assignment", pk=assignment.pk)
    if "submit" not in request.POST:
        if problems:
            messages.warning(request, _("Saved, except the scores that need correcting."))
            return render(
                request,
                "grants/review/assignment.html",
                _review_context(assignment, form=form),
                status=400,
            )
        messages.success(request, _("Your draft has been saved."))
        return redirect("grants:review_assignment", pk=assignment.pk)
    if form.errors:
        messages.error(request, _("Some scores need correcting before you can submit."))
        return render(
            request,
            "grants/review/assignment.html",
            _review_context(assignment, form=form),
            status=400,
        )
    try:
        sheet = score_svc.submit_scores(assignment=assignment, actor=request.user)
    except ValidationError as error:
        _attach(form, error)
        messages.error(request, _("Some scores need correcting before you can submit."))
        return render(
            request,
            "grants/review/assignment.html",
            _review_context(assignment, form=form),
            status=400,
        )
    except TransitionRefused as error:
        messages.error(request, _message(error))
        return redirect("grants:review_assignment", pk=assignment.pk)
    messages.success(
        request,
        _("Your scores have been submitted: %(total)s of 100.") % {"total": sheet.total},
    )
    return redirect("grants:review_assignment", pk=assignment.pk)


@require_POST
@login_required
def autosave(request, pk: int):
    """htmx: save what is valid as the reviewer types; answer with the status line only."""
    assignment = _assignment(request, pk, perm="grants.review_assignment")
    form = _bind(request, assignment, assignment.application.call)
    entries, problems = form.entries()
    context = {"problems": problems}
    try:
        sheet = score_svc.save_scores(
            assignment=assignment,
            actor=request.user,
            entries=entries,
            comment=form.overall_comment(),
        )
    except (TransitionRefused, ValidationError) as error:
        context["refused"] = _message(error)
    else:
        context["saved_at"] = sheet.updated_at
    return render(request, "grants/_autosave_status.html", context)


@require_POST
@login_required
def correction(request, pk: int):
    assignment = _assignment(request, pk, perm="grants.review_assignment")
    form = ReasonForm(request.POST, label=_("Why do the scores need correcting?"))
    if not form.is_valid():
        return render(
            request,
            "grants/review/assignment.html",
            _review_context(assignment, correction_form=form),
            status=400,
        )
    try:
        score_svc.open_correction(
            assignment=assignment, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except (TransitionRefused, ValidationError) as error:
        messages.error(request, _message(error))
    else:
        messages.success(
            request,
            _("A corrected version is open. Change the scores and submit them again."),
        )
    return redirect("grants:review_assignment", pk=assignment.pk)


@login_required
def history(request, pk: int):
    assignment = _assignment(request, pk, perm="grants.review_assignment")
    return render(
        request,
        "grants/review/history.html",
        {
            "assignment": assignment,
            "application": assignment.application,
            "sheets": sel.sheet_history(assignment=assignment),
        },
    )


@never_cache
@login_required
def attachment_download(request, pk: int, attachment_pk: int):
    """An attachment of the assigned application, for its reviewer (after the declaration).

    Under blind review the identifying documents are withheld and the file name is neutral.
    """
    assignment = _assignment(request, pk, perm="grants.review_assignment")
    call = assignment.application.call
    attachment = Attachment.objects.filter(
        pk=attachment_pk, application_id=assignment.application_id
    ).first()
    if attachment is None or (call.blind_review and attachment.kind in IDENTIFYING_KINDS):
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    filename = attachment.original_name
    if call.blind_review:
        extension = os.path.splitext(attachment.original_name)[1][:10]
        filename = (
            f"{assignment.application.reference}-{attachment.kind}-{attachment.pk}{extension}"
        )
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
