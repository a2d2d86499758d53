"""PostgreSQL kills an app server's connection in the middle of a submit (as a restart or a
failover does): the applicant gets a clean "try again" page, nothing half-written stays, and the
same server process answers the next request normally."""

from __future__ import annotations

import html
import threading

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import translation
from django.utils.translation import gettext
from django_fsm_log.models import StateLog
from django_tasks_db.models import DBTaskResult

from grants.enums import ApplicationState
from grants.models import Application, Notification
from tests.faults._servers import Browser, gunicorn, raw_connection, wait_for
from tests.grants._applicant_helpers import form_post

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PORT = 8201


def _submit_logs(application):
    return StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Application),
        object_id=application.pk,
        state=ApplicationState.SUBMITTED,
    )


def test_connection_killed_mid_submit_gives_clean_error_and_no_half_written_rows(draft, tmp_path):
    edit = f"/me/applications/{draft.pk}/edit/"
    with gunicorn(PORT, workers=1, log=tmp_path / "gunicorn.log") as base:
        browser = Browser(base)
        browser.login("fault-applicant")
        token = browser.token(edit)

        # given the submit will stop at its first notification row: another session holds a lock
        # that lets it read the inbox but not write to it
        blocker = raw_connection()
        blocker.execute("LOCK TABLE grants_notification IN EXCLUSIVE MODE")
        # (pg_stat_activity is a snapshot per transaction: watch from a connection of its own)
        watcher = raw_connection(autocommit=True)
        answer = {}

        def submit():
            answer["response"] = browser.session.post(
                base + edit,
                data={**form_post(submit="1"), "csrfmiddlewaretoken": token},
                timeout=60,
                allow_redirects=False,
            )

        thread = threading.Thread(target=submit)
        thread.start()
        try:
            waiting = {}

            def request_waits_on_lock():
                row = watcher.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query ILIKE '%%grants_notification%%'"
                ).fetchone()
                waiting["pid"] = row[0] if row else None
                return row is not None or not thread.is_alive()

            wait_for(request_waits_on_lock, timeout=30, what="the submit to wait on the lock")
            pid = waiting["pid"]
            assert pid, f"the submit did not wait: {answer['response'].status_code}"
            # the request is inside its transaction and has already written the state and the log
            written = {
                name
                for (name,) in watcher.execute(
                    "SELECT relation::regclass::text FROM pg_locks "
                    "WHERE pid = %s AND mode = 'RowExclusiveLock'",
                    [pid],
                ).fetchall()
            }
            assert {"grants_application", "django_fsm_log_statelog"} <= written

            # when PostgreSQL terminates that backend, as a restart does to every connection
            assert watcher.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
        finally:
            blocker.rollback()
            blocker.close()
            watcher.close()
            thread.join(timeout=60)

        # then the applicant sees our error page in Chinese, asking to try again: no traceback
        response = answer["response"]
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "10"
        with translation.override("zh-hans"):
            assert html.escape(gettext("Server error")) in response.text
            assert (
                html.escape(
                    gettext("Something went wrong on our side. Please try again in a few minutes.")
                )
                in response.text
            )
        assert "Traceback" not in response.text and "OperationalError" not in response.text

        # and nothing of the submit was kept: state, audit log, inbox, e-mail queue
        draft.refresh_from_db()
        assert draft.state == ApplicationState.DRAFT
        assert draft.submitted_at is None
        assert not _submit_logs(draft).exists()
        assert not Notification.objects.exists()
        assert not DBTaskResult.objects.exists()

        # when the applicant presses Submit again, on the same (only) server process
        again = browser.post_form(edit, form_post(submit="1"))

        # then it reconnected and the submit went through, once
        assert again.status_code == 302, again.text[:500]
        assert again.headers["Location"] == f"/me/applications/{draft.pk}/"
        draft.refresh_from_db()
        assert draft.state == ApplicationState.SUBMITTED
        assert _submit_logs(draft).count() == 1
        assert Notification.objects.filter(application=draft, verb="submit").count() == 2
        assert DBTaskResult.objects.count() == 1
