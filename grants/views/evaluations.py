"""Evaluation pages: the evaluator's workspace (/evaluate/…) and the officer's actions (/workspace/…).

An evaluation that is not the user's (or that a conflict of interest closes to them) is a 404 —
the same answer as an id that does not exist. Officers may read any evaluation; only its evaluator
writes it. Writes go through ``grants.services.evaluations``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from grants import budget
from grants import selectors_evaluations as sel
from grants.enums_evaluations import EvaluationKind
from grants.forms_evaluations import (
    ActivityForm,
    CancelEvaluationForm,
    EvaluationForm,
    StartEvaluationForm,
)
from grants.models import Application, Attachment, Evaluation, EvaluationActivity
from grants.services import evaluations as svc
from grants.services.errors import TransitionRefused
from grants.views.applicant import _answers


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(str(message) for message in error.messages)
    return str(getattr(error, "message", error)) or _("You may not do this.")


def _attach(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            for item in errors:
                form.add_error(name if name in form.fields else None, item)
    else:
        form.add_error(None, error)


def _require_workspace(user) -> None:
    if not user.has_perm("grants.use_evaluator_workspace"):
        raise PermissionDenied(_("These pages are for evaluators."))


def _evaluation(request, pk: int, *, perm: str = "grants.view_evaluation") -> Evaluation:
    _require_workspace(request.user)
    evaluation = sel.evaluation_for_page(pk=pk)
    if evaluation is None or not request.user.has_perm(perm, evaluation):
        raise Http404
    return evaluation


# --- The evaluator's workspace ---------------------------------------------------------------------


@never_cache
@login_required
def workspace(request):
    _require_workspace(request.user)
    rows = sel.evaluations_for_evaluator(user=request.user)
    return render(
        request,
        "grants/evaluations/workspace.html",
        {"evaluations": rows, "today": timezone.localdate()},
    )


def _optional(module: str, name: str):
    """A function of another area, or None where that area is not installed."""
    import importlib

    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def _detail_context(request, evaluation: Evaluation, *, form=None, activity_form=None) -> dict:
    application = evaluation.application
    call = application.call
    editable = evaluation.is_open and request.user.has_perm("grants.act_on_evaluation", evaluation)
    if form is None:
        form = EvaluationForm(
            initial=EvaluationForm.initial_for(evaluation), scores=evaluation.scores.all()
        )
    lines = list(application.budget_lines.all())
    feedback = None
    feedback_summary = _optional("grants.selectors_feedback", "feedback_summary")
    if feedback_summary is not None:
        feedback = feedback_summary([application.pk]).get(application.pk)
    return {
        "evaluation": evaluation,
        "application": application,
        "call": call,
        "answers": _answers(application),
        "budget_lines": lines,
        "summary": budget.summarise(lines, call),
        "communities": list(application.partner_communities.all()),
        "attachments": list(application.attachments.order_by("uploaded_at", "pk")),
        "feedback": feedback,
        "form": form,
        "activity_form": activity_form or ActivityForm(),
        "editable": editable,
        "scores": list(evaluation.scores.all()),
        "activities": list(evaluation.activities.all()),
    }


@never_cache
@login_required
def detail(request, pk: int):
    evaluation = _evaluation(request, pk)
    if request.method != "POST":
        return render(
            request, "grants/evaluations/evaluation.html", _detail_context(request, evaluation)
        )
    if not request.user.has_perm("grants.act_on_evaluation", evaluation):
        raise Http404
    form = EvaluationForm(request.POST, scores=evaluation.scores.all())
    form.is_valid()
    try:
        svc.save_evaluation(evaluation=evaluation, actor=request.user, data=form.service_data())
        if "submit" in request.POST:
            svc.submit_evaluation(evaluation=evaluation, actor=request.user)
    except ValidationError as error:
        _attach(form, error)
        messages.error(request, _("Please correct the marked fields; your draft is kept."))
        evaluation = sel.evaluation_for_page(pk=evaluation.pk)
        return render(
            request,
            "grants/evaluations/evaluation.html",
            _detail_context(request, evaluation, form=form),
            status=400,
        )
    except (TransitionRefused, PermissionDenied) as error:
        messages.error(request, _message(error))
        return redirect("grants:evaluations_workspace_detail", pk=evaluation.pk)
    if "submit" in request.POST:
        evaluation = Evaluation.objects.get(pk=evaluation.pk)
        messages.success(
            request,
            _("Submitted and sealed: %(total)s points, %(grade)s.")
            % {"total": evaluation.total, "grade": evaluation.get_grade_display()},
        )
    else:
        messages.success(request, _("Your draft has been saved."))
    return redirect("grants:evaluations_workspace_detail", pk=evaluation.pk)


@require_POST
@login_required
def autosave(request, pk: int):
    """htmx: save the draft as the evaluator types; answer with the status line only."""
    evaluation = _evaluation(request, pk, perm="grants.act_on_evaluation")
    form = EvaluationForm(request.POST, scores=evaluation.scores.all())
    form.is_valid()
    context = {}
    try:
        saved = svc.save_evaluation(
            evaluation=evaluation, actor=request.user, data=form.service_data()
        )
    except ValidationError as error:
        context["refused"] = _message(error)
    except TransitionRefused as error:
        context["refused"] = _message(error)
    else:
        context["saved_at"] = saved.updated_at
    return render(request, "grants/_autosave_status.html", context)


@require_POST
@login_required
def activity_add(request, pk: int):
    evaluation = _evaluation(request, pk, perm="grants.act_on_evaluation")
    form = ActivityForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            svc.record_activity(
                evaluation=evaluation,
                actor=request.user,
                method=data["method"],
                occurred_on=data["occurred_on"],
                place=data["place"],
                people_contacted=data["people_contacted"],
                notes=data["notes"],
            )
        except ValidationError as error:
            _attach(form, error)
        except TransitionRefused as error:
            messages.error(request, _message(error))
            return redirect("grants:evaluations_workspace_detail", pk=evaluation.pk)
        else:
            messages.success(request, _("The check has been recorded."))
            return redirect("grants:evaluations_workspace_detail", pk=evaluation.pk)
    evaluation = sel.evaluation_for_page(pk=evaluation.pk)
    return render(
        request,
        "grants/evaluations/evaluation.html",
        _detail_context(request, evaluation, activity_form=form),
        status=400,
    )


@require_POST
@login_required
def activity_delete(request, pk: int, activity_pk: int):
    evaluation = _evaluation(request, pk, perm="grants.act_on_evaluation")
    activity = get_object_or_404(EvaluationActivity, pk=activity_pk, evaluation=evaluation)
    try:
        svc.delete_activity(activity=activity, actor=request.user)
    except (TransitionRefused, PermissionDenied) as error:
        messages.error(request, _message(error))
    else:
        messages.success(request, _("The check has been removed."))
    return redirect("grants:evaluations_workspace_detail", pk=evaluation.pk)


@never_cache
@login_required
def attachment_download(request, pk: int, attachment_pk: int):
    """An attachment of the evaluated project, for its evaluator (and officers)."""
    evaluation = _evaluation(request, pk)
    attachment = Attachment.objects.filter(
        pk=attachment_pk, application_id=evaluation.application_id
    ).first()
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- The officer's actions (from the evaluations panel of the project page) --------------------


def _officer_application(request, pk: int) -> Application:
    application = get_object_or_404(Application.objects.select_related("call"), pk=pk)
    if not request.user.has_perm("grants.manage_evaluation", application):
        raise PermissionDenied
    return application


@require_POST
@login_required
def start(request, pk: int):
    application = _officer_application(request, pk)
    form = StartEvaluationForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            " ".join(str(message) for errors in form.errors.values() for message in errors),
        )
        return redirect("grants:officer_application", pk=application.pk)
    data = form.cleaned_data
    try:
        evaluation = svc.start_evaluation(
            application=application,
            kind=data["kind"],
            evaluator=data["evaluator"],
            due_on=data["due_on"],
            actor=request.user,
        )
    except (ValidationError, TransitionRefused) as error:
        messages.error(request, _message(error))
    else:
        messages.success(
            request,
            _("%(kind)s started; %(evaluator)s is asked to evaluate.")
            % {"kind": EvaluationKind(evaluation.kind).label, "evaluator": evaluation.evaluator},
        )
    return redirect("grants:officer_application", pk=application.pk)


@require_POST
@login_required
def cancel(request, pk: int):
    evaluation = get_object_or_404(Evaluation, pk=pk)
    if not request.user.has_perm("grants.manage_evaluation", evaluation):
        raise PermissionDenied
    form = CancelEvaluationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please say why the evaluation is cancelled."))
    else:
        try:
            svc.cancel_evaluation(
                evaluation=evaluation, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except (ValidationError, TransitionRefused) as error:
            messages.error(request, _message(error))
        else:
            messages.success(
                request, _("The evaluation has been cancelled; you can assign another evaluator.")
            )
    return redirect("grants:officer_application", pk=evaluation.application_id)


@require_POST
@login_required
def open_clawback(request, pk: int):
    evaluation = get_object_or_404(Evaluation, pk=pk)
    if not request.user.has_perm("grants.manage_evaluation", evaluation):
        raise PermissionDenied
    try:
        svc.open_requested_clawback(evaluation=evaluation, actor=request.user)
    except (ValidationError, TransitionRefused, PermissionDenied) as error:
        messages.error(request, _message(error))
    else:
        messages.success(request, _("The clawback has been recorded for finance."))
    return redirect("grants:officer_application", pk=evaluation.application_id)


# --- The call's evaluation templates (officers) ------------------------------------------------


@never_cache
@login_required
def template_edit(request, pk: int, kind: str):
    from grants.forms_evaluations import TemplateForm
    from grants.models import Call

    call = get_object_or_404(Call, pk=pk)
    if kind not in EvaluationKind.values:
        raise Http404
    if not request.user.has_perm("grants.manage_evaluation", call):
        raise PermissionDenied
    template = svc.template_for(call=call, kind=kind)
    dimensions = list(template.dimensions.order_by("position", "pk"))
    rows = max(len(dimensions), 4) + 2
    status = 200
    if request.method == "POST":
        rows = int(request.POST.get("rows") or rows)
        rows = min(max(rows, 1), 20)
        form = TemplateForm(request.POST, rows=rows)
        form.is_valid()
        try:
            svc.save_template(
                template=template,
                actor=request.user,
                pass_mark=form.data.get("pass_mark"),
                bonus_max=form.data.get("bonus_max"),
                bonus_guidance=form.data.get("bonus_guidance", ""),
                penalty_max=form.data.get("penalty_max"),
                penalty_guidance=form.data.get("penalty_guidance", ""),
                dimensions=form.dimensions(),
            )
        except ValidationError as error:
            _attach(form, error)
            status = 400
        else:
            messages.success(
                request,
                _("The template has been saved; evaluations started from now on use it."),
            )
            return redirect("grants:evaluations_template", pk=call.pk, kind=kind)
    else:
        form = TemplateForm(initial=TemplateForm.initial_for(template, dimensions), rows=rows)
    return render(
        request,
        "grants/evaluations/template.html",
        {
            "call": call,
            "kind_label": EvaluationKind(kind).label,
            "template": template,
            "form": form,
            "rows": rows,
        },
        status=status,
    )
