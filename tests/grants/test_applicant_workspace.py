"""The applicant's workspace, the application page with its timeline, comments and withdrawal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.enums import Role
from grants.enums import ApplicationState, CommentVisibility
from grants.models import Application
from grants.services import applications as svc
from tests.factories import ApplicationFactory, CallFactory, MembershipFactory

S = ApplicationState
pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(client, applicant):
    client.force_login(applicant)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def submitted(applicant, organisation):
    application = ApplicationFactory(organisation=organisation, created_by=applicant)
    return svc.submit_application(application=application, actor=applicant)


def detail_url(application):
    return reverse("grants:application_detail", args=[application.pk])


def test_workspace_lists_my_organisations_applications_in_plain_words(
    alice, applicant, organisation
):
    call = CallFactory(closes_at=timezone.now() + timedelta(days=5, hours=2))
    ApplicationFactory(organisation=organisation, created_by=applicant, call=call, title="邻里守望")
    ApplicationFactory(title="别人的项目")

    page = alice.get(reverse("grants:my_applications")).content.decode()

    assert "邻里守望" in page
    assert "别人的项目" not in page
    assert "Draft — submit before the deadline (5 days left)" in page


def test_a_returned_application_says_by_when_to_resubmit(alice, applicant, officer, submitted):
    due = timezone.now() + timedelta(days=10)
    svc.return_for_revision(
        application=submitted, actor=officer, reason="请补充预算明细", revision_due_at=due
    )

    page = alice.get(reverse("grants:my_applications")).content.decode()

    assert "Returned for revision — revise and resubmit by" in page
    assert "Read the officer" in page


def test_a_submitted_application_says_nothing_is_needed(alice, submitted):
    page = alice.get(reverse("grants:my_applications")).content.decode()

    assert "Submitted — waiting for the eligibility check" in page


def test_workspace_uses_the_same_number_of_queries_for_1_and_30_applications(
    alice, applicant, organisation, django_assert_num_queries
):
    url = reverse("grants:my_applications")
    ApplicationFactory(organisation=organisation, created_by=applicant)
    alice.get(url)  # warm the per-process caches (content types, Wagtail site) first
    with CaptureQueriesContext(connection) as one_row:
        assert alice.get(url).status_code == 200

    for _ in range(29):
        ApplicationFactory(organisation=organisation, created_by=applicant, call=CallFactory())

    with django_assert_num_queries(len(one_row)):
        page = alice.get(url).content.decode()
    assert page.count('class="card"') == 30


def test_detail_shows_answers_eligibility_and_timeline(alice, applicant, submitted):
    svc.add_comment(
        application=submitted,
        actor=applicant,
        body="请问何时公布初审结果？",
        visibility="applicant",
    )

    page = alice.get(detail_url(submitted)).content.decode()

    assert submitted.title in page
    assert "Eligibility check" in page
    assert 'class="timeline"' in page
    assert "Status: Submitted" in page
    assert "请问何时公布初审结果？" in page


def test_staff_only_comments_are_not_shown_to_the_applicant(alice, officer, submitted):
    svc.add_comment(
        application=submitted,
        actor=officer,
        body="内部：预算偏高",
        visibility=CommentVisibility.STAFF,
    )
    svc.add_comment(
        application=submitted, actor=officer, body="请补充合作社区盖章", visibility="applicant"
    )

    page = alice.get(detail_url(submitted)).content.decode()

    assert "请补充合作社区盖章" in page
    assert "内部：预算偏高" not in page


def test_applicant_comments_from_the_detail_page(alice, submitted):
    response = alice.post(
        reverse("grants:application_comment", args=[submitted.pk]),
        {"body": "已补充材料"},
        follow=True,
    )

    assert "已补充材料" in response.content.decode()
    assert submitted.comments.get().visibility == CommentVisibility.APPLICANT


def test_applicant_withdraws_with_a_reason(alice, submitted):
    response = alice.post(
        reverse("grants:application_withdraw", args=[submitted.pk]),
        {"reason": "机构调整计划"},
        follow=True,
    )

    assert Application.objects.get(pk=submitted.pk).state == S.WITHDRAWN
    body = response.content.decode()
    assert "has been withdrawn" in body and "机构调整计划" in body


def test_an_officer_may_read_the_application_but_not_edit_it(client, officer, submitted):
    client.force_login(officer)

    assert client.get(detail_url(submitted)).status_code == 200
    draft = ApplicationFactory()
    assert client.get(reverse("grants:application_edit", args=[draft.pk])).status_code == 403


def test_another_member_of_the_organisation_sees_the_application(client, organisation, submitted):
    colleague = MembershipFactory(organisation=organisation, role=Role.APPLICANT).user
    client.force_login(colleague)

    assert client.get(detail_url(submitted)).status_code == 200


@pytest.mark.parametrize(
    "name", ["application_detail", "application_edit", "application_autosave", "application_comment",
             "application_withdraw"],
)  # fmt: skip
def test_outsider_gets_404_on_every_application_page(
    client, outsider, applicant, organisation, name
):
    application = ApplicationFactory(organisation=organisation, created_by=applicant)
    client.force_login(outsider)

    url = reverse(f"grants:{name}", args=[application.pk])
    response = (
        client.post(url, {"body": "x", "reason": "x"}) if "detail" not in name else client.get(url)
    )

    assert response.status_code == 404
    assert Application.objects.get(pk=application.pk).state == S.DRAFT
    assert not application.comments.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, submitted):
    response = client.get(detail_url(submitted))

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
