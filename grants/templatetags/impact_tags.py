"""Filters of the impact pages: ``{{ value|impact_number }}`` writes 2,400 or 12.5, "–" for none.

Django's zh-hans number format has no thousands separator; the impact figures are read like the
money on the same page (``|yuan``), grouped by thousands in every language.
"""

from django import template

from grants.charts_impact import number_text

register = template.Library()


@register.filter
def impact_number(value) -> str:
    if value in (None, ""):
        return "–"
    return number_text(value)
