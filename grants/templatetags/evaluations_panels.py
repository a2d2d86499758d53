"""``{% evaluations_panel application user audience %}``: this area's panel on the officer's and the
applicant's application page and in the evaluator's workspace (audience "officer", "applicant" or
"evaluator"); ``{% evaluations_track_record organisation %}`` on the organisation's page.

Who sees what: officers see every evaluation, open or sealed, with the notes for officers and the
actions; the organisation sees sealed results only (grade, total, scores, findings, who evaluated)
and never the notes for officers or a draft; an evaluator sees the project's earlier results.

The evaluator is named to the organisation, unlike a reviewer: an evaluation is not a competition
between applicants but a check of a funded project, the evaluator meets the organisation on site
visits anyway, the project's timeline names whoever concluded it, and a named evaluator can be
challenged for bias.
"""

from django import template
from django.template.loader import render_to_string

from grants.enums import FUNDED_STATES, ApplicationState
from grants.enums_evaluations import EvaluationKind

register = template.Library()

S = ApplicationState
SHOWN_STATES = (*FUNDED_STATES, S.COMPLETED, S.TERMINATED)


def _startable_kind(application, open_evaluation) -> str | None:
    """The evaluation an officer may start now, if any."""
    if open_evaluation is not None:
        return None
    if application.state == S.MID_TERM:
        return EvaluationKind.MID_TERM
    if application.state == S.FINAL_EVALUATION:
        return EvaluationKind.FINAL
    if application.state == S.ACTIVE:
        return EvaluationKind.FINAL if application.mid_term_passed_at else EvaluationKind.MID_TERM
    return None


@register.simple_tag(takes_context=True)
def evaluations_panel(context, application, user, audience: str) -> str:
    if application is None or application.state not in SHOWN_STATES:
        return ""
    from grants.forms_evaluations import CancelEvaluationForm, StartEvaluationForm
    from grants.selectors_evaluations import evaluations_of

    evaluations = [e for e in evaluations_of(application=application) if e.state != "cancelled"]
    sealed = [e for e in evaluations if e.is_sealed]
    request = context.get("request")
    if audience == "officer":
        if not user.has_perm("grants.manage_evaluation", application):
            return ""
        open_evaluation = next((e for e in evaluations if e.is_open), None)
        kind = _startable_kind(application, open_evaluation)
        if not evaluations and kind is None:
            return ""
        start_form = StartEvaluationForm(initial={"kind": kind}) if kind else None
        return render_to_string(
            "grants/evaluations/_panel_officer.html",
            {
                "application": application,
                "evaluations": evaluations,
                "open_evaluation": open_evaluation,
                "start_kind": EvaluationKind(kind).label if kind else "",
                "start_form": start_form,
                "cancel_form": CancelEvaluationForm(),
            },
            request=request,
        )
    if audience == "applicant":
        if not sealed or not user.has_perm("grants.view_application", application):
            return ""
        return render_to_string(
            "grants/evaluations/_panel_applicant.html",
            {"application": application, "evaluations": sealed},
            request=request,
        )
    if audience == "evaluator":
        # The project's evaluator (or an officer) reading an earlier result, e.g. the mid-term's
        # during the final evaluation.
        own = any(e.evaluator_id == user.pk for e in evaluations)
        if not sealed or not (own or user.has_perm("grants.manage_evaluation", application)):
            return ""
        return render_to_string(
            "grants/evaluations/_panel_applicant.html",
            {"application": application, "evaluations": sealed, "evaluator_view": True},
            request=request,
        )
    return ""


@register.simple_tag(takes_context=True)
def evaluations_track_record(context, organisation) -> str:
    """Finished projects with their grades, and failures with their year."""
    if organisation is None:
        return ""
    from grants.selectors_evaluations import track_record

    rows = track_record(organisation)
    if not rows:
        return ""
    return render_to_string(
        "grants/evaluations/_track_record.html",
        {"rows": rows},
        request=context.get("request"),
    )
