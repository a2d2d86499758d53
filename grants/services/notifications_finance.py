"""Notifications of expenses and clawbacks: inbox rows in each recipient's language, e-mails queued
on commit (the people and the e-mail task of ``grants.services.notifications``; texts are ours).

- ``expense_needs_approval``: the programme's officers (an expense went over a line's tolerance).
- ``expense_approved`` / ``expense_rejected``: the organisation's members, with the officer's note.
- ``clawback_opened``: the organisation's members (money to return, with the reason).
- ``clawback_repaid``: the organisation's members (the repayment voucher was recorded).
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from grants.budget import yuan
from grants.models import Notification
from grants.services import notifications
from grants.services.notifications import applicant_members, programme_officers


def _texts(verb: str, values: dict) -> tuple[str, str]:
    if verb == "expense_needs_approval":
        title = _("Expense over budget to approve: %(reference)s")
        body = _(
            "%(organisation)s reported %(amount)s paid to %(payee)s on “%(line)s” of “%(title)s”, "
            "beyond the line's tolerance. Please approve or refuse it."
        )
    elif verb == "expense_approved":
        title = _("Expense approved: %(reference)s")
        body = _("Your expense of %(amount)s paid to %(payee)s was approved and now counts.")
        if values.get("note"):
            body = body + "\n" + _("Note: %(note)s")
    elif verb == "expense_rejected":
        title = _("Expense refused: %(reference)s")
        body = _("Your expense of %(amount)s paid to %(payee)s was refused. Reason: %(note)s")
    elif verb == "clawback_opened":
        title = _("Money to return: %(reference)s")
        body = _(
            "%(amount)s of the grant of “%(title)s” is to be returned. Reason: %(note)s\n"
            "Please transfer it back and send the voucher to the finance office."
        )
    else:  # clawback_repaid
        title = _("Repayment recorded: %(reference)s")
        body = _("The return of %(amount)s for “%(title)s” was recorded (voucher %(voucher)s).")
    return title % values, body % values


def _write(*, application, verb: str, people, values: dict, for_officer: bool) -> list:
    url = (
        reverse("grants:officer_application", args=[application.pk])
        if for_officer
        else reverse("grants:application_detail", args=[application.pk])
    )
    rows = []
    for user in people:
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            title, body = _texts(verb, values)
        rows.append(
            Notification(
                recipient=user,
                application=application,
                verb=verb,
                title=title[:300],
                body=body,
                url=url,
            )
        )
    return notifications.deliver(rows)


def _values(application, **extra) -> dict:
    return {
        "reference": application.reference,
        "title": application.title or application.reference,
        "organisation": application.organisation.name,
        **extra,
    }


def notify_expense(*, expense, verb: str, actor) -> list:
    application = expense.application
    values = _values(
        application,
        amount=yuan(expense.amount),
        payee=expense.payee,
        line=expense.budget_line.description,
        note=expense.decision_note,
    )
    officers = verb == "expense_needs_approval"
    people = programme_officers(application) if officers else applicant_members(application)
    people = [user for user in people if actor is None or user.pk != actor.pk]
    return _write(
        application=application, verb=verb, people=people, values=values, for_officer=officers
    )


def notify_clawback(*, clawback, verb: str, actor) -> list:
    application = clawback.application
    values = _values(
        application,
        amount=yuan(clawback.amount),
        note=clawback.reason,
        voucher=clawback.voucher_number,
    )
    people = [user for user in applicant_members(application) if user.pk != actor.pk]
    return _write(
        application=application, verb=verb, people=people, values=values, for_officer=False
    )
