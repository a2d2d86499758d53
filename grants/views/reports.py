"""Report pages: the organisation writes (autosaved) and submits, the officer accepts or returns,
the evaluator reads accepted reports. Thin views over ``grants.services.reports``.

Who may not see a report gets a 404, exactly as if it did not exist; who may see it but not act
(an officer on the organisation's edit page) gets a 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.enums import Role
from grants import selectors_reports as selectors
from grants.forms_reports import (
    ActivityFormSet,
    EvidenceForm,
    MilestoneForm,
    ReportForm,
    ReviewForm,
    VolunteerFormSet,
    WorkspaceFilterForm,
    formset_values,
)
from grants.models import Application, Call
from grants.models.reports import Milestone, ReportEvidence, ReportState
from grants.services import reports as svc
from grants.services.errors import TransitionRefused

R = ReportState
ROW_SECTIONS = ("activities", "volunteers")


# --- Fetch and check in one step -----------------------------------------------------------------


def _may_see(user, report) -> bool:
    """Members and officers see every report; evaluators only accepted ones."""
    if not user.has_perm("grants.view_report", report):
        return False
    if user.has_role(Role.OFFICER) or user.has_perm("grants.write_report", report):
        return True
    return report.state == R.ACCEPTED


def _report_for(user, pk: int, *, perm: str | None = None):
    report = selectors.report_with_rows(pk)
    if report is None or not _may_see(user, report):
        raise Http404
    if perm and not user.has_perm(perm, report):
        raise PermissionDenied
    return report


def _message(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


# --- The organisation's side ---------------------------------------------------------------------


@require_POST
@login_required
def write(request, milestone_pk: int):
    """Open (or reopen) the report on a milestone of one's own project."""
    milestone = Milestone.objects.select_related("application").filter(pk=milestone_pk).first()
    if milestone is None or not request.user.has_perm(
        "grants.view_application", milestone.application
    ):
        raise Http404
    try:
        report = svc.start_report(milestone=milestone, actor=request.user)
    except TransitionRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("grants:application_detail", pk=milestone.application_id)
    return redirect("grants:reports_edit", pk=report.pk)


class BoundReport:
    """The report form, its row formsets and the evidence form, bound to a request or the draft."""

    def __init__(self, report, data=None, *, extra_row: str | None = None):
        self.report = report
        self.form = (
            ReportForm(data, report=report) if data is not None else ReportForm(report=report)
        )
        saved = {
            "activities": [
                {
                    "held_on": row.held_on.isoformat() if row.held_on else "",
                    "place": row.place,
                    "description": row.description,
                    "participants": row.participants or "",
                }
                for row in report.activities.all()
            ],
            "volunteers": [
                {"name": row.name, "hours": row.hours if row.hours is not None else ""}
                for row in report.volunteers.all()
            ],
        }
        classes = {"activities": ActivityFormSet, "volunteers": VolunteerFormSet}
        self.formsets = {}
        for prefix, formset_class in classes.items():
            if data is not None:
                self.formsets[prefix] = formset_class(data, prefix=prefix)
            else:
                initial = saved[prefix]
                if prefix == extra_row or not initial:  # always a row to type into
                    initial = [*initial, {}]
                self.formsets[prefix] = formset_class(initial=initial, prefix=prefix)
        self.errors: dict = {}

    def save(self, *, actor):
        values = self.form.values()
        report, errors = svc.save_report_draft(
            report=self.report,
            actor=actor,
            narrative=values["narrative"],
            beneficiaries_reached=values["beneficiaries_reached"],
            indicator_values=values["indicator_values"],
            activities=formset_values(self.formsets["activities"]),
            volunteers=formset_values(self.formsets["volunteers"]),
        )
        self.report = report
        self.show_errors(errors)
        return report, errors

    def show_errors(self, errors: dict) -> None:
        """Put each service message next to its field; keep the rest for the top of the page."""
        self.errors.update(errors)
        self.other_errors = []
        self.evidence_error = errors.get("evidence")
        for key, message in errors.items():
            if key in self.form.fields and self.form.is_bound:
                self.form.add_error(key, message)
            elif key.count("-") >= 2:
                prefix, index, field = key.split("-", 2)
                formset = self.formsets.get(prefix)
                rows = formset.forms if formset is not None else []
                if int(index) < len(rows) and rows[int(index)].is_bound:
                    rows[int(index)].add_error(field, message)
                else:
                    self.other_errors.append(message)
            elif key in self.formsets:
                self.formsets[key].section_error = message
            elif key != "evidence":
                self.other_errors.append(message)

    def problems(self) -> list[str]:
        return [str(message) for message in self.errors.values()]


