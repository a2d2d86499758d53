"""``{% finance_panel application user audience %}``: spending and money of a funded project.

- "applicant" (the organisation's members): figures, spending per budget line, the expense form
  while the project runs, the expenses and clawbacks, a link to the statement.
- "officer": the same figures, expenses awaiting approval with approve / refuse, every expense,
  the clawbacks and the clawback form (proposing the unspent amount of a closed project).
- "evaluator": spending against the budget lines, read-only.

Nothing is rendered for a project without an agreement or for someone who may not see it.
"""

from django import template
from django.template.loader import render_to_string

from grants.forms_finance import ClawbackForm, ExpenseForm
from grants.rules_finance import FUNDED_STATES
from grants.selectors_finance import (
    clawbacks_of,
    expenses_of,
    project_money,
    spending_by_line,
)
from grants.services.clawbacks import suggested_clawback

register = template.Library()

AUDIENCE_PERMS = {
    "applicant": "grants.view_project_finance",
    "officer": "grants.open_clawback",
    "evaluator": "grants.view_project_spending",
}


@register.simple_tag(takes_context=True)
def finance_panel(context, application, user, audience: str) -> str:
    perm = AUDIENCE_PERMS.get(audience)
    if perm is None or application is None or application.state not in FUNDED_STATES:
        return ""
    if not (user and user.has_perm(perm, application)):
        return ""
    if audience == "applicant" and not user.has_perm("grants.view_application", application):
        return ""
    money = project_money([application.pk])[application.pk]
    data = {
        "application": application,
        "audience": audience,
        "money": money,
        "lines": spending_by_line(application),
    }
    if audience in ("applicant", "officer"):
        expenses = list(expenses_of(application))
        data["expenses"] = expenses
        data["clawbacks"] = list(clawbacks_of(application))
    if audience == "applicant":
        from django.urls import reverse

        data["statement_url"] = reverse("grants:finance_my_statement", args=[application.pk])
        if user.has_perm("grants.report_expense", application):
            data["expense_form"] = ExpenseForm(application=application)
    if audience == "officer":
        data["awaiting"] = [e for e in data["expenses"] if e.state == "needs_approval"]
        data["can_open_clawback"] = money["clawable"] > 0
        suggested = suggested_clawback(application, money)
        data["suggested"] = suggested
        data["clawback_form"] = ClawbackForm(
            initial={"amount": f"{suggested:.2f}"} if suggested else None
        )
    return render_to_string("grants/finance/_panel.html", data, request=context.get("request"))
