"""Expenses, clawbacks, the funder dashboard, project statements and the reconciliation report.

Applicant pages (``/me/…``): a member of the organisation reports expenses and reads the statement;
anyone else gets 404, as if the project did not exist. Staff pages (``/workspace/…``): officers and
finance; anyone else signed in gets 403. Writes go through ``grants.services.expenses`` and
``grants.services.clawbacks``; the views only turn their errors into form errors and messages.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from grants import exports_finance
from grants.charts_finance import bar_chart
from grants.forms_finance import (
    ClawbackForm,
    DashboardFilterForm,
    DecisionForm,
    ExpenseForm,
    RepaymentForm,
)
from grants.models import Application
from grants.models.expenses import Clawback, Expense, ExpenseReceipt
from grants.reconciliation import load_report
from grants.selectors_finance import (
    FIGURES,
    clawbacks_of,
    dashboard,
    funded_applications,
    project_money,
    spending_by_line,
    statement,
)
from grants.services import clawbacks as clawback_svc
from grants.services import expenses as expense_svc
from grants.services.errors import TransitionRefused


def _application(pk: int) -> Application | None:
    return (
        Application.objects.select_related("call__programme", "organisation", "agreement")
        .filter(pk=pk)
        .first()
    )


def _member_application(user, pk: int) -> Application:
    """404 unless the user is a member of the organisation (staff use the workspace pages)."""
    application = _application(pk)
    if application is None or not user.has_perm("grants.view_application", application):
        raise Http404
    if not user.has_perm("grants.view_project_finance", application):
        raise Http404
    return application


def _require(user, perm: str, obj=None) -> None:
    if not user.has_perm(perm, obj):
        raise PermissionDenied(_("This page is for programme officers and finance staff."))


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


def _flash_errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- Applicant: expenses and statement ------------------------------------------------------------


@login_required
def expense_new(request, pk: int):
    """The expense form on its own page (the panel posts here; errors come back here)."""
    application = _member_application(request.user, pk)
    if not request.user.has_perm("grants.report_expense", application):
        raise PermissionDenied(_("Expenses can be reported while the project runs."))
    form = ExpenseForm(request.POST or None, request.FILES or None, application=application)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            expense = expense_svc.submit_expense(
                application=application,
                budget_line=data["budget_line"],
                spent_on=data["spent_on"],
                amount=data["amount"],
                payee=data["payee"],
                description=data["description"],
                receipts=data["receipts"],
                actor=request.user,
            )
        except ValidationError as error:
            _form_errors(form, error)
        except TransitionRefused as error:
            form.add_error(None, error.message)
        else:
            if expense.counts:
                messages.success(
                    request, _("The expense was recorded and counts against the budget.")
                )
            else:
                messages.warning(
                    request,
                    _(
                        "The expense goes over the budget line's tolerance: it counts once a "
                        "programme officer approves it."
                    ),
                )
            return redirect("grants:application_detail", pk=application.pk)
    return render(
        request,
        "grants/finance/expense_form.html",
        {"application": application, "form": form, "lines": spending_by_line(application)},
    )


def _statement_context(application) -> dict:
    money = project_money([application.pk])[application.pk]
    return {
        "application": application,
        "rows": statement(application),
        "money": money,
        "figures": [(key, exports_finance.figure_labels()[key], money[key]) for key in FIGURES],
        "lines": spending_by_line(application),
        "clawbacks": list(clawbacks_of(application)),
    }


@login_required
def my_statement(request, pk: int):
    application = _member_application(request.user, pk)
    context = _statement_context(application)
    context["export_url"] = reverse("grants:finance_my_statement_export", args=[pk])
    context["back_url"] = reverse("grants:application_detail", args=[pk])
    return render(request, "grants/finance/statement.html", context)


@login_required
def my_statement_export(request, pk: int):
    application = _member_application(request.user, pk)
    return _statement_xlsx(application)


def _statement_xlsx(application) -> HttpResponse:
    workbook = exports_finance.statement_workbook(application, statement(application))
    response = HttpResponse(
        exports_finance.workbook_bytes(workbook), content_type=exports_finance.XLSX_CONTENT_TYPE
    )
    name = exports_finance.export_filename(f"statement-{application.pk}")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@never_cache
@login_required
def receipt_download(request, pk: int):
    receipt = ExpenseReceipt.objects.select_related("expense__application").filter(pk=pk).first()
    if receipt is None or not request.user.has_perm("grants.view_expense_receipt", receipt):
        raise Http404
    try:
        handle = receipt.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,  # never rendered inline: an uploaded file cannot run in our origin
        filename=receipt.original_name,
        content_type=receipt.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Officer: decide expenses, open clawbacks; finance: record repayments -------------------------


@require_POST
@login_required
def expense_decide(request, pk: int, outcome: str):
    expense = Expense.objects.select_related("application").filter(pk=pk).first()
    if expense is None or outcome not in ("approve", "reject"):
        raise Http404
    _require(request.user, "grants.decide_expense", expense)
    form = DecisionForm(request.POST)
    form.is_valid()
    note = form.cleaned_data.get("note", "")
    try:
        if outcome == "approve":
            expense_svc.approve_expense(expense=expense, actor=request.user, note=note)
            messages.success(request, _("The expense was approved and now counts."))
        else:
            expense_svc.reject_expense(expense=expense, actor=request.user, note=note)
            messages.success(request, _("The expense was refused."))
    except ValidationError as error:
        _flash_errors(request, error)
    except TransitionRefused as error:
        messages.error(request, error.message)
    return redirect("grants:officer_application", pk=expense.application_id)


@require_POST
@login_required
def clawback_open(request, pk: int):
    application = _application(pk)
    if application is None:
        raise Http404
    _require(request.user, "grants.open_clawback", application)
    form = ClawbackForm(request.POST)
    if form.is_valid():
        try:
            clawback_svc.open_clawback(
                application=application,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as error:
            _flash_errors(request, error)
        except TransitionRefused as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("The clawback was recorded; finance records the repayment.")
            )
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("grants:officer_application", pk=application.pk)


@require_POST
@login_required
def clawback_repaid(request, pk: int):
    clawback = Clawback.objects.select_related("application").filter(pk=pk).first()
    if clawback is None:
        raise Http404
    _require(request.user, "grants.record_clawback_repayment", clawback)
    form = RepaymentForm(request.POST)
    if form.is_valid():
        try:
            clawback_svc.record_clawback_repayment(
                clawback,
                form.cleaned_data["voucher_number"],
                form.cleaned_data["paid_on"],
                form.cleaned_data["amount"],
                request.user,
            )
        except ValidationError as error:
            _flash_errors(request, error)
        except TransitionRefused as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The repayment was recorded in the ledger."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("grants:finance_statement", pk=clawback.application_id)


# --- Funder dashboard, statement, reconciliation (officers and finance) ---------------------------


def _dashboard_filters(request) -> tuple[DashboardFilterForm, int | None, int | None]:
    form = DashboardFilterForm(request.GET or None)
    programme_id = year = None
    if form.is_bound and form.is_valid():
        programme = form.cleaned_data.get("programme")
        programme_id = programme.pk if programme else None
        year = form.cleaned_data.get("year")
    return form, programme_id, year


# Funded projects listed per page of the dashboard (the Excel download has all of them).
PROJECTS_PAGE_SIZE = 50


def _dashboard_project_queryset(blocks, year):
    return (
        funded_applications(programme_ids=[b.row.programme.pk for b in blocks], year=year)
        .select_related("call", "organisation")
        .order_by("call__programme_id", "call_id", "pk")
    )


def _with_money(projects) -> list[tuple[Application, dict]]:
    projects = list(projects)
    money = project_money([p.pk for p in projects])
    return [(project, money[project.pk]) for project in projects]


def _dashboard_projects(blocks, year) -> list[tuple[Application, dict]]:
    """Every funded project of the programmes shown, with its figures; 3 queries."""
    if not blocks:
        return []
    return _with_money(_dashboard_project_queryset(blocks, year))


def _dashboard_projects_page(request, blocks, year):
    """One page of the funded projects, with their figures; 3 queries (rows, money).

    A city has thousands of funded projects: listing them all made the page several megabytes
    and many seconds long. The page shows them in pages; the download still has every one.
    """
    if not blocks:
        return None, []
    paginator = Paginator(_dashboard_project_queryset(blocks, year), PROJECTS_PAGE_SIZE)
    # The blocks already counted the funded projects of these programmes (same filter): no COUNT.
    paginator.count = sum(block.row.projects for block in blocks)
    page = paginator.get_page(request.GET.get("page"))
    return page, _with_money(page.object_list)


@login_required
def funding_dashboard(request):
    _require(request.user, "grants.view_funding_dashboard")
    form, programme_id, year = _dashboard_filters(request)
    blocks = dashboard(programme_id=programme_id, year=year)
    labels = exports_finance.figure_labels()
    call_rows = [row for block in blocks for row in block.calls if row.projects]
    page, projects = _dashboard_projects_page(request, blocks, year)
    page_query = request.GET.copy()
    page_query.pop("page", None)
    return render(
        request,
        "grants/finance/dashboard.html",
        {
            "form": form,
            "blocks": blocks,
            "labels": [labels[key] for key in FIGURES],
            "chart": bar_chart(call_rows or [block.row for block in blocks], labels),
            "query": page_query.urlencode(),
            "page": page,
            "projects": [
                (project, [figures[key] for key in FIGURES]) for project, figures in projects
            ],
        },
    )


@login_required
def funding_dashboard_export(request):
    _require(request.user, "grants.view_funding_dashboard")
    _form, programme_id, year = _dashboard_filters(request)
    blocks = dashboard(programme_id=programme_id, year=year)
    workbook = exports_finance.dashboard_workbook(blocks, _dashboard_projects(blocks, year))
    response = HttpResponse(
        exports_finance.workbook_bytes(workbook), content_type=exports_finance.XLSX_CONTENT_TYPE
    )
    name = exports_finance.export_filename("funding")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def project_statement(request, pk: int):
    _require(request.user, "grants.view_funding_dashboard")
    application = _application(pk)
    if application is None:
        raise Http404
    context = _statement_context(application)
    context["export_url"] = reverse("grants:finance_statement_export", args=[pk])
    context["staff"] = True
    context["can_record_repayment"] = request.user.has_perm(
        "grants.record_clawback_repayment", None
    )
    context["repayment_form"] = RepaymentForm()
    return render(request, "grants/finance/statement.html", context)


@login_required
def project_statement_export(request, pk: int):
    _require(request.user, "grants.view_funding_dashboard")
    application = _application(pk)
    if application is None:
        raise Http404
    return _statement_xlsx(application)


@login_required
def reconciliation(request):
    _require(request.user, "grants.view_reconciliation")
    report = load_report()
    return render(
        request,
        "grants/finance/reconciliation.html",
        {
            "report": report,
            "sections": [
                ("bank", _("Ledger and bank or treasury vouchers"), report.by_source("bank")),
                ("clawback", _("Clawbacks and their repayments"), report.by_source("clawback")),
                ("stripe", _("Ledger, donations and Stripe"), report.by_source("stripe")),
            ],
        },
    )
