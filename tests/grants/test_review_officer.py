"""The officer's review pages: panels (draw, add, remove, shortfalls), the conflict register,
conduct ratings and the expert pool; officers only; constant query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from grants.enums import AssignmentState, ConflictSource
from grants.models import ConductRating, ConflictRecord, ReviewAssignment, ReviewerRelation
from tests.factories import CommunityFactory, OrganisationFactory
from tests.grants.factories_review import (
    RelationFactory,
    assign,
    in_review,
    make_reviewer,
    make_reviewers,
    review_call,
    sheet,
)

A = AssignmentState
pytestmark = pytest.mark.django_db


@pytest.fixture
def call():
    return review_call(reviewers_per_application=3)


def url(name, *args):
    return reverse(f"grants:{name}", args=args)


def officer_pages(call, application, assignment, reviewer):
    return [
        ("get", url("review_pool")),
        ("get", url("review_pool_member", reviewer.pk)),
        ("get", url("review_panels", call.pk)),
        ("post", url("review_draw", call.pk)),
        ("post", url("review_add_reviewer", application.pk)),
        ("post", url("review_remove_reviewer", assignment.pk)),
        ("get", url("review_conflicts", call.pk)),
        ("post", url("review_detect_conflicts", call.pk)),
        ("get", url("review_conduct", call.pk)),
    ]


def test_officer_pages_refuse_everyone_else(client, call, outsider, applicant, reviewer):
    application = in_review(call)
    assignment = assign(application, make_reviewer())
    pages = officer_pages(call, application, assignment, assignment.reviewer)
    for method, target in pages:
        response = getattr(client, method)(target)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], target
    for user in (outsider, applicant, reviewer):
        client.force_login(user)
        for method, target in pages:
            assert getattr(client, method)(target).status_code == 403, (user, target)
    assert ReviewAssignment.objects.get().state == A.ASSIGNED


# --- Panels --------------------------------------------------------------------------------------


def test_panels_page_shows_each_panel_with_progress(client, officer, call):
    application = in_review(call, title="邻里守望")
    done = assign(application, make_reviewer(display_name="王建国"), A.SUBMITTED)
    sheet(done, submitted=True)
    assign(application, make_reviewer(display_name="赵晓梅"), A.DECLINED, decline_reason="出差")
    client.force_login(officer)

    client.cookies["django_language"] = "en"
    with translation.override("en"):
        response = client.get(url("review_panels", call.pk))

    content = response.content.decode()
    assert "邻里守望" in content and "王建国" in content and "出差" in content
    assert "Short by 2 reviewers" in content


def test_draw_button_draws_and_reports_the_seed_and_shortfalls(client, officer, call):
    application = in_review(call)
    make_reviewers(2)
    client.force_login(officer)

    client.cookies["django_language"] = "en"
    with translation.override("en"):
        response = client.post(
            url("review_draw", call.pk), {"per_application": 3, "seed": 99}, follow=True
        )

    assert ReviewAssignment.objects.filter(application=application).count() == 2
    content = response.content.decode()
    assert "seed 99" in content
    assert f"{application.reference}: only 2 of 3 reviewers" in content


def test_adding_a_conflicted_reviewer_shows_why_it_is_refused(client, officer, call):
    application = in_review(call)
    reviewer = make_reviewer()
    RelationFactory(profile=reviewer.reviewer_profile, organisation=application.organisation)
    client.force_login(officer)

    response = client.post(
        url("review_add_reviewer", application.pk), {"reviewer": reviewer.pk}, follow=True
    )

    assert not ReviewAssignment.objects.exists()
    assert application.organisation.name in response.content.decode()


def test_adding_and_removing_a_reviewer(client, officer, call):
    application = in_review(call)
    reviewer = make_reviewer()
    client.force_login(officer)

    client.post(url("review_add_reviewer", application.pk), {"reviewer": reviewer.pk})
    assignment = ReviewAssignment.objects.get()
    client.post(url("review_remove_reviewer", assignment.pk), {"reason": "临时有事"})

    assignment.refresh_from_db()
    assert assignment.state == A.WITHDRAWN


def test_panels_page_query_count_is_the_same_for_1_and_30_applications(
    client, officer, call, django_assert_num_queries
):
    reviewers = make_reviewers(4)

    def application_with_panel():
        application = in_review(call)
        for index, reviewer in enumerate(reviewers[:3]):
            assignment = assign(application, reviewer, [A.ASSIGNED, A.ACCEPTED, A.SUBMITTED][index])
            if index:
                sheet(assignment, submitted=index == 2)
        ConflictRecord.objects.create(
            reviewer=reviewers[3],
            application=application,
            source=ConflictSource.OFFICER,
            reason="x",
        )

    application_with_panel()
    client.force_login(officer)
    client.get(url("review_panels", call.pk))
    with CaptureQueriesContext(connection) as one:
        client.get(url("review_panels", call.pk))

    for _ in range(29):
        application_with_panel()

    with django_assert_num_queries(len(one)):
        response = client.get(url("review_panels", call.pk))
    assert len(response.context["applications"]) == 30


# --- The conflict register -----------------------------------------------------------------------


def test_register_lists_conflicts_with_their_reasons(client, officer, call):
    application = in_review(call)
    reviewer = make_reviewer(display_name="孙立群")
    RelationFactory(profile=reviewer.reviewer_profile, organisation=application.organisation)
    client.force_login(officer)

    client.post(url("review_detect_conflicts", call.pk))
    response = client.get(url("review_conflicts", call.pk))

    content = response.content.decode()
    assert "孙立群" in content and application.organisation.name in content
    assert ConflictRecord.objects.get().recorded_by == officer


def test_officer_records_a_conflict_on_the_register_page(client, officer, call):
    application = in_review(call)
    reviewer = make_reviewer()
    client.force_login(officer)

    response = client.post(
        url("review_conflicts", call.pk),
        {"application": application.pk, "reviewer": reviewer.pk, "reason": "评审前电话告知"},
    )

    assert response.status_code == 302
    record = ConflictRecord.objects.get()
    assert (record.source, record.reason) == (ConflictSource.OFFICER, "评审前电话告知")


def test_recording_without_a_reason_is_a_field_error(client, officer, call):
    application = in_review(call)
    reviewer = make_reviewer()
    client.force_login(officer)

    response = client.post(
        url("review_conflicts", call.pk), {"application": application.pk, "reviewer": reviewer.pk}
    )

    assert response.status_code == 400
    assert "reason" in response.context["form"].errors


def test_register_query_count_is_the_same_for_1_and_30_conflicts(
    client, officer, call, django_assert_num_queries
):
    def conflict():
        application = in_review(call)
        ConflictRecord.objects.create(
            reviewer=make_reviewer(),
            application=application,
            source=ConflictSource.COMMUNITY,
            reason="同社区",
            recorded_by=officer,
        )

    conflict()
    client.force_login(officer)
    client.get(url("review_conflicts", call.pk))
    with CaptureQueriesContext(connection) as one:
        client.get(url("review_conflicts", call.pk))
    for _ in range(29):
        conflict()

    with django_assert_num_queries(len(one)):
        response = client.get(url("review_conflicts", call.pk))
    assert len(response.context["records"]) == 30


# --- Conduct -------------------------------------------------------------------------------------


def test_officer_rates_each_reviewers_conduct_once_per_call(client, officer, call):
    assignment = assign(in_review(call), make_reviewer(display_name="钱文博"), A.SUBMITTED)
    profile = assignment.reviewer.reviewer_profile
    assign(in_review(call), assignment.reviewer, A.ACCEPTED)
    assign(in_review(review_call()), assignment.reviewer, A.SUBMITTED)  # another call
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    page = client.get(url("review_conduct", call.pk))
    assert "钱文博" in page.content.decode()
    assert "1 of 2 reviews submitted" in page.content.decode()

    client.post(
        url("review_conduct", call.pk),
        {"profile": profile.pk, f"p{profile.pk}-stars": 4, f"p{profile.pk}-note": "按时提交"},
    )
    client.post(
        url("review_conduct", call.pk),
        {"profile": profile.pk, f"p{profile.pk}-stars": 5, f"p{profile.pk}-note": "意见详实"},
    )

    rating = ConductRating.objects.get()
    assert (rating.stars, rating.note, rating.rated_by) == (5, "意见详实", officer)


def test_a_rating_needs_stars(client, officer, call):
    assignment = assign(in_review(call), make_reviewer(), A.SUBMITTED)
    profile = assignment.reviewer.reviewer_profile
    client.force_login(officer)

    response = client.post(url("review_conduct", call.pk), {"profile": profile.pk})

    assert response.status_code == 400
    assert not ConductRating.objects.exists()


def test_conduct_page_query_count_is_the_same_for_1_and_30_reviewers(
    client, officer, call, django_assert_num_queries
):
    application = in_review(call)
    assign(application, make_reviewer(), A.SUBMITTED)
    client.force_login(officer)
    client.get(url("review_conduct", call.pk))
    with CaptureQueriesContext(connection) as one:
        client.get(url("review_conduct", call.pk))
    for _ in range(29):
        assign(application, make_reviewer(), A.ACCEPTED)

    with django_assert_num_queries(len(one)):
        response = client.get(url("review_conduct", call.pk))
    assert len(response.context["rows"]) == 30


# --- The expert pool -----------------------------------------------------------------------------


def test_pool_page_lists_reviewers_with_expertise_and_load(client, officer, call):
    reviewer = make_reviewer(display_name="吴佳怡", expertise=["youth"], employer="苏州大学")
    assign(in_review(call), reviewer)
    client.force_login(officer)

    client.cookies["django_language"] = "en"
    with translation.override("en"):
        response = client.get(url("review_pool"))

    content = response.content.decode()
    assert "吴佳怡" in content and "苏州大学" in content and "Children and youth" in content
    (row,) = response.context["reviewers"]
    assert row.open_reviews == 1


def test_pool_page_query_count_is_the_same_for_1_and_30_reviewers(
    client, officer, django_assert_num_queries
):
    community = CommunityFactory()
    make_reviewer().reviewer_profile.communities.add(community)
    client.force_login(officer)
    client.get(url("review_pool"))
    with CaptureQueriesContext(connection) as one:
        client.get(url("review_pool"))
    for _ in range(29):
        make_reviewer().reviewer_profile.communities.add(community)

    with django_assert_num_queries(len(one)):
        response = client.get(url("review_pool"))
    assert len(response.context["reviewers"]) == 30


def test_officer_edits_a_profile_and_takes_a_reviewer_out_of_the_pool(client, officer):
    reviewer = make_reviewer()
    organisation = OrganisationFactory()
    client.force_login(officer)

    client.post(
        url("review_pool_member", reviewer.pk),
        {"expertise": ["law"], "employer": "江苏某律师事务所", "is_active": ""},
    )
    client.post(
        url("review_pool_member", reviewer.pk),
        {"add_relation": "1", "kind": "dispute", "organisation": organisation.name},
    )

    profile = reviewer.reviewer_profile
    profile.refresh_from_db()
    assert (profile.expertise, profile.is_active) == (["law"], False)
    relation = ReviewerRelation.objects.get()
    assert relation.organisation == organisation
    client.post(url("review_pool_relation_delete", reviewer.pk, relation.pk))
    assert not ReviewerRelation.objects.exists()


def test_a_reviewer_cannot_take_themself_out_of_the_pool(client, reviewer):
    # rita has the role; her profile is created on her first save
    client.force_login(reviewer)

    client.post(url("review_profile"), {"expertise": ["law"], "is_active": ""})

    reviewer.reviewer_profile.refresh_from_db()
    assert reviewer.reviewer_profile.is_active
