"""``{% evaluations_panel application user audience %}``: this area's panel on the officer's and the
applicant's application page (audience "officer" or "applicant"). Empty until the area fills it."""

from django import template

register = template.Library()


@register.simple_tag
def evaluations_panel(application, user, audience: str) -> str:
    return ""
