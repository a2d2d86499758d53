"""A task worker killed in the middle of a task (SIGKILL: out of memory, a lost machine): the task
is queued again, a new worker finishes it, and nobody gets an e-mail twice or misses one.

No background task moves money (Stripe payouts and donations are booked by services and webhooks,
see test_webhook_two_processes.py), so e-mail is the effect that must not repeat here.
"""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from grants.models import Notification
from tests.faults._servers import (
    Browser,
    gunicorn,
    kill,
    mails,
    manage,
    raw_connection,
    start_worker,
    stop_worker,
    wait_for,
)
from tests.grants._applicant_helpers import form_post

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PORT = 8202


def _status(task_id) -> str:
    return DBTaskResult.objects.get(pk=task_id).status


def test_worker_killed_mid_task_is_rerun_without_duplicate_or_lost_mail(draft, tmp_path):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    # given a submitted application whose two e-mails (officer, applicant's receipt) are queued
    with gunicorn(PORT, log=tmp_path / "gunicorn.log") as base:
        browser = Browser(base)
        browser.login("fault-applicant")
        response = browser.post_form(f"/me/applications/{draft.pk}/edit/", form_post(submit="1"))
        assert response.status_code == 302
    task = DBTaskResult.objects.get()
    first, second = Notification.objects.order_by("created_at", "pk")
    assert task.status == "READY"

    # and another session holds the second notification's row (as a digest being sent would)
    blocker = raw_connection()
    blocker.execute("SELECT id FROM grants_notification WHERE id = %s FOR UPDATE", [second.pk])
    watcher = raw_connection(autocommit=True)
    worker = start_worker(log=tmp_path / "worker1.log", mail_dir=mail_dir)
    try:
        # when the worker has mailed the first and waits for the second, it is killed
        wait_for(
            lambda: (
                len(mails(mail_dir)) == 1
                and watcher.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query ILIKE '%%grants_notification%%'"
                ).fetchone()
            ),
            timeout=60,
            what="the worker to mail one message and wait for the second row",
        )
        kill(worker)
    finally:
        if worker.poll() is None:
            kill(worker)
        blocker.rollback()
        blocker.close()

    # then the task is left RUNNING with one mail out and one row still to mail
    assert _status(task.pk) == "RUNNING"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.emailed_at is not None and second.emailed_at is None

    # when recovery runs (its check waits until PostgreSQL has dropped the dead worker's session)
    def requeued():
        manage("requeue_stale_tasks", "--grace", "0")
        return _status(task.pk) == "READY"

    wait_for(requeued, timeout=30, what="the dead worker's task to be queued again", step=0.5)
    assert "Requeued 0 task(s)." in manage("requeue_stale_tasks", "--grace", "0")
    watcher.close()

    # and a new worker starts
    worker = start_worker(log=tmp_path / "worker2.log", mail_dir=mail_dir)
    try:
        wait_for(lambda: _status(task.pk) == "SUCCESSFUL", timeout=60, what="the re-run")
    finally:
        stop_worker(worker)

    # then each person got their e-mail exactly once
    sent = mails(mail_dir)
    assert sorted(message["To"] for message in sent) == sorted(
        [first.recipient.email, second.recipient.email]
    )
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0
    task = DBTaskResult.objects.get(pk=task.pk)
    assert len(task.worker_ids) == 2
    assert task.return_value == 1  # the re-run sent only the mail the dead worker had not sent


def test_requeue_leaves_a_live_workers_task_alone(draft, tmp_path):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    with gunicorn(PORT, log=tmp_path / "gunicorn.log") as base:
        browser = Browser(base)
        browser.login("fault-applicant")
        assert (
            browser.post_form(
                f"/me/applications/{draft.pk}/edit/", form_post(submit="1")
            ).status_code
            == 302
        )
    task = DBTaskResult.objects.get()
    first = Notification.objects.order_by("created_at", "pk").first()

    # given a live worker stuck on a row lock in the middle of the task
    blocker = raw_connection()
    blocker.execute("SELECT id FROM grants_notification WHERE id = %s FOR UPDATE", [first.pk])
    worker = start_worker(log=tmp_path / "worker.log", mail_dir=mail_dir)
    try:
        wait_for(lambda: _status(task.pk) == "RUNNING", timeout=60, what="the worker to start")

        # when recovery runs meanwhile
        output = manage("requeue_stale_tasks", "--grace", "0")

        # then the running task is not touched (its worker holds the liveness lock)
        assert "Requeued 0 task(s)." in output
        assert _status(task.pk) == "RUNNING"
    finally:
        blocker.rollback()
        blocker.close()
    try:
        wait_for(lambda: _status(task.pk) == "SUCCESSFUL", timeout=60, what="the task to finish")
    finally:
        stop_worker(worker)
    assert len(mails(mail_dir)) == 2
