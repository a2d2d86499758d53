"""Background work of the grant lifecycle, through Django's tasks API (django-tasks).

Every e-mail is claimed before it is sent: ``emailed_at`` is set by a conditional UPDATE
(``… WHERE emailed_at IS NULL``) and only the rows this worker claimed are mailed, so a task that
runs twice (a retry, two workers, the digest racing the immediate mail) never sends a mail twice.
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


def _claim(queryset) -> list[Notification]:
    """Lock unclaimed rows (skipping rows another worker holds), mark them e-mailed, return them."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            queryset.filter(emailed_at__isnull=True)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .order_by("created_at", "pk")
        )
        Notification.objects.filter(
            pk__in=[row.pk for row in rows], emailed_at__isnull=True
        ).update(emailed_at=now)
    return rows


@task()
def send_notification_emails(notification_ids: list[int]) -> int:
    """Mail each notification to its recipient, in their language; returns how many were sent."""
    sent = 0
    rows = _claim(
        Notification.objects.filter(
            pk__in=notification_ids, recipient__email_frequency=EmailFrequency.IMMEDIATELY
        ).exclude(recipient__email="")
    )
    for row in rows:
        user = row.recipient
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            body = "\n\n".join(
                part
                for part in (row.body, _absolute(row.url) if row.url else "", "-- \n" + _footer())
                if part
            )
            message = EmailMessage(_subject(row.title), body, to=[user.email])
        message.send()
        sent += 1
    return sent


def send_digest_to(user: User) -> int:
    """Mail ``user`` their unread, not yet mailed notifications in one message; returns the count."""
    rows = _claim(Notification.objects.filter(recipient=user, read_at__isnull=True))
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
