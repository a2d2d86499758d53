"""Forms of the decision step: publishing the 公示, lodging and verifying objections, answering them.

The forms only shape input; the services decide (``grants.services.decisions`` / ``.objections``)
and their ``ValidationError``s are put back on these fields by the views.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from grants.services.objections import parse_contact


class PublishNoticeForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Leave empty for the standard title."),
    )
    body = forms.CharField(
        label=_("Notice text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Shown above the list of projects, e.g. how the results were reached."),
    )
    contact = forms.CharField(
        label=_("Contact for objections"),
        max_length=200,
        required=False,
        help_text=_("A phone number or e-mail address of the programme office."),
    )
    confirm = forms.BooleanField(
        label=_(
            "I have checked the list: publish it and reject the applications that are not "
            "recommended."
        ),
        required=True,
    )


class ObjectionForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=50)
    contact = forms.CharField(
        label=_("E-mail or mobile number"),
        max_length=100,
        help_text=_("We send a 6-digit code there to confirm the objection is yours."),
        widget=forms.TextInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )
    body = forms.CharField(
        label=_("Your objection"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Say what you object to and why; facts and evidence help the review."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One form per project on the page: the prefix keeps the ids unique.
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"{self.prefix or 'objection'}-{name}")

    def clean_contact(self):
        parse_contact(self.cleaned_data["contact"])  # raises a translated ValidationError
        return self.cleaned_data["contact"].strip()


class VerifyCodeForm(forms.Form):
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


class TriageForm(forms.Form):
    triage_note = forms.CharField(
        label=_("Triage note (staff only)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ResolveObjectionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("dismiss", _("Dismiss the objection")), ("uphold", _("Uphold the objection"))],
        widget=forms.RadioSelect,
    )
    answer = forms.CharField(
        label=_("Written answer"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Published on the public notice (the objector's name masked) and sent to the "
            "objector. Do not name reviewers or give anyone's contact details."
        ),
    )
    reject = forms.BooleanField(
        label=_("Also reject the application (upheld objections only)"), required=False
    )
    reject_reason = forms.CharField(
        label=_("Reason for the rejection (the applicant will read it)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reject"):
            if cleaned.get("outcome") != "uphold":
                self.add_error("reject", _("Only an upheld objection can lead to a rejection."))
            if not (cleaned.get("reject_reason") or "").strip():
                self.add_error(
                    "reject_reason", _("Please give a reason; the applicant will read it.")
                )
        return cleaned
