"""``{% load reports_overdue %}{% overdue_reports_badge user %}``: a red count of overdue reports.

Officers see the overdue reports of the programmes they run (all programmes if they run none by
name); an organisation's members see their own. Nothing is shown when nothing is overdue.
One COUNT query.
"""

from __future__ import annotations

from django import template
from django.urls import reverse

from accounts.enums import Role
from grants.selectors_reports import overdue_count_for

register = template.Library()


@register.inclusion_tag("grants/reports/_overdue_badge.html")
def overdue_reports_badge(user) -> dict:
    count = overdue_count_for(user)
    if not count:
        return {"count": 0}
    if user.has_role(Role.OFFICER):
        url = reverse("grants:reports_workspace") + "?status=overdue"
    else:
        url = reverse("grants:my_applications")
    return {"count": count, "url": url}
