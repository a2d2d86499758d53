"""Forms of the report pages. The report form is lenient on purpose: every value is taken as typed
and ``grants.services.reports`` decides what is valid, so that autosave stores everything it can
and the messages come from one place (and are put back next to their fields here)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from grants.models.reports import EvidenceKind, Report
from grants.selectors_reports import WORKSPACE_FILTERS, indicator_label, indicator_unit


class ReportForm(forms.Form):
    narrative = forms.CharField(
        label=_("What the project did in this period"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Activities, changes seen in the people served, problems met and how they were solved."
        ),
    )
    beneficiaries_reached = forms.CharField(
        label=_("Beneficiaries reached so far (people, cumulative)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, report: Report, **kwargs):
        if "initial" not in kwargs and not args:
            kwargs["initial"] = {
                "narrative": report.narrative,
                "beneficiaries_reached": report.beneficiaries_reached
                if report.beneficiaries_reached is not None
                else "",
                **{
                    f"indicator_{index}": row.get("reached", "")
                    for index, row in enumerate(report.indicator_values or [])
                },
            }
        super().__init__(*args, **kwargs)
        self.report = report
        for index, row in enumerate(report.indicator_values or []):
            target = row.get("target") or ""
            unit = indicator_unit(row)
            help_text = (
                _("Target for the project: %(target)s %(unit)s. Give the value reached so far.")
                % {"target": target, "unit": unit}
                if target
                else _("Give the value reached so far (%(unit)s).") % {"unit": unit or "—"}
            )
            self.fields[f"indicator_{index}"] = forms.CharField(
                label=indicator_label(row),
                required=False,
                help_text=help_text,
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
            )

    def indicator_fields(self):
        return [self[name] for name in self.fields if name.startswith("indicator_")]

    def values(self) -> dict:
        """What was posted, as typed; a part missing from the post is None (left as it is)."""
        data = self.data
        return {
            "narrative": data.get("narrative"),
            "beneficiaries_reached": data.get("beneficiaries_reached"),
            "indicator_values": {
                int(name.split("_", 1)[1]): data[name]
                for name in self.fields
                if name.startswith("indicator_") and name in data
            },
        }


class ActivityForm(forms.Form):
    held_on = forms.CharField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    place = forms.CharField(label=_("Place"), required=False, max_length=200)
    description = forms.CharField(label=_("What happened"), required=False, max_length=500)
    participants = forms.CharField(
        label=_("Participants"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )


class VolunteerForm(forms.Form):
    name = forms.CharField(label=_("Volunteer's name"), required=False, max_length=100)
    hours = forms.CharField(
        label=_("Hours"),
        required=False,
        help_text=_("In half-hour units."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )


ActivityFormSet = forms.formset_factory(ActivityForm, extra=0, max_num=200)
VolunteerFormSet = forms.formset_factory(VolunteerForm, extra=0, max_num=500)


def formset_values(formset) -> list[dict] | None:
    """The rows as typed (None when the formset was not posted at all)."""
    if not formset.is_bound:
        return None
    if not formset.management_form.is_valid():
        return None
    rows = []
    for form in formset.forms:
        rows.append({name: form.data.get(form.add_prefix(name), "") for name in form.fields})
    return rows


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of evidence"), choices=EvidenceKind.choices)
    file = forms.FileField(
        label=_("File"),
        required=False,
        help_text=_("Photos: JPG or PNG. Sign-in sheets: PDF, JPG or PNG."),
        widget=forms.ClearableFileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf"}),
    )


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment to the organisation"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required when you return the report: say what needs changing."),
    )


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Milestone"), max_length=200)
    due_on = forms.DateField(
        label=_("Report due on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    deliverables = forms.CharField(
        label=_("Deliverables"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


STATUS_LABELS = {
    "overdue": _("Overdue"),
    "due_soon": _("Due within 30 days"),
    "awaiting_review": _("Awaiting review"),
    "returned": _("Returned"),
    "accepted": _("Accepted"),
    "all": _("All"),
}


class WorkspaceFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[(code, STATUS_LABELS[code]) for code in WORKSPACE_FILTERS],
    )
    call = forms.TypedChoiceField(label=_("Call"), required=False, coerce=int, empty_value=None)
    q = forms.CharField(label=_("Project or organisation"), required=False, max_length=100)

    def __init__(self, *args, calls=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["call"].choices = [("", _("All calls"))] + [(c.pk, c.title) for c in calls]
