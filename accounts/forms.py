from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class SignupProfileForm(forms.Form):
    """Extra fields on allauth's sign-up form (ACCOUNT_SIGNUP_FORM_CLASS)."""

    display_name = forms.CharField(label=_("Your name"), max_length=100)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False)

    def signup(self, request, user) -> None:
        user.display_name = self.cleaned_data["display_name"]
        user.phone = self.cleaned_data.get("phone", "")
        user.preferred_language = getattr(request, "LANGUAGE_CODE", None) or "zh-hans"
        user.save(update_fields=["display_name", "phone", "preferred_language"])


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["preferred_language", "email_frequency"]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=255,
        help_text=_("So that you recognise it later, e.g. the script or tool that uses it."),
    )
