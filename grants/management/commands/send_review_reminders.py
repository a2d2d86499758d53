"""Remind reviewers of reviews due soon (run once a day, e.g. from cron at 09:00)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from grants.tasks_review import send_review_reminders_task


class Command(BaseCommand):
    help = (
        "Remind reviewers of unsubmitted reviews due within N days (default 2); "
        "each assignment is reminded at most once a day."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="Days before the deadline.")
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the task for the worker instead of running it here.",
        )

    def handle(self, *args, days=None, enqueue=False, **options):
        if enqueue:
            result = send_review_reminders_task.enqueue(days_before=days)
            self.stdout.write(f"Queued {result.id}")
            return
        sent = send_review_reminders_task.call(days_before=days)
        self.stdout.write(self.style.SUCCESS(f"Sent {sent} reminder(s)."))
