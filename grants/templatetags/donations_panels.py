"""``{% donations_panel application user audience %}``: donations and matching funds on the officer's,
the applicant's and the evaluator's application page.

Officers and finance staff (``grants.see_donations``) see every donation with its donor, status,
matched amount and (officers, ``grants.refund_donation``) a refund form; the organisation and
evaluators see the totals only. Nothing is shown for a project that was never funded and has no
donations.
"""

from django import template
from django.template.loader import render_to_string

from grants.enums import FUNDED_STATES
from grants.selectors_donations import donation_totals, donations_of, matched_by_payment_intent

register = template.Library()

AUDIENCES = ("officer", "applicant", "evaluator")


@register.simple_tag(takes_context=True)
def donations_panel(context, application, user, audience: str) -> str:
    if audience not in AUDIENCES or application is None:
        return ""
    totals = donation_totals([application.pk])[application.pk]
    staff = audience == "officer" and user.has_perm("grants.see_donations", application)
    donations = list(donations_of(application=application)) if staff else []
    has_money = any(totals.values()) or donations
    if application.state not in FUNDED_STATES and not has_money:
        return ""
    matched = matched_by_payment_intent(d.stripe_payment_intent_id for d in donations)
    for donation in donations:
        donation.matched = matched.get(donation.stripe_payment_intent_id)
    return render_to_string(
        "grants/donations/_panel.html",
        {
            "application": application,
            "audience": audience,
            "totals": totals,
            "staff": staff,
            "donations": donations,
            "can_refund": staff and user.has_perm("grants.refund_donation", application),
            "open_for_gifts": application.state in FUNDED_STATES,
        },
        request=context.get("request"),
    )