def _render_edit(
    request, bound: BoundReport, *, evidence_form=None, status=200, submit_failed=False
):
    report = bound.report
    return render(
        request,
        "grants/reports/report_form.html",
        {
            "report": report,
            "milestone": report.milestone,
            "application": report.application,
            "bound": bound,
            "form": bound.form,
            "formsets": bound.formsets,
            "evidence": list(report.evidence.all()),
            "evidence_form": evidence_form or EvidenceForm(),
            "submit_failed": submit_failed,
            "today": timezone.localdate(),
        },
        status=status,
    )


def _render_readonly(request, report, *, audience: str, review_form=None, status=200):
    return render(
        request,
        "grants/reports/report_detail.html",
        {
            "report": report,
            "milestone": report.milestone,
            "application": report.application,
            "audience": audience,
            "review_form": review_form or ReviewForm(),
            "can_review": audience == "officer"
            and report.state == R.SUBMITTED
            and request.user.has_perm("grants.review_report", report),
        },
        status=status,
    )


@never_cache
@login_required
def edit(request, pk: int):
    report = _report_for(request.user, pk, perm="grants.write_report")
    if not report.is_editable:
        return _render_readonly(request, report, audience="applicant")
    if request.method != "POST":
        extra_row = request.GET.get("add")
        return _render_edit(
            request, BoundReport(report, extra_row=extra_row if extra_row in ROW_SECTIONS else None)
        )

    bound = BoundReport(report, request.POST)
    try:
        report, errors = bound.save(actor=request.user)
    except TransitionRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("grants:reports_edit", pk=pk)
    edit_url = reverse("grants:reports_edit", args=[pk])

    if (section := request.POST.get("add_row")) in ROW_SECTIONS:
        return HttpResponseRedirect(f"{edit_url}?add={section}#section-{section}")

    if "upload" in request.POST:
        evidence_form = EvidenceForm(request.POST, request.FILES)
        if evidence_form.is_valid() and evidence_form.cleaned_data.get("file"):
            try:
                svc.add_evidence(
                    report=report,
                    actor=request.user,
                    uploaded_file=evidence_form.cleaned_data["file"],
                    kind=evidence_form.cleaned_data["kind"],
                )
            except ValidationError as error:
                evidence_form.add_error("file", error.messages)
            else:
                messages.success(
                    request,
                    _("%(name)s has been added. Your draft is saved.")
                    % {"name": evidence_form.cleaned_data["file"].name},
                )
                return HttpResponseRedirect(f"{edit_url}#evidence")
        elif evidence_form.is_valid():
            evidence_form.add_error("file", _("Choose a file to upload."))
        return _render_edit(request, bound, evidence_form=evidence_form, status=422)

    if remove := request.POST.get("remove_evidence"):
        evidence = report.evidence.filter(pk=remove if remove.isdigit() else None).first()
        if evidence is not None:
            svc.remove_evidence(evidence=evidence, actor=request.user)
            messages.success(
                request, _("%(name)s has been removed.") % {"name": evidence.original_name}
            )
        return HttpResponseRedirect(f"{edit_url}#evidence")

    if errors:
        return _render_edit(request, bound, status=422)

    if "submit" in request.POST:
        try:
            report = svc.submit_report(report=report, actor=request.user)
        except ValidationError as error:
            bound.show_errors(
                error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
            )
            return _render_edit(request, bound, status=422, submit_failed=True)
        except TransitionRefused as refusal:
            messages.error(request, refusal.message)
            return redirect("grants:reports_edit", pk=pk)
        if report.is_late:
            messages.warning(
                request,
                _(
                    "Your report has been submitted. It was due on %(due)s, so it is marked late; "
                    "the programme officer sees this."
                )
                % {"due": report.milestone.due_on.isoformat()},
            )
        else:
            messages.success(request, _("Your report has been submitted for review."))
        return redirect("grants:application_detail", pk=report.application_id)

    messages.success(request, _("The draft has been saved."))
    return HttpResponseRedirect(edit_url)


@require_POST
@login_required
def autosave(request, pk: int):
    """htmx autosave: store the draft, answer with the status line."""
    report = _report_for(request.user, pk, perm="grants.write_report")
    if not report.is_editable:
        return render(
            request,
            "grants/_autosave_status.html",
            {"refused": _("This report has been submitted and can no longer be changed.")},
        )
    bound = BoundReport(report, request.POST)
    try:
        report, _errors = bound.save(actor=request.user)
    except TransitionRefused as refusal:
        return render(request, "grants/_autosave_status.html", {"refused": refusal.message})
    return render(
        request,
        "grants/_autosave_status.html",
        {"saved_at": report.last_saved_at, "problems": bound.problems()},
    )


