"""The lifecycle selectors: same number of queries for 1 and 30 rows, and who sees what."""

from __future__ import annotations

import pytest

from grants.enums import ApplicationState, CommentVisibility
from grants.selectors import application_timeline, applications_for_officer, applications_of_user
from grants.services import applications as svc
from tests.factories import ApplicationFactory, CallFactory

S = ApplicationState
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("rows", [1, 30])
def test_officer_list_query_count_does_not_grow(rows, django_assert_num_queries):
    call = CallFactory()
    ApplicationFactory.create_batch(rows, call=call, state=S.SUBMITTED)
    with django_assert_num_queries(1):
        listed = [
            (a.reference, a.organisation.name, a.organisation.district.name)
            for a in applications_for_officer(call=call)
        ]
    assert len(listed) == rows


@pytest.mark.parametrize("rows", [1, 30])
def test_my_applications_query_count_does_not_grow(
    rows, applicant, organisation, django_assert_num_queries
):
    for _ in range(rows):
        ApplicationFactory(organisation=organisation, call=CallFactory())
    applicant = type(applicant).objects.get(pk=applicant.pk)
    with django_assert_num_queries(1):
        listed = [
            (a.reference, a.call.title, a.call.programme.name)
            for a in applications_of_user(user=applicant)
        ]
    assert len(listed) == rows


def test_officer_search_finds_chinese_text_and_skips_drafts():
    call = CallFactory()
    wanted = ApplicationFactory(call=call, state=S.SUBMITTED, title="楼道停车难·居民议事")
    ApplicationFactory(call=call, state=S.SUBMITTED, title="四点半课堂")
    ApplicationFactory(call=call, title="停车草稿")
    assert list(applications_for_officer(call=call, search="停车")) == [wanted]


def test_timeline_hides_staff_comments_from_the_applicant(applicant, officer, organisation):
    application = ApplicationFactory(organisation=organisation)
    application = svc.submit_application(application=application, actor=applicant)
    svc.add_comment(
        application=application,
        actor=officer,
        body="内部：预算偏高",
        visibility=CommentVisibility.STAFF,
    )
    svc.add_comment(
        application=application,
        actor=officer,
        body="请补充推荐意见",
        visibility=CommentVisibility.APPLICANT,
    )
    seen_by_applicant = [
        e.text for e in application_timeline(application=application, viewer=applicant)
    ]
    seen_by_officer = [
        e.text for e in application_timeline(application=application, viewer=officer)
    ]
    assert "内部：预算偏高" not in seen_by_applicant
    assert "请补充推荐意见" in seen_by_applicant
    assert "内部：预算偏高" in seen_by_officer
    assert application_timeline(application=application, viewer=officer)[0].transition == "submit"
