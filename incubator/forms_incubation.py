"""Forms of the incubation pages. They only parse input; the services decide and save."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from incubator.enums_incubation import DIMENSION_MAX, CapacityDimension, IncubationMode

DATE = {"type": "date"}
DATETIME = {"type": "datetime-local"}


class ApplyForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=None, empty_label=None)
    requested_mode = forms.ChoiceField(label=_("Mode of incubation"), widget=forms.RadioSelect)
    motivation = forms.CharField(
        label=_("Why incubation"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What the organisation does and what it needs from the base."),
    )

    def __init__(self, *args, intake, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["requested_mode"].choices = [
            (mode, IncubationMode(mode).label) for mode in intake.modes
        ]
        if len(intake.modes) == 1:
            self.fields["requested_mode"].initial = intake.modes[0]


class ActionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action
        if not action.takes_reason:
            del self.fields["reason"]
        else:
            self.fields["reason"].required = action.needs_reason
            self.fields["reason"].label = (
                _("Reason (the organisation reads it)")
                if action.needs_reason
                else _("Note (optional)")
            )
            self.fields["reason"].widget.attrs["id"] = f"id_reason_{action.code}"


class AgreementForm(forms.Form):
    mode = forms.ChoiceField(label=_("Mode"), choices=IncubationMode.choices)
    space = forms.CharField(
        label=_("Space"),
        max_length=100,
        required=False,
        help_text=_("e.g. 孵化室 A-203; empty for cloud."),
    )
    subsidy = forms.DecimalField(
        label=_("Subsidy (yuan)"), min_value=0, max_digits=10, decimal_places=2, initial=0
    )
    term_start = forms.DateField(label=_("Term starts"), widget=forms.DateInput(attrs=DATE))
    term_end = forms.DateField(label=_("Term ends"), widget=forms.DateInput(attrs=DATE))


class ServicePlanForm(forms.Form):
    goals = forms.CharField(label=_("Goals"), widget=forms.Textarea(attrs={"rows": 4}))
    services = forms.CharField(
        label=_("Planned services"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One service per line, e.g. 财务制度建设辅导."),
    )

    def service_list(self) -> list[str]:
        return [
            line.strip()
            for line in self.cleaned_data.get("services", "").splitlines()
            if line.strip()
        ]


class FinancialSystemForm(forms.Form):
    attested = forms.BooleanField(
        label=_("The organisation has a basic financial system (bookkeeping, approvals, receipts)"),
        required=False,
    )


class HandbackForm(forms.Form):
    handed_back_on = forms.DateField(
        label=_("Space handed back on"), widget=forms.DateInput(attrs=DATE)
    )


class MentoringForm(forms.Form):
    held_on = forms.DateField(label=_("Held on"), widget=forms.DateInput(attrs=DATE))
    mentor = forms.CharField(label=_("Mentor"), max_length=100)
    topic = forms.CharField(label=_("Topic"), max_length=200)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 4}))
    shared_with_organisation = forms.BooleanField(
        label=_("The organisation may read these notes"), required=False, initial=True
    )
    FOLLOW_UPS = 3

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for index in range(1, self.FOLLOW_UPS + 1):
            self.fields[f"follow_up_{index}"] = forms.CharField(
                label=_("Follow-up %(number)d") % {"number": index}, max_length=300, required=False
            )
            self.fields[f"follow_up_{index}_due"] = forms.DateField(
                label=_("Due"), required=False, widget=forms.DateInput(attrs=DATE)
            )

    def follow_ups(self) -> list[tuple[str, object]]:
        return [
            (
                self.cleaned_data.get(f"follow_up_{i}", ""),
                self.cleaned_data.get(f"follow_up_{i}_due"),
            )
            for i in range(1, self.FOLLOW_UPS + 1)
            if self.cleaned_data.get(f"follow_up_{i}")
        ]


class AssessmentForm(forms.Form):
    assessed_on = forms.DateField(label=_("Assessed on"), widget=forms.DateInput(attrs=DATE))
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, label in CapacityDimension.choices:
            self.fields[code] = forms.IntegerField(
                label=label,
                min_value=0,
                max_value=DIMENSION_MAX,
                help_text=_("0 to %(max)d") % {"max": DIMENSION_MAX},
            )
        # Scores first, as on the paper scorecard.
        self.order_fields(["assessed_on", *CapacityDimension.values, "notes"])


class CourseForm(forms.Form):
    base = forms.ModelChoiceField(label=_("Base"), queryset=None, empty_label=None)
    title = forms.CharField(label=_("Title"), max_length=200)
    trainer = forms.CharField(label=_("Trainer"), max_length=100, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, bases, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["base"].queryset = bases


class SessionForm(forms.Form):
    topic = forms.CharField(label=_("Topic"), max_length=200, required=False)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=forms.DateTimeInput(attrs=DATETIME))
    ends_at = forms.DateTimeField(label=_("Ends"), widget=forms.DateTimeInput(attrs=DATETIME))
    place = forms.CharField(label=_("Place"), max_length=200)


class AttendanceForm(forms.Form):
    organisations = forms.MultipleChoiceField(
        label=_("Present"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisations"].choices = [(str(o.pk), o.name) for o in organisations]

    def organisation_ids(self) -> set[int]:
        return {int(pk) for pk in self.cleaned_data.get("organisations", [])}
