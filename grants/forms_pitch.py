"""Forms of the 路演 pages: the session (officer), the schedule, and a judge's score sheet.

The forms parse and give the first, field-level errors; the services check everything again
(range, comments below the call's threshold, who may do it) and their errors are put back on these
fields by the views.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from grants.models import RubricCriterion
from grants.selectors_pitch import reviewers

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class JudgeChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        profile = getattr(user, "reviewer_profile", None)
        employer = profile.employer if profile is not None else ""
        return f"{user} · {employer}" if employer else str(user)


class SessionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    starts_at = forms.DateTimeField(
        label=_("Starts at"),
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    pitch_minutes = forms.IntegerField(
        label=_("Pitch (minutes)"), min_value=1, max_value=60, initial=8
    )
    qa_minutes = forms.IntegerField(
        label=_("Questions and answers (minutes)"), min_value=0, max_value=60, initial=7
    )
    judges = JudgeChoiceField(
        label=_("Judges"),
        queryset=reviewers().select_related("reviewer_profile"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Members of the expert pool. A judge with a conflict of interest on an application is "
            "not assigned to its pitch."
        ),
    )

    @classmethod
    def for_session(cls, session, *args, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "title": session.title,
                "place": session.place,
                "starts_at": session.starts_at,
                "pitch_minutes": session.pitch_minutes,
                "qa_minutes": session.qa_minutes,
                "judges": list(session.judges.all()),
            },
        )
        return cls(*args, **kwargs)


class ScheduleForm(forms.Form):
    ORDER_CHOICES = [
        ("rank", _("By rank in the written review (best first)")),
        ("reference", _("By reference number (order received)")),
    ]
    order = forms.ChoiceField(label=_("Order"), choices=ORDER_CHOICES, initial="rank")
    applications = forms.TypedMultipleChoiceField(
        label=_("Applications"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Until the first pitch starts, the whole schedule is put in the chosen order; after "
            "that, new applications are added at the end."
        ),
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["applications"].choices = [
            (application.pk, f"{application.reference} {application.title}")
            for application in candidates
        ]


class ScoreForm(forms.Form):
    """One score (and an optional comment) per rubric criterion, and an overall comment.

    Scores go in steps of 0.5, as in the written review (``review_scores.check_score``).
    """

    comment = forms.CharField(
        label=_("Overall comment"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, criteria: list[RubricCriterion], threshold: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            top = criterion.top_score
            self.fields[f"score_{criterion.pk}"] = forms.DecimalField(
                label=criterion.label,
                required=False,
                min_value=Decimal(criterion.min_score),
                max_value=Decimal(top),
                max_digits=5,
                decimal_places=1,
                widget=forms.NumberInput(
                    attrs={
                        "step": "0.5",
                        "inputmode": "decimal",
                        "class": "pitch-score__input",
                        "data-score-input": "",
                        "data-min": criterion.min_score,
                        "data-top": top,
                        "data-weight": criterion.weight,
                        "data-threshold": threshold,
                        "data-comment-for": f"comment-box-{criterion.pk}",
                    }
                ),
            )
            self.fields[f"comment_{criterion.pk}"] = forms.CharField(
                label=_("Comment on “%(criterion)s”") % {"criterion": criterion.label},
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def rows(self):
        """(criterion, score field, comment field) in rubric order, for the template."""
        return [
            (criterion, self[f"score_{criterion.pk}"], self[f"comment_{criterion.pk}"])
            for criterion in self.criteria
        ]

    def scores(self) -> dict[int, Decimal | None]:
        return {c.pk: self.cleaned_data.get(f"score_{c.pk}") for c in self.criteria}

    def comments(self) -> dict[int, str]:
        return {c.pk: self.cleaned_data.get(f"comment_{c.pk}", "") for c in self.criteria}

    @classmethod
    def initial_from(cls, sheet, scores) -> dict:
        if sheet is None:
            return {}
        initial = {"comment": sheet.comment}
        for criterion_id, row in scores.items():
            initial[f"score_{criterion_id}"] = row.score
            initial[f"comment_{criterion_id}"] = row.comment
        return initial
