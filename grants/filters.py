"""The officer's filters over the applications of one call (django-filter).

One FilterSet serves the workspace list and the Excel export, so the export is exactly the list the
officer is looking at.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grants.enums import ApplicationState, Theme
from grants.models import Application, Call
from grants.selectors import applications_for_officer
from incubator.enums import CommunityLevel
from incubator.models import Community


class EligibilityFlag:
    HARD = "hard"
    SOFT = "soft"
    CLEAN = "clean"

    choices = [
        (HARD, _("Any hard failure")),
        (SOFT, _("Any soft flag")),
        (CLEAN, _("No failures or flags")),
    ]


SORT_CHOICES = [
    ("-submitted", _("Submitted: newest first")),
    ("submitted", _("Submitted: oldest first")),
    ("-amount", _("Requested amount: highest first")),
    ("amount", _("Requested amount: lowest first")),
    ("organisation", pgettext_lazy("sort", "Organisation: A–Z")),
    ("-organisation", pgettext_lazy("sort", "Organisation: Z–A")),
]
# Ties are broken by the primary key, so that pages never repeat or skip a row.
SORT_ORDER = {
    # NULLs sort differently on SQLite and PostgreSQL: say where they go.
    "-submitted": (F("submitted_at").desc(nulls_last=True), "-pk"),
    "submitted": (F("submitted_at").asc(nulls_last=True), "pk"),
    "-amount": ("-requested_amount", "-pk"),
    "amount": ("requested_amount", "pk"),
    "organisation": ("organisation__name", "pk"),
    "-organisation": ("-organisation__name", "-pk"),
}
DEFAULT_SORT = "-submitted"


def officer_states() -> list[tuple[str, str]]:
    return [
        (value, label)
        for value, label in ApplicationState.choices
        if value != ApplicationState.DRAFT
    ]


class ApplicationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Title, summary or organisation")}
        ),
    )
    state = django_filters.MultipleChoiceFilter(
        label=_("State"), choices=officer_states, widget=forms.CheckboxSelectMultiple
    )
    theme = django_filters.ChoiceFilter(
        label=_("Theme"), choices=Theme.choices, empty_label=_("All themes")
    )
    district = django_filters.ModelChoiceFilter(
        label=_("District"),
        field_name="organisation__district",
        queryset=Community.objects.filter(level=CommunityLevel.DISTRICT).order_by("name"),
        empty_label=_("All districts"),
    )
    eligibility = django_filters.ChoiceFilter(
        label=_("Eligibility"),
        choices=EligibilityFlag.choices,
        method="filter_eligibility",
        empty_label=_("All"),
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"), choices=SORT_CHOICES, method="sort_by", empty_label=None
    )

    class Meta:
        model = Application
        fields: list[str] = []

    def __init__(self, data=None, *args, call: Call, **kwargs):
        # Always bound (an empty query string is a valid "no filter"), so the default sort applies.
        super().__init__(
            data if data is not None else {},
            *args,
            queryset=applications_for_officer(call=call),
            **kwargs,
        )
        self.call = call
        if len(call.themes) <= 1:
            # With one theme the applicant chose none (see the application form): nothing to filter.
            del self.filters["theme"]
        else:
            # Only the themes this call offers.
            self.filters["theme"].extra["choices"] = [
                (code, label) for code, label in Theme.choices if code in call.themes
            ]

    # The queries themselves live in ``selectors.applications_for_officer``; the FilterSet gives the
    # form, its validation and choices, and hands the cleaned values over.
    def search(self, queryset, name, value):
        return queryset

    filter_eligibility = sort_by = search

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        eligibility = data.get("eligibility")
        hard = soft = None
        if eligibility == EligibilityFlag.HARD:
            hard = True
        elif eligibility == EligibilityFlag.SOFT:
            soft = True
        elif eligibility == EligibilityFlag.CLEAN:
            hard = soft = False
        district = data.get("district")
        return applications_for_officer(
            call=self.call,
            states=data.get("state") or None,
            theme=data.get("theme") or "",
            district_id=district.pk if district else None,
            hard_failures=hard,
            soft_flags=soft,
            search=data.get("q") or "",
            order_by=SORT_ORDER[data.get("sort") or DEFAULT_SORT],
        )
