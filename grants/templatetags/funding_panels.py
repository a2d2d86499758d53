"""``{% funding_panel application user audience %}``: this area's panel on the officer's, the
applicant's and the evaluator's application page; ``{{ amount|yuan_exact }}`` for contract amounts."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def yuan_exact(amount) -> str:
    """¥20,000.00: always two decimals, as agreements and vouchers write money."""
    if amount in (None, ""):
        return ""
    return f"¥{Decimal(amount):,.2f}"


@register.simple_tag(takes_context=True)
def funding_panel(context, application, user, audience: str) -> str:
    from grants.views.funding import render_panel

    # The request renders the CSRF token of the panel's forms.
    return render_panel(application, user, audience, request=context.get("request"))
