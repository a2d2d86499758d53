"""The JSON API at /api/v1/: OpenAPI schema, public calls, authenticated /me."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from wagtail.models import APIToken

from tests.factories import CallFactory

pytestmark = pytest.mark.django_db


def test_openapi_schema_loads_and_lists_the_endpoints(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/v1/calls/open", "/api/v1/me", "/api/v1/organisations/mine"):
        assert path in paths


def test_open_calls_is_public_and_empty_without_calls(client):
    response = client.get("/api/v1/calls/open")
    assert response.status_code == 200
    assert response.json() == []


def test_open_calls_lists_only_calls_open_now(client):
    now = timezone.now()
    open_call = CallFactory(title="开放中的征集")
    CallFactory(
        title="尚未开始", opens_at=now + timedelta(days=3), closes_at=now + timedelta(days=30)
    )
    CallFactory(
        title="已经截止", opens_at=now - timedelta(days=30), closes_at=now - timedelta(days=1)
    )

    data = client.get("/api/v1/calls/open").json()

    assert [call["title"] for call in data] == ["开放中的征集"]
    assert data[0]["slug"] == open_call.slug
    assert data[0]["programme"] == open_call.programme.name


def test_open_calls_query_count_is_the_same_for_1_and_30(client, django_assert_num_queries):
    CallFactory()
    with django_assert_num_queries(1):
        client.get("/api/v1/calls/open")
    CallFactory.create_batch(29)
    with django_assert_num_queries(1):
        assert len(client.get("/api/v1/calls/open").json()) == 30


def test_me_refuses_anonymous_with_a_json_message(client):
    response = client.get("/api/v1/me")

    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


def test_me_works_with_a_session(client, applicant, organisation):
    client.force_login(applicant)

    data = client.get("/api/v1/me").json()

    assert data["username"] == "alice"
    assert data["roles"] == ["applicant"]
    assert data["memberships"][0]["organisation"] == organisation.name


def test_me_works_with_a_bearer_token_and_not_once_revoked(client, applicant):
    token, key = APIToken.create_token(user=applicant, name="脚本")

    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert response.json()["username"] == "alice"

    token.revoke()
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 401


def test_made_up_token_is_refused(client):
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer wagtail_notarealtoken")
    assert response.status_code == 401


def test_token_of_a_deactivated_user_is_refused(client, applicant):
    _token, key = APIToken.create_token(user=applicant, name="x")
    applicant.is_active = False
    applicant.save()
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_my_organisations_lists_only_mine(client, applicant, outsider, organisation):
    _token, key = APIToken.create_token(user=applicant, name="x")

    data = client.get("/api/v1/organisations/mine", HTTP_AUTHORIZATION=f"Bearer {key}").json()

    assert [org["name"] for org in data] == [organisation.name]
    assert data[0]["credit_code"] == organisation.credit_code
    assert client.get("/api/v1/organisations/mine").status_code == 401


def test_my_organisations_query_count_is_the_same_for_1_and_30(
    client, applicant, django_assert_num_queries
):
    from accounts.enums import Role
    from tests.factories import MembershipFactory

    client.force_login(applicant)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/api/v1/organisations/mine")
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/organisations/mine")
    MembershipFactory.create_batch(29, user=applicant, role=Role.APPLICANT)
    with django_assert_num_queries(len(queries)):
        assert len(client.get("/api/v1/organisations/mine").json()) == 30
