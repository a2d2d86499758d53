"""Re-running background tasks whose worker died.

django-tasks-db marks a task RUNNING when a worker claims it and never looks at it again: a worker
killed mid-task (OOM, SIGKILL, a lost machine) leaves it RUNNING for ever, so its e-mails are never
sent. Here every worker holds a PostgreSQL session advisory lock named after the task while it runs
it (``task_started`` / ``task_finished``). PostgreSQL drops that lock when the worker's connection
dies, so "RUNNING and nobody holds its lock" means "its worker is gone": ``requeue_stale_tasks``
puts such tasks back to READY and any worker runs them again. Our tasks are idempotent (the e-mail
outbox in ``grants.tasks``), so running one again repeats nothing that was done.

``manage.py db_worker`` (grants' override) runs the check when it starts; ``manage.py
requeue_stale_tasks`` runs it on demand (cron, every few minutes, when several workers run). On
SQLite there are no advisory locks: a task RUNNING for longer than ``stale_after`` counts as dead.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import connection, transaction
from django.dispatch import receiver
from django.utils import timezone
from django_tasks_db.compat import task_finished, task_started
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

# First key of the two-key advisory lock: our namespace, so no other advisory lock collides.
LOCK_NAMESPACE = 0x5943  # "YC"
# A task claimed this recently may not have taken its lock yet (claim and lock are two steps).
GRACE = timedelta(seconds=10)
# SQLite only: how long a task may run before it counts as abandoned.
STALE_AFTER = timedelta(minutes=15)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


@receiver(task_started, dispatch_uid="grants.tasks_liveness.hold")
def hold_liveness_lock(sender, task_result, **kwargs) -> None:
    if _postgres():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_lock(%s, hashtext(%s))", [LOCK_NAMESPACE, str(task_result.id)]
            )


@receiver(task_finished, dispatch_uid="grants.tasks_liveness.release")
def release_liveness_lock(sender, task_result, **kwargs) -> None:
    if _postgres():
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_unlock(%s, hashtext(%s))",
                    [LOCK_NAMESPACE, str(task_result.id)],
                )
        except Exception:  # a dead connection has dropped the lock already
            logger.warning("Could not release the liveness lock of task %s", task_result.id)


def _worker_gone(task_id: str) -> bool:
    """True when no live session holds the task's lock (the lock is ours until commit)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))", [LOCK_NAMESPACE, task_id]
        )
        return bool(cursor.fetchone()[0])


def requeue_stale_tasks(*, grace: timedelta = GRACE, stale_after: timedelta = STALE_AFTER) -> list:
    """Put every RUNNING task whose worker died back to READY; returns their ids."""
    now = timezone.now()
    running = DBTaskResult.objects.running().filter(started_at__lt=now - grace)
    if not _postgres():
        running = running.filter(started_at__lt=now - stale_after)
    requeued = []
    for task_id in running.values_list("pk", flat=True):
        with transaction.atomic():
            if _postgres() and not _worker_gone(str(task_id)):
                continue
            # Conditional: a task that finished meanwhile stays finished.
            if DBTaskResult.objects.filter(pk=task_id, status="RUNNING").update(status="READY"):
                logger.warning("Task %s lost its worker: queued again", task_id)
                requeued.append(task_id)
    return requeued
