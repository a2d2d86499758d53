"""The applicant side: apply to a call, fill the form (autosaved), submit, follow the application.

Views are thin: they bind forms and call ``grants.services.applications``; every write, lock and
permission decision is there. Not allowed to see an application looks exactly like a missing one
(404); allowed to see but not to act (an officer on the applicant's edit page) is a 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.enums import Role
from grants import budget, selectors
from grants.enums import WITHDRAWABLE_STATES, ApplicationState, CallPhase
from grants.forms import (
    ROW_SECTIONS,
    ApplicationForm,
    ApplyForm,
    AttachmentForm,
    CommentForm,
    WithdrawForm,
    answers_as_initial,
    formset_rows,
    row_formset,
)
from grants.models import Application, Call
from grants.services import applications as svc
from grants.services.errors import AlreadyApplied, SubmissionRefused, TransitionRefused
from incubator.models import Organisation

S = ApplicationState


# --- Reads (small and local to these pages) ------------------------------------------------


def _applications():
    return Application.objects.select_related("call", "call__programme", "organisation", "form")


def _application_for(user, pk: int, *, perm: str | None = None) -> Application:
    """Fetch and check in one step: 404 for who may not see it, 403 for who may see but not act."""
    application = _applications().filter(pk=pk).first()
    if application is None or not user.has_perm("grants.view_application", application):
        raise Http404
    if perm and not user.has_perm(perm, application):
        raise PermissionDenied
    return application


def _my_organisations(user):
    return Organisation.objects.filter(pk__in=user.organisation_ids(Role.APPLICANT)).order_by(
        "name"
    )


# The officer pages import the timeline from here; it is the selector's (one timeline for both sides).
build_timeline = selectors.application_timeline


# --- Plain-language status ----------------------------------------------------------------


@dataclass(frozen=True)
class ApplicantStatus:
    headline: str
    next_step: str = ""
    due: datetime | None = None
    urgent: bool = False


def _time_left(deadline: datetime, now: datetime) -> str:
    left = deadline - now
    if left.days >= 1:
        return ngettext("%(count)d day left", "%(count)d days left", left.days) % {
            "count": left.days
        }
    hours = max(int(left.total_seconds() // 3600), 0)
    if hours >= 1:
        return ngettext("%(count)d hour left", "%(count)d hours left", hours) % {"count": hours}
    return _("less than an hour left")


def _day(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "MONTH_DAY_FORMAT")


def applicant_status(application: Application, *, now: datetime) -> ApplicantStatus:
    """What the state means for the applicant, what they should do next and by when."""
    state = application.state
    if state in (S.DRAFT, S.RETURNED):
        deadline = application.resubmission_deadline
        if now > deadline:
            return ApplicantStatus(
                headline=(
                    _("Draft — the call has closed; it can no longer be submitted")
                    if state == S.DRAFT
                    else _("Returned for revision — the revision deadline has passed")
                ),
            )
        if state == S.DRAFT:
            headline = _("Draft — submit before the deadline (%(left)s)") % {
                "left": _time_left(deadline, now)
            }
            next_step = _("Complete the form and submit it.")
        else:
            headline = _("Returned for revision — revise and resubmit by %(day)s") % {
                "day": _day(deadline)
            }
            next_step = _(
                "Read the officer's comments, revise the application and submit it again."
            )
        return ApplicantStatus(headline, next_step, deadline, urgent=(deadline - now).days < 3)
    plain = {
        S.SUBMITTED: (
            _("Submitted — waiting for the eligibility check"),
            _("Nothing to do: the officer will check it."),
        ),
        S.SCREENING: (
            _("Eligibility check in progress"),
            _("Nothing to do; answer the officer if asked."),
        ),
        S.IN_REVIEW: (_("In expert review"), _("Nothing to do: experts are scoring the projects.")),
        S.DEFENSE: (_("Live pitch (路演)"), _("Prepare the 8-minute presentation of the project.")),
        S.WITHDRAWN: (_("Withdrawn"), ""),
        S.INELIGIBLE: (_("Not eligible — see the reasons on the application"), ""),
    }
    headline, next_step = plain.get(state, (application.get_state_display(), ""))
    return ApplicantStatus(str(headline), str(next_step))


# --- Apply ----------------------------------------------------------------------------------


@login_required
def apply(request, slug: str):
    call = get_object_or_404(Call.objects.select_related("programme"), slug=slug)
    organisations = _my_organisations(request.user)
    now = timezone.now()
    is_open = call.phase(now) == CallPhase.OPEN
    form = ApplyForm(request.POST or None, organisations=organisations) if organisations else None
    if request.method == "POST" and form is not None and form.is_valid():
        organisation = form.cleaned_data["organisation"]
        existing = (
            Application.objects.filter(
                call=call, organisation=organisation, state__in=[S.DRAFT, S.RETURNED]
            )
            .order_by("-created_at")
            .first()
        )
        if existing is not None:
            return redirect("grants:application_edit", pk=existing.pk)
        try:
            application = svc.start_application(
                call=call, organisation=organisation, actor=request.user
            )
        except AlreadyApplied as refusal:
            messages.error(request, refusal.message)
            if refusal.application is not None and request.user.has_perm(
                "grants.view_application", refusal.application
            ):
                return redirect("grants:application_detail", pk=refusal.application.pk)
        except (TransitionRefused, ValidationError) as refusal:
            messages.error(request, _message(refusal))
        else:
            if application.is_editable:
                return redirect("grants:application_edit", pk=application.pk)
            return redirect("grants:application_detail", pk=application.pk)
    return render(
        request,
        "grants/applicant/apply.html",
        {
            "call": call,
            "form": form,
            "organisations": list(organisations),
            "is_open": is_open,
            "phase": call.phase(now),
        },
    )


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(str(message) for message in error.messages)
    return str(getattr(error, "message", error))


# --- Workspace and detail -------------------------------------------------------------------


@login_required
def application_list(request):
    now = timezone.now()
    applications = list(selectors.applications_of_user(user=request.user))
    rows = [(application, applicant_status(application, now=now)) for application in applications]
    return render(request, "grants/applicant/application_list.html", {"rows": rows, "now": now})


@login_required
def application_detail(request, pk: int):
    application = _application_for(request.user, pk)
    user = request.user
    lines = list(application.budget_lines.all())
    return render(
        request,
        "grants/applicant/application_detail.html",
        {
            "application": application,
            "status": applicant_status(application, now=timezone.now()),
            "answers": _answers(application),
            "budget_lines": lines,
            "summary": budget.summarise(lines, application.call),
            "communities": list(application.partner_communities.select_related("parent")),
            "attachments": list(application.attachments.all()),
            "eligibility": application.eligibility if application.submitted_at else [],
            "timeline": build_timeline(application=application, viewer=user),
            "can_edit": application.is_editable
            and user.has_perm("grants.edit_application", application),
            "can_withdraw": application.state in WITHDRAWABLE_STATES
            and user.has_perm("grants.withdraw_application", application),
            "can_comment": user.has_perm("grants.comment_application", application),
            "comment_form": CommentForm(),
            "withdraw_form": WithdrawForm(),
        },
    )


def _answers(application: Application) -> list[tuple[str, object]]:
    """The call's extra questions with this application's answers, in the form version it answered."""
    questions = application.form.questions if application.form else []
    answers = application.extra_answers or {}
    shown = []
    for question in questions:
        value = answers.get(question.get("key"), "")
        if question.get("type") == "yesno" and value in ("yes", "no"):
            value = _("Yes") if value == "yes" else _("No")
        shown.append((question.get("label") or question.get("key"), value))
    return shown


@require_POST
@login_required
def application_comment(request, pk: int):
    application = _application_for(request.user, pk, perm="grants.comment_application")
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            svc.add_comment(
                application=application,
                actor=request.user,
                body=form.cleaned_data["body"],
                visibility=form.visibility,
            )
        except (TransitionRefused, ValidationError) as error:
            messages.error(request, _message(error))
        else:
            messages.success(request, _("Your message has been sent to the programme officer."))
    else:
        messages.error(request, _("Write a message first."))
    return HttpResponseRedirect(
        reverse("grants:application_detail", args=[application.pk]) + "#timeline"
    )


@require_POST
@login_required
def application_withdraw(request, pk: int):
    application = _application_for(request.user, pk, perm="grants.withdraw_application")
    form = WithdrawForm(request.POST)
    form.is_valid()
    try:
        svc.withdraw_application(
            application=application, actor=request.user, reason=form.cleaned_data.get("reason", "")
        )
    except (TransitionRefused, ValidationError) as error:
        messages.error(request, _message(error))
    else:
        messages.success(request, _("The application has been withdrawn."))
    return redirect("grants:application_detail", pk=application.pk)


# --- The form: edit, autosave, add rows, attachments, submit --------------------------------


class BoundApplication:
    """The application form and its row sections, bound to a request or filled from the draft."""

    def __init__(self, application: Application, data=None, *, extra_row: str | None = None):
        self.application = application
        questions = application.form.questions if application.form else []
        if data is None:
            initial = {name: getattr(application, name) for name in ApplicationForm.fixed_fields}
            initial["partner_communities"] = [c.pk for c in application.partner_communities.all()]
            initial["theme"] = application.theme
            initial.update(answers_as_initial(questions, application.extra_answers or {}))
            self.form = ApplicationForm(
                initial=initial, questions=questions, themes=application.call.themes
            )
        else:
            self.form = ApplicationForm(data, questions=questions, themes=application.call.themes)
        saved = {
            "activities": application.activities or [],
            "indicators": application.indicators or [],
            "team": application.team or [],
            "budget": [
                {
                    "category": line.category,
                    "description": line.description,
                    "amount": line.amount,
                    "matching_amount": line.matching_amount,
                }
                for line in application.budget_lines.all()
            ],
        }
        self.saved_budget = saved["budget"]
        self.formsets = {
            prefix: row_formset(
                prefix, data=data, initial=saved[prefix], extra=1 if prefix == extra_row else 0
            )
            for prefix in ROW_SECTIONS
        }

    def save_draft(self, *, actor) -> tuple[Application, list[str]]:
        """Save what is valid; return the application and the problems left (one line each)."""
        self.form.is_valid()
        fields = self.form.fields_data()
        rows = {prefix: formset_rows(formset) for prefix, formset in self.formsets.items()}
        for prefix in ("activities", "indicators", "team"):
            if rows[prefix] is not None:
                fields[prefix] = rows[prefix]
        try:
            application = svc.save_draft(
                application=self.application,
                actor=actor,
                fields=fields,
                budget_lines=rows["budget"],
                extra_answers=self.form.extra_answers(),
                partner_community_ids=self.form.partner_community_ids(),
            )
        except ValidationError as error:
            # The service refused the whole save (nothing changed): say why, keep what was typed.
            self.service_errors = error.messages
            return self.application, self.problems()
        self.budget_rows = rows["budget"] if rows["budget"] is not None else self.saved_budget
        return application, self.problems()

    service_errors: list[str] = []

    def problems(self) -> list[str]:
        problems = list(self.service_errors)
        for name, errors in self.form.errors.items():
            label = self.form.fields[name].label if name in self.form.fields else ""
            problems.extend(f"{label}: {error}" if label else str(error) for error in errors)
        for formset in self.formsets.values():
            for index, form in enumerate(formset.forms, start=1):
                for name, errors in form.errors.items():
                    label = form.fields[name].label if name in form.fields else ""
                    problems.extend(
                        _("%(section)s, row %(row)s, %(field)s: %(error)s")
                        % {
                            "section": _section_label(formset.prefix),
                            "row": index,
                            "field": label,
                            "error": error,
                        }
                        for error in errors
                    )
            problems.extend(str(error) for error in formset.non_form_errors())
        return problems

    def summary(self):
        rows = getattr(self, "budget_rows", None)
        return budget.summarise(
            rows if rows is not None else self.saved_budget, self.application.call
        )


def _section_label(prefix: str) -> str:
    return {
        "activities": _("Activities and timeline"),
        "indicators": _("Indicators"),
        "team": _("Team"),
        "budget": _("Budget"),
    }[prefix]


def _render_form(
    request, bound: BoundApplication, *, attachment_form=None, refusal=None, status=200
):
    application = bound.application
    return render(
        request,
        "grants/applicant/application_form.html",
        {
            "application": application,
            "form": bound.form,
            "formsets": bound.formsets,
            "summary": bound.summary(),
            "attachments": list(application.attachments.all()),
            "attachment_form": attachment_form or AttachmentForm(),
            "refusal": refusal,
            "status": applicant_status(application, now=timezone.now()),
        },
        status=status,
    )


def _editable_application(request, pk: int) -> Application:
    return _application_for(request.user, pk, perm="grants.edit_application")


@never_cache
@login_required
def application_edit(request, pk: int):
    application = _editable_application(request, pk)
    if not application.is_editable:
        messages.info(
            request, _("This application has been submitted and can no longer be changed.")
        )
        return redirect("grants:application_detail", pk=application.pk)
    if request.method != "POST":
        extra_row = request.GET.get("add")
        return _render_form(
            request,
            BoundApplication(
                application, extra_row=extra_row if extra_row in ROW_SECTIONS else None
            ),
        )

    bound = BoundApplication(application, request.POST)
    try:
        application, problems = bound.save_draft(actor=request.user)
    except TransitionRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("grants:application_detail", pk=application.pk)
    edit_url = reverse("grants:application_edit", args=[application.pk])

    if (section := request.POST.get("add_row")) in ROW_SECTIONS:
        # No JavaScript needed: the draft is saved and the page comes back with one more blank row.
        return HttpResponseRedirect(f"{edit_url}?add={section}#section-{section}")

    if "upload" in request.POST:
        attachment_form = AttachmentForm(request.POST, request.FILES)
        if attachment_form.is_valid():
            try:
                svc.add_attachment(
                    application=application,
                    actor=request.user,
                    uploaded_file=attachment_form.cleaned_data["file"],
                    kind=attachment_form.cleaned_data["kind"],
                )
            except ValidationError as error:
                attachment_form.add_error("file", error)
            else:
                messages.success(
                    request,
                    _("%(name)s has been attached.")
                    % {"name": attachment_form.cleaned_data["file"].name},
                )
                return HttpResponseRedirect(f"{edit_url}#attachments")
        return _render_form(request, bound, attachment_form=attachment_form, status=422)

    if remove := request.POST.get("remove_attachment"):
        attachment = application.attachments.filter(pk=remove if remove.isdigit() else None).first()
        if attachment is not None:
            svc.remove_attachment(attachment=attachment, actor=request.user)
            messages.success(
                request, _("%(name)s has been removed.") % {"name": attachment.original_name}
            )
        return HttpResponseRedirect(f"{edit_url}#attachments")

    if problems:
        # The valid parts are saved; show every problem next to its field.
        return _render_form(request, bound, status=422)

    if "submit" in request.POST:
        try:
            application = svc.submit_application(application=application, actor=request.user)
        except SubmissionRefused as refusal:
            # The draft stays exactly as typed (saved above); every blocking reason is listed on top.
            return _render_form(request, bound, refusal=refusal, status=422)
        except TransitionRefused as refusal:
            messages.error(request, refusal.message)
            return redirect("grants:application_detail", pk=application.pk)
        messages.success(
            request,
            _(
                "Your application %(reference)s has been submitted. You will be told when it has been checked."
            )
            % {"reference": application.reference},
        )
        return redirect("grants:application_detail", pk=application.pk)

    messages.success(request, _("The draft has been saved."))
    return HttpResponseRedirect(edit_url)


@require_POST
@login_required
def application_autosave(request, pk: int):
    """htmx autosave: saves the draft and answers with the status line and the budget table."""
    application = _editable_application(request, pk)
    if not application.is_editable:
        return render(
            request,
            "grants/_autosave_status.html",
            {"refused": _("This application can no longer be changed.")},
        )
    bound = BoundApplication(application, request.POST)
    try:
        application, problems = bound.save_draft(actor=request.user)
    except TransitionRefused as refusal:
        return render(request, "grants/_autosave_status.html", {"refused": refusal.message})
    return render(
        request,
        "grants/_autosave_status.html",
        {
            "application": application,
            "saved_at": application.last_saved_at or timezone.now(),
            "problems": problems,
            "summary": bound.summary(),
            "oob": True,
        },
    )
