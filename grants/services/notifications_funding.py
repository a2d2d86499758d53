"""In-app (and e-mail) notices of the funding area, through the same inbox as the transitions.

The transitions ``sign_agreement`` and ``start_project`` already notify through
``notify_transition``; this adds the one step that is not a transition of the application: the
agreement issued (or re-issued) to the organisation, waiting for its acceptance.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from grants.models import Agreement, Notification
from grants.services import notifications
from grants.services.notifications import applicant_members


def agreement_issued(agreement: Agreement) -> list[Notification]:
    application = agreement.application
    url = reverse("grants:funding_agreement", args=[application.pk])
    rows = []
    for user in applicant_members(application):
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            title = _("Grant agreement for %(reference)s is ready to accept") % {
                "reference": application.reference
            }
            body = _(
                "The agreement %(number)s (version %(version)s) for “%(title)s” was issued. "
                "Read it and accept it online."
            ) % {
                "number": agreement.number,
                "version": agreement.version,
                "title": application.title or application.reference,
            }
        rows.append(
            Notification(
                recipient=user,
                application=application,
                verb="issue_agreement",
                title=title[:300],
                body=body,
                url=url,
            )
        )
    return notifications.deliver(rows)
