"""Forms of the community pages. They validate input; saving always goes through the services."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from incubator import selectors_community as selectors
from incubator.enums_community import Matter
from incubator.forms import CommunityChoiceField
from incubator.models import Organisation, SocialWorker
from incubator.services_community import SOCIAL_WORKER_FIELDS


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj} ({obj.username})"


class SocialWorkerForm(forms.ModelForm):
    user = MemberChoiceField(
        label=_("User account"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("A member of the organisation, if the social worker signs in to Yichuang."),
    )

    class Meta:
        model = SocialWorker
        fields = sorted(SOCIAL_WORKER_FIELDS)
        widgets = {"certificate_date": forms.DateInput(attrs={"type": "date"})}

    field_order = [
        "name", "user", "certificate_level", "certificate_number", "certificate_date",
        "training_hours", "is_active",
    ]  # fmt: skip

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation
        self.fields["user"].queryset = (
            User.objects.filter(memberships__organisation=organisation, memberships__is_active=True)
            .distinct()
            .order_by("display_name", "username")
        )

    def data_for_service(self) -> dict:
        return {name: self.cleaned_data[name] for name in SOCIAL_WORKER_FIELDS}


class ProposalForm(forms.Form):
    community = CommunityChoiceField(label=_("Your community (社区)"), queryset=None)
    title = forms.CharField(label=_("Title"), max_length=100)
    description = forms.CharField(
        label=_("What should change, and why"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = selectors.communities()


class ClassifyForm(forms.Form):
    matter = forms.ChoiceField(
        label=_("Kind of matter"), choices=Matter.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note for the resident"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Who takes the matter on, and what happens next."),
    )


class VoteForm(forms.Form):
    household = forms.CharField(
        label=_("Your household (building, unit, room)"),
        max_length=60,
        help_text=_("For example 3栋2单元401. One household, one vote."),
    )
    in_favour = forms.TypedChoiceField(
        label=_("Your vote"),
        choices=[("yes", _("In favour")), ("no", _("Against"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )


class MicroCallForm(forms.Form):
    programme = forms.ModelChoiceField(label=_("Programme"), queryset=None)
    title = forms.CharField(label=_("Title of the micro-call"), max_length=200)
    budget = forms.DecimalField(
        label=_("Budget (yuan)"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    max_grant = forms.DecimalField(
        label=_("Maximum grant (yuan)"), max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    opens_at = forms.DateTimeField(
        label=_("Opens at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    closes_at = forms.DateTimeField(
        label=_("Closes at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = selectors.programmes()


class ApplicationDraftForm(forms.Form):
    call = forms.ModelChoiceField(label=_("Open call"), queryset=None)
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=None)

    def __init__(self, *args, now, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["call"].queryset = selectors.open_calls(now=now)
        self.fields["organisation"].queryset = Organisation.objects.order_by("name", "pk")


class PartnersForm(forms.Form):
    social_workers = forms.TypedMultipleChoiceField(
        label=_("Social workers"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    volunteer_teams = forms.TypedMultipleChoiceField(
        label=_("Volunteer teams"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    donations = forms.TypedMultipleChoiceField(
        label=_("In-kind donations"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, choices: selectors.PartnerChoices, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "social_workers": sorted(choices.chosen_workers),
                "volunteer_teams": sorted(choices.chosen_teams),
                "donations": sorted(choices.chosen_donations),
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["social_workers"].choices = [
            (w.pk, f"{w.name} · {w.get_certificate_level_display()}")
            for w in choices.social_workers
        ]
        self.fields["volunteer_teams"].choices = [(t.pk, str(t)) for t in choices.volunteer_teams]
        self.fields["donations"].choices = [
            (d.pk, f"{d.donor.name} · {d.description} · ¥{d.estimated_value}")
            for d in choices.donations
        ]
        if not choices.teams_available:
            del self.fields["volunteer_teams"]
