"""Forms of expenses, clawbacks and the funder dashboard filters. They only parse input: the rules
(ceilings, dates, receipts, amounts) live in the services, whose errors the views put back here."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from grants.models import BudgetLine, Programme


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class ExpenseForm(forms.Form):
    budget_line = forms.ModelChoiceField(
        label=_("Budget line"), queryset=BudgetLine.objects.none(), empty_label=None
    )
    spent_on = forms.DateField(
        label=_("Date paid"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    amount = forms.CharField(
        label=_("Amount (yuan)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    payee = forms.CharField(label=_("Paid to"), max_length=200)
    description = forms.CharField(
        label=_("What for"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    receipts = MultipleFileField(
        label=_("Receipts (PDF, JPG or PNG)"),
        help_text=_("Invoices or receipts; up to 10 files of 10 MB each."),
    )

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["budget_line"].queryset = BudgetLine.objects.filter(
            application=application
        ).order_by("position", "pk")
        self.fields["budget_line"].label_from_instance = lambda line: (
            f"{line.get_category_display()}：{line.description}（¥{line.amount:,.2f}）"
        )


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note (the organisation reads it)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ClawbackForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount to claim back (yuan)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    reason = forms.CharField(
        label=_("Reason (the organisation reads it)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RepaymentForm(forms.Form):
    voucher_number = forms.CharField(label=_("Voucher number"), max_length=64)
    paid_on = forms.DateField(
        label=_("Repaid on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    amount = forms.CharField(
        label=_("Amount on the voucher (yuan)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class DashboardFilterForm(forms.Form):
    programme = forms.ModelChoiceField(
        label=_("Programme"),
        queryset=Programme.objects.order_by("-start_year", "name"),
        required=False,
        empty_label=_("All programmes"),
    )
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)
