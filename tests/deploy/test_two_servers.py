"""The production shape on one machine: two stateless app servers (gunicorn, separate processes and
ports) and one task worker against one PostgreSQL database, under a deadline surge: 60 applicants
signing in through the form and submitting at once, alternating between the servers. Every submit
is answered, every application is submitted exactly once, and every e-mail goes out exactly once."""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.contenttypes.models import ContentType
from django_fsm_log.models import StateLog
from django_tasks_db.models import DBTaskResult

from accounts.enums import Role
from grants.enums import ApplicationState
from grants.models import Application
from tests.factories import ApplicationFactory, CallFactory, MembershipFactory, UserFactory
from tests.faults._servers import (
    Browser,
    gunicorn,
    mails,
    start_worker,
    stop_worker,
    wait_for,
)
from tests.grants._applicant_helpers import form_post

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PORTS = (8210, 8211)
APPLICANTS = 60


def test_submission_surge_across_two_app_servers_and_a_worker(tmp_path):
    # given 60 organisations, each with a member and a complete draft to the same call
    call = CallFactory(budget=6_000_000)
    officer = UserFactory(username="surge-officer")
    MembershipFactory(user=officer, role=Role.OFFICER, organisation=None)
    drafts = []
    for number in range(APPLICANTS):
        member = MembershipFactory(
            role=Role.APPLICANT, user=UserFactory(username=f"surge-{number}")
        )
        application = ApplicationFactory(
            call=call, organisation=member.organisation, created_by=member.user
        )
        drafts.append((member.user.username, member.user.email, application.pk))
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()

    with (
        gunicorn(PORTS[0], workers=2, log=tmp_path / "a.log") as server_a,
        gunicorn(PORTS[1], workers=2, log=tmp_path / "b.log") as server_b,
    ):
        worker = start_worker(log=tmp_path / "worker.log", mail_dir=mail_dir)
        try:
            servers = (server_a, server_b)

            def applicant(index: int):
                username, _, pk = drafts[index]
                browser = Browser(servers[index % 2])
                browser.login(username)
                token = browser.token(f"/me/applications/{pk}/edit/")
                started = time.perf_counter()
                response = browser.session.post(
                    f"{browser.base}/me/applications/{pk}/edit/",
                    data={**form_post(submit="1"), "csrfmiddlewaretoken": token},
                    timeout=120,
                    allow_redirects=False,
                )
                return response.status_code, time.perf_counter() - started

            # when they all sign in and press Submit within the same few seconds
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=12) as pool:
                answers = list(pool.map(applicant, range(APPLICANTS)))
            surge_seconds = time.perf_counter() - started

            # then every submit was answered with a redirect to the application
            assert [code for code, _ in answers] == [302] * APPLICANTS

            # and the worker sends every e-mail
            wait_for(
                lambda: (
                    DBTaskResult.objects.count() == APPLICANTS
                    and not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()
                ),
                timeout=180,
                what="the worker to run every e-mail task",
                step=0.5,
            )
            mailed_seconds = time.perf_counter() - started
        finally:
            stop_worker(worker)

    # then each application is submitted exactly once, with one log row
    ids = [pk for _, _, pk in drafts]
    assert Application.objects.filter(pk__in=ids, state=ApplicationState.SUBMITTED).count() == 60
    logs = StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Application),
        object_id__in=ids,
        state=ApplicationState.SUBMITTED,
    )
    assert logs.count() == APPLICANTS
    assert len(set(logs.values_list("object_id", flat=True))) == APPLICANTS

    # and exactly one confirmation per applicant, with its reference, and one per submission to
    # the officer
    sent = mails(mail_dir)
    by_recipient: dict[str, list[str]] = {}
    for message in sent:
        by_recipient.setdefault(message["To"], []).append(str(message["Subject"]))
    references = {a.pk: a.reference for a in Application.objects.filter(pk__in=ids)}
    for _, email, pk in drafts:
        assert len(by_recipient.get(email, [])) == 1, email
        assert references[pk] in by_recipient[email][0]
    assert len(by_recipient[officer.email]) == APPLICANTS
    assert len(sent) == 2 * APPLICANTS

    latencies = sorted(seconds for _, seconds in answers)
    print(
        f"\nsurge: {APPLICANTS} sign-ins + submits over 2 servers in {surge_seconds:.1f} s; "
        f"submit p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {latencies[int(0.95 * len(latencies)) - 1] * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms; all {len(sent)} e-mails out after "
        f"{mailed_seconds:.1f} s"
    )
