"""``{{ amount|yuan }}``: money as ¥35,000 or ¥35,000.50, the same in every language.

Django's zh-hans number format has no thousands separator; budget tables and the reasons the
eligibility engine writes (``grants.budget.yuan``) must show amounts the same way.
"""

from django import template

from grants.budget import yuan as format_yuan

register = template.Library()


@register.filter
def yuan(amount) -> str:
    if amount in (None, ""):
        return ""
    return format_yuan(amount)
