"""The officer's ranking page of a call: methods explained, ranked table with the sensitivity
columns and agreement flags, the recommendation within the budget and quotas, overrides with a
reason, public scores and bonus points, and the Excel score summary.

Officers only (``grants.view_ranking`` / ``grants.recommend_call``): anyone else signed in gets
403, anonymous visitors go to the login page. Writes go through ``grants.services.ranking``.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from grants import exports_review, scoring
from grants.enums import AggregationMethod
from grants.models import Application, Call
from grants.selectors_ranking import DECIDABLE_STATES, call_ranking, reviewer_sheets
from grants.services import ranking as svc
from grants.services.errors import TransitionRefused

FOLLOW, FORCE_IN, FORCE_OUT = "follow", "in", "out"


def _get_call(user, pk: int, perm: str = "grants.view_ranking") -> Call:
    call = get_object_or_404(Call.objects.select_related("programme"), pk=pk)
    if not user.has_perm(perm, call):
        raise PermissionDenied(_("The ranking is for programme officers."))
    return call


class OverrideForm(forms.Form):
    application = forms.TypedChoiceField(label=gettext_lazy("Application"), coerce=int)
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[
            (FOLLOW, gettext_lazy("Follow the ranking")),
            (FORCE_IN, gettext_lazy("Recommend it whatever the ranking")),
            (FORCE_OUT, gettext_lazy("Do not recommend it whatever the ranking")),
        ],
        widget=forms.RadioSelect,
        initial=FOLLOW,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason (kept in the record)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, prefix="override", **kwargs)
        self.fields["application"].choices = choices

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("decision") in (FORCE_IN, FORCE_OUT)
            and not cleaned.get("reason", "").strip()
        ):
            self.add_error("reason", _("Please give a reason for the override."))
        return cleaned


class AdjustForm(forms.Form):
    application = forms.TypedChoiceField(label=gettext_lazy("Application"), coerce=int)
    public_score = forms.DecimalField(
        label=gettext_lazy("Public score (0–100)"),
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
    )
    bonus_points = forms.DecimalField(
        label=gettext_lazy("Bonus points (0–20)"),
        required=False,
        min_value=0,
        max_value=20,
        decimal_places=2,
    )
    bonus_reason = forms.CharField(
        label=gettext_lazy("Reason for the bonus"), max_length=200, required=False
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, prefix="adjust", **kwargs)
        self.fields["application"].choices = choices


def _choices(ranking, states) -> list[tuple[int, str]]:
    return [
        (row.application.pk, f"{row.application.reference} {row.application.title}".strip())
        for row in ranking.rows
        if row.application.state in states
    ]


def _back(call: Call, method: str | None = None) -> str:
    url = reverse("grants:call_ranking", args=[call.pk])
    return f"{url}?method={method}" if method in scoring.METHODS else url


@login_required
def call_ranking_page(request, pk: int):
    call = _get_call(request.user, pk)
    ranking = call_ranking(call=call, method=request.GET.get("method"))
    return _render(request, ranking)


def _render(request, ranking, *, override_form=None, adjust_form=None, status=200):
    call = ranking.call
    methods = [
        {
            "code": code,
            "label": AggregationMethod(code).label,
            "explanation": scoring.METHOD_EXPLANATIONS[code],
            "selected": code == ranking.method,
            "configured": code == call.aggregation_method,
        }
        for code in scoring.METHODS
    ]
    return render(
        request,
        "grants/officer/ranking.html",
        {
            "call": call,
            "ranking": ranking,
            "methods": methods,
            "method_label": AggregationMethod(ranking.method).label,
            "method_columns": [AggregationMethod(code).label for code in scoring.METHODS],
            "override_form": override_form
            or OverrideForm(choices=_choices(ranking, DECIDABLE_STATES)),
            "adjust_form": adjust_form
            or AdjustForm(choices=_choices(ranking, svc.ADJUSTABLE_STATES)),
            "spread_limit": scoring.SPREAD_LIMIT,
            "outlier_points": scoring.OUTLIER_POINTS,
            "outlier_z": scoring.OUTLIER_Z,
            "trim_minimum": scoring.TRIM_MINIMUM,
            "can_recommend": request.user.has_perm("grants.recommend_call", call),
        },
        status=status,
    )


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(str(message) for message in error.messages)
    return str(error) or _("You may not do this.")


@login_required
@require_POST
def recommend(request, pk: int):
    call = _get_call(request.user, pk, "grants.recommend_call")
    try:
        result = svc.recommend_call(call=call, actor=request.user)
    except TransitionRefused as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _(
                "Recommended %(recommended)d, not recommended %(not_recommended)d "
                "(%(changed)d changed); ¥%(used)s of ¥%(budget)s used."
            )
            % {
                "recommended": result.recommended,
                "not_recommended": result.not_recommended,
                "changed": result.changed,
                "used": f"{result.ranking.recommendation.used:,.2f}",
                "budget": f"{call.budget:,.2f}",
            },
        )
    return redirect(_back(call))


@login_required
@require_POST
def set_method(request, pk: int):
    call = _get_call(request.user, pk, "grants.recommend_call")
    method = request.POST.get("method", "")
    try:
        svc.set_aggregation_method(call=call, actor=request.user, method=method)
    except (TransitionRefused, ValidationError) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _("The call now ranks by: %(method)s.") % {"method": AggregationMethod(method).label},
        )
    return redirect(_back(call, method))


@login_required
@require_POST
def override(request, pk: int):
    call = _get_call(request.user, pk, "grants.recommend_call")
    ranking = call_ranking(call=call)
    form = OverrideForm(request.POST, choices=_choices(ranking, DECIDABLE_STATES))
    if not form.is_valid():
        return _render(request, ranking, override_form=form, status=400)
    application = get_object_or_404(Application, pk=form.cleaned_data["application"], call=call)
    decision = form.cleaned_data["decision"]
    recommended = {FOLLOW: None, FORCE_IN: True, FORCE_OUT: False}[decision]
    try:
        svc.override_recommendation(
            application=application,
            actor=request.user,
            recommended=recommended,
            reason=form.cleaned_data["reason"],
        )
    except (TransitionRefused, ValidationError) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _(
                "%(reference)s: decision saved. It takes effect when you recommend within the "
                "budget."
            )
            % {"reference": application.reference},
        )
    return redirect(_back(call))


@login_required
@require_POST
def adjust(request, pk: int):
    call = _get_call(request.user, pk, "grants.recommend_call")
    ranking = call_ranking(call=call)
    form = AdjustForm(request.POST, choices=_choices(ranking, svc.ADJUSTABLE_STATES))
    if not form.is_valid():
        return _render(request, ranking, adjust_form=form, status=400)
    application = get_object_or_404(Application, pk=form.cleaned_data["application"], call=call)
    try:
        svc.set_adjustments(
            application=application,
            actor=request.user,
            public_score=form.cleaned_data["public_score"],
            bonus_points=form.cleaned_data["bonus_points"],
            bonus_reason=form.cleaned_data["bonus_reason"],
        )
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
        return _render(request, ranking, adjust_form=form, status=400)
    except TransitionRefused as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _("%(reference)s: public score and bonus saved.")
            % {"reference": application.reference},
        )
    return redirect(_back(call))


@login_required
def export(request, pk: int):
    call = _get_call(request.user, pk)
    ranking = call_ranking(call=call, method=request.GET.get("method"))
    criteria, sheets = reviewer_sheets(call=call)
    workbook = exports_review.review_workbook(ranking, criteria=criteria, sheets=sheets)
    response = HttpResponse(
        exports_review.workbook_bytes(workbook), content_type=exports_review.XLSX_CONTENT_TYPE
    )
    filename = exports_review.export_filename(ranking)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
