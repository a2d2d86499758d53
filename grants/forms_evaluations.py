"""Forms of the evaluation pages. They render and keep what was typed; the services validate."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.enums import Role
from accounts.models import User
from grants.enums_evaluations import EvaluationKind, EvaluationMethod
from grants.services.evaluations import comment_field, score_field


def evaluator_choices():
    """People who may evaluate: active users with the evaluator or the officer role."""
    return (
        User.objects.filter(
            Q(memberships__role=Role.EVALUATOR) | Q(memberships__role=Role.OFFICER),
            is_active=True,
            memberships__is_active=True,
        )
        .distinct()
        .order_by("display_name", "username")
    )


class EvaluatorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        roles = _("evaluator") if obj.has_role(Role.EVALUATOR) else _("officer")
        return f"{obj} ({obj.username}, {roles})"


class StartEvaluationForm(forms.Form):
    kind = forms.ChoiceField(choices=EvaluationKind.choices, widget=forms.HiddenInput)
    evaluator = EvaluatorChoiceField(queryset=User.objects.none(), label=_("Evaluator"))
    due_on = forms.DateField(
        label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evaluator"].queryset = evaluator_choices()


class CancelEvaluationForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the evaluation cancelled?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )


class ActivityForm(forms.Form):
    method = forms.ChoiceField(label=_("Method"), choices=EvaluationMethod.choices)
    occurred_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}), required=False
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    people_contacted = forms.CharField(
        label=_("People contacted"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("E.g. project lead, two volunteers, five residents by phone."),
    )
    notes = forms.CharField(
        label=_("Findings"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class EvaluationForm(forms.Form):
    """One score and one comment per dimension of the evaluation, then bonus, penalty, findings."""

    bonus = forms.CharField(
        label=_("Bonus points"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "data-evaluation-bonus": ""}),
    )
    bonus_reason = forms.CharField(
        label=_("Reason for the bonus"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    penalty = forms.CharField(
        label=_("Penalty points"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "data-evaluation-penalty": ""}),
    )
    penalty_reason = forms.CharField(
        label=_("Reason for the penalty"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    comments = forms.CharField(
        label=_("Findings and recommendations"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The organisation reads these once the evaluation is submitted."),
    )
    staff_notes = forms.CharField(
        label=_("Notes for the programme officers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Not shown to the organisation."),
    )
    clawback_requested = forms.BooleanField(
        label=_("Start a clawback (failed evaluations only)"), required=False
    )
    clawback_amount = forms.CharField(
        label=_("Amount to recover (yuan)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    clawback_reason = forms.CharField(
        label=_("Reason for the clawback"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, scores, **kwargs):
        super().__init__(*args, **kwargs)
        self.score_rows = list(scores)
        for row in self.score_rows:
            self.fields[score_field(row.position)] = forms.CharField(
                label=_("Score"),
                required=False,
                widget=forms.TextInput(
                    attrs={
                        "inputmode": "decimal",
                        "data-evaluation-score": "",
                        "data-max": row.weight,
                    }
                ),
            )
            self.fields[comment_field(row.position)] = forms.CharField(
                label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
            )

    @classmethod
    def initial_for(cls, evaluation) -> dict:
        initial = {
            "bonus": _plain(evaluation.bonus),
            "bonus_reason": evaluation.bonus_reason,
            "penalty": _plain(evaluation.penalty),
            "penalty_reason": evaluation.penalty_reason,
            "comments": evaluation.comments,
            "staff_notes": evaluation.staff_notes,
            "clawback_requested": evaluation.clawback_requested,
            "clawback_amount": evaluation.clawback_amount or "",
            "clawback_reason": evaluation.clawback_reason,
        }
        for row in evaluation.scores.all():
            initial[score_field(row.position)] = "" if row.score is None else _plain(row.score)
            initial[comment_field(row.position)] = row.comment
        return initial

    def rows(self):
        """(score row, score field, comment field) for the template, in order."""
        return [
            (row, self[score_field(row.position)], self[comment_field(row.position)])
            for row in self.score_rows
        ]

    def service_data(self) -> dict:
        """What was typed, as the service reads it (a checkbox left out means unticked)."""
        data = {name: self.data.get(name, "") for name in self.fields}
        data["clawback_requested"] = "1" if self.data.get("clawback_requested") else ""
        return data


def _plain(value) -> str:
    """2.50 → 2.5, 30.00 → 30: numbers as a person types them."""
    if value in (None, ""):
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class TemplateForm(forms.Form):
    """A call's evaluation template: the settings, then one row per dimension (blank rows ignored)."""

    pass_mark = forms.CharField(
        label=_("Pass mark"), widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    bonus_max = forms.CharField(
        label=_("Bonus points, at most"), widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    bonus_guidance = forms.CharField(
        label=_("What earns bonus points"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    penalty_max = forms.CharField(
        label=_("Penalty points, at most"), widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    penalty_guidance = forms.CharField(
        label=_("What costs penalty points"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, rows: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_count = rows
        for index in range(rows):
            self.fields[f"label_{index}"] = forms.CharField(
                label=_("Dimension"), required=False, max_length=100
            )
            self.fields[f"weight_{index}"] = forms.CharField(
                label=_("Points"),
                required=False,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 4}),
            )
            self.fields[f"indicators_{index}"] = forms.CharField(
                label=_("Indicators and guidance"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    @classmethod
    def initial_for(cls, template, dimensions) -> dict:
        initial = {
            "pass_mark": _plain(template.pass_mark),
            "bonus_max": _plain(template.bonus_max),
            "bonus_guidance": template.bonus_guidance,
            "penalty_max": _plain(template.penalty_max),
            "penalty_guidance": template.penalty_guidance,
        }
        for index, dimension in enumerate(dimensions):
            initial[f"label_{index}"] = dimension.label
            initial[f"weight_{index}"] = dimension.weight
            initial[f"indicators_{index}"] = dimension.indicators
        return initial

    def rows(self):
        return [
            (self[f"label_{i}"], self[f"weight_{i}"], self[f"indicators_{i}"])
            for i in range(self.row_count)
        ]

    def dimensions(self) -> list[dict]:
        return [
            {
                "label": self.data.get(f"label_{i}", ""),
                "weight": self.data.get(f"weight_{i}", ""),
                "indicators": self.data.get(f"indicators_{i}", ""),
            }
            for i in range(self.row_count)
        ]
