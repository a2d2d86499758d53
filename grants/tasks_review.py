"""Background work of the expert review (django-tasks): reminders before the review deadline.

Run daily (``manage.py send_review_reminders`` from cron, or ``--enqueue`` for the worker). Each
assignment is reminded at most once a day however often this runs (see
``grants.services.review_draw.send_review_reminders``).
"""

from __future__ import annotations

from django_tasks import task

from grants.services.review_draw import send_review_reminders


@task()
def send_review_reminders_task(days_before: int | None = None) -> int:
    """Remind reviewers whose unsubmitted reviews are due within ``days_before`` days (default 2)."""
    return send_review_reminders(days_before=days_before)
