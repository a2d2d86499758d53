"""Resident feedback (群众评议) pages.

Public, no account (``/pingyi/<token>/``): the project's summary (public fields only) and the form;
then ``/pingyi/<token>/confirm/<ref>/`` where the resident types the SMS code (``ref`` is signed,
not the id) and reads the thank-you. Officers (``/workspace/applications/<pk>/feedback/``): the
channel's settings, every verified response (last four digits of the number at most), exclude and
count again. The poster PDF: officers and the organisation's members.

Writes go through ``grants.services.feedback``; these views turn its exceptions into form errors
and status codes (400 bad input, 409 already answered, 429 rate limit).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from grants import feedback_poster
from grants.forms_feedback import ChannelForm, CodeForm, ExcludeForm, FeedbackForm
from grants.models import Application
from grants.models.feedback import FeedbackMode, FeedbackResponse
from grants.selectors_feedback import (
    channel_for,
    channel_for_token,
    counts_by_state,
    distribution,
    distribution_rows,
    feedback_summary,
    responses_for_staff,
)
from grants.services import feedback as svc
from grants.services.errors import TransitionRefused
from grants.views.public_notice import client_ip


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- Public --------------------------------------------------------------------------------------


def _channel_or_404(token: str):
    channel = channel_for_token(token)
    if channel is None or channel.application.state not in svc.FEEDBACK_STATES:
        raise Http404
    return channel


def _public_context(channel, **extra) -> dict:
    application = channel.application
    return {
        "channel": channel,
        "application": application,
        "organisation": application.organisation,
        "communities": list(application.partner_communities.all()),
        **extra,
    }


@never_cache
def public_page(request, token: str):
    channel = _channel_or_404(token)
    refusal = svc.closed_reason(channel)
    household_required = channel.mode == FeedbackMode.HOUSEHOLD
    form = None
    status = 200
    if not refusal:
        form = FeedbackForm(request.POST or None, household_required=household_required)
    elif request.method == "POST":
        status = 400
    already = None
    if form is not None and request.method == "POST":
        if form.is_bot:
            # The honeypot was filled in: look like success, keep nothing, send nothing.
            return render(request, "grants/feedback/thanks.html", _public_context(channel))
        if form.is_valid():
            data = form.cleaned_data
            try:
                response = svc.submit_response(
                    channel=channel,
                    answers=svc.Answers(
                        satisfaction=data["satisfaction"],
                        phone=data["phone"],
                        comment=data["comment"],
                        attended=data["attended"],
                        timely=data["timely"],
                        household=data["household"],
                    ),
                    ip=client_ip(request),
                )
            except ValidationError as error:
                _add_errors(form, error)
                status = 400
            except TransitionRefused as error:
                refusal, form, status = str(error), None, 400
            except svc.AlreadyResponded as error:
                already, status = str(error), 409
            except svc.TooManyRequests as error:
                form.add_error(None, str(error))
                status = 429
            else:
                return redirect(
                    "grants:feedback_confirm", token=token, ref=svc.response_token(response)
                )
        else:
            status = 400
    return render(
        request,
        "grants/feedback/public.html",
        _public_context(channel, form=form, refusal=refusal, already=already),
        status=status,
    )


def _response_or_404(channel, ref: str) -> FeedbackResponse:
    response = svc.response_from_token(channel, ref)
    if response is None:
        raise Http404
    return response


@never_cache
def confirm(request, token: str, ref: str):
    channel = _channel_or_404(token)
    response = _response_or_404(channel, ref)
    if response.state != "unverified":
        return render(request, "grants/feedback/thanks.html", _public_context(channel))
    form = CodeForm(request.POST or None)
    status = 200
    already = None
    if request.method == "POST":
        if form.is_valid():
            try:
                svc.verify_response(
                    response=response, code=form.cleaned_data["code"], ip=client_ip(request)
                )
            except svc.CodeRejected as error:
                form.add_error("code", str(error))
                status = 400
            except svc.TooManyRequests as error:
                form.add_error(None, str(error))
                status = 429
            except svc.AlreadyResponded as error:
                already, status = str(error), 409
            except TransitionRefused as error:
                form.add_error(None, str(error))
                status = 400
            else:
                return redirect("grants:feedback_confirm", token=token, ref=ref)
        else:
            status = 400
    return render(
        request,
        "grants/feedback/confirm.html",
        _public_context(
            channel,
            form=form,
            ref=ref,
            already=already,
            sent_to=response.masked_phone,
            minutes=int(svc.CODE_VALID.total_seconds() // 60),
        ),
        status=status,
    )


@require_POST
def resend(request, token: str, ref: str):
    channel = _channel_or_404(token)
    response = _response_or_404(channel, ref)
    try:
        svc.resend_code(response=response, ip=client_ip(request))
    except (svc.TooManyRequests, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, _("A new code has been sent."))
    return redirect("grants:feedback_confirm", token=token, ref=ref)


# --- Officers ------------------------------------------------------------------------------------


def _application_for(user, pk: int, perm: str) -> Application:
    application = (
        Application.objects.select_related("call__programme", "organisation").filter(pk=pk).first()
    )
    if application is None:
        raise Http404
    if not user.has_perm(perm, application):
        raise PermissionDenied(_("Only programme officers may manage resident feedback."))
    return application


def _officer_page(request, application, *, channel_form=None, status: int = 200):
    channel = channel_for(application.pk)
    context = {
        "application": application,
        "call": application.call,
        "channel": channel,
        "summary": feedback_summary([application.pk])[application.pk],
        "distribution_rows": distribution_rows(distribution(application.pk)),
        "counts": counts_by_state(application.pk),
        "responses": list(responses_for_staff(application.pk)[:500]),
        "exclude_form": ExcludeForm(),
        "can_open": application.state in svc.FUNDED_STATES,
    }
    if channel is not None:
        url = feedback_poster.public_url(channel)
        context.update(
            {
                "public_url": url,
                # segno's own markup from a URL we built: nothing user-typed in it.
                "qr_svg": mark_safe(feedback_poster.qr_svg(url)),  # noqa: S308
                "closed_reason": svc.closed_reason(channel, application=application),
                "channel_form": channel_form
                or ChannelForm(
                    initial={
                        "is_open": channel.is_open,
                        "mode": channel.mode,
                        "closes_on": channel.closes_on,
                    }
                ),
            }
        )
    return render(request, "grants/feedback/officer.html", context, status=status)


@login_required
def officer_page(request, pk: int):
    application = _application_for(request.user, pk, "grants.manage_feedback")
    return _officer_page(request, application)


@login_required
@require_POST
def officer_open(request, pk: int):
    application = _application_for(request.user, pk, "grants.manage_feedback")
    try:
        svc.open_channel(application=application, actor=request.user)
    except TransitionRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("The feedback page is open. Print the poster for the community.")
        )
    return redirect("grants:feedback_officer", pk=application.pk)


@login_required
@require_POST
def officer_settings(request, pk: int):
    application = _application_for(request.user, pk, "grants.manage_feedback")
    channel = channel_for(application.pk)
    if channel is None:
        raise Http404
    form = ChannelForm(request.POST)
    if form.is_valid():
        try:
            svc.configure_channel(
                channel=channel,
                actor=request.user,
                is_open=form.cleaned_data["is_open"],
                mode=form.cleaned_data["mode"],
                closes_on=form.cleaned_data["closes_on"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The feedback settings are saved."))
            return redirect("grants:feedback_officer", pk=application.pk)
    return _officer_page(request, application, channel_form=form, status=400)


def _response_for(user, pk: int, response_pk: int) -> FeedbackResponse:
    application = _application_for(user, pk, "grants.moderate_feedback")
    return get_object_or_404(FeedbackResponse, pk=response_pk, application=application)


@login_required
@require_POST
def officer_exclude(request, pk: int, response_pk: int):
    response = _response_for(request.user, pk, response_pk)
    form = ExcludeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the response is excluded."))
    else:
        try:
            svc.exclude_response(
                response=response, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except (ValidationError, TransitionRefused) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, _("The response is excluded from the figures."))
    return redirect("grants:feedback_officer", pk=pk)


@login_required
@require_POST
def officer_reinstate(request, pk: int, response_pk: int):
    response = _response_for(request.user, pk, response_pk)
    try:
        svc.reinstate_response(response=response, actor=request.user)
    except TransitionRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The response counts again."))
    return redirect("grants:feedback_officer", pk=pk)


@login_required
def poster(request, pk: int):
    """The A4 PDF poster: officers and the organisation's members; 404 for everyone else."""
    application = Application.objects.filter(pk=pk).first()
    if application is None or not request.user.has_perm(
        "grants.print_feedback_poster", application
    ):
        raise Http404
    channel = channel_for(application.pk)
    if channel is None:
        raise Http404
    channel.application = (
        Application.objects.select_related("organisation", "call__programme")
        .prefetch_related("partner_communities")
        .get(pk=pk)
    )
    response = HttpResponse(
        feedback_poster.render_poster_pdf(channel), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="pingyi-{application.reference}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
