"""django-tasks-db's worker, plus recovery: tasks left RUNNING by a dead worker run again.

``grants`` comes before ``django_tasks_db`` in INSTALLED_APPS, so ``manage.py db_worker`` is this
command. It holds a liveness lock while it runs each task and, when it starts, queues again the
tasks of workers that died (``grants.tasks_liveness``).
"""

from __future__ import annotations

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from grants.tasks_liveness import requeue_stale_tasks


class Command(DatabaseWorkerCommand):
    help = "Run a database background worker; first queue again the tasks of dead workers."

    def handle(self, *args, **options):
        requeued = requeue_stale_tasks()
        if requeued:
            self.stdout.write(f"Requeued {len(requeued)} task(s) left running by a dead worker.")
        super().handle(*args, **options)