@never_cache
@login_required
def evidence_download(request, pk: int):
    """A piece of evidence, to whoever may see its report (404 for everyone else)."""
    evidence = ReportEvidence.objects.select_related("report__application").filter(pk=pk).first()
    if evidence is None or not _may_see(request.user, evidence.report):
        raise Http404
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    # Photos are shown in <img> thumbnails; the response is still a download, never a page.
    response = FileResponse(
        handle,
        as_attachment=not evidence.is_image,
        filename=evidence.original_name,
        content_type=evidence.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- The officer's side --------------------------------------------------------------------------


def _require_officer(user) -> None:
    if not user.has_perm("grants.use_report_workspace"):
        raise PermissionDenied


@never_cache
@login_required
def workspace(request):
    """Reports due, overdue and awaiting review across the officer's programmes."""
    _require_officer(request.user)
    programme_ids = selectors.officer_programme_ids(request.user)
    calls = Call.objects.filter(applications__milestones__isnull=False).distinct().order_by("title")
    if programme_ids is not None:
        calls = calls.filter(programme_id__in=programme_ids)
    form = WorkspaceFilterForm(request.GET or None, calls=list(calls))
    status, call_id, search = "overdue", None, ""
    if form.is_valid():
        status = form.cleaned_data["status"] or "overdue"
        call_id = form.cleaned_data["call"]
        search = form.cleaned_data["q"].strip()
    milestones = list(
        selectors.workspace_milestones(
            status=status, programme_ids=programme_ids, call_id=call_id, search=search
        )[:500]
    )
    today = timezone.localdate()
    return render(
        request,
        "grants/reports/workspace.html",
        {"form": form, "milestones": milestones, "status": status, "today": today},
    )


@never_cache
@login_required
def review(request, pk: int):
    """The officer reads a report and accepts it or returns it with a comment."""
    _require_officer(request.user)
    report = _report_for(request.user, pk)
    if request.method != "POST":
        return _render_readonly(request, report, audience="officer")
    form = ReviewForm(request.POST)
    form.is_valid()
    comment = form.cleaned_data.get("comment", "")
    action = request.POST.get("action")
    try:
        if action == "accept":
            svc.accept_report(report=report, actor=request.user, comment=comment)
            messages.success(request, _("The report has been accepted; the organisation is told."))
        elif action == "return":
            svc.return_report(report=report, actor=request.user, comment=comment)
            messages.success(request, _("The report has been returned to the organisation."))
        else:
            raise Http404
    except ValidationError as error:
        form.add_error("comment", _message(error))
        return _render_readonly(request, report, audience="officer", review_form=form, status=422)
    except TransitionRefused as refusal:
        messages.error(request, refusal.message)
    return redirect("grants:reports_review", pk=pk)


@require_POST
@login_required
def generate_plan(request, application_pk: int):
    application = get_object_or_404(Application, pk=application_pk)
    if not request.user.has_perm("grants.view_application", application):
        raise Http404
    try:
        milestones = svc.build_milestone_plan(application=application, actor=request.user)
    except TransitionRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request, _("The milestone plan has %(count)s milestones.") % {"count": len(milestones)}
        )
    return redirect(f"{reverse('grants:officer_application', args=[application_pk])}#reports")


@never_cache
@login_required
def milestone_edit(request, pk: int):
    milestone = Milestone.objects.select_related("application").filter(pk=pk).first()
    if milestone is None or not request.user.has_perm(
        "grants.view_application", milestone.application
    ):
        raise Http404
    if not request.user.has_perm("grants.manage_milestones", milestone.application):
        raise PermissionDenied
    if request.method == "POST":
        form = MilestoneForm(request.POST)
        if form.is_valid():
            try:
                svc.update_milestone(milestone=milestone, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The milestone has been saved."))
                return redirect(
                    f"{reverse('grants:officer_application', args=[milestone.application_id])}#reports"
                )
        status = 422
    else:
        form = MilestoneForm(
            initial={
                "title": milestone.title,
                "due_on": milestone.due_on,
                "deliverables": milestone.deliverables,
            }
        )
        status = 200
    return render(
        request,
        "grants/reports/milestone_form.html",
        {"form": form, "milestone": milestone, "application": milestone.application},
        status=status,
    )


# --- The evaluator's side ------------------------------------------------------------------------


@never_cache
@login_required
def evaluator_report(request, pk: int):
    """An accepted report, read-only, for evaluators (and officers)."""
    report = _report_for(request.user, pk)
    if report.state != R.ACCEPTED:
        raise Http404
    return _render_readonly(request, report, audience="evaluator")
