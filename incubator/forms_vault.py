"""Forms of the organisation vault. Saving goes through ``incubator.services_vault``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from grants.services.files import ACCEPTED
from incubator.enums_incubation import VAULT_MAX_MB, DocumentKind


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DocumentKind.choices)
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("What the document is, e.g. 2025 audit report. Needed for “Other”."),
    )
    year = forms.IntegerField(
        label=_("Year"),
        required=False,
        min_value=1980,
        max_value=2100,
        help_text=_("The year an annual report covers."),
    )
    issued_on = forms.DateField(
        label=_("Issued on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    expires_on = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Members are reminded 30 days before."),
    )
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per form, in the language of the request (a lazy string formatted at import
        # time would be frozen in the default language).
        self.fields["file"].help_text = _("%(accepted)s, at most %(max)d MB.") % {
            "accepted": ACCEPTED,
            "max": VAULT_MAX_MB,
        }


class BankAccountForm(forms.Form):
    account_name = forms.CharField(
        label=_("Account name"),
        max_length=200,
        help_text=_("As the bank has it; usually the organisation's registered name."),
    )
    bank_name = forms.CharField(
        label=_("Bank and branch"), max_length=200, help_text=_("e.g. 中国工商银行重庆南坪支行")
    )
    account_number = forms.CharField(
        label=_("Account number"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    make_primary = forms.BooleanField(label=_("Make this the primary account"), required=False)
