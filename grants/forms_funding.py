"""Forms of agreements and disbursements. Amounts are text fields: the services parse them with
``grants.services.ledger.clean_amount`` so that "¥10,000", "10000.5" and mistakes get one clear answer."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from grants.models.disbursements import DisbursementMethod


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class IssueAgreementForm(forms.Form):
    award_amount = forms.CharField(
        label=_("Grant awarded (yuan)"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_(
            "Leave as proposed (the amount requested) or lower it; at most the call's maximum."
        ),
    )
    starts_on = forms.DateField(label=_("Project starts"), widget=DateInput())
    ends_on = forms.DateField(label=_("Project ends"), widget=DateInput())
    account_name = forms.CharField(
        label=_("Dedicated account: holder"), max_length=200, required=False
    )
    account_bank = forms.CharField(
        label=_("Dedicated account: bank"), max_length=200, required=False
    )
    account_number = forms.CharField(
        label=_("Dedicated account: number"), max_length=64, required=False,
        help_text=_("Filled in from the organisation's bank account on file, if it has one."),
    )  # fmt: skip
    reporting_duties = forms.CharField(
        label=_("Reporting duties"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Leave empty for the standard duties."),
    )


class AcceptAgreementForm(forms.Form):
    agree = forms.BooleanField(label=_("I have read and agree to this agreement"), required=False)
    pdf_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)


class PrepareDisbursementForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Payment method"), choices=DisbursementMethod.choices, initial="bank"
    )
    payer_account = forms.CharField(label=_("Paid from (account)"), max_length=200, required=False)
    stripe_account_id = forms.CharField(
        label=_("Stripe connected account"), max_length=64, required=False,
        help_text=_("Only for Stripe payouts, e.g. acct_1Nv0…"),
    )  # fmt: skip


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note (optional)"), required=False, max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class PaymentForm(forms.Form):
    voucher_number = forms.CharField(label=_("Voucher number"), max_length=64)
    paid_on = forms.DateField(label=_("Date on the voucher"), widget=DateInput())
    amount = forms.CharField(
        label=_("Amount on the voucher (yuan)"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    payer_account = forms.CharField(label=_("Paid from (account)"), max_length=200)
    payee_account = forms.CharField(label=_("Paid into (account)"), max_length=200)
    voucher_scan = forms.FileField(
        label=_("Scan of the voucher (PDF, JPG or PNG)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )
