"""Remind organisations of vault documents expiring within 30 days (run once a day, e.g. by cron).

Each document is reminded once per expiry date, however often this runs.
"""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from incubator.services_vault import send_vault_reminders
from incubator.tasks_vault import send_vault_reminders as send_vault_reminders_task


class Command(BaseCommand):
    help = "Notify organisations' applicant members of vault documents that expire within 30 days."

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the task for the worker instead of running it here.",
        )
        parser.add_argument(
            "--today",
            metavar="YYYY-MM-DD",
            help="Run as if it were this date (to catch up after a missed day).",
        )

    def handle(self, *args, enqueue=False, today=None, **options):
        if enqueue:
            if today:
                raise CommandError("--today cannot be combined with --enqueue.")
            result = send_vault_reminders_task.enqueue()
            self.stdout.write(f"Queued {result.id}")
            return
        try:
            day = date.fromisoformat(today) if today else None
        except ValueError:
            raise CommandError("--today must be a date such as 2026-03-01.") from None
        count = send_vault_reminders(today=day)
        self.stdout.write(self.style.SUCCESS(f"Reminded {count} document(s)."))
