"""Remind organisations of reports due within 7 days and of overdue ones (run once a day)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from grants.tasks_reports import send_report_reminders_task


class Command(BaseCommand):
    help = (
        "Remind organisations of milestone reports due within N days (default 7) and of overdue "
        "reports; each milestone gets each reminder exactly once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="Days before the due date.")
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the task for the worker instead of running it here.",
        )

    def handle(self, *args, days=None, enqueue=False, **options):
        if enqueue:
            result = send_report_reminders_task.enqueue(days_before=days)
            self.stdout.write(f"Queued {result.id}")
            return
        sent = send_report_reminders_task.call(days_before=days)
        self.stdout.write(
            self.style.SUCCESS(
                f"Sent {sent['due_soon']} due-soon and {sent['overdue']} overdue reminder(s)."
            )
        )
