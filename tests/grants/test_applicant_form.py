"""The application form: apply, autosave, rows, budget, extra questions, submit (applicant side)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from grants.enums import ApplicationState
from grants.models import Application, CallForm
from grants.services import applications as svc
from tests.factories import CallFactory, CommunityFactory
from tests.grants._applicant_helpers import form_post

S = ApplicationState
pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"key": "volunteers", "label": "计划招募志愿者人数", "type": "number", "required": True},
    {"key": "experience", "label": "以往同类项目经验", "type": "textarea", "required": False},
    {"key": "stage", "label": "项目阶段", "type": "choice", "choices": ["新项目", "延续项目"]},
    {"key": "endorsed", "label": "是否已获社区盖章支持", "type": "yesno", "required": True},
]


@pytest.fixture
def call(db):
    return CallFactory(min_grant=Decimal("5000"), max_grant=Decimal("30000"))


@pytest.fixture
def draft(call, organisation, applicant):
    return svc.start_application(call=call, organisation=organisation, actor=applicant)


@pytest.fixture
def alice(client, applicant):
    """alice's browser, in English so that assertions read the msgids."""
    client.force_login(applicant)
    client.cookies["django_language"] = "en"
    return client


def edit_url(application):
    return reverse("grants:application_edit", args=[application.pk])


def autosave_url(application):
    return reverse("grants:application_autosave", args=[application.pk])


# --- Apply --------------------------------------------------------------------------------


def test_apply_starts_a_draft_and_opens_the_form(alice, call, organisation):
    response = alice.post(
        reverse("grants:apply", args=[call.slug]), {"organisation": organisation.pk}
    )

    application = Application.objects.get(call=call, organisation=organisation)
    assert application.state == S.DRAFT
    assert response.status_code == 302
    assert response["Location"] == edit_url(application)
    assert alice.get(response["Location"]).status_code == 200


def test_apply_twice_goes_back_to_the_same_draft(alice, call, organisation):
    url = reverse("grants:apply", args=[call.slug])
    first = alice.post(url, {"organisation": organisation.pk})
    second = alice.post(url, {"organisation": organisation.pk})

    assert first["Location"] == second["Location"]
    assert Application.objects.filter(call=call, organisation=organisation).count() == 1


def test_apply_page_lets_a_member_of_several_organisations_choose(alice, applicant, call):
    from accounts.enums import Role
    from tests.factories import MembershipFactory, OrganisationFactory

    other = OrganisationFactory(name="海曙区青少年成长服务社")
    MembershipFactory(user=applicant, organisation=other, role=Role.APPLICANT)

    page = alice.get(reverse("grants:apply", args=[call.slug])).content.decode()

    assert "海曙区青少年成长服务社" in page and "南岸区彩虹社会工作服务中心" in page


def test_apply_to_a_closed_call_is_refused_with_a_message(alice, organisation):
    closed = CallFactory(
        opens_at=timezone.now() - timedelta(days=30), closes_at=timezone.now() - timedelta(days=1)
    )
    url = reverse("grants:apply", args=[closed.slug])

    page = alice.get(url).content.decode()
    response = alice.post(url, {"organisation": organisation.pk}, follow=True)

    assert "This call is closed" in page
    assert "not open for applications" in response.content.decode()
    assert not Application.objects.filter(call=closed).exists()


def test_second_application_after_submission_is_refused(
    alice, applicant, call, organisation, draft
):
    alice.post(edit_url(draft), form_post(submit="1"))
    assert Application.objects.get(pk=draft.pk).state == S.SUBMITTED

    response = alice.post(
        reverse("grants:apply", args=[call.slug]), {"organisation": organisation.pk}, follow=True
    )

    assert "already applied to this call" in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("grants:application_detail", args=[draft.pk])
    assert Application.objects.filter(call=call, organisation=organisation).count() == 1


def test_apply_without_an_organisation_points_to_registration(client, outsider, call):
    from tests.factories import UserFactory

    loner = UserFactory(username="loner")
    client.force_login(loner)
    client.cookies["django_language"] = "en"

    page = client.get(reverse("grants:apply", args=[call.slug])).content.decode()

    assert reverse("incubator:organisation_create") in page


# --- Autosave -----------------------------------------------------------------------------


