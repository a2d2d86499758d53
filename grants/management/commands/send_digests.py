"""Mail each daily-digest user their unread notifications since the last digest (run once a day)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from grants.tasks import send_daily_digests


class Command(BaseCommand):
    help = "Send the daily notification digests (each notification is mailed at most once)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the task for the worker instead of running it here.",
        )

    def handle(self, *args, enqueue=False, **options):
        if enqueue:
            result = send_daily_digests.enqueue()
            self.stdout.write(f"Queued {result.id}")
            return
        sent = send_daily_digests.call()
        self.stdout.write(self.style.SUCCESS(f"Sent {sent} digest(s)."))
