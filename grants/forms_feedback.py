"""Forms of resident feedback (群众评议): the resident's form and code, the officer's settings.

The forms only shape input; ``grants.services.feedback`` decides, and its ``ValidationError``s are
put back on these fields by the views.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from grants.models.feedback import FeedbackMode, TimelyAnswer, YesNo
from grants.services.feedback import parse_phone

STARS = [
    (5, _("5 stars: very satisfied")),
    (4, _("4 stars: satisfied")),
    (3, _("3 stars: neutral")),
    (2, _("2 stars: dissatisfied")),
    (1, _("1 star: very dissatisfied")),
]


class FeedbackForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("How satisfied are you with this project?"),
        choices=STARS,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how satisfied you are, from 1 to 5 stars.")},
    )
    attended = forms.ChoiceField(
        label=_("Have you taken part in the project's activities?"),
        choices=YesNo.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    timely = forms.ChoiceField(
        label=_("Was the service timely?"),
        choices=TimelyAnswer.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    comment = forms.CharField(
        label=_("Your comments and suggestions"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Optional. Shown to the programme office and to the organisation, never your number."
        ),
    )
    household = forms.CharField(
        label=_("Building and door number"),
        required=False,
        max_length=60,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "placeholder": _("e.g. 12栋3单元502")}
        ),
    )
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        help_text=_(
            "We send a 6-digit code to confirm the feedback is yours. One response per number; "
            "your number is never shown to anyone."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "type": "tel"}),
    )
    # A field people do not see (hidden by feedback.css, out of the tab order): bots fill it in.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, household_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if household_required:
            self.fields["household"].required = True
            self.fields["household"].help_text = _(
                "Required: this project counts one response per household."
            )
        else:
            self.fields["household"].help_text = _("Optional.")

    def clean_phone(self):
        parse_phone(self.cleaned_data["phone"])  # raises a translated ValidationError
        return self.cleaned_data["phone"].strip()

    @property
    def is_bot(self) -> bool:
        return bool((self.data.get("website") or "").strip())


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9０-９ ]*",
            }
        ),
    )


class ChannelForm(forms.Form):
    is_open = forms.BooleanField(label=_("Open for feedback"), required=False)
    mode = forms.ChoiceField(
        label=_("Count"), choices=FeedbackMode.choices, widget=forms.RadioSelect
    )
    closes_on = forms.DateField(
        label=_("Last day for feedback"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Optional."),
    )


class ExcludeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for excluding this response"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
