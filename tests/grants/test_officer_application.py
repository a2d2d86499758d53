"""One application in the officer workspace: every answer, budget, files, eligibility, timeline,
comments, and the transition buttons that run the services; and bulk actions on the list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog

from grants.enums import ApplicationState
from grants.models import ApplicationComment, CallForm
from grants.services import applications as svc
from tests.factories import ApplicationFactory, CallFactory
from tests.grants._officer_helpers import HARD_FAILURE, PASSED, SOFT_FLAG, submitted

S = ApplicationState
pytestmark = pytest.mark.django_db
REASON = "请补充社区盖章的合作意向书。"


@pytest.fixture
def call(db):
    return CallFactory(title="姑苏区社区微公益创投", themes=["elderly", "youth"])


@pytest.fixture
def application(call, organisation, applicant):
    """Alice's application, answered, with a file, submitted through the services."""
    form = CallForm.objects.create(
        call=call,
        version=1,
        questions=[
            {"key": "volunteers", "label": "志愿者招募方式", "type": "textarea", "required": True},
            {"key": "insured", "label": "是否为志愿者购买保险", "type": "yesno", "required": False},
        ],
    )
    draft = ApplicationFactory(
        call=call,
        organisation=organisation,
        created_by=applicant,
        form=form,
        title="邻里守望·独居老人探访",
        theme="elderly",
        extra_answers={"volunteers": "通过社区微信群招募低龄老人志愿者", "insured": True},
        team=[{"name": "李社工", "role": "social_worker", "qualification": "社会工作师"}],
    )
    svc.add_attachment(
        application=draft,
        actor=applicant,
        uploaded_file=SimpleUploadedFile(
            "项目计划书.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
        ),
        kind="plan",
    )
    return svc.submit_application(application=draft, actor=applicant)


def detail_url(application):
    return reverse("grants:officer_application", args=[application.pk])


def action_url(application, code):
    return reverse("grants:officer_action", args=[application.pk, code])


def test_detail_shows_every_answer_budget_files_and_timeline(client, officer, application):
    client.force_login(officer)

    response = client.get(detail_url(application))

    assert response.status_code == 200
    content = response.content.decode()
    for text in (
        "邻里守望·独居老人探访",
        "组织志愿者每周探访社区独居老人",  # summary
        "志愿者培训",  # an activity
        "探访人次",  # an indicator
        "李社工",  # team
        "志愿者招募方式",  # an extra question's label…
        "通过社区微信群招募低龄老人志愿者",  # …and its answer
        "探访活动物资",  # a budget line
        "20000.00",  # the grant total (zh-hans groups no thousands)
        "项目计划书.pdf",
        application.organisation.name,
    ):
        assert text in content, text
    attachment = application.attachments.get()
    assert reverse("grants:attachment_download", args=[attachment.pk]) in content
    assert 'class="timeline' in content


def test_detail_shows_hard_failures_in_red_and_soft_flags_in_amber(client, officer, call):
    application = submitted(call, eligibility=[PASSED, HARD_FAILURE, SOFT_FLAG])
    client.force_login(officer)

    content = client.get(detail_url(application)).content.decode()

    assert f'<li class="rule rule--hard">{HARD_FAILURE["reason"]}</li>' in content
    assert f'<li class="rule rule--soft">{SOFT_FLAG["reason"]}</li>' in content


def test_detail_offers_only_the_transitions_the_machine_allows(client, officer, call):
    client.force_login(officer)
    application = submitted(call)

    codes = {
        form.action.code for form in client.get(detail_url(application)).context["action_forms"]
    }
    assert codes == {"start_screening", "return_for_revision", "mark_ineligible"}

    svc.start_screening(application=application, actor=officer)
    codes = {
        form.action.code for form in client.get(detail_url(application)).context["action_forms"]
    }
    assert codes == {"accept_for_review", "return_for_revision", "mark_ineligible"}


def test_call_without_screening_offers_review_straight_away(client, officer):
    application = submitted(CallFactory(has_screening=False))
    client.force_login(officer)

    codes = {
        form.action.code for form in client.get(detail_url(application)).context["action_forms"]
    }

    assert codes == {"accept_for_review", "return_for_revision", "mark_ineligible"}


def test_officer_screens_and_accepts_through_the_buttons(client, officer, application):
    client.force_login(officer)

    response = client.post(action_url(application, "start_screening"))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == S.SCREENING

    response = client.post(action_url(application, "accept_for_review"), follow=True)
    application.refresh_from_db()
    assert application.state == S.IN_REVIEW
    assert StateLog.objects.for_(application).filter(by=officer).count() == 2
    assert str(S.IN_REVIEW.label) in response.content.decode()


def test_return_needs_a_reason_and_says_so_in_chinese(client, officer, application):
    client.force_login(officer)

    response = client.post(
        action_url(application, "return_for_revision"), {"return_for_revision-reason": "  "}
    )

    assert response.status_code == 400
    assert "必需字段" in response.content.decode()  # Django's own Chinese "This field is required."
    application.refresh_from_db()
    assert application.state == S.SUBMITTED


def test_return_with_a_reason_and_deadline_reaches_the_applicants_timeline(
    client, officer, applicant, application
):
    client.force_login(officer)
    due = (timezone.localtime() + timedelta(days=5)).replace(second=0, microsecond=0)

    response = client.post(
        action_url(application, "return_for_revision"),
        {
            "return_for_revision-reason": REASON,
            "return_for_revision-revision_due_at": due.strftime("%Y-%m-%dT%H:%M"),
        },
    )

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == S.RETURNED
    assert application.revision_due_at == due
    client.force_login(applicant)
    assert (
        REASON
        in client.get(reverse("grants:application_detail", args=[application.pk])).content.decode()
    )


