"""Forms of the donation pages and the officer's refund button."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.services.donations import clean_donation_amount

PRESETS = ("50", "100", "500")
OTHER = "other"


class DonationForm(forms.Form):
    """Amount (a preset or the donor's own) and who gives. Nothing about the card: that is Stripe's."""

    preset = forms.ChoiceField(
        label=_("Amount"),
        choices=[(p, f"¥{p}") for p in PRESETS] + [(OTHER, _("Another amount"))],
        widget=forms.RadioSelect,
        initial="100",
        required=False,
    )
    custom_amount = forms.CharField(
        label=_("Another amount (yuan)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("From ¥1 to ¥50,000."),
    )
    donor_name = forms.CharField(
        label=_("Your name"),
        required=False,
        max_length=100,
        help_text=_("Leave it empty to give anonymously; the public list then says “Anonymous”."),
    )
    donor_email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        help_text=_("Optional, for a receipt. Only the programme office sees it."),
    )
    message = forms.CharField(
        label=_("Message to the project"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        data = super().clean()
        custom = (data.get("custom_amount") or "").strip()
        preset = data.get("preset") or ""
        # A typed amount wins: a donor who typed 200 and left the preset checked means 200.
        raw = custom if custom or preset in ("", OTHER) else preset
        if not raw:
            self.add_error("custom_amount", _("Choose or enter an amount."))
            return data
        try:
            data["amount"] = clean_donation_amount(raw, field="custom_amount")
        except ValidationError as error:
            self.add_error(None, error)
        return data


class TestCardForm(forms.Form):
    """Only against a local Stripe server (``grants.stripe_gateway.test_card_mode``)."""

    number = forms.CharField(
        label=_("Test card number"),
        initial="4242 4242 4242 4242",
        max_length=23,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    expiry = forms.CharField(
        label=_("Expiry (MM/YY)"), initial="12/34", max_length=7, widget=forms.TextInput()
    )
    cvc = forms.CharField(label=_("CVC"), initial="123", max_length=4)

    def clean_number(self) -> str:
        number = re.sub(r"[\s-]", "", self.cleaned_data["number"])
        if not re.fullmatch(r"\d{12,19}", number):
            raise ValidationError(_("Enter the card number's digits."))
        return number

    def clean_expiry(self) -> tuple[int, int]:
        match = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*", self.cleaned_data["expiry"])
        if not match:
            raise ValidationError(_("Enter the expiry as MM/YY."))
        month, year = int(match[1]), int(match[2])
        year = year + 2000 if year < 100 else year
        today = timezone.localdate()
        if not 1 <= month <= 12 or (year, month) < (today.year, today.month):
            raise ValidationError(_("This card has expired."))
        return month, year

    def clean_cvc(self) -> str:
        cvc = self.cleaned_data["cvc"].strip()
        if not re.fullmatch(r"\d{3,4}", cvc):
            raise ValidationError(_("Enter the 3 or 4 digits on the back of the card."))
        return cvc


class RefundForm(forms.Form):
    amount = forms.CharField(label=_("Refund (yuan)"), max_length=20)
    # What the officer saw as refunded already: a refund meanwhile makes the service refuse.
    expected_refunded = forms.DecimalField(widget=forms.HiddenInput, decimal_places=2)
