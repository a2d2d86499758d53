"""The reviewer's pages: dashboard, declaration, review (blind or not), autosave, submission,
correction and history, attachments, peers, profile; who may open them; query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from grants.enums import AssignmentState, ConflictSource, RelationKind, SheetStatus
from grants.models import ConflictRecord, ReviewAssignment, ReviewerRelation, RubricCriterion
from tests.factories import OrganisationFactory
from tests.grants.factories_review import (
    assign,
    attach,
    in_review,
    make_reviewer,
    review_call,
    sheet,
)

A = AssignmentState
pytestmark = pytest.mark.django_db


@pytest.fixture
def call():
    return review_call()


@pytest.fixture
def organisation_x():
    return OrganisationFactory(name="星火青少年发展中心")


@pytest.fixture
def application(call, organisation_x):
    return in_review(
        call,
        organisation=organisation_x,
        title="四点半课堂",
        team=[{"name": "赵社工", "role": "social_worker", "qualification": "社会工作师"}],
    )


@pytest.fixture
def rita(reviewer):
    from grants.models import ReviewerProfile

    # the persona rita gets a profile like every pool member

    ReviewerProfile.objects.get_or_create(user=reviewer, defaults={"expertise": ["youth"]})
    return reviewer


@pytest.fixture
def assigned(application, rita):
    return assign(application, rita)


@pytest.fixture
def accepted(application, rita):
    return assign(application, rita, A.ACCEPTED)


def url(name, *args):
    return reverse(f"grants:{name}", args=args)


# --- Who may open the pages ----------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, accepted):
    for target in (url("review_dashboard"), url("review_assignment", accepted.pk)):
        response = client.get(target)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_outsider_and_applicant_get_403_on_the_dashboard(client, outsider, applicant):
    for user in (outsider, applicant):
        client.force_login(user)
        assert client.get(url("review_dashboard")).status_code == 403
        assert client.get(url("review_profile")).status_code == 403


def test_outsider_applicant_and_another_reviewer_get_404_on_the_assignment(
    client, accepted, outsider, applicant
):
    other_reviewer = make_reviewer()
    attachment = attach(accepted.application)
    for user in (outsider, applicant, other_reviewer):
        client.force_login(user)
        for target in (
            url("review_assignment", accepted.pk),
            url("review_declaration", accepted.pk),
            url("review_history", accepted.pk),
            url("review_attachment", accepted.pk, attachment.pk),
        ):
            assert client.get(target).status_code in (403, 404), (user, target)


# --- Dashboard -----------------------------------------------------------------------------------


def test_dashboard_lists_my_reviews_with_progress_and_counts(client, rita, call):
    criteria = RubricCriterion.objects.filter(call=call)
    to_declare = assign(in_review(call, title="待声明项目"), rita)
    doing = assign(in_review(call, title="评审中项目"), rita, A.ACCEPTED)
    sheet(doing, {criteria[0]: 10, criteria[1]: 20})
    done = assign(in_review(call, title="已提交项目"), rita, A.SUBMITTED)
    sheet(done, submitted=True, total=Decimal("81.50"))
    assign(in_review(call, title="已拒绝项目"), rita, A.DECLINED)
    assign(in_review(call, title="回避项目"), rita, A.CONFLICTED)
    assign(in_review(call, title="被移除项目"), rita, A.WITHDRAWN)
    registered = assign(in_review(call, title="登记回避项目"), rita)
    ConflictRecord.objects.create(
        reviewer=rita, application=registered.application, source=ConflictSource.OFFICER, reason="x"
    )
    assign(in_review(call, title="别人的项目"), make_reviewer())
    client.force_login(rita)

    client.cookies["django_language"] = "en"
    with translation.override("en"):
        response = client.get(url("review_dashboard"))

    board = response.context["board"]
    assert {a.pk for a in board.assignments} == {to_declare.pk, doing.pk, done.pk}
    assert (board.to_declare, board.in_progress, board.submitted) == (1, 1, 1)
    content = response.content.decode()
    for hidden in ("已拒绝项目", "回避项目", "被移除项目", "登记回避项目", "别人的项目"):
        assert hidden not in content
    assert "2 of 6 criteria scored" in content
    assert "81.50" in content
    assert url("review_declaration", to_declare.pk) in content


def test_dashboard_query_count_is_the_same_for_1_and_30_reviews(
    client, rita, call, django_assert_num_queries
):
    assign(in_review(call), rita, A.ACCEPTED)
    client.force_login(rita)
    client.get(url("review_dashboard"))
    with CaptureQueriesContext(connection) as one:
        client.get(url("review_dashboard"))

    for index in range(29):
        assignment = assign(in_review(review_call()), rita, A.ACCEPTED if index % 2 else A.ASSIGNED)
        if index % 3 == 0:
            sheet(assignment)

    with django_assert_num_queries(len(one)):
        response = client.get(url("review_dashboard"))
    assert len(response.context["board"].assignments) == 30


# --- Declaration ---------------------------------------------------------------------------------


def test_declaration_page_shows_title_call_and_organisation(client, assigned):
    client.force_login(assigned.reviewer)

    response = client.get(url("review_declaration", assigned.pk))

    content = response.content.decode()
    assert "四点半课堂" in content and assigned.application.call.title in content
    assert "星火青少年发展中心" in content
    # but nothing of the application itself yet
    assert assigned.application.summary not in content


def test_declaration_page_hides_the_organisation_under_blind_review(client, assigned, call):
    call.blind_review = True
    call.save()
    client.force_login(assigned.reviewer)

    content = client.get(url("review_declaration", assigned.pk)).content.decode()

    assert "四点半课堂" in content and "星火青少年发展中心" not in content


def test_the_review_page_waits_for_the_declaration(client, assigned):
    client.force_login(assigned.reviewer)

    response = client.get(url("review_assignment", assigned.pk))

    assert response.status_code == 302
    assert response["Location"] == url("review_declaration", assigned.pk)


def test_signing_no_conflict_opens_the_review(client, assigned):
    client.force_login(assigned.reviewer)

    response = client.post(url("review_declaration", assigned.pk), {"declare": "no_conflict"})

    assert response["Location"] == url("review_assignment", assigned.pk)
    assert ReviewAssignment.objects.get(pk=assigned.pk).state == A.ACCEPTED
    page = client.get(url("review_assignment", assigned.pk))
    assert page.status_code == 200
    assert assigned.application.summary in page.content.decode()


def test_declaring_a_conflict_closes_the_application_for_good(client, assigned):
    client.force_login(assigned.reviewer)

    response = client.post(
        url("review_declaration", assigned.pk), {"declare": "conflict", "note": "我是该机构的理事"}
    )

    assert response["Location"] == url("review_dashboard")
    assert ConflictRecord.objects.get().reason == "我是该机构的理事"
    for target in (
        url("review_declaration", assigned.pk),
        url("review_assignment", assigned.pk),
        url("review_history", assigned.pk),
    ):
        assert client.get(target).status_code == 404
    assert "四点半课堂" not in client.get(url("review_dashboard")).content.decode()


def test_declining_from_the_declaration_page(client, assigned):
    client.force_login(assigned.reviewer)

    assert client.post(url("review_decline", assigned.pk), {"reason": ""}).status_code == 302
    assert ReviewAssignment.objects.get(pk=assigned.pk).state == A.ASSIGNED

    client.post(url("review_decline", assigned.pk), {"reason": "近期出差"})

    assert ReviewAssignment.objects.get(pk=assigned.pk).state == A.DECLINED
    assert client.get(url("review_declaration", assigned.pk)).status_code == 404


# --- The review page -----------------------------------------------------------------------------


def test_review_page_shows_the_application_rubric_and_guidance(client, accepted, call):
    RubricCriterion.objects.filter(call=call, position=0).update(guidance="需求是否有调研数据支撑")
    client.force_login(accepted.reviewer)

    response = client.get(url("review_assignment", accepted.pk))

    content = response.content.decode()
    assert "星火青少年发展中心" in content and "赵社工" in content
    assert "需求是否有调研数据支撑" in content
    assert len(response.context["form"].rows) == 6


def test_blind_review_hides_who_applied(client, accepted, call, organisation_x):
    call.blind_review = True
    call.save()
    attach(accepted.application, kind="certificate", name="星火登记证书.pdf")
    plan = attach(accepted.application, kind="plan", name="星火项目书.pdf")
    client.force_login(accepted.reviewer)

    content = client.get(url("review_assignment", accepted.pk)).content.decode()

    for identity in (
        "星火青少年发展中心",
        organisation_x.credit_code,
        "赵社工",
        "星火登记证书",
        "星火项目书",
    ):
        assert identity not in content
    assert "社会工作师" in content  # the qualification stays: it is about the project
    download = client.get(url("review_attachment", accepted.pk, plan.pk))
    assert download.status_code == 200
    assert "星火" not in download["Content-Disposition"]


def test_blind_review_withholds_the_registration_certificate(client, accepted, call):
    call.blind_review = True
    call.save()
    certificate = attach(accepted.application, kind="certificate")
    client.force_login(accepted.reviewer)

    assert client.get(url("review_attachment", accepted.pk, certificate.pk)).status_code == 404


def test_reviewer_downloads_an_attachment_of_the_assigned_application(client, accepted):
    attachment = attach(accepted.application, b"%PDF-1.4 secret plan")
    client.force_login(accepted.reviewer)

    response = client.get(url("review_attachment", accepted.pk, attachment.pk))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 secret plan"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_attachment_of_another_application_is_404(client, accepted, call):
    other = attach(in_review(call))
    client.force_login(accepted.reviewer)

    assert client.get(url("review_attachment", accepted.pk, other.pk)).status_code == 404


def test_attachment_before_the_declaration_is_404(client, assigned):
    attachment = attach(assigned.application)
    client.force_login(assigned.reviewer)

    assert client.get(url("review_attachment", assigned.pk, attachment.pk)).status_code == 404


def scores_post(call, fraction=Decimal("0.8"), **extra) -> dict:
    data = {"comment": "总体较好"}
    for criterion in RubricCriterion.objects.filter(call=call):
        data[f"score_{criterion.pk}"] = str(Decimal(criterion.weight) * fraction)
        data[f"comment_{criterion.pk}"] = ""
    data.update(extra)
    return data


def test_saving_a_draft_and_submitting(client, accepted, call):
    client.force_login(accepted.reviewer)
    target = url("review_assignment", accepted.pk)

    response = client.post(target, {**scores_post(call), "save": "1"})
    assert response.status_code == 302
    draft = accepted.sheets.get()
    assert draft.status == SheetStatus.DRAFT and draft.scores.count() == 6

    response = client.post(target, {**scores_post(call), "submit": "1"})
    assert response.status_code == 302
    submitted = accepted.sheets.get()
    assert (submitted.status, submitted.total) == (SheetStatus.SUBMITTED, Decimal("80.00"))
    page = client.get(target).content.decode()
    assert 'id="score-form"' not in page  # read-only now
    assert "80.00" in page


def test_submission_errors_appear_next_to_the_fields_in_english(client, accepted, call):
    criterion = RubricCriterion.objects.get(call=call, position=0)
    client.force_login(accepted.reviewer)
    data = scores_post(call, **{f"score_{criterion.pk}": "5"})
    del data[f"score_{RubricCriterion.objects.get(call=call, position=1).pk}"]

    client.cookies["django_language"] = "en"
    with translation.override("en"):
        response = client.post(
            url("review_assignment", accepted.pk),
            {**data, "submit": "1"},
            HTTP_ACCEPT_LANGUAGE="en",
        )

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors[f"comment_{criterion.pk}"] == [
        "Explain in a comment why you gave less than 12."
    ]
    assert "Give a score for this criterion." in response.content.decode()
    assert accepted.sheets.get().status == SheetStatus.DRAFT  # what was typed is kept


def test_out_of_range_score_is_a_field_error(client, accepted, call):
    criterion = RubricCriterion.objects.get(call=call, position=0)
    client.force_login(accepted.reviewer)

    response = client.post(
        url("review_assignment", accepted.pk),
        {**scores_post(call, **{f"score_{criterion.pk}": "25"}), "save": "1"},
    )

    assert response.status_code == 400
    assert f"score_{criterion.pk}" in response.context["form"].errors
    # the valid scores were saved
    assert accepted.sheets.get().scores.count() == 5


def test_autosave_saves_what_is_valid_and_names_the_rest(client, accepted, call):
    criterion = RubricCriterion.objects.get(call=call, position=0)
    client.force_login(accepted.reviewer)

    client.cookies["django_language"] = "en"
    with translation.override("en"):
        response = client.post(
            url("review_autosave", accepted.pk),
            {**scores_post(call, **{f"score_{criterion.pk}": "12.3"})},
            HTTP_HX_REQUEST="true",
        )

    assert response.status_code == 200
    assert 'id="autosave-status"' in response.content.decode()
    assert response.context["problems"]
    assert accepted.sheets.get().scores.count() == 5


def test_autosave_after_submission_says_it_is_refused(client, call, rita):
    accepted = assign(in_review(call), rita, A.SUBMITTED)
    sheet(accepted, submitted=True)
    client.force_login(rita)

    response = client.post(url("review_autosave", accepted.pk), scores_post(call))

    assert response.context["refused"]


def test_correction_then_history(client, call, rita):
    assignment = assign(in_review(call), rita, A.SUBMITTED)
    sheet(assignment, submitted=True, total=Decimal("80.00"))
    client.force_login(rita)

    response = client.post(url("review_correction", assignment.pk), {"reason": ""})
    assert response.status_code == 400

    client.post(url("review_correction", assignment.pk), {"reason": "预算项打分有误"})

    assignment.refresh_from_db()
    assert assignment.state == A.ACCEPTED
    page = client.get(url("review_assignment", assignment.pk)).content.decode()
    assert 'id="score-form"' in page and "预算项打分有误" in page
    history = client.get(url("review_history", assignment.pk))
    assert [s.version for s in history.context["sheets"]] == [2, 1]
    assert "预算项打分有误" in history.content.decode()


def test_peer_totals_appear_after_submitting_without_names(client, call, rita):
    application = in_review(call)
    mine = assign(application, rita, A.SUBMITTED)
    sheet(mine, submitted=True)
    other = assign(application, make_reviewer(display_name="张评审"), A.SUBMITTED)
    sheet(other, submitted=True, total=Decimal("66.50"))
    client.force_login(rita)

    content = client.get(url("review_assignment", mine.pk)).content.decode()

    assert "66.50" in content and "张评审" not in content


def test_peer_totals_are_hidden_before_submitting(client, call, rita):
    application = in_review(call)
    mine = assign(application, rita, A.ACCEPTED)
    other = assign(application, make_reviewer(), A.SUBMITTED)
    sheet(other, submitted=True, total=Decimal("66.50"))
    client.force_login(rita)

    assert "66.50" not in client.get(url("review_assignment", mine.pk)).content.decode()


# --- Profile -------------------------------------------------------------------------------------


def test_reviewer_edits_their_profile(client, rita):
    client.force_login(rita)

    response = client.post(
        url("review_profile"),
        {"expertise": ["elderly", "finance"], "employer": "苏州大学", "title": "副教授", "bio": ""},
    )

    assert response.status_code == 302
    rita.reviewer_profile.refresh_from_db()
    assert rita.reviewer_profile.expertise == ["elderly", "finance"]
    assert rita.reviewer_profile.employer == "苏州大学"


def test_reviewer_declares_a_relation_by_credit_code_and_removes_it(client, rita):
    organisation = OrganisationFactory()
    client.force_login(rita)

    response = client.post(
        url("review_profile"),
        {
            "add_relation": "1",
            "kind": RelationKind.ADVISED,
            "organisation": organisation.credit_code.lower(),
            "started_on": "2023-01-01",
            "ended_on": "2024-06-30",
        },
    )

    assert response.status_code == 302
    relation = ReviewerRelation.objects.get()
    assert relation.organisation == organisation
    assert organisation.name in client.get(url("review_profile")).content.decode()
    client.post(url("review_relation_delete", relation.pk))
    assert not ReviewerRelation.objects.exists()


def test_an_unknown_organisation_is_a_field_error(client, rita):
    client.force_login(rita)

    response = client.post(
        url("review_profile"), {"add_relation": "1", "kind": "employed", "organisation": "没有这家"}
    )

    assert response.status_code == 400
    assert "organisation" in response.context["relation_form"].errors


def test_reviewers_cannot_remove_each_others_relations(client, rita):
    other = make_reviewer()
    relation = ReviewerRelation.objects.create(
        profile=other.reviewer_profile, kind="employed", organisation=OrganisationFactory()
    )
    client.force_login(rita)

    assert client.post(url("review_relation_delete", relation.pk)).status_code == 404
    assert ReviewerRelation.objects.exists()


def test_a_busy_reviewer_gets_the_dashboard_in_pages_with_totals_of_all(client, rita, call):
    from grants.selectors_review import DASHBOARD_PAGE_SIZE

    first = assign(in_review(call), rita, A.ACCEPTED)
    for _ in range(DASHBOARD_PAGE_SIZE):
        assign(in_review(review_call()), rita, A.ASSIGNED)
    client.force_login(rita)

    page_one = client.get(url("review_dashboard"))
    page_two = client.get(url("review_dashboard") + "?page=2")

    board = page_one.context["board"]
    assert len(board.assignments) == DASHBOARD_PAGE_SIZE
    assert (board.to_declare, board.in_progress) == (DASHBOARD_PAGE_SIZE, 1)  # all, not one page
    assert "?page=2" in page_one.content.decode()
    shown = {a.pk for a in board.assignments} | {
        a.pk for a in page_two.context["board"].assignments
    }
    assert len(shown) == DASHBOARD_PAGE_SIZE + 1 and first.pk in shown
    assert len(page_two.context["board"].assignments) == 1
