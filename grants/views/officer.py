"""The officer workspace: calls with counts, a call's applications (filters, bulk actions, Excel
export) and one application with its answers, eligibility, timeline, comments and actions.

Every view is for officers only (``grants.use_officer_workspace``); anyone else gets 403. Writes go
through ``grants.services`` via ``grants.transitions``; the views only translate errors.
"""

from __future__ import annotations

from collections import defaultdict

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from grants import exports
from grants.budget import summarise
from grants.enums import ApplicationState, CommentVisibility, RuleSeverity
from grants.filters import ApplicationFilter
from grants.models import Application, Attachment, BudgetLine, Call, Programme
from grants.selectors import applications_for_officer
from grants.services import applications as svc
from grants.services.errors import TransitionRefused
from grants.transitions import ACTIONS, BULK_ACTIONS, available_actions, run_action
from grants.views.applicant import build_timeline

PAGE_SIZE = 50


def _require_officer(user) -> None:
    if not user.has_perm("grants.use_officer_workspace"):
        raise PermissionDenied(_("The workspace is for programme officers."))


def _state_counts(call_ids) -> dict[int, list[tuple[str, str, int]]]:
    """{call id: [(state code, label, count), …]} in the order of the state machine, one query."""
    rows = (
        Application.objects.filter(call_id__in=call_ids)
        .values_list("call_id", "state")
        .annotate(count=Count("pk"))
        .order_by()
    )
    by_call: dict[int, dict[str, int]] = defaultdict(dict)
    for call_id, state, count in rows:
        by_call[call_id][state] = count
    return {
        call_id: [
            (code, label, counts[code])
            for code, label in ApplicationState.choices
            if code in counts
        ]
        for call_id, counts in by_call.items()
    }


# --- Forms (small and only used here) -----------------------------------------------------------


class ActionForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (the applicant will read it)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    revision_due_at = forms.DateTimeField(
        label=gettext_lazy("Revision due by (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )

    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, prefix=action.code, **kwargs)
        self.action = action
        self.fields["reason"].required = action.needs_reason
        if action.reason == "none":
            del self.fields["reason"]
        if action.code != "return_for_revision":
            del self.fields["revision_due_at"]


class BulkActionForm(forms.Form):
    action = forms.ChoiceField(label=gettext_lazy("Action"))
    ids = forms.TypedMultipleChoiceField(
        coerce=int, error_messages={"required": gettext_lazy("Select rows first.")}
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason (for returns; the applicants will read it)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, row_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [(action.code, action.label) for action in BULK_ACTIONS]
        self.fields["ids"].choices = [(pk, pk) for pk in row_ids]

    def clean(self):
        cleaned = super().clean()
        action = ACTIONS.get(cleaned.get("action", ""))
        if action and action.needs_reason and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Please give a reason; the applicant will read it."))
        return cleaned


class OfficerCommentForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Comment"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    visibility = forms.ChoiceField(
        label=gettext_lazy("Visible to"),
        choices=CommentVisibility.choices,
        initial=CommentVisibility.STAFF,
    )


# --- The workspace ------------------------------------------------------------------------------


@login_required
def workspace(request):
    _require_officer(request.user)
    programmes = list(
        Programme.objects.prefetch_related(
            Prefetch("calls", queryset=Call.objects.order_by("-opens_at", "pk"))
        ).order_by("-start_year", "name")
    )
    counts = _state_counts([call.pk for programme in programmes for call in programme.calls.all()])
    for programme in programmes:
        for call in programme.calls.all():
            call.state_counts = counts.get(call.pk, [])
            call.application_total = sum(count for _code, _label, count in call.state_counts)
    return render(request, "grants/officer/workspace.html", {"programmes": programmes})


def _list_querystring(params: QueryDict) -> str:
    params = params.copy()
    for name in ("page", "csrfmiddlewaretoken"):
        params.pop(name, None)
    return params.urlencode()


@login_required
def call_applications(request, pk: int):
    _require_officer(request.user)
    call = get_object_or_404(Call.objects.select_related("programme"), pk=pk)
    if request.method == "POST":
        return _bulk_action(request, call)
    filterset = ApplicationFilter(request.GET, call=call)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    querystring = _list_querystring(request.GET)
    return render(
        request,
        "grants/officer/call_applications.html",
        {
            "call": call,
            "filterset": filterset,
            "page": page,
            "querystring": querystring,
            "state_counts": _state_counts([call.pk]).get(call.pk, []),
            "show_theme": len(call.themes) > 1,
            "bulk_form": BulkActionForm(row_ids=[]),
            "bulk_actions": BULK_ACTIONS,
        },
    )


def _bulk_action(request, call: Call):
    """Run one action on each selected row through its service; report every row's outcome."""
    back = reverse("grants:officer_call_applications", args=[call.pk])
    querystring = _list_querystring(QueryDict(request.POST.get("querystring", "")))
    if querystring:
        back = f"{back}?{querystring}"
    row_ids = list(
        applications_for_officer(call=call)
        .filter(pk__in=_int_list(request.POST.getlist("ids")))
        .values_list("pk", flat=True)
    )
    form = BulkActionForm(request.POST, row_ids=row_ids)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    action = ACTIONS[form.cleaned_data["action"]]
    applications = (
        applications_for_officer(call=call).filter(pk__in=form.cleaned_data["ids"]).order_by("pk")
    )
    done = refused = 0
    for application in applications:
        name = f"{application.reference} {application.title or ''}".strip()
        try:
            updated = run_action(
                action.code,
                application=application,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except (PermissionDenied, TransitionRefused, ValidationError) as error:
            refused += 1
            messages.error(
                request,
                _("%(application)s: refused — %(reason)s")
                % {"application": name, "reason": _message(error)},
            )
        else:
            done += 1
            messages.success(
                request,
                _("%(application)s: %(action)s — now “%(state)s”.")
                % {
                    "application": name,
                    "action": action.label,
                    "state": updated.get_state_display(),
                },
            )
    messages.info(
        request,
        _("%(action)s: %(done)d done, %(refused)d refused.")
        % {"action": action.label, "done": done, "refused": refused},
    )
    return redirect(back)


def _int_list(values) -> list[int]:
    return [int(value) for value in values if str(value).isdigit()]


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(str(message) for message in error.messages)
    if isinstance(error, PermissionDenied):
        return str(error) or _("You may not do this.")
    return str(error)


@login_required
def export_applications(request, pk: int):
    _require_officer(request.user)
    call = get_object_or_404(Call.objects.select_related("programme"), pk=pk)
    filterset = ApplicationFilter(request.GET, call=call)
    workbook = exports.applications_workbook(exports.export_queryset(filterset.qs), call=call)
    response = HttpResponse(
        exports.workbook_bytes(workbook), content_type=exports.XLSX_CONTENT_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="{exports.export_filename(call)}"'
    return response


# --- One application ----------------------------------------------------------------------------


def _get_application(user, pk: int) -> Application:
    _require_officer(user)
    application = get_object_or_404(
        Application.objects.select_related(
            "call__programme", "organisation__district", "form"
        ).prefetch_related(
            "partner_communities",
            Prefetch("budget_lines", queryset=BudgetLine.objects.order_by("position", "pk")),
            Prefetch(
                "attachments",
                queryset=Attachment.objects.select_related("uploaded_by").order_by("uploaded_at"),
            ),
        ),
        pk=pk,
    )
    if not user.has_perm("grants.view_application", application):
        raise PermissionDenied
    return application


def _detail_context(
    request, application: Application, *, bound_form=None, comment_form=None
) -> dict:
    # Actions with a panel of their own (e.g. starting an evaluation with an evaluator) are
    # offered there, not as a second plain button.
    actions = [
        action
        for action in available_actions(application=application, user=request.user)
        if not action.panel
    ]
    action_forms = []
    for action in actions:
        if bound_form is not None and bound_form.action.code == action.code:
            action_forms.append(bound_form)
        else:
            action_forms.append(ActionForm(action=action))
    questions = (application.form.questions or []) if application.form_id else []
    answers = application.extra_answers or {}
    results = [result for result in application.eligibility or [] if isinstance(result, dict)]
    return {
        "application": application,
        "call": application.call,
        "theme_label": exports.theme_label(application),
        "budget": summarise(application.budget_lines.all(), application.call),
        "questions": [(question, answers.get(question.get("key"))) for question in questions],
        "hard_failures": [
            r for r in results if not r.get("passed") and r.get("severity") == RuleSeverity.HARD
        ],
        "soft_flags": [
            r for r in results if not r.get("passed") and r.get("severity") == RuleSeverity.SOFT
        ],
        "passed_rules": [r for r in results if r.get("passed")],
        "action_forms": action_forms,
        # The partial and its entries are the applicant pages' (one timeline for both sides).
        "timeline": build_timeline(application=application, viewer=request.user),
        "comment_form": comment_form or OfficerCommentForm(),
    }


@login_required
def application_detail(request, pk: int):
    application = _get_application(request.user, pk)
    return render(
        request, "grants/officer/application_detail.html", _detail_context(request, application)
    )


@login_required
@require_POST
def application_action(request, pk: int, code: str):
    application = _get_application(request.user, pk)
    action = ACTIONS.get(code)
    if action is None:
        raise PermissionDenied
    form = ActionForm(request.POST, action=action)
    if form.is_valid():
        try:
            updated = run_action(
                code,
                application=application,
                actor=request.user,
                reason=form.cleaned_data.get("reason", ""),
                revision_due_at=form.cleaned_data.get("revision_due_at"),
            )
        except TransitionRefused as error:
            messages.error(request, str(error))
            return redirect("grants:officer_application", pk=application.pk)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("%(action)s: the application is now “%(state)s”.")
                % {"action": action.label, "state": updated.get_state_display()},
            )
            return redirect("grants:officer_application", pk=application.pk)
    context = _detail_context(request, application, bound_form=form)
    if not any(f is form for f in context["action_forms"]):
        # Not an action this officer may run now (e.g. a second tab ran it): say so plainly.
        messages.error(request, _("This action is not available for the application now."))
        return redirect("grants:officer_application", pk=application.pk)
    return render(request, "grants/officer/application_detail.html", context, status=400)


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
@require_POST
def add_comment(request, pk: int):
    application = _get_application(request.user, pk)
    form = OfficerCommentForm(request.POST)
    if form.is_valid():
        try:
            svc.add_comment(
                application=application,
                actor=request.user,
                body=form.cleaned_data["body"],
                visibility=form.cleaned_data["visibility"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Your comment has been added."))
            return redirect("grants:officer_application", pk=application.pk)
    context = _detail_context(request, application, comment_form=form)
    return render(request, "grants/officer/application_detail.html", context, status=400)
