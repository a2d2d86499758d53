from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from incubator import selectors
from incubator.credit_code import normalise, validate_credit_code
from incubator.models import Community, Organisation
from incubator.services import PROFILE_FIELDS


class CommunityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Community) -> str:
        # full_name walks parents that the selector already loaded: no query per option.
        return obj.full_name


class OrganisationForm(forms.ModelForm):
    """The organisation profile. Saving goes through the services, never ``form.save()``."""

    # Wider than 18 so that a pasted code with spaces or hyphens reaches our own validator, which
    # says what is wrong in words a member understands rather than "at most 18 characters".
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=40,
        required=False,
        help_text=Organisation._meta.get_field("credit_code").help_text,
    )
    district = forms.ModelChoiceField(label=_("District"), queryset=Community.objects.none())
    community = CommunityChoiceField(
        label=_("Based in community"),
        queryset=Community.objects.none(),
        required=False,
        help_text=Organisation._meta.get_field("community").help_text,
    )

    class Meta:
        model = Organisation
        fields = list(PROFILE_FIELDS)
        widgets = {
            "registration_date": forms.DateInput(attrs={"type": "date"}),
            "rating_expires_on": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = selectors.districts()
        self.fields["community"].queryset = selectors.communities_below_district()

    def clean_credit_code(self) -> str | None:
        code = normalise(self.cleaned_data.get("credit_code") or "")
        if not code:
            return None
        validate_credit_code(code)
        return code

    def profile_data(self) -> dict:
        return {
            field: self.cleaned_data[field]
            for field in PROFILE_FIELDS
            if field in self.cleaned_data
        }
