"""``{% feedback_panel application user audience %}``: resident feedback on the officer's, the
evaluator's and the applicant's application page.

Officers and evaluators see the figures, the distribution and the recent comments with flagged and
excluded ones marked; the organisation ("applicant") sees the figures and the counted comments.
Nobody sees any digit of a phone number here. Nothing is shown for projects that were never funded,
or to a user without ``grants.view_feedback`` on the application.
"""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string
from django.urls import reverse

from grants.enums import FUNDED_STATES
from grants.models.feedback import FeedbackState
from grants.selectors_feedback import (
    channel_for,
    counts_by_state,
    distribution,
    distribution_rows,
    feedback_summary,
)
from grants.services.feedback import FEEDBACK_STATES, closed_reason

register = template.Library()
AUDIENCES = ("officer", "evaluator", "applicant")
RECENT = 5


@register.simple_tag(takes_context=True)
def feedback_panel(context, application, user, audience: str) -> str:
    if audience not in AUDIENCES or application is None:
        return ""
    if application.state not in FEEDBACK_STATES:
        return ""
    if not (user and user.has_perm("grants.view_feedback", application)):
        return ""
    channel = channel_for(application.pk)
    can_manage = audience == "officer" and user.has_perm("grants.manage_feedback", application)
    if channel is None and not can_manage:
        return ""
    values = {
        "application": application,
        "audience": audience,
        "channel": channel,
        "can_manage": can_manage,
        "can_open": application.state in FUNDED_STATES,
    }
    if channel is not None:
        shown = (
            [FeedbackState.COUNTED]
            if audience == "applicant"
            else [FeedbackState.COUNTED, FeedbackState.FLAGGED, FeedbackState.EXCLUDED]
        )
        comments = list(
            application.feedback_responses.filter(state__in=shown)
            .exclude(comment="")
            .only("satisfaction", "comment", "state", "verified_at")
            .order_by("-verified_at", "-pk")[:RECENT]
        )
        for response in comments:
            response.star_range = range(response.satisfaction)
        poster_url = ""
        if user.has_perm("grants.print_feedback_poster", application):
            name = (
                "grants:feedback_poster"
                if audience == "officer"
                else "grants:feedback_poster_applicant"
            )
            poster_url = reverse(name, args=[application.pk])
        values.update(
            {
                "summary": feedback_summary([application.pk])[application.pk],
                "rows": distribution_rows(distribution(application.pk)),
                "counts": counts_by_state(application.pk),
                "comments": comments,
                "closed_reason": closed_reason(channel, application=application),
                "public_path": reverse("grants:feedback_public", args=[channel.token]),
                "poster_url": poster_url,
            }
        )
    # With the request: the "open the page" form needs its CSRF token.
    return render_to_string("grants/feedback/_panel.html", values, request=context.get("request"))
