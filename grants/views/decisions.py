"""The officer's side of the decision step, and the decision letter download.

/workspace/calls/<pk>/public-notice/ previews and publishes a call's 公示 (or, for a call without
one, approves and rejects directly), then lists the objections with their state; each objection
has a page with the triage note and the answer form. Officers only (``grants.manage_public_notice``;
anyone else gets 403). Writes go through ``grants.services.decisions`` and ``.objections``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grants import letters
from grants.forms_decisions import PublishNoticeForm, ResolveObjectionForm, TriageForm
from grants.models import Application, Call, PublicNotice
from grants.selectors_decisions import (
    decided_applications,
    decision_overview,
    notice_counts,
    objection_for_officer,
    objections_for_officer,
    undecided_applications,
)
from grants.services import decisions as svc
from grants.services import objections as objection_svc
from grants.services.decisions import notice_last_day, rejection_reason
from grants.services.errors import TransitionRefused


def _call_for_officer(user, pk: int) -> Call:
    if not user.has_perm("grants.manage_public_notice"):
        raise PermissionDenied(_("The workspace is for programme officers."))
    return get_object_or_404(Call.objects.select_related("programme"), pk=pk)


def _notice(call: Call) -> PublicNotice | None:
    return PublicNotice.objects.filter(call=call).select_related("published_by").first()


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _page(request, call: Call, *, form=None, status: int = 200):
    notice = _notice(call)
    context = {"call": call, "notice": notice, "now": timezone.now()}
    if notice is None:
        decided = list(decided_applications(call=call))
        context.update(
            {
                "form": form
                or PublishNoticeForm(initial={"title": svc.default_notice_title(call)}),
                "undecided": undecided_applications(call=call),
                "to_publish": [a for a in decided if a.state == "recommended"],
                "to_reject": [
                    (a, rejection_reason(a)) for a in decided if a.state != "recommended"
                ],
            }
        )
    else:
        context.update(
            {
                "is_open": notice.is_open(),
                "last_day": notice_last_day(notice),
                "counts": notice_counts(call=call),
                "objections": list(objections_for_officer(call=call)),
                "applications": [
                    (application, letters.letter_kind(application, notice_published=True))
                    for application in decision_overview(call=call)
                ],
            }
        )
    return render(request, "grants/decisions/officer_notice.html", context, status=status)


@login_required
def notice_page(request, pk: int):
    call = _call_for_officer(request.user, pk)
    if request.method != "POST":
        return _page(request, call)
    form = PublishNoticeForm(request.POST)
    if not form.is_valid():
        return _page(request, call, form=form, status=400)
    try:
        svc.publish_public_notice(
            call=call,
            actor=request.user,
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
            contact=form.cleaned_data["contact"],
        )
    except TransitionRefused as error:
        form.add_error(None, str(error))
        return _page(request, call, form=form, status=400)
    messages.success(request, _("The public notice is published."))
    return redirect("grants:decisions_notice", pk=call.pk)


def _report(request, result: svc.DecisionResult) -> None:
    for application in result.approved:
        messages.success(
            request,
            _("%(project)s: approved.") % {"project": application.title or application.reference},
        )
    for application in result.rejected:
        messages.info(
            request,
            _("%(project)s: rejected.") % {"project": application.title or application.reference},
        )
    for application in result.waiting:
        messages.warning(
            request,
            _("%(project)s: waits for the answer to an objection.")
            % {"project": application.title or application.reference},
        )
    if not (result.approved or result.rejected or result.waiting):
        messages.info(request, _("Nothing left to decide."))


@login_required
@require_POST
def approve(request, pk: int):
    call = _call_for_officer(request.user, pk)
    try:
        result = svc.approve_after_notice(call=call, actor=request.user)
    except TransitionRefused as error:
        messages.error(request, str(error))
    else:
        _report(request, result)
    return redirect("grants:decisions_notice", pk=call.pk)


@login_required
@require_POST
def decide(request, pk: int):
    """A call without 公示: approve the recommended applications and reject the others."""
    call = _call_for_officer(request.user, pk)
    try:
        result = svc.decide_without_notice(call=call, actor=request.user)
    except TransitionRefused as error:
        messages.error(request, str(error))
    else:
        _report(request, result)
    return redirect("grants:decisions_notice", pk=call.pk)


# --- One objection -----------------------------------------------------------------------------


def _objection_page(request, call, objection, *, triage=None, resolve=None, status=200):
    return render(
        request,
        "grants/decisions/officer_objection.html",
        {
            "call": call,
            "objection": objection,
            "application": objection.application,
            "masked_name": objection_svc.mask_name(objection.name),
            "triage_form": triage or TriageForm(initial={"triage_note": objection.triage_note}),
            "resolve_form": resolve or ResolveObjectionForm(),
        },
        status=status,
    )


def _objection_for(user, pk: int, objection_pk: int):
    call = _call_for_officer(user, pk)
    objection = objection_for_officer(call=call, pk=objection_pk)
    if objection is None:
        raise Http404
    return call, objection


@login_required
def objection_page(request, pk: int, objection_pk: int):
    call, objection = _objection_for(request.user, pk, objection_pk)
    if request.method != "POST":
        return _objection_page(request, call, objection)
    form = TriageForm(request.POST)
    if form.is_valid():
        objection_svc.triage_objection(
            objection=objection, actor=request.user, note=form.cleaned_data["triage_note"]
        )
        messages.success(request, _("The triage note is saved."))
        return redirect("grants:decisions_objection", pk=call.pk, objection_pk=objection.pk)
    return _objection_page(request, call, objection, triage=form, status=400)


@login_required
@require_POST
def objection_resolve(request, pk: int, objection_pk: int):
    call, objection = _objection_for(request.user, pk, objection_pk)
    form = ResolveObjectionForm(request.POST)
    if form.is_valid():
        try:
            objection_svc.resolve_objection(
                objection=objection,
                actor=request.user,
                outcome=form.cleaned_data["outcome"],
                answer=form.cleaned_data["answer"],
                reject=form.cleaned_data["reject"],
                reject_reason=form.cleaned_data["reject_reason"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        except TransitionRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The objection is answered; the objector is informed."))
            return redirect("grants:decisions_notice", pk=call.pk)
    return _objection_page(request, call, objection, resolve=form, status=400)


# --- Decision letters ----------------------------------------------------------------------------


@login_required
def decision_letter(request, pk: int):
    """The PDF letter: for the organisation's members and officers; 404 for everyone else."""
    application = (
        Application.objects.select_related("call__programme", "organisation", "created_by")
        .filter(pk=pk)
        .first()
    )
    if application is None or not request.user.has_perm("grants.view_decision_letter", application):
        raise Http404
    letter = letters.build_letter(application)
    if letter is None:
        raise Http404
    response = HttpResponse(letters.render_letter_pdf(letter), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{letter.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
