"""Notifications of reports: inbox rows in each recipient's language, e-mails queued on commit.

Reuses the people and the e-mail task of ``grants.services.notifications``; only the texts are this
area's. Submitting tells the programme's officers; accepting or returning tells the organisation's
members; reminders go to the organisation's members.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from grants.models import Notification
from grants.services import notifications
from grants.services.notifications import applicant_members, programme_officers


def _texts(verb: str, values: dict) -> tuple[str, str]:
    if verb == "report_submitted":
        title = _("Report submitted: %(report)s, %(reference)s")
        body = _("%(organisation)s submitted “%(report)s” of “%(title)s”. Please review it.")
        if values.get("late"):
            body = body + "\n" + _("It was submitted after its due date (%(due)s).")
    elif verb == "report_accepted":
        title = _("Report accepted: %(report)s, %(reference)s")
        body = _("“%(report)s” of “%(title)s” was accepted.")
        if values.get("comment"):
            body = body + "\n" + _("Comment: %(comment)s")
    elif verb == "report_returned":
        title = _("Report returned: %(report)s, %(reference)s")
        body = _(
            "“%(report)s” of “%(title)s” was returned for changes. Comment: %(comment)s\n"
            "Please correct it and submit it again."
        )
    elif verb == "report_due_soon":
        title = _("Report due on %(due)s: %(report)s, %(reference)s")
        body = _("“%(report)s” of “%(title)s” is due on %(due)s. Please submit it in time.")
    else:  # report_overdue
        title = _("Report overdue: %(report)s, %(reference)s")
        body = _(
            "“%(report)s” of “%(title)s” was due on %(due)s and has not been submitted. "
            "Please submit it as soon as possible; late reports are flagged to the funder."
        )
    return title % values, body % values


def _write(*, application, verb: str, people: dict, values: dict, urls: dict) -> list:
    rows = []
    for user, for_officer in people.values():
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            localised = {
                **values,
                "report": str(values["report"]),
            }
            title, body = _texts(verb, localised)
        rows.append(
            Notification(
                recipient=user,
                application=application,
                verb=verb,
                title=title[:300],
                body=body,
                url=urls["officer" if for_officer else "applicant"],
            )
        )
    return notifications.deliver(rows)


def _values(application, milestone, **extra) -> dict:
    return {
        "reference": application.reference,
        "title": application.title or application.reference,
        "organisation": application.organisation.name,
        "report": milestone.title,
        "due": milestone.due_on.isoformat(),
        **extra,
    }


def notify_report(*, report, verb: str, actor, comment: str = "") -> list:
    application = report.application
    people: dict = {}
    if verb == "report_submitted":
        for user in programme_officers(application):
            people[user.pk] = (user, True)
    else:
        for user in applicant_members(application):
            people[user.pk] = (user, False)
    if actor is not None:
        people.pop(actor.pk, None)
    urls = {
        "officer": reverse("grants:reports_review", args=[report.pk]),
        "applicant": reverse("grants:reports_edit", args=[report.pk]),
    }
    values = _values(application, report.milestone, comment=comment, late=report.is_late)
    return _write(application=application, verb=verb, people=people, values=values, urls=urls)


def notify_reminder(*, milestone, kind: str, today) -> list:
    application = milestone.application
    people = {user.pk: (user, False) for user in applicant_members(application)}
    url = reverse("grants:application_detail", args=[application.pk]) + "#reports"
    return _write(
        application=application,
        verb=f"report_{kind}",
        people=people,
        values=_values(application, milestone),
        urls={"officer": url, "applicant": url},
    )
