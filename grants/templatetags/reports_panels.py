"""``{% reports_panel application user audience %}``: the milestones and reports of a funded project
on the officer's, the applicant's and the evaluator's pages (audience "officer", "applicant",
"evaluator"), showing only what that audience may see, and nothing for a project never funded."""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.enums import Role
from grants.enums import FUNDED_STATES, ApplicationState
from grants.selectors_reports import (
    indicator_label,
    indicator_progress,
    indicator_unit,
    project_milestones,
)

register = template.Library()

S = ApplicationState
SHOWN_STATES = (*FUNDED_STATES, S.COMPLETED, S.TERMINATED)


@register.simple_tag(takes_context=True)
def reports_panel(context, application, user, audience: str) -> str:
    if application is None or application.state not in SHOWN_STATES:
        return ""
    if not (user and user.is_authenticated):
        return ""
    if audience == "applicant":
        if not user.has_perm("grants.write_report", application):
            return ""
    elif audience == "officer":
        if not user.has_role(Role.OFFICER):
            return ""
    elif audience == "evaluator":
        if not (user.has_role(Role.OFFICER) or user.has_perm("grants.view_report", application)):
            return ""
    else:
        return ""
    milestones = project_milestones(application)
    if audience == "evaluator" and not milestones:
        return ""
    today = timezone.localdate()
    rows = []
    for milestone in milestones:
        report = getattr(milestone, "report", None)
        if audience == "evaluator" and (report is None or report.state != "accepted"):
            continue
        rows.append(
            {
                "milestone": milestone,
                "report": report,
                "overdue": application.state in FUNDED_STATES and milestone.is_overdue(today),
            }
        )
    panel = {
        "application": application,
        "audience": audience,
        "milestones": milestones,
        "rows": rows,
        "overdue_count": sum(1 for row in rows if row["overdue"]),
        "can_write": application.state in FUNDED_STATES,
        "can_plan": audience == "officer"
        and application.state in FUNDED_STATES
        and user.has_perm("grants.manage_milestones", application),
        "progress": indicator_progress([application.pk])[application.pk] if milestones else [],
    }
    # With the request: the panel's forms need their CSRF token.
    return render_to_string("grants/reports/_panel.html", panel, request=context.get("request"))


@register.simple_tag
def report_indicator_rows(report) -> list[dict]:
    """The report's indicator values with their labels in the active language."""
    return [
        {
            "label": indicator_label(row),
            "target": row.get("target") or "",
            "unit": indicator_unit(row),
            "reached": row.get("reached") or "",
        }
        for row in report.indicator_values or []
    ]
