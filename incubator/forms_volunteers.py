"""Forms of the volunteering pages. They only bind and check input; the services write."""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from incubator import selectors
from incubator.enums import CommunityLevel
from incubator.enums_volunteers import CONSENT_TEXTS, CONSENT_VERSION, MAX_POINTS_PER_HOUR, Skill
from incubator.forms import CommunityChoiceField
from incubator.models import Community, Organisation, RewardItem, VolunteerActivity
from incubator.personal_data import normalise_id_number, validate_id_number, validate_mobile
from incubator.selectors_volunteers import teams_to_join
from incubator.services_volunteers import parse_hours

DATETIME_INPUT = "%Y-%m-%dT%H:%M"


def _communities():
    return (
        Community.objects.filter(level=CommunityLevel.COMMUNITY)
        .select_related("parent__parent")
        .order_by("parent__parent__name", "parent__name", "name", "pk")
    )


class TeamChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name}（{obj.organisation.name}）"


class VolunteerProfileForm(forms.Form):
    """The volunteer's own profile. The ID number is optional and never shown back in the form."""

    real_name = forms.CharField(label=_("Real name"), max_length=50)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20)
    # Wider than 18 so that a pasted number with spaces reaches our checker, which explains errors.
    id_number = forms.CharField(
        label=_("ID number (optional)"),
        max_length=30,
        required=False,
        help_text=_(
            "Volunteer-service platforms need it to record your hours. Stored encrypted; others see it masked."
        ),
    )
    skills = forms.MultipleChoiceField(
        label=_("Skills"),
        choices=Skill.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    community = CommunityChoiceField(label=_("Your community"), queryset=Community.objects.none())
    teams = TeamChoiceField(
        label=_("Volunteer teams"),
        queryset=teams_to_join().none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, keep_id_number: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = _communities()
        self.fields["teams"].queryset = teams_to_join()
        if keep_id_number:
            self.fields["id_number"].help_text = _(
                "Leave empty to keep the number you gave before."
            )

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].replace(" ", "").replace("-", "")
        validate_mobile(phone)
        return phone

    def clean_id_number(self) -> str:
        raw = self.cleaned_data.get("id_number") or ""
        return validate_id_number(raw) if normalise_id_number(raw) else ""

    def profile_data(self) -> dict:
        data = {
            "real_name": self.cleaned_data["real_name"],
            "phone": self.cleaned_data["phone"],
            "id_number": self.cleaned_data["id_number"],
            "skills": self.cleaned_data["skills"],
            "community": self.cleaned_data["community"],
        }
        if "teams" in self.fields:
            data["teams"] = list(self.cleaned_data["teams"])
        return data


class VolunteerRegistrationForm(VolunteerProfileForm):
    consent = forms.BooleanField(
        label=_("I have read and agree to the use of my personal data described above."),
        required=True,
        error_messages={
            "required": _("You can only register if you agree to how your data is used.")
        },
    )
    consent_text = CONSENT_TEXTS[CONSENT_VERSION]
    consent_version = CONSENT_VERSION


class PaperRegistrationForm(VolunteerProfileForm):
    """An organiser registers a volunteer who has no account and signed consent on paper."""

    organisation = forms.ModelChoiceField(
        label=_("Registering organisation"), queryset=Organisation.objects.none()
    )
    consent_on_paper = forms.BooleanField(
        label=_("The volunteer has signed the paper consent form, which we keep."),
        required=True,
        error_messages={
            "required": _("Register a volunteer only after they have signed the consent form.")
        },
    )
    consent_text = CONSENT_TEXTS[CONSENT_VERSION]

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        del self.fields["teams"]  # joining teams is the volunteer's own choice


class ActivityForm(forms.ModelForm):
    class Meta:
        model = VolunteerActivity
        fields = [
            "title",
            "description",
            "application",
            "community",
            "place",
            "starts_at",
            "ends_at",
            "slots",
            "points_per_hour",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "starts_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format=DATETIME_INPUT
            ),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
        }

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        application_model = apps.get_model("grants", "Application")
        self.fields["application"].queryset = application_model.objects.filter(
            organisation=organisation
        ).order_by("-pk")
        self.fields["application"].label_from_instance = lambda a: a.title or a.reference
        self.fields["community"] = CommunityChoiceField(
            label=_("Community"), queryset=selectors.communities_below_district()
        )
        for name in ("starts_at", "ends_at"):
            self.fields[name].input_formats = [DATETIME_INPUT, "%Y-%m-%d %H:%M"]
        self.fields["points_per_hour"].max_value = MAX_POINTS_PER_HOUR

    def activity_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class HoursForm(forms.Form):
    hours = forms.CharField(
        label=_("Hours"),
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_("In half hours: e.g. 2 or 2.5."),
    )
    note = forms.CharField(
        label=_("Note for the organiser"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_hours(self):
        try:
            return parse_hours(self.cleaned_data["hours"])
        except ValidationError as error:
            raise ValidationError(error.message_dict["hours"]) from None


class RejectHoursForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class AddVolunteerForm(forms.Form):
    phone = forms.CharField(
        label=_("Volunteer's mobile phone"),
        max_length=20,
        help_text=_("The number they registered with."),
    )

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].replace(" ", "").replace("-", "")
        validate_mobile(phone)
        return phone


class TeamForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none()
    )
    name = forms.CharField(label=_("Team name"), max_length=100)
    community = CommunityChoiceField(
        label=_("Community"), queryset=Community.objects.none(), required=False
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    applications = forms.ModelMultipleChoiceField(
        label=_("Projects the team works on"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["community"].queryset = selectors.communities_below_district()
        application_model = apps.get_model("grants", "Application")
        self.fields["applications"].queryset = (
            application_model.objects.filter(organisation__in=organisations)
            .select_related("organisation")
            .order_by("organisation__name", "-pk")
        )
        self.fields["applications"].label_from_instance = lambda a: (
            f"{a.title or a.reference}（{a.organisation.name}）"
        )

    def clean(self):
        data = super().clean()
        organisation = data.get("organisation")
        if organisation and any(
            a.organisation_id != organisation.pk for a in data.get("applications") or ()
        ):
            self.add_error("applications", _("Choose the organisation's own projects."))
        return data


class RewardForm(forms.ModelForm):
    class Meta:
        model = RewardItem
        fields = ["name", "description", "provider", "points_cost", "stock", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class RedeemForm(forms.Form):
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=10, initial=1)


class ExportForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("All"),
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
