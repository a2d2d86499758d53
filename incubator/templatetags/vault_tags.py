"""``{% vault_section organisation %}``: the vault and track record on the organisation pages.

A tag rather than view context so the organisation views stay as they are: both the read-only page
(officers, members without the applicant role) and the profile form (applicant members) include it.
"""

from __future__ import annotations

from django import template

from incubator.forms_vault import BankAccountForm, DocumentUploadForm
from incubator.selectors_vault import vault_for

register = template.Library()


@register.inclusion_tag("incubator/vault/_section.html", takes_context=True)
def vault_section(context, organisation, document_form=None, account_form=None):
    user = context["request"].user
    if organisation is None or not user.has_perm("incubator.view_vault", organisation):
        return {"visible": False}
    can_manage = user.has_perm("incubator.manage_vault", organisation)
    return {
        "visible": True,
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "organisation": organisation,
        "vault": vault_for(organisation=organisation, viewer=user),
        "can_manage": can_manage,
        "document_form": document_form or (DocumentUploadForm() if can_manage else None),
        "account_form": account_form or (BankAccountForm() if can_manage else None),
    }


@register.filter
def vault_expires_soon(document, days: int) -> bool:
    """True when the document expires within ``days`` (from today), not already expired."""
    return document.expires_within(int(days))
