"""Forms of the expert review: profile and relations, declaration, score sheet, officer tools.

The forms check what a form can (a number in range, a required reason); the services check again
and own the rules that need the database (conflicts, states, the comment threshold on submit).
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grants.enums import Expertise, RelationKind
from grants.forms import CommunityChoiceField
from grants.models import Call, RubricCriterion
from grants.services.review_scores import Entry, comment_field, comment_threshold, score_field
from incubator.enums import CommunityLevel
from incubator.models import Community, Organisation

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReviewerProfileForm(forms.Form):
    expertise = forms.MultipleChoiceField(
        label=_("Fields of expertise"),
        choices=Expertise.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Panels are drawn so that each has at least one expert in the project's theme."
        ),
    )
    employer = forms.CharField(label=_("Employer"), max_length=200, required=False)
    title = forms.CharField(label=_("Professional title"), max_length=100, required=False)
    bio = forms.CharField(
        label=_("Short biography"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    communities = CommunityChoiceField(
        label=_("Communities you live or work in"),
        queryset=Community.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "You will not be asked to review projects of organisations based in, or working in, "
            "these communities."
        ),
    )
    districts = CommunityChoiceField(
        label=_("Districts you serve"),
        queryset=Community.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["communities"].queryset = (
            Community.objects.filter(level=CommunityLevel.COMMUNITY)
            .select_related("parent")
            .order_by("parent__name", "name")
        )
        self.fields["districts"].queryset = Community.objects.filter(
            level=CommunityLevel.DISTRICT
        ).order_by("name")

    @classmethod
    def initial_for(cls, profile) -> dict:
        if profile is None:
            return {}
        return {
            "expertise": profile.expertise,
            "employer": profile.employer,
            "title": profile.title,
            "bio": profile.bio,
            "communities": [c.pk for c in profile.communities.all()],
            "districts": [c.pk for c in profile.districts.all()],
            "is_active": profile.is_active,
        }


class OfficerProfileForm(ReviewerProfileForm):
    is_active = forms.BooleanField(label=_("Available for review"), required=False)


class RelationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Relation"), choices=RelationKind.choices)
    organisation = forms.CharField(
        label=_("Organisation (name or unified social credit code)"),
        max_length=200,
        required=False,
    )
    call = forms.ModelChoiceField(
        label=_("Call (if you helped draft it)"), queryset=Call.objects.none(), required=False
    )
    through_relative = forms.BooleanField(
        label=_("Through a spouse or close relative"), required=False
    )
    started_on = forms.DateField(label=_("From"), required=False, widget=DATE_INPUT)
    ended_on = forms.DateField(
        label=_("Until"), required=False, widget=DATE_INPUT, help_text=_("Empty if ongoing.")
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["call"].queryset = Call.objects.order_by("-opens_at")

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind == RelationKind.DRAFTED_CALL:
            if not cleaned.get("call"):
                self.add_error("call", _("Choose the call you helped draft."))
            cleaned["organisation"] = None
        elif kind:
            text = (cleaned.get("organisation") or "").strip()
            cleaned["organisation"] = None
            if not text:
                self.add_error("organisation", _("Name the organisation."))
            else:
                matches = list(
                    Organisation.objects.filter(Q(credit_code=text.upper()) | Q(name=text))[:2]
                )
                if len(matches) != 1:
                    self.add_error(
                        "organisation",
                        _(
                            "No single organisation has this exact name or credit code; copy it "
                            "from the organisation directory."
                        ),
                    )
                else:
                    cleaned["organisation"] = matches[0]
            cleaned["call"] = None
        started, ended = cleaned.get("started_on"), cleaned.get("ended_on")
        if started and ended and ended < started:
            self.add_error("ended_on", _("A relation cannot end before it starts."))
        return cleaned


class ConflictNoteForm(forms.Form):
    note = forms.CharField(
        label=_("What is the conflict?"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only the programme officers read this."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["reason"].label = label


class ScoreSheetForm(forms.Form):
    """One score and one comment per criterion (``score_<id>``, ``comment_<id>``) and an overall
    comment. Range and step are checked here; completeness and comments on submission."""

    comment = forms.CharField(
        label=_("Overall comment"),
        max_length=8000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, criteria: list[RubricCriterion], percent: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        self.rows = []
        for criterion in criteria:
            name = score_field(criterion.pk)
            self.fields[name] = forms.DecimalField(
                label=criterion.label,
                required=False,
                min_value=Decimal(criterion.min_score),
                max_value=Decimal(criterion.top_score),
                step_size=Decimal("0.5"),
                decimal_places=1,
                max_digits=5,
                widget=forms.NumberInput(
                    attrs={
                        "step": "0.5",
                        "min": criterion.min_score,
                        "max": criterion.top_score,
                        "inputmode": "decimal",
                    }
                ),
            )
            self.fields[comment_field(criterion.pk)] = forms.CharField(
                label=_("Comment on “%(criterion)s”") % {"criterion": criterion.label},
                max_length=4000,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.rows.append(
                {
                    "criterion": criterion,
                    "score": self[name],
                    "comment": self[comment_field(criterion.pk)],
                    "threshold": comment_threshold(criterion, percent).normalize(),
                }
            )
        # The overall comment comes last on the page.
        self.order_fields([*(f for f in self.fields if f != "comment"), "comment"])

    @classmethod
    def initial_for(cls, sheet) -> dict:
        if sheet is None:
            return {}
        initial = {"comment": sheet.comment}
        for row in sheet.scores.all():
            initial[score_field(row.criterion_id)] = row.score
            initial[comment_field(row.criterion_id)] = row.comment
        return initial

    def entries(self) -> tuple[dict[int, Entry], list[str]]:
        """The criteria whose score is valid (to save) and the problems with the others.

        Call after ``is_valid()``. A criterion with an invalid score is left as stored.
        """
        entries, problems = {}, []
        for criterion in self.criteria:
            name = score_field(criterion.pk)
            if name in self.errors:
                problems.extend(f"{criterion.label}: {error}" for error in self.errors[name])
                continue
            score = self.cleaned_data.get(name)
            comment = self.cleaned_data.get(comment_field(criterion.pk), "") or ""
            if score is None and comment.strip():
                problems.append(
                    _("%(criterion)s: the comment is kept once the criterion has a score.")
                    % {"criterion": criterion.label}
                )
            entries[criterion.pk] = Entry(score=score, comment=comment)
        return entries, problems

    def overall_comment(self) -> str | None:
        return self.cleaned_data.get("comment") if "comment" not in self.errors else None


class DrawForm(forms.Form):
    per_application = forms.IntegerField(
        label=_("Reviewers per application"), min_value=1, max_value=50
    )
    seed = forms.IntegerField(
        label=_("Seed (optional)"),
        min_value=0,
        max_value=2**31 - 1,
        required=False,
        help_text=_(
            "The same seed on the same pool draws the same panels; leave empty for a new draw."
        ),
    )


class AddReviewerForm(forms.Form):
    reviewer = forms.TypedChoiceField(label=_("Reviewer"), coerce=int)

    def __init__(self, *args, reviewers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].choices = [(user.pk, str(user)) for user in reviewers]


class RecordConflictForm(forms.Form):
    application = forms.TypedChoiceField(label=_("Application"), coerce=int)
    reviewer = forms.TypedChoiceField(label=_("Reviewer"), coerce=int)
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, applications, reviewers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].choices = [
            (a.pk, f"{a.reference} {a.title or ''}".strip()) for a in applications
        ]
        self.fields["reviewer"].choices = [(user.pk, str(user)) for user in reviewers]


STAR_CHOICES = [(n, "★" * n) for n in range(1, 6)]


class ConductForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("Rating"), choices=STAR_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
