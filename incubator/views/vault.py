"""The organisation vault: documents and bank accounts, under /me/organisations/<pk>/vault/.

The vault is shown on the organisation page (``{% vault_section %}``); the forms there post here.
Someone who may not see the organisation gets a 404, exactly as if it did not exist; an officer,
who may see every vault but change none, gets a 403 on the writes. Files are served only here,
after the permission check, always as downloads.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from incubator import services_vault
from incubator.forms_vault import BankAccountForm, DocumentUploadForm
from incubator.models import BankAccount, Organisation, VaultDocument
from incubator.selectors import all_organisations


def _get_organisation(user, pk: int, *, manage: bool = False) -> Organisation:
    organisation = all_organisations().filter(pk=pk).first()
    if organisation is None or not user.has_perm("incubator.view_vault", organisation):
        raise Http404
    if manage and not user.has_perm("incubator.manage_vault", organisation):
        raise PermissionDenied(_("Only the organisation's members may change its vault."))
    return organisation


def _back(organisation: Organisation):
    return redirect(reverse("incubator:organisation_detail", args=[organisation.pk]) + "#vault")


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _page(request, organisation, *, document_form=None, account_form=None, status=200):
    return render(
        request,
        "incubator/vault/vault.html",
        {
            "organisation": organisation,
            "document_form": document_form,
            "account_form": account_form,
        },
        status=status,
    )


@login_required
def vault_page(request, pk: int):
    """The vault on a page of its own: where forms with errors come back to."""
    return _page(request, _get_organisation(request.user, pk))


@login_required
@require_POST
def upload_document(request, pk: int):
    organisation = _get_organisation(request.user, pk, manage=True)
    form = DocumentUploadForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            document = services_vault.upload_document(
                organisation=organisation,
                actor=request.user,
                uploaded_file=data["file"],
                kind=data["kind"],
                title=data["title"],
                year=data["year"],
                issued_on=data["issued_on"],
                expires_on=data["expires_on"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, _("“%(name)s” is in the vault.") % {"name": document.original_name}
            )
            return _back(organisation)
    return _page(request, organisation, document_form=form, status=400)


def _document(organisation: Organisation, document_pk: int) -> VaultDocument:
    document = VaultDocument.objects.filter(pk=document_pk, organisation=organisation).first()
    if document is None:
        raise Http404
    return document


@never_cache
@login_required
def download_document(request, pk: int, document_pk: int):
    organisation = _get_organisation(request.user, pk)
    document = _document(organisation, document_pk)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,  # never rendered inline: an uploaded file cannot run in our origin
        filename=document.original_name,
        content_type=document.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def delete_document(request, pk: int, document_pk: int):
    organisation = _get_organisation(request.user, pk, manage=True)
    document = _document(organisation, document_pk)
    services_vault.delete_document(document=document, actor=request.user)
    messages.success(request, _("“%(name)s” was removed.") % {"name": document.original_name})
    return _back(organisation)


@login_required
@require_POST
def add_account(request, pk: int):
    organisation = _get_organisation(request.user, pk, manage=True)
    form = BankAccountForm(request.POST)
    if form.is_valid():
        try:
            services_vault.add_bank_account(
                organisation=organisation, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The bank account was added."))
            return _back(organisation)
    return _page(request, organisation, account_form=form, status=400)


def _account(organisation: Organisation, account_pk: int) -> BankAccount:
    account = BankAccount.objects.filter(pk=account_pk, organisation=organisation).first()
    if account is None:
        raise Http404
    return account


@login_required
@require_POST
def make_primary_account(request, pk: int, account_pk: int):
    organisation = _get_organisation(request.user, pk, manage=True)
    account = _account(organisation, account_pk)
    services_vault.make_primary_account(account=account, actor=request.user)
    messages.success(
        request,
        _("The account ending %(last)s is now the primary account.") % {"last": account.last_four},
    )
    return _back(organisation)


@login_required
@require_POST
def delete_account(request, pk: int, account_pk: int):
    organisation = _get_organisation(request.user, pk, manage=True)
    account = _account(organisation, account_pk)
    services_vault.delete_bank_account(account=account, actor=request.user)
    messages.success(
        request, _("The account ending %(last)s was removed.") % {"last": account.last_four}
    )
    return _back(organisation)
