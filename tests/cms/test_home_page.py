"""The home page's 公示 and figures blocks (issue #8); news and open calls are in test_pages.py."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grants.enums import ApplicationState, LedgerKind
from grants.services.ledger import post_entry
from tests.factories import ApplicationFactory, CallFactory, UserFactory
from tests.grants.factories_decisions import notice_for

pytestmark = pytest.mark.django_db

S = ApplicationState


def funded(call, *, award: str, state: str = S.ACTIVE):
    application = ApplicationFactory(call=call, state=state)
    post_entry(
        kind=LedgerKind.AWARD,
        amount=Decimal(award),
        programme=call.programme,
        call=call,
        application=application,
        idempotency_key=f"award:{application.pk}",
    )
    return application


def figure(body: str, name: str) -> str:
    return re.search(rf'data-figure="{name}">([^<]*)<', body).group(1)


def test_home_links_the_latest_notices_and_says_which_are_open(client, site, english):
    officer = UserFactory()
    open_call = CallFactory(title="2026年姑苏区社区微公益创投", slug="gusu-2026")
    closed_call = CallFactory(title="2025年姑苏区社区微公益创投", slug="gusu-2025")
    notice_for(open_call, by=officer, days_ago=2)
    notice_for(closed_call, by=officer, days_ago=40)

    body = client.get("/en/").content.decode()

    assert "关于2026年姑苏区社区微公益创投评审结果的公示" in body
    assert 'href="/gongshi/gusu-2026/"' in body
    assert 'href="/gongshi/gusu-2025/"' in body
    assert body.index("gusu-2026") < body.index("gusu-2025")  # newest first
    assert "Open for objections" in body
    assert "Closed" in body


def test_home_without_notices_says_so(client, site, english):
    assert "No results have been published yet." in client.get("/en/").content.decode()


def test_home_figures_count_funded_projects_and_the_money_awarded(client, site, english):
    call = CallFactory()
    funded(call, award="20000")
    funded(call, award="35000.50", state=S.COMPLETED)
    ApplicationFactory(call=call, state=S.SUBMITTED)  # not funded: neither counted nor its money
    CallFactory(programme=call.programme)

    body = client.get("/en/").content.decode()

    assert figure(body, "programmes") == "1"
    assert figure(body, "calls") == "2"
    assert figure(body, "projects") == "2"
    assert figure(body, "awarded") == "¥55,001"
    assert figure(body, "beneficiaries") == "0"
    assert figure(body, "volunteer-hours") == "0"


def test_home_without_calls_or_projects_shows_no_figures(client, site, english):
    assert 'data-figure="projects"' not in client.get("/en/").content.decode()


def test_home_query_count_does_not_grow_with_notices_and_projects(client, site):
    officer = UserFactory()
    call = CallFactory()
    funded(call, award="10000")
    notice_for(call, by=officer)
    client.get("/")
    with CaptureQueriesContext(connection) as few:
        client.get("/")

    for _number in range(3):
        other = CallFactory(programme=call.programme)
        funded(other, award="10000")
        funded(other, award="10000")
        notice_for(other, by=officer)
    client.get("/")  # refill the caches the new rows invalidated
    with CaptureQueriesContext(connection) as many:
        body = client.get("/").content.decode()

    assert len(many) == len(few)
    assert figure(body, "projects") == "7"
