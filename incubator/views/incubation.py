"""Incubation pages at /incubation/: bases and open intakes, applying, the managers' workspace and
one application's page (status, agreement, service plan, mentoring, assessments and chart).

Views are thin: fetch through a selector and check the permission in one step (what a user may not
see is a 404), call one service, render. Training pages are in ``incubation_training``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.enums import Role
from grants.services.errors import TransitionRefused
from incubator import selectors_incubation as selectors
from incubator import services_incubation as svc
from incubator import services_incubation_programme as programme
from incubator.charts import progress_chart
from incubator.enums_incubation import COHORT_STATES, IncubationState
from incubator.forms_incubation import (
    ActionForm,
    AgreementForm,
    ApplyForm,
    AssessmentForm,
    FinancialSystemForm,
    HandbackForm,
    MentoringForm,
    ServicePlanForm,
)
from incubator.models import FollowUp, IncubationApplication, Intake, Organisation

I = IncubationState  # noqa: E741
MANAGE = "incubator.manage_incubation_application"


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- Bases, intakes, applying -------------------------------------------------------------------


def index(request):
    """Public: the bases and their open intakes; signed-in members also see their applications."""
    user = request.user
    context = {
        "bases": selectors.bases_with_open_intakes(),
        "my_applications": [],
        "can_use_workspace": False,
    }
    if user.is_authenticated:
        context["my_applications"] = list(selectors.applications_of_member(user=user))
        context["can_use_workspace"] = user.has_perm("incubator.use_incubation_workspace")
    return render(request, "incubator/incubation/index.html", context)


@login_required
def apply(request, intake_pk: int):
    intake = Intake.objects.select_related("base__district").filter(pk=intake_pk).first()
    if intake is None or not intake.is_open():
        raise Http404
    organisations = Organisation.objects.filter(
        pk__in=request.user.organisation_ids(Role.APPLICANT)
    ).order_by("name", "pk")
    if not organisations:
        raise PermissionDenied(_("Only members of an organisation can apply for incubation."))
    form = ApplyForm(request.POST or None, intake=intake, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            application = svc.apply_for_incubation(
                intake=intake,
                organisation=form.cleaned_data["organisation"],
                actor=request.user,
                requested_mode=form.cleaned_data["requested_mode"],
                motivation=form.cleaned_data["motivation"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        except TransitionRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Your application has been sent. The base answers by %(date)s.")
                % {"date": application.review_due_on.isoformat()},
            )
            return redirect("incubation:application", pk=application.pk)
    return render(request, "incubator/incubation/apply.html", {"intake": intake, "form": form})


# --- The managers' workspace ---------------------------------------------------------------------


@login_required
def workspace(request):
    if not request.user.has_perm("incubator.use_incubation_workspace"):
        raise PermissionDenied(_("The incubation workspace is for base managers."))
    groups = selectors.applications_by_state(user=request.user)
    today = timezone.localdate()
    return render(
        request,
        "incubator/incubation/workspace.html",
        {
            "groups": [(I(code).label, code, rows) for code, rows in groups.items() if rows],
            "today": today,
            "overdue_reviews": sum(
                1 for rows in groups.values() for row in rows if row.review_overdue(today)
            ),
            "overdue_handbacks": sum(
                1 for rows in groups.values() for row in rows if row.handback_overdue(today)
            ),
            "bases": selectors.bases_managed_by(user=request.user),
        },
    )


# --- One application -------------------------------------------------------------------------------


def _get_application(user, pk: int, *, manage: bool = False) -> IncubationApplication:
    application = selectors.application_for_page(pk=pk)
    if application is None or not user.has_perm(
        "incubator.view_incubation_application", application
    ):
        raise Http404
    if manage and not user.has_perm(MANAGE, application):
        raise PermissionDenied
    return application


def _detail_context(request, application: IncubationApplication, **bound) -> dict:
    user = request.user
    manager = user.has_perm(MANAGE, application)
    choices = svc.actions_for(application=application, user=user)
    action_forms = []
    for choice in choices:
        form = bound.get("action_form")
        if form is None or form.action.code != choice.action.code:
            form = ActionForm(action=choice.action)
        action_forms.append((form, choice.blocked_by))
    sessions = list(application.mentoring_sessions.all())
    if not manager:
        sessions = [session for session in sessions if session.shared_with_organisation]
    assessments = list(application.assessments.all())
    in_programme = application.state in programme.PROGRAMME_STATES
    context = {
        "application": application,
        "intake": application.intake,
        "base": application.intake.base,
        "is_manager": manager,
        "today": timezone.localdate(),
        "now": timezone.now(),
        "action_forms": action_forms,
        "checklist": application.graduation_checklist()
        if application.state in (I.INCUBATING, I.AGREEMENT_SIGNED)
        else [],
        "mentoring_sessions": sessions,
        "assessments": assessments,
        "chart": progress_chart(assessments),
        "courses": selectors.courses_for_organisation(
            organisation_id=application.organisation_id, base_id=application.intake.base_id
        )
        if application.state in (*COHORT_STATES, I.GRADUATED)
        else [],
    }
    if manager:
        if svc.can_sign_agreement(application=application, user=user):
            context["agreement_form"] = bound.get("agreement_form") or AgreementForm(
                initial={
                    "mode": application.mode or application.requested_mode,
                    "space": application.space,
                    "subsidy": application.subsidy,
                    "term_start": application.term_start,
                    "term_end": application.term_end,
                }
            )
        if application.state in svc.PLAN_STATES:
            context["plan_form"] = bound.get("plan_form") or ServicePlanForm(
                initial={
                    "goals": application.service_goals,
                    "services": "\n".join(application.planned_services or []),
                }
            )
        if application.state == I.INCUBATING:
            context["financial_form"] = FinancialSystemForm(
                initial={"attested": application.financial_system_attested_on is not None}
            )
        if application.needs_handback:
            context["handback_form"] = bound.get("handback_form") or HandbackForm(
                initial={"handed_back_on": timezone.localdate()}
            )
        if in_programme:
            context["mentoring_form"] = bound.get("mentoring_form") or MentoringForm(
                initial={"held_on": timezone.localdate()}
            )
            context["assessment_form"] = bound.get("assessment_form") or AssessmentForm(
                initial={"assessed_on": timezone.localdate()}
            )
    return context


def _render_detail(request, application, *, status: int = 200, **bound):
    return render(
        request,
        "incubator/incubation/application.html",
        _detail_context(request, application, **bound),
        status=status,
    )


def _back(application, anchor: str = ""):
    return redirect(reverse("incubation:application", args=[application.pk]) + anchor)


@login_required
def application_detail(request, pk: int):
    return _render_detail(request, _get_application(request.user, pk))


@login_required
@require_POST
def application_action(request, pk: int, code: str):
    application = _get_application(request.user, pk)
    action = svc.ACTIONS.get(code)
    if action is None:
        raise Http404
    form = ActionForm(request.POST, action=action)
    if form.is_valid():
        try:
            updated = svc.run_action(
                code,
                application=application,
                actor=request.user,
                reason=form.cleaned_data.get("reason", ""),
            )
        except TransitionRefused as error:
            messages.error(request, str(error))
            return _back(application)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("%(action)s: the application is now “%(state)s”.")
                % {"action": action.label, "state": updated.get_state_display()},
            )
            return _back(updated)
    return _render_detail(request, application, status=400, action_form=form)


def _submit_form(request, application, form, *, form_name: str, run, success, anchor: str = ""):
    """One manager form of the application page: validate, run the service, say what happened.

    A refused transition is an error message on the page; invalid input (from the form or the
    service) shows the page again with the form's errors and status 400.
    """
    if form.is_valid():
        try:
            run(form)
        except TransitionRefused as error:
            messages.error(request, str(error))
            return _back(application)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, success)
            return _back(application, anchor)
    return _render_detail(request, application, status=400, **{form_name: form})


@login_required
@require_POST
def sign_agreement(request, pk: int):
    application = _get_application(request.user, pk, manage=True)
    return _submit_form(
        request,
        application,
        AgreementForm(request.POST),
        form_name="agreement_form",
        run=lambda form: svc.sign_agreement(
            application=application, actor=request.user, **form.cleaned_data
        ),
        success=_("The incubation agreement is signed."),
    )


@login_required
@require_POST
def service_plan(request, pk: int):
    application = _get_application(request.user, pk, manage=True)
    return _submit_form(
        request,
        application,
        ServicePlanForm(request.POST),
        form_name="plan_form",
        run=lambda form: svc.save_service_plan(
            application=application,
            actor=request.user,
            goals=form.cleaned_data["goals"],
            services=form.service_list(),
        ),
        success=_("The service plan has been saved."),
        anchor="#service-plan",
    )


@login_required
@require_POST
def financial_system(request, pk: int):
    application = _get_application(request.user, pk, manage=True)
    form = FinancialSystemForm(request.POST)
    form.is_valid()  # a checkbox: always valid
    try:
        svc.attest_financial_system(
            application=application, actor=request.user, attested=form.cleaned_data["attested"]
        )
    except TransitionRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Saved."))
    return _back(application, "#graduation")


@login_required
@require_POST
def handback(request, pk: int):
    application = _get_application(request.user, pk, manage=True)
    return _submit_form(
        request,
        application,
        HandbackForm(request.POST),
        form_name="handback_form",
        run=lambda form: svc.record_handback(
            application=application,
            actor=request.user,
            handed_back_on=form.cleaned_data["handed_back_on"],
        ),
        success=_("The hand-back of the space is recorded."),
    )


def _record_mentoring(application, actor, form) -> None:
    data = form.cleaned_data
    programme.add_mentoring_session(
        application=application,
        actor=actor,
        held_on=data["held_on"],
        mentor=data["mentor"],
        topic=data["topic"],
        notes=data["notes"],
        shared_with_organisation=data["shared_with_organisation"],
        follow_ups=form.follow_ups(),
    )


@login_required
@require_POST
def add_mentoring(request, pk: int):
    application = _get_application(request.user, pk, manage=True)
    return _submit_form(
        request,
        application,
        MentoringForm(request.POST),
        form_name="mentoring_form",
        run=lambda form: _record_mentoring(application, request.user, form),
        success=_("The mentoring session has been recorded."),
        anchor="#mentoring",
    )


@login_required
@require_POST
def follow_up_done(request, pk: int, follow_up_pk: int):
    application = _get_application(request.user, pk, manage=True)
    follow_up = FollowUp.objects.filter(pk=follow_up_pk, session__application=application).first()
    if follow_up is None:
        raise Http404
    programme.set_follow_up_done(
        follow_up=follow_up, actor=request.user, done=request.POST.get("done") == "1"
    )
    return _back(application, "#mentoring")


@login_required
@require_POST
def add_assessment(request, pk: int):
    application = _get_application(request.user, pk, manage=True)
    return _submit_form(
        request,
        application,
        AssessmentForm(request.POST),
        form_name="assessment_form",
        run=lambda form: programme.record_assessment(
            application=application, actor=request.user, **form.cleaned_data
        ),
        success=_("The assessment has been recorded."),
        anchor="#assessments",
    )
