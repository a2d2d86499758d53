"""Fuzz /api/v1/ from its own OpenAPI schema (schemathesis, in process through the WSGI app).

Every operation gets generated requests — valid ones and, for the not-a-5xx check, invalid ones
too — as an anonymous caller and as an officer with a personal API token. A 5xx anywhere fails;
valid requests must also get a response that matches the documented schema. Bounded by
``MAX_EXAMPLES`` per operation and mode so that the whole run stays under two minutes.
"""

from __future__ import annotations

import contextlib

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.openapi import from_wsgi
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts.services import create_api_token
from tests.factories import ApplicationFactory, CallFactory, ProgrammeFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

MAX_EXAMPLES = 25
# Valid requests: no 5xx, and a body that matches the documented schema of its status code.
# status_code_conformance and content_type_conformance are left out for now: the schema does not
# document the 401 of an anonymous call, and a negative id misses Django's <int:> path converter
# and gets the site's HTML 404 (both reported with their fix, issue #9).
CONFORMANCE = [not_a_server_error, response_schema_conformance]


@pytest.fixture
def wsgi_app():
    """The real WSGI app, minus the per-request connection clean-up (as Django's test client):
    it would close the test's connection, which holds the test transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _fuzz(operation, mode: GenerationMode, headers: dict[str, str]) -> int:
    """Runs the operation's generated requests; returns how many were sent."""
    checks = CONFORMANCE if mode == GenerationMode.POSITIVE else [not_a_server_error]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same requests on every run: a failure in CI reproduces here
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        sent.append(case)
        case.call_and_validate(headers=headers, checks=checks)

    sent: list = []
    # An operation without input has no invalid request to make.
    with contextlib.suppress(Unsatisfiable):
        run()
    return len(sent)


@pytest.mark.parametrize("who", ["anonymous", "officer"])
def test_no_api_operation_answers_with_a_server_error(
    who, request, wsgi_app, applicant, organisation
):
    # given data for every operation to find: an open call, an application, a programme
    programme = ProgrammeFactory()
    call = CallFactory(programme=programme)
    ApplicationFactory(call=call, organisation=organisation, created_by=applicant)
    headers = {}
    if who == "officer":
        _, secret = create_api_token(actor=request.getfixturevalue("officer"), name="fuzz")
        headers = {"Authorization": f"Bearer {secret}"}
    schema = from_wsgi("/api/v1/openapi.json", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8

    # when every operation is fuzzed with valid and invalid requests
    failures = []
    sent = 0
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                sent += _fuzz(operation, mode, headers)
            except Exception as error:  # collect all, so one run lists every broken operation
                failures.append(f"{operation.label} ({mode.value}): {error}")
    print(f"{who}: {len(operations)} operations, {sent} requests")

    # then none answered with a 5xx, and valid requests got documented responses
    assert not failures, "\n\n".join(failures)
    if headers:  # the token was good: the fuzzer really called as the officer
        # (Django's test client re-enables the connection clean-up, so it comes last)
        me = request.getfixturevalue("client").get(
            "/api/v1/me", HTTP_AUTHORIZATION=headers["Authorization"]
        )
        assert me.status_code == 200
