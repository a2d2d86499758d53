"""Notifications: the in-app inbox row for each person concerned, and their e-mail on commit.

Called by the application services inside their transaction: the ``Notification`` rows are written
in that transaction (so they exist exactly when the transition does), each rendered in its
RECIPIENT's language; e-mails for people who want them immediately are enqueued as a task with
``transaction.on_commit``, so a rolled-back action mails nobody. People on the daily digest get
theirs from ``send_daily_digests``; people who turned e-mail off get the inbox only.

Who is concerned: the applicant members of the organisation and the programme's officers (all
officers when the programme names none). The person who acted is not told about their own action,
except the submitter, who gets a receipt with the reference number.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.enums import EmailFrequency, Role
from accounts.models import User
from grants.enums import ApplicationState, CommentVisibility
from grants.models import Application, ApplicationComment, Notification

# Officer detail page: the workspace is written in parallel; the first name that resolves wins.
OFFICER_URL_NAMES = (
    "grants:officer_application",
    "grants:workspace_application",
    "grants:officer_application_detail",
)


def applicant_members(application: Application):
    return User.objects.filter(
        is_active=True,
        memberships__is_active=True,
        memberships__role=Role.APPLICANT,
        memberships__organisation_id=application.organisation_id,
    ).distinct()


def programme_officers(application: Application):
    officers = User.objects.filter(
        is_active=True, memberships__is_active=True, memberships__role=Role.OFFICER
    )
    named = officers.filter(programmes_run__calls__applications=application)
    return (named if named.exists() else officers).distinct()


def _url(application: Application, *, for_officer: bool) -> str:
    if for_officer:
        for name in OFFICER_URL_NAMES:
            try:
                return reverse(name, args=[application.pk])
            except NoReverseMatch:
                continue
        return f"/workspace/applications/{application.pk}/"
    try:
        return reverse("grants:application_detail", args=[application.pk])
    except NoReverseMatch:
        return f"/me/applications/{application.pk}/"


def _texts(verb: str, application: Application, *, reason: str, extra: dict) -> tuple[str, str]:
    """Title and body of a notification, in the active language."""
    values = {
        "reference": application.reference,
        "title": application.title or application.reference,
        "organisation": application.organisation.name,
        "call": application.call.title,
        "state": application.get_state_display(),
        "reason": reason,
        **extra,
    }
    if verb == "submit":
        title = _("Application %(reference)s submitted")
        body = _("%(organisation)s submitted “%(title)s” to %(call)s.")
    elif verb == "start_screening":
        title = _("Application %(reference)s is being screened")
        body = _("The eligibility screening of “%(title)s” has started.")
    elif verb == "return_for_revision":
        title = _("Application %(reference)s returned for revision")
        body = _("“%(title)s” was returned for revision. Reason: %(reason)s")
        if extra.get("due"):
            body = body + "\n" + _("Please revise and resubmit by %(due)s.")
    elif verb == "mark_ineligible":
        title = _("Application %(reference)s found ineligible")
        body = _("“%(title)s” did not pass the eligibility screening. Reason: %(reason)s")
    elif verb == "accept_for_review":
        title = _("Application %(reference)s accepted for expert review")
        body = _("“%(title)s” passed the eligibility check and goes to expert review.")
    elif verb == "withdraw":
        title = _("Application %(reference)s withdrawn")
        body = _("%(organisation)s withdrew “%(title)s”.")
        if reason:
            body = body + "\n" + _("Reason: %(reason)s")
    elif verb == "terminate":
        title = _("Project %(reference)s terminated")
        body = _("The project “%(title)s” was terminated. Reason: %(reason)s")
    elif verb == "sign_agreement":
        title = _("Agreement for %(reference)s accepted")
        body = _("%(organisation)s accepted the grant agreement of “%(title)s”.")
    elif verb == "start_project":
        title = _("Project %(reference)s has started")
        body = _("The first tranche of “%(title)s” was paid: the project is running.")
    elif verb == "start_mid_term":
        title = _("Mid-term evaluation of %(reference)s")
        body = _("The mid-term evaluation of “%(title)s” has started.")
    elif verb == "pass_mid_term":
        title = _("Mid-term evaluation of %(reference)s passed")
        body = _("“%(title)s” passed its mid-term evaluation; the next tranche can be released.")
    elif verb == "start_final_evaluation":
        title = _("Final evaluation of %(reference)s")
        body = _("The final evaluation of “%(title)s” has started.")
    elif verb == "complete":
        title = _("Project %(reference)s completed")
        body = _("“%(title)s” passed its final evaluation and is completed.")
    elif verb == "fail_evaluation":
        title = _("Project %(reference)s failed its evaluation")
        body = _("“%(title)s” did not pass its evaluation; no further tranche will be paid.")
        if reason:
            body = body + "\n" + _("Reason: %(reason)s")
    elif verb == "comment":
        title = _("New comment on application %(reference)s")
        body = _("%(author)s wrote: %(body)s")
    else:  # transitions added by later issues still tell people where things stand
        title = _("Application %(reference)s: %(state)s")
        body = _("“%(title)s” is now “%(state)s”.")
        if reason:
            body = body + "\n" + _("Reason: %(reason)s")
    return title % values, body % values


def _write(
    *,
    application: Application,
    verb: str,
    recipients: dict[int, tuple[User, bool]],
    reason: str = "",
    extra: dict | None = None,
) -> list[Notification]:
    rows = []
    for user, for_officer in recipients.values():
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            title, body = _texts(verb, application, reason=reason, extra=extra or {})
        rows.append(
            Notification(
                recipient=user,
                application=application,
                verb=verb,
                title=title[:300],
                body=body,
                url=_url(application, for_officer=for_officer),
            )
        )
    return deliver(rows)


def deliver(rows: list[Notification]) -> list[Notification]:
    """Save unsaved notifications in one query; e-mail, after commit, those whose recipients want
    every message at once (the others go into the daily digest or nowhere)."""
    rows = Notification.objects.bulk_create(rows)
    immediate = [
        row.pk
        for row in rows
        if row.recipient.email_frequency == EmailFrequency.IMMEDIATELY and row.recipient.email
    ]
    if immediate:
        transaction.on_commit(lambda: _enqueue_emails(immediate))
    return rows


def _enqueue_emails(notification_ids: list[int]) -> None:
    from grants.tasks import send_notification_emails

    send_notification_emails.enqueue(notification_ids)


def _recipients(application: Application, *, officers: bool = True, applicants: bool = True):
    people: dict[int, tuple[User, bool]] = {}
    if officers:
        for user in programme_officers(application):
            people[user.pk] = (user, True)
    if applicants:
        # Applicants come second: someone who is both sees the applicant's page.
        for user in applicant_members(application):
            people[user.pk] = (user, False)
    return people


STAFF_ONLY_VERBS = frozenset({"finish_review", "recommend", "not_recommend"})


def notify_transition(
    *, application: Application, verb: str, actor, source: str = "", reason: str = ""
) -> list[Notification]:
    """Tell everyone concerned that ``application`` went through transition ``verb``."""
    # Review steps before the 公示 stay among staff: applicants learn the outcome when it is published.
    people = _recipients(application, applicants=verb not in STAFF_ONLY_VERBS)
    if verb != "submit" and actor is not None:
        people.pop(actor.pk, None)
    extra = {}
    if application.state == ApplicationState.RETURNED and application.revision_due_at:
        extra["due"] = timezone.localtime(application.revision_due_at).strftime("%Y-%m-%d %H:%M")
    return _write(application=application, verb=verb, recipients=people, reason=reason, extra=extra)


def notify_comment(*, comment: ApplicationComment, actor) -> list[Notification]:
    """A comment for the applicant tells both sides; a staff-only comment tells the officers."""
    application = comment.application
    people = _recipients(application, applicants=comment.visibility == CommentVisibility.APPLICANT)
    people.pop(actor.pk, None)
    body = comment.body if len(comment.body) <= 500 else comment.body[:500] + "…"
    return _write(
        application=application,
        verb="comment",
        recipients=people,
        extra={"author": str(actor), "body": body},
    )


# --- Inbox -------------------------------------------------------------------------------------


def mark_read(*, user, notification_ids) -> int:
    """Mark the user's own notifications read; returns how many changed. Others' ids are ignored."""
    return Notification.objects.filter(
        recipient=user, pk__in=list(notification_ids), read_at__isnull=True
    ).update(read_at=timezone.now())


def mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


__all__ = ["mark_all_read", "mark_read", "notify_comment", "notify_transition"]
