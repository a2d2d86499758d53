"""``{% applicant_decision application as decision %}``: the decision block of the applicant's page.

Gives the decision reason (from the review summary) once the decision is public, and the URL of
the decision letter when there is one. Never anything about reviewers.
"""

from django import template
from django.urls import reverse

from grants import letters
from grants.selectors_decisions import NOTICE_STATES, decision_reason

register = template.Library()


@register.simple_tag
def applicant_decision(application) -> dict:
    kind = letters.letter_kind(application)
    # Before the 公示 the recommendation is staff-only (notifications say the same).
    public = kind is not None or application.state in NOTICE_STATES
    return {
        "reason": decision_reason(application) if public else "",
        "letter_url": reverse("grants:decision_letter", args=[application.pk]) if kind else "",
        "kind": kind,
    }
