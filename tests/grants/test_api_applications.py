"""The applications API: mine, one, available transitions and running them, with its errors."""

from __future__ import annotations

import pytest
from django.urls import reverse

from grants.enums import ApplicationState
from tests.factories import ApplicationFactory, CallFactory
from tests.grants._officer_helpers import submitted

S = ApplicationState
pytestmark = pytest.mark.django_db
REASON = "请补充社区盖章的合作意向书。"


@pytest.fixture
def call(db):
    return CallFactory()


@pytest.fixture
def draft(call, organisation, applicant):
    return ApplicationFactory(
        call=call, organisation=organisation, created_by=applicant, title="邻里守望"
    )


def post(client, application, code, **payload):
    return client.post(
        f"/api/v1/applications/{application.pk}/transitions/{code}",
        payload,
        content_type="application/json",
    )


def test_endpoints_are_in_the_openapi_schema(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    for path in (
        "/api/v1/applications/mine",
        "/api/v1/applications/{application_id}",
        "/api/v1/applications/{application_id}/transitions",
        "/api/v1/applications/{application_id}/transitions/{code}",
    ):
        assert path in paths, path
    responses = paths["/api/v1/applications/{application_id}/transitions/{code}"]["post"][
        "responses"
    ]
    assert {"200", "403", "404", "409", "422"} <= set(responses)


def test_anonymous_gets_401(client, draft):
    assert client.get("/api/v1/applications/mine").status_code == 401
    assert client.get(f"/api/v1/applications/{draft.pk}").status_code == 401
    assert post(client, draft, "submit").status_code == 401


def test_mine_lists_only_my_organisations_applications(client, applicant, draft, call):
    ApplicationFactory(call=call, title="别人的申请")
    client.force_login(applicant)

    data = client.get("/api/v1/applications/mine").json()

    assert [row["title"] for row in data] == ["邻里守望"]
    assert data[0]["state"] == "draft"
    assert data[0]["reference"] == draft.reference


def test_mine_query_count_is_the_same_for_1_and_30(
    client, applicant, draft, organisation, django_assert_num_queries
):
    client.force_login(applicant)
    client.get("/api/v1/applications/mine")  # warm-up
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/applications/mine")
    for _ in range(29):
        ApplicationFactory(organisation=organisation)

    with django_assert_num_queries(len(one)):
        assert len(client.get("/api/v1/applications/mine").json()) == 30


def test_detail_has_every_answer_for_the_applicant_and_the_officer(
    client, applicant, officer, draft
):
    for user in (applicant, officer):
        client.force_login(user)
        data = client.get(f"/api/v1/applications/{draft.pk}").json()
        assert data["title"] == "邻里守望"
        assert data["activities"][0]["name"] == "志愿者培训"
        assert [line["description"] for line in data["budget_lines"]] == [
            "探访活动物资",
            "社工补贴",
        ]


@pytest.mark.parametrize("suffix", ["", "/transitions"])
def test_outsider_gets_404_as_for_a_missing_application(client, outsider, draft, suffix):
    client.force_login(outsider)

    assert client.get(f"/api/v1/applications/{draft.pk}{suffix}").status_code == 404
    assert client.get(f"/api/v1/applications/999999{suffix}").status_code == 404


def test_outsider_cannot_run_a_transition(client, outsider, draft):
    client.force_login(outsider)

    response = post(client, draft, "withdraw")

    assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.state == S.DRAFT


def test_transitions_lists_what_the_user_may_do_now(client, applicant, officer, call, organisation):
    application = submitted(call, organisation=organisation)

    client.force_login(applicant)
    assert {
        t["code"] for t in client.get(f"/api/v1/applications/{application.pk}/transitions").json()
    } == {"withdraw"}

    client.force_login(officer)
    data = client.get(f"/api/v1/applications/{application.pk}/transitions").json()
    assert {t["code"]: t["reason"] for t in data} == {
        "start_screening": "none",
        "return_for_revision": "required",
        "mark_ineligible": "required",
    }
    assert all(t["label"] for t in data)


def test_applicant_submits_and_officer_screens_through_the_api(client, applicant, officer, draft):
    client.force_login(applicant)
    response = post(client, draft, "submit")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "submitted"

    client.force_login(officer)
    assert post(client, draft, "start_screening").json()["state"] == "screening"
    response = post(client, draft, "return_for_revision", reason=REASON)
    assert response.status_code == 200
    assert response.json()["state"] == "returned"


def test_wrong_person_gets_403_with_a_message(client, applicant, officer, organisation, draft):
    application = submitted(CallFactory(), organisation=organisation)

    client.force_login(applicant)
    response = post(client, application, "start_screening")
    assert response.status_code == 403
    assert response.json()["detail"]

    client.force_login(officer)
    response = post(client, draft, "submit")
    assert response.status_code == 403

    application.refresh_from_db()
    draft.refresh_from_db()
    assert (application.state, draft.state) == (S.SUBMITTED, S.DRAFT)


def test_wrong_state_gets_409_with_a_message(client, officer, call):
    application = submitted(call, state=S.IN_REVIEW)
    client.force_login(officer)

    response = post(client, application, "start_screening")

    assert response.status_code == 409
    assert response.json()["detail"]
    application.refresh_from_db()
    assert application.state == S.IN_REVIEW


def test_submission_refused_by_the_rules_is_409_with_the_failures(
    client, applicant, call, organisation
):
    incomplete = ApplicationFactory(
        call=call, organisation=organisation, title="", summary="", budget=False
    )
    client.force_login(applicant)

    response = post(client, incomplete, "submit")

    assert response.status_code == 409
    failures = response.json()["failures"]
    assert failures and all(not f["passed"] and f["severity"] == "hard" for f in failures)
    incomplete.refresh_from_db()
    assert incomplete.state == S.DRAFT


def test_missing_reason_is_422(client, officer, call):
    application = submitted(call)
    client.force_login(officer)

    response = post(client, application, "return_for_revision", reason=" ")

    assert response.status_code == 422
    assert "reason" in response.json()["errors"]
    application.refresh_from_db()
    assert application.state == S.SUBMITTED


def test_bad_input_type_is_422(client, officer, call):
    application = submitted(call)
    client.force_login(officer)

    response = post(
        client, application, "return_for_revision", reason=REASON, revision_due_at="不是日期"
    )

    assert response.status_code == 422


def test_unknown_transition_is_404(client, officer, call):
    application = submitted(call)
    client.force_login(officer)

    assert post(client, application, "approve_everything").status_code == 404


def test_transition_with_a_session_needs_the_csrf_token(officer, call):
    from django.test import Client

    application = submitted(call)
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)

    response = post(client, application, "start_screening")

    assert response.status_code in (401, 403)
    application.refresh_from_db()
    assert application.state == S.SUBMITTED


def test_officer_workspace_link_is_not_an_api_path():
    # The page and the API name transitions with the same codes.
    assert reverse("grants:officer_action", args=[1, "start_screening"]).endswith(
        "/actions/start_screening/"
    )
