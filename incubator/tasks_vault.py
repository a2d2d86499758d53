"""Background tasks of the organisation vault (django-tasks; ``manage.py db_worker`` runs them)."""

from __future__ import annotations

from django_tasks import task


@task()
def send_vault_reminders() -> int:
    """Remind organisations of documents expiring within 30 days; returns documents reminded.

    Safe to run as often as wanted: each document is reminded once per expiry date.
    """
    from incubator.services_vault import send_vault_reminders as send

    return send()