def test_ineligible_needs_a_reason(client, officer, application):
    client.force_login(officer)

    response = client.post(action_url(application, "mark_ineligible"))

    assert response.status_code == 400
    application.refresh_from_db()
    assert application.state == S.SUBMITTED


def test_a_transition_the_state_does_not_allow_is_refused_with_a_message(
    client, officer, application
):
    # given an application already taken into review (e.g. in another tab)
    client.force_login(officer)
    svc.start_screening(application=application, actor=officer)
    svc.accept_for_review(application=application, actor=officer)

    # when the officer presses "start screening" on a stale page
    response = client.post(action_url(application, "start_screening"), follow=True)

    # then nothing changes and the page says why
    application.refresh_from_db()
    assert application.state == S.IN_REVIEW
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_officer_may_not_submit_for_the_applicant(client, officer, call):
    draft = ApplicationFactory(call=call)
    client.force_login(officer)

    response = client.post(action_url(draft, "submit"))

    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.state == S.DRAFT


def test_staff_comment_is_hidden_from_the_applicant(client, officer, applicant, application):
    client.force_login(officer)
    url = reverse("grants:officer_comment", args=[application.pk])
    client.post(url, {"body": "内部：预算偏高，复核", "visibility": "staff"})
    client.post(url, {"body": "请补充社区推荐意见", "visibility": "applicant"})

    assert set(ApplicationComment.objects.values_list("visibility", flat=True)) == {
        "staff",
        "applicant",
    }
    officer_page = client.get(detail_url(application)).content.decode()
    assert "内部：预算偏高，复核" in officer_page and "请补充社区推荐意见" in officer_page
    client.force_login(applicant)
    applicant_page = client.get(
        reverse("grants:application_detail", args=[application.pk])
    ).content.decode()
    assert "请补充社区推荐意见" in applicant_page
    assert "内部：预算偏高，复核" not in applicant_page


def test_empty_comment_is_a_form_error(client, officer, application):
    client.force_login(officer)

    response = client.post(
        reverse("grants:officer_comment", args=[application.pk]),
        {"body": "", "visibility": "staff"},
    )

    assert response.status_code == 400
    assert not ApplicationComment.objects.exists()


# --- Bulk actions -------------------------------------------------------------------------------


def bulk(client, call, action, ids, **data):
    return client.post(
        reverse("grants:officer_call_applications", args=[call.pk]),
        {"action": action, "ids": ids, "querystring": "state=submitted", **data},
        follow=True,
    )


def test_bulk_start_screening_reports_each_row(client, officer, call):
    # given two submitted applications and one already in review
    first, second = submitted(call, title="甲项目"), submitted(call, title="乙项目")
    in_review = submitted(call, title="丙项目", state=S.IN_REVIEW)
    client.force_login(officer)

    # when the officer starts screening on all three
    response = bulk(client, call, "start_screening", [first.pk, second.pk, in_review.pk])

    # then two move, one is refused, and each row is reported
    states = {a.title: a.state for a in (first, second, in_review) if not a.refresh_from_db()}
    assert states == {"甲项目": S.SCREENING, "乙项目": S.SCREENING, "丙项目": S.IN_REVIEW}
    messages = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert (
        sum(
            1
            for level, text in messages
            if level == "success" and ("甲项目" in text or "乙项目" in text)
        )
        == 2
    )
    assert any(level == "error" and "丙项目" in text for level, text in messages)
    assert response.redirect_chain[-1][0].endswith("?state=submitted")


def test_bulk_accept_for_review(client, officer, call):
    screening = [submitted(call, state=S.SCREENING) for _ in range(3)]
    client.force_login(officer)

    bulk(client, call, "accept_for_review", [a.pk for a in screening])

    assert {a.state for a in screening if not a.refresh_from_db()} == {S.IN_REVIEW}


def test_bulk_return_needs_a_reason_and_changes_nothing_without_one(client, officer, call):
    rows = [submitted(call) for _ in range(2)]
    client.force_login(officer)

    response = bulk(client, call, "return_for_revision", [a.pk for a in rows])
    assert {a.state for a in rows if not a.refresh_from_db()} == {S.SUBMITTED}
    assert any(m.level_tag == "error" for m in response.context["messages"])

    bulk(client, call, "return_for_revision", [a.pk for a in rows], reason=REASON)
    assert {a.state for a in rows if not a.refresh_from_db()} == {S.RETURNED}


def test_bulk_ignores_applications_of_other_calls(client, officer, call):
    elsewhere = submitted(CallFactory())
    client.force_login(officer)

    bulk(client, call, "start_screening", [elsewhere.pk])

    elsewhere.refresh_from_db()
    assert elsewhere.state == S.SUBMITTED


def test_bulk_offers_no_action_outside_the_bulk_list(client, officer, call):
    application = submitted(call)
    client.force_login(officer)

    bulk(client, call, "mark_ineligible", [application.pk], reason=REASON)

    application.refresh_from_db()
    assert application.state == S.SUBMITTED


def test_bulk_action_needs_the_csrf_token(officer, call):
    application = submitted(call)
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)

    response = client.post(
        reverse("grants:officer_call_applications", args=[call.pk]),
        {"action": "start_screening", "ids": [application.pk]},
    )

    assert response.status_code == 403
    application.refresh_from_db()
    assert application.state == S.SUBMITTED