def test_autosave_returns_the_status_partial_and_keeps_the_draft_on_the_server(alice, draft):
    response = alice.post(autosave_url(draft), form_post(), HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="autosave-status"' in body and "Saved" in body
    assert "<html" not in body  # a partial, not a page
    draft.refresh_from_db()
    assert draft.title == "邻里守望·独居老人探访"
    assert draft.beneficiaries_count == 120
    assert draft.activities[0]["name"] == "志愿者培训"
    assert draft.activities[0]["start"] == "2026-03-01"
    assert draft.team == [
        {"name": "李社工", "role": "social_worker", "qualification": "社会工作师"}
    ]
    assert [line.description for line in draft.budget_lines.all()] == ["探访活动物资", "社工补贴"]
    assert draft.requested_amount == Decimal("20000")
    # The saved draft is what the form shows when the tab is opened again.
    page = alice.get(edit_url(draft)).content.decode()
    assert "邻里守望·独居老人探访" in page and "探访活动物资" in page


def test_autosave_keeps_valid_answers_and_names_the_bad_one(alice, draft):
    response = alice.post(autosave_url(draft), form_post(beneficiaries_count="很多"))

    body = response.content.decode()
    assert "Number of beneficiaries" in body and "Enter a whole number" in body
    draft.refresh_from_db()
    assert draft.title == "邻里守望·独居老人探访"
    assert draft.beneficiaries_count is None


def test_a_bad_budget_row_leaves_the_saved_budget_alone(alice, draft):
    alice.post(autosave_url(draft), form_post())

    response = alice.post(autosave_url(draft), form_post(**{"budget-1-amount": "-5"}))

    assert "Budget, row 2" in response.content.decode()
    assert Application.objects.get(pk=draft.pk).budget_lines.count() == 2
    assert Application.objects.get(pk=draft.pk).requested_amount == Decimal("20000")


def test_partner_communities_are_chosen_from_the_community_level(alice, draft):
    community = CommunityFactory(name="龙门浩社区")

    page = alice.get(edit_url(draft)).content.decode()
    alice.post(autosave_url(draft), form_post(partner_communities=[str(community.pk)]))

    assert "龙门浩社区" in page
    assert "测试区" not in page.split('id="section-communities"')[1].split("</fieldset>")[0]
    assert list(draft.partner_communities.all()) == [community]


def test_the_saved_draft_cannot_be_autosaved_once_submitted(alice, draft):
    alice.post(edit_url(draft), form_post(submit="1"))

    response = alice.post(autosave_url(draft), form_post(title="改掉"))

    assert "can no longer be changed" in response.content.decode()
    assert Application.objects.get(pk=draft.pk).title == "邻里守望·独居老人探访"


# --- Rows without JavaScript ---------------------------------------------------------------


def test_add_row_saves_the_draft_and_comes_back_with_a_blank_row(alice, draft):
    response = alice.post(edit_url(draft), form_post(add_row="activities"))

    assert response.status_code == 302
    assert response["Location"] == f"{edit_url(draft)}?add=activities#section-activities"
    page = alice.get(response["Location"]).content.decode()
    assert 'name="activities-TOTAL_FORMS" value="2"' in page
    assert Application.objects.get(pk=draft.pk).title == "邻里守望·独居老人探访"


def test_deleting_a_row_removes_it(alice, draft):
    alice.post(autosave_url(draft), form_post())

    alice.post(
        autosave_url(draft),
        form_post(**{"budget-INITIAL_FORMS": "2", "budget-1-DELETE": "on"}),
    )

    assert [line.description for line in draft.budget_lines.all()] == ["探访活动物资"]


def test_an_end_date_before_the_start_is_an_error_next_to_the_field(alice, draft):
    response = alice.post(edit_url(draft), form_post(**{"activities-0-end": "2026-02-01"}))

    assert response.status_code == 422
    assert "The end date is before the start date." in response.content.decode()


# --- Budget ---------------------------------------------------------------------------------


def test_budget_totals_and_caps_are_swapped_in_after_autosave(alice, draft):
    response = alice.post(
        autosave_url(draft),
        form_post(
            **{
                "budget-0-amount": "24000",
                "budget-0-matching_amount": "6000",
                "budget-1-amount": "12000",  # personnel: 12,000 of 36,000 = 33.3%
            }
        ),
    )

    body = response.content.decode()
    assert 'id="budget-summary"' in body and 'hx-swap-oob="true"' in body
    assert "¥36,000" in body and "¥42,000" in body
    assert "is over this call&#x27;s maximum of ¥30,000" in body
    assert "33.3% of the grant (¥12,000), over the cap of 30%" in body


def test_a_budget_within_every_cap_says_so(alice, draft):
    response = alice.post(autosave_url(draft), form_post())

    body = response.content.decode()
    assert "within this call&#x27;s maximum of ¥30,000" in body
    assert "check-failed" not in body


# --- Extra questions ------------------------------------------------------------------------


def test_extra_questions_are_asked_and_stored_with_the_form_version(
    alice, call, organisation, applicant
):
    CallForm.objects.create(call=call, version=1, questions=QUESTIONS)
    application = svc.start_application(call=call, organisation=organisation, actor=applicant)

    page = alice.get(edit_url(application)).content.decode()
    alice.post(
        autosave_url(application),
        form_post(
            q_volunteers="25", q_experience="已开展两年", q_stage="延续项目", q_endorsed="yes"
        ),
    )
    # The officer changes the questions afterwards: the application keeps the version it answered.
    CallForm.objects.create(
        call=call, version=2, questions=[{"key": "new", "label": "新问题", "type": "text"}]
    )

    application.refresh_from_db()
    assert (
        "计划招募志愿者人数" in page
        and "(required)" not in page.split("计划招募志愿者人数")[0][-200:]
    )
    assert page.count("（required）") == 2
    assert application.form.version == 1
    assert application.extra_answers == {
        "volunteers": 25, "experience": "已开展两年", "stage": "延续项目", "endorsed": "yes",
    }  # fmt: skip
    later = alice.get(edit_url(application)).content.decode()
    assert "计划招募志愿者人数" in later and "新问题" not in later
    detail = alice.get(reverse("grants:application_detail", args=[application.pk])).content.decode()
    assert "已开展两年" in detail and "Yes" in detail


def test_a_required_question_left_empty_blocks_submission(alice, call, organisation, applicant):
    CallForm.objects.create(call=call, version=1, questions=QUESTIONS)
    application = svc.start_application(call=call, organisation=organisation, actor=applicant)

    response = alice.post(edit_url(application), form_post(q_endorsed="yes", submit="1"))

    assert response.status_code == 422
    assert (
        "计划招募志愿者人数"
        in response.content.decode().split('id="refusal"')[1].split("</div>")[0]
    )
    assert Application.objects.get(pk=application.pk).state == S.DRAFT


def test_a_number_question_refuses_words(alice, call, organisation, applicant):
    CallForm.objects.create(call=call, version=1, questions=QUESTIONS)
    application = svc.start_application(call=call, organisation=organisation, actor=applicant)

    response = alice.post(edit_url(application), form_post(q_volunteers="二十"))

    assert response.status_code == 422
    assert "Enter a number." in response.content.decode()


# --- Submit ---------------------------------------------------------------------------------


def test_submit_saves_and_submits_the_application(alice, draft):
    response = alice.post(edit_url(draft), form_post(submit="1"), follow=True)

    draft.refresh_from_db()
    assert draft.state == S.SUBMITTED
    assert draft.title == "邻里守望·独居老人探访"
    assert response.redirect_chain[-1][0] == reverse("grants:application_detail", args=[draft.pk])
    assert "has been submitted" in response.content.decode()


def test_late_submission_is_refused_with_a_message_and_the_draft_intact(alice, call, draft):
    alice.post(autosave_url(draft), form_post())
    type(call).objects.filter(pk=call.pk).update(
        opens_at=timezone.now() - timedelta(days=30),
        closes_at=timezone.now() - timedelta(minutes=1),
    )

    response = alice.post(edit_url(draft), form_post(submit="1"))

    body = response.content.decode()
    assert response.status_code == 422
    assert 'id="refusal"' in body
    draft.refresh_from_db()
    assert draft.state == S.DRAFT
    assert draft.title == "邻里守望·独居老人探访"
    assert draft.budget_lines.count() == 2
    assert 'value="邻里守望·独居老人探访"' in body  # the form still shows every answer


def test_an_incomplete_application_lists_every_missing_section(alice, draft):
    response = alice.post(
        edit_url(draft),
        form_post(title="", need="", **{"budget-0-amount": "60000"}, submit="1"),
    )

    refusal = response.content.decode().split('id="refusal"')[1].split("</div>")[0]
    assert "Project title" in refusal or "project title" in refusal
    assert "over this call&#x27;s maximum" in refusal
    assert Application.objects.get(pk=draft.pk).state == S.DRAFT


def test_a_submitted_application_opens_read_only(alice, draft):
    alice.post(edit_url(draft), form_post(submit="1"))

    response = alice.get(edit_url(draft))

    assert response.status_code == 302
    assert response["Location"] == reverse("grants:application_detail", args=[draft.pk])
