"""Queue again the background tasks whose worker died mid-task (see ``grants.tasks_liveness``)."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand

from grants.tasks_liveness import GRACE, requeue_stale_tasks


class Command(BaseCommand):
    help = "Put RUNNING tasks whose worker is gone back in the queue (safe to run at any time)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace",
            type=float,
            default=GRACE.total_seconds(),
            help="Leave alone tasks claimed less than this many seconds ago (default: %(default)s).",
        )

    def handle(self, *args, grace: float, **options):
        requeued = requeue_stale_tasks(grace=timedelta(seconds=grace))
        self.stdout.write(f"Requeued {len(requeued)} task(s).")
