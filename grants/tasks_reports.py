"""Background work of milestone reports (django-tasks): reminders of reports due soon and overdue.

Run daily (``manage.py send_report_reminders`` from cron, or ``--enqueue`` for the worker). Each
milestone gets each kind of reminder exactly once however often this runs (see
``grants.services.reports.send_report_reminders``).
"""

from __future__ import annotations

from django_tasks import task

from grants.services.reports import REMINDER_DAYS, send_report_reminders


@task()
def send_report_reminders_task(days_before: int | None = None) -> dict[str, int]:
    """Remind organisations of reports due within ``days_before`` days (default 7) and overdue."""
    return send_report_reminders(days_before=REMINDER_DAYS if days_before is None else days_before)
