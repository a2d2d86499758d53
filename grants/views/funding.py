"""Agreements and disbursements: the officer's agreement page, the member's acceptance page, the
finance workspace and each disbursement's page, and the funding panel on the application pages.

Thin views: permissions and rules live in ``grants.services.agreements`` / ``.disbursements`` and
``grants.rules_funding``; a ``ValidationError`` becomes form errors, ``TransitionRefused`` a
message, ``PermissionDenied`` a 403. Who may not see an application gets a 404.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_fsm_log.models import StateLog

from grants.agreements_pdf import tranche_rows
from grants.enums import AgreementState, ApplicationState
from grants.forms_funding import (
    AcceptAgreementForm,
    IssueAgreementForm,
    NoteForm,
    PaymentForm,
    PrepareDisbursementForm,
    ReasonForm,
)
from grants.models import Application, Tranche
from grants.models.disbursements import DisbursementMethod, DisbursementState
from grants.selectors_funding import (
    agreement_of,
    disbursement_for_staff,
    disbursements_of,
    recent_reconciled,
    releasable_tranches,
    tranches_of,
    workspace_disbursements,
)
from grants.services import agreements as agreement_svc
from grants.services import disbursements as svc
from grants.services.errors import TransitionRefused
from grants.views.public_notice import client_ip

D = DisbursementState
S = ApplicationState
FUNDED_STATES = (
    S.CONTRACTED,
    S.ACTIVE,
    S.MID_TERM,
    S.FINAL_EVALUATION,
    S.COMPLETED,
    S.TERMINATED,
)


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _application(user, pk: int, perm: str) -> Application:
    application = (
        Application.objects.select_related("call__programme", "organisation").filter(pk=pk).first()
    )
    if application is None or not user.has_perm("grants.view_funding", application):
        raise Http404
    if not user.has_perm(perm, application):
        raise PermissionDenied
    return application


def _staff(user) -> None:
    if not user.has_perm("grants.use_disbursement_workspace"):
        raise PermissionDenied(_("The disbursement workspace is for finance staff and officers."))


# --- The panel on the application pages ------------------------------------------------------


def _issue_initial(application: Application, agreement) -> dict:
    if agreement is not None:
        return {
            "award_amount": f"{agreement.award_amount:.2f}",
            "starts_on": agreement.starts_on,
            "ends_on": agreement.ends_on,
            "account_name": agreement.account_name,
            "account_bank": agreement.account_bank,
            "account_number": agreement.account_number,
            "reporting_duties": agreement.reporting_duties,
        }
    today = timezone.localdate()
    initial = {
        "award_amount": f"{application.requested_amount or 0:.2f}",
        "starts_on": today,
        "ends_on": today + timedelta(days=365),
    }
    stored = agreement_svc.vault_account(application.organisation)
    if stored is not None:
        initial.update(
            account_name=stored.account_name,
            account_bank=stored.bank_name,
            account_number=stored.account_number,
        )
    return initial


def render_panel(application, user, audience: str, *, request=None) -> str:
    """The funding panel, showing only what ``audience`` may see; "" when there is nothing."""
    if user is None or not user.is_authenticated:
        return ""
    if application.state not in (S.APPROVED, *FUNDED_STATES):
        return ""
    if audience == "officer":
        if not user.has_perm("grants.issue_agreement", application):
            return ""
    elif audience in ("applicant", "evaluator"):
        if audience == "applicant" and not user.has_perm("grants.accept_agreement", application):
            return ""
    else:
        return ""
    agreement = agreement_of(application)
    if audience == "evaluator" and agreement is None:
        return ""
    if audience == "applicant" and (agreement is None or agreement.state == AgreementState.DRAFT):
        return ""
    tranches = tranches_of(application)
    context = {
        "application": application,
        "agreement": agreement,
        "tranches": tranches,
        "audience": audience,
        "today": timezone.localdate(),
        "user": user,
    }
    if audience == "officer":
        context["disbursements"] = disbursements_of(application)
        if application.state == S.APPROVED and (
            agreement is None or agreement.state != AgreementState.ACCEPTED
        ):
            context["issue_form"] = IssueAgreementForm(
                initial=_issue_initial(application, agreement)
            )
    if audience == "applicant":
        context["payments"] = [
            d for t in tranches for d in t.disbursements.all() if d.state in (D.PAID, D.RECONCILED)
        ]
    return render_to_string("grants/funding/_panel.html", context, request=request)


# --- Agreement: officer ---------------------------------------------------------------------


@login_required
def agreement_issue(request, pk: int):
    """GET: the agreement's page for officers; POST: issue or re-issue it."""
    application = _application(request.user, pk, "grants.issue_agreement")
    agreement = agreement_of(application)
    form = IssueAgreementForm(request.POST or None, initial=_issue_initial(application, agreement))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                agreement = agreement_svc.issue_agreement(
                    application=application, actor=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                _add_errors(form, error)
            except TransitionRefused as refused:
                form.add_error(None, refused.message)
            else:
                messages.success(
                    request,
                    _("Agreement %(number)s (version %(version)s) issued to the organisation.")
                    % {"number": agreement.number, "version": agreement.version},
                )
                return redirect("grants:officer_application", application.pk)
        status = 400
    return render(
        request,
        "grants/funding/agreement_officer.html",
        {
            "application": application,
            "agreement": agreement,
            "form": form if application.state == S.APPROVED else None,
            "tranches": tranches_of(application),
        },
        status=status,
    )


@never_cache
@login_required
def agreement_pdf(request, pk: int):
    application = _application(request.user, pk, "grants.view_funding")
    agreement = agreement_of(application)
    if agreement is None or not agreement.pdf:
        raise Http404
    try:
        handle = agreement.pdf.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=request.GET.get("download") == "1",
        filename=f"{agreement.number}-v{agreement.version}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Agreement: the organisation's member ------------------------------------------------------


@login_required
def agreement_accept(request, pk: int):
    """GET: read the agreement (details and PDF); POST: accept it with the tick box."""
    application = _application(request.user, pk, "grants.accept_agreement")
    agreement = agreement_of(application)
    if agreement is None or agreement.state == AgreementState.DRAFT:
        raise Http404
    form = None
    status = 200
    if agreement.state == AgreementState.ISSUED:
        form = AcceptAgreementForm(
            request.POST or None, initial={"pdf_sha256": agreement.pdf_sha256}
        )
        if request.method == "POST":
            if form.is_valid():
                try:
                    agreement_svc.accept_agreement(
                        agreement=agreement,
                        actor=request.user,
                        agreed=form.cleaned_data["agree"],
                        pdf_sha256=form.cleaned_data["pdf_sha256"],
                        ip=client_ip(request) or None,
                        user_agent=request.META.get("HTTP_USER_AGENT", ""),
                    )
                except ValidationError as error:
                    _add_errors(form, error)
                except TransitionRefused as refused:
                    form.add_error(None, refused.message)
                else:
                    messages.success(
                        request,
                        _("You accepted the agreement. The first tranche will be paid soon."),
                    )
                    return redirect("grants:application_detail", application.pk)
            status = 400
    elif request.method == "POST":
        messages.info(request, _("This agreement was already accepted."))
        return redirect("grants:application_detail", application.pk)
    return render(
        request,
        "grants/funding/agreement_applicant.html",
        {
            "application": application,
            "agreement": agreement,
            "form": form,
            "tranches": tranches_of(application),
            "schedule": tranche_rows(agreement),
        },
        status=status,
    )


# --- Finance workspace ---------------------------------------------------------------------


@login_required
def workspace(request):
    _staff(request.user)
    grouped = workspace_disbursements()
    return render(
        request,
        "grants/funding/workspace.html",
        {
            "tranches": list(releasable_tranches()),
            "groups": [(state, D(state).label, rows) for state, rows in grouped.items()],
            "reconciled": recent_reconciled(),
            "prepare_form": PrepareDisbursementForm(),
            "can_prepare": request.user.has_perm("grants.prepare_disbursement"),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def prepare(request, pk: int):
    _staff(request.user)
    tranche = get_object_or_404(Tranche, pk=pk)
    form = PrepareDisbursementForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how the tranche is paid."))
        return redirect("grants:funding_workspace")
    try:
        disbursement = svc.prepare_disbursement(
            tranche=tranche, actor=request.user, **form.cleaned_data
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("grants:funding_workspace")
    except TransitionRefused as refused:
        messages.error(request, refused.message)
        return redirect("grants:funding_workspace")
    messages.success(
        request,
        _("Disbursement prepared. Another person must approve it before it is paid."),
    )
    return redirect("grants:funding_disbursement", disbursement.pk)


def _disbursement_context(request, disbursement, **forms) -> dict:
    user = request.user
    state = disbursement.state
    is_preparer = user.pk == disbursement.prepared_by_id
    context = {
        "disbursement": disbursement,
        "application": disbursement.application,
        "tranche": disbursement.tranche,
        "is_preparer": is_preparer,
        "can_approve": state == D.REQUESTED
        and user.has_perm("grants.approve_disbursement", disbursement),
        "can_pay": state == D.APPROVED
        and disbursement.method != DisbursementMethod.STRIPE
        and user.has_perm("grants.record_disbursement_payment", disbursement),
        "can_pay_stripe": state == D.APPROVED
        and disbursement.method == DisbursementMethod.STRIPE
        and user.has_perm("grants.record_disbursement_payment", disbursement),
        "can_fail": state == D.APPROVED
        and user.has_perm("grants.record_disbursement_payment", disbursement),
        "can_reconcile": state == D.PAID
        and user.has_perm("grants.reconcile_disbursement", disbursement),
        "can_cancel": state in (D.REQUESTED, D.APPROVED)
        and user.has_perm("grants.cancel_disbursement", disbursement),
        "approve_form": forms.get("approve_form") or NoteForm(prefix="approve"),
        "payment_form": forms.get("payment_form")
        or PaymentForm(
            prefix="pay",
            initial={
                "amount": f"{disbursement.amount:.2f}",
                "paid_on": timezone.localdate(),
                "payee_account": disbursement.payee_account,
                "payer_account": disbursement.payer_account,
            },
        ),
        "reconcile_form": forms.get("reconcile_form") or NoteForm(prefix="reconcile"),
        "fail_form": forms.get("fail_form") or ReasonForm(prefix="fail"),
        "cancel_form": forms.get("cancel_form") or ReasonForm(prefix="cancel"),
    }
    return context


def _get_disbursement(user, pk: int):
    _staff(user)
    disbursement = disbursement_for_staff(pk)
    if disbursement is None:
        raise Http404
    return disbursement


@login_required
def disbursement_detail(request, pk: int):
    disbursement = _get_disbursement(request.user, pk)
    context = _disbursement_context(request, disbursement)
    labels = dict(D.choices)
    context["history"] = [
        (entry, labels.get(entry.state, entry.state))
        for entry in StateLog.objects.for_(disbursement)
        .select_related("by")
        .order_by("timestamp", "pk")
    ]
    return render(request, "grants/funding/disbursement.html", context)


ACTIONS = {
    "approve": ("approve_form", NoteForm),
    "pay": ("payment_form", PaymentForm),
    "stripe": (None, None),
    "reconcile": ("reconcile_form", NoteForm),
    "fail": ("fail_form", ReasonForm),
    "cancel": ("cancel_form", ReasonForm),
}


@login_required
@require_POST
def disbursement_action(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404
    disbursement = _get_disbursement(request.user, pk)
    form_name, form_class = ACTIONS[action]
    form = None
    if form_class is not None:
        form = form_class(request.POST, request.FILES, prefix=action)
    try:
        if form is not None and not form.is_valid():
            raise ValidationError({})
        data = form.cleaned_data if form is not None else {}
        if action == "approve":
            svc.approve_disbursement(disbursement=disbursement, actor=request.user, **data)
            message = _("Approved. Finance can now pay it and record the voucher.")
        elif action == "pay":
            svc.record_payment(disbursement=disbursement, actor=request.user, **data)
            message = _("Payment recorded: the tranche is paid and the ledger updated.")
        elif action == "stripe":
            result = svc.pay_by_stripe(disbursement=disbursement, actor=request.user)
            if result.state == D.FAILED:
                messages.error(
                    request,
                    _("The Stripe payout failed; nothing was recorded in the ledger. %(reason)s")
                    % {"reason": result.failure_reason},
                )
                return redirect("grants:funding_disbursement", pk)
            message = _("Stripe transfer %(id)s made: the tranche is paid.") % {
                "id": result.stripe_transfer_id
            }
        elif action == "reconcile":
            svc.reconcile_disbursement(disbursement=disbursement, actor=request.user, **data)
            message = _("Reconciled with the bank statement.")
        elif action == "fail":
            svc.fail_disbursement(disbursement=disbursement, actor=request.user, **data)
            message = _("Recorded as failed; the tranche can be prepared again.")
        else:
            svc.cancel_disbursement(disbursement=disbursement, actor=request.user, **data)
            message = _("Cancelled; the tranche can be prepared again.")
    except ValidationError as error:
        if form is not None:
            _add_errors(form, error)
        else:
            messages.error(request, " ".join(error.messages))
        disbursement = disbursement_for_staff(pk)
        return render(
            request,
            "grants/funding/disbursement.html",
            _disbursement_context(request, disbursement, **{form_name: form} if form_name else {}),
            status=400,
        )
    except TransitionRefused as refused:
        messages.error(request, refused.message)
        return redirect("grants:funding_disbursement", pk)
    messages.success(request, message)
    return redirect("grants:funding_disbursement", pk)


@never_cache
@login_required
def voucher_download(request, pk: int):
    disbursement = _get_disbursement(request.user, pk)
    if not disbursement.voucher_scan:
        raise Http404
    try:
        handle = disbursement.voucher_scan.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=disbursement.voucher_scan.name.rsplit("/", 1)[-1],
        content_type=disbursement.voucher_content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
