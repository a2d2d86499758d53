"""Background work of the grant lifecycle, through Django's tasks API (django-tasks).

Each notification is an outbox row: it is locked (``SELECT … FOR UPDATE``, re-checking
``emailed_at IS NULL`` once the lock is ours), mailed, and marked ``emailed_at`` in ONE transaction.
So a task that runs twice (a retry, two workers, the digest racing the immediate mail, a worker
killed mid-task and re-queued by ``requeue_stale_tasks``) never mails a row twice, and a worker that
dies before its commit leaves the row unmarked for the re-run instead of losing the mail. The only
window for a duplicate is between the mail server accepting a message and the commit right after.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tasks import task

from accounts.enums import EmailFrequency
from accounts.models import User
from grants.models import Notification

logger = logging.getLogger(__name__)


def _absolute(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL + url


def _footer() -> str:
    try:
        preferences = _absolute(reverse("accounts:preferences"))
    except NoReverseMatch:
        preferences = settings.SITE_URL
    return _(
        "You receive this e-mail because of your notification settings on Yichuang. Change them here: %(url)s"
    ) % {"url": preferences}


def _subject(text: str) -> str:
    prefix = getattr(settings, "ACCOUNT_EMAIL_SUBJECT_PREFIX", "")
    return f"{prefix}{text}"[:200]


def _message(row: Notification) -> EmailMessage:
    user = row.recipient
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        body = "\n\n".join(
            part
            for part in (row.body, _absolute(row.url) if row.url else "", "-- \n" + _footer())
            if part
        )
        return EmailMessage(_subject(row.title), body, to=[user.email])


@task()
def send_notification_emails(notification_ids: list[int]) -> int:
    """Mail each notification to its recipient, in their language; returns how many were sent."""
    pending = list(
        Notification.objects.filter(
            pk__in=notification_ids,
            recipient__email_frequency=EmailFrequency.IMMEDIATELY,
            emailed_at__isnull=True,
        )
        .exclude(recipient__email="")
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )
    sent = 0
    for pk in pending:
        # One row per transaction: a failure or a kill later in the batch keeps what was sent.
        with transaction.atomic():
            row = (
                Notification.objects.select_for_update(of=("self",))
                .select_related("recipient")
                .filter(pk=pk, emailed_at__isnull=True)
                .first()
            )
            if row is None:  # mailed meanwhile (digest, another worker) while we waited
                continue
            _message(row).send()
            Notification.objects.filter(pk=pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def send_digest_to(user: User) -> int:
    """Mail ``user`` their unread, not yet mailed notifications in one message; returns the count."""
    with transaction.atomic():
        rows = list(
            Notification.objects.filter(
                recipient=user, read_at__isnull=True, emailed_at__isnull=True
            )
            .select_for_update(of=("self",))
            .order_by("created_at", "pk")
        )
        if not rows:
            return 0
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            subject = ngettext(
                "Your daily summary: %(count)d new notification",
                "Your daily summary: %(count)d new notifications",
                len(rows),
            ) % {"count": len(rows)}
            parts = []
            for row in rows:
                when = timezone.localtime(row.created_at).strftime("%Y-%m-%d %H:%M")
                lines = [f"■ {row.title} ({when})", row.body]
                if row.url:
                    lines.append(_absolute(row.url))
                parts.append("\n".join(line for line in lines if line))
            body = "\n\n".join([*parts, "-- \n" + _footer()])
            message = EmailMessage(_subject(subject), body, to=[user.email])
        message.send()
        Notification.objects.filter(pk__in=[row.pk for row in rows]).update(
            emailed_at=timezone.now()
        )
    return len(rows)


@task()
def send_daily_digests() -> int:
    """One digest per daily-preference user who has unread news since the last one; returns mails sent."""
    users = (
        User.objects.filter(
            is_active=True,
            email_frequency=EmailFrequency.DAILY,
            notifications__read_at__isnull=True,
            notifications__emailed_at__isnull=True,
        )
        .exclude(email="")
        .distinct()
    )
    mails = 0
    for user in users:
        try:
            if send_digest_to(user):
                mails += 1
        except Exception:  # one bad address must not stop everyone else's digest
            logger.exception("Daily digest to user %s failed", user.pk)
    return mails
