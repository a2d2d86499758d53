"""Small template helpers of the incubation pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def incubation_overdue(application, today) -> bool:
    """The base is late: an answer past its 5 working days, or a space not handed back in time."""
    return application.review_overdue(today) or application.handback_overdue(today)


@register.filter
def follow_up_overdue(follow_up, today) -> bool:
    return follow_up.is_overdue(today)


@register.filter
def review_overdue(application, today) -> bool:
    return application.review_overdue(today)


@register.filter
def handback_overdue(application, today) -> bool:
    return application.handback_overdue(today)
