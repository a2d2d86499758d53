"""The incubation pages: who sees what, the actions through the pages, and query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.enums import Role
from incubator.enums_incubation import IncubationMode, IncubationState
from incubator.models import IncubationApplication
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.incubator.factories_incubation import (
    CapacityAssessmentFactory,
    IncubationApplicationFactory,
    IncubationBaseFactory,
    IntakeFactory,
    TrainingCourseFactory,
    TrainingSessionFactory,
    incubating,
)

pytestmark = pytest.mark.django_db
I = IncubationState  # noqa: E741


def _url(name, *args):
    return reverse(f"incubation:{name}", args=args)


@pytest.fixture
def intake(db):
    return IntakeFactory(base__name="南岸区社区治理创新中心（社会组织孵化基地）")


@pytest.fixture
def own_application(organisation, intake):
    return IncubationApplicationFactory(organisation=organisation, intake=intake)


# --- Public index and applying --------------------------------------------------------------------


def test_index_lists_bases_and_open_intakes_to_anyone(client, intake):
    IntakeFactory(
        base=intake.base,
        name="已结束的一期",
        opens_on=timezone.localdate() - timedelta(days=60),
        closes_on=timezone.localdate() - timedelta(days=30),
    )
    response = client.get(_url("index"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "南岸区社区治理创新中心" in page
    assert intake.name in page
    assert "已结束的一期" not in page


def test_member_applies_from_the_intake_page(client, applicant, organisation, intake):
    client.force_login(applicant)
    response = client.get(_url("apply", intake.pk))
    assert response.status_code == 200

    response = client.post(
        _url("apply", intake.pk),
        {"organisation": organisation.pk, "requested_mode": "in_house", "motivation": "需要场地"},
    )

    application = IncubationApplication.objects.get(organisation=organisation)
    assert response.status_code == 302
    assert response["Location"] == _url("application", application.pk)
    assert application.state == I.APPLIED


def test_apply_form_shows_errors_in_english_when_asked(client, applicant, organisation, intake):
    client.force_login(applicant)
    client.cookies["django_language"] = "en"
    response = client.post(
        _url("apply", intake.pk), {"organisation": organisation.pk, "requested_mode": "in_house"}
    )
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()


def test_outsider_cannot_apply_for_alices_organisation(client, outsider, organisation, intake):
    client.force_login(outsider)
    client.post(
        _url("apply", intake.pk),
        {"organisation": organisation.pk, "requested_mode": "in_house", "motivation": "x"},
    )
    assert not IncubationApplication.objects.filter(organisation=organisation).exists()


def test_user_without_an_organisation_gets_403_on_apply(client, intake):
    client.force_login(UserFactory())
    assert client.get(_url("apply", intake.pk)).status_code == 403


def test_closed_intake_has_no_apply_page(client, applicant):
    closed = IntakeFactory(opens_on=timezone.localdate() + timedelta(days=5), closes_on=timezone.localdate() + timedelta(days=30))  # fmt: skip
    client.force_login(applicant)
    assert client.get(_url("apply", closed.pk)).status_code == 404


@pytest.mark.parametrize("name", ["apply", "workspace", "application", "courses"])
def test_anonymous_is_sent_to_login(client, own_application, name):
    args = {"apply": [own_application.intake_id], "application": [own_application.pk]}.get(name, [])
    response = client.get(_url(name, *args))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- Who sees an application ----------------------------------------------------------------------


def test_member_sees_own_application_with_status(client, applicant, own_application):
    client.force_login(applicant)
    response = client.get(_url("application", own_application.pk))
    assert response.status_code == 200
    assert own_application.intake.base.name in response.content.decode()


def test_outsider_gets_404_for_someone_elses_application(client, outsider, own_application):
    client.force_login(outsider)
    assert client.get(_url("application", own_application.pk)).status_code == 404
    response = client.post(_url("application_action", own_application.pk, "withdraw"))
    assert response.status_code == 404
    assert IncubationApplication.objects.get(pk=own_application.pk).state == I.APPLIED


def test_outsider_cannot_post_any_write(client, outsider, organisation):
    application = incubating(organisation=organisation)
    client.force_login(outsider)
    for name in ("sign_agreement", "service_plan", "financial_system", "handback", "add_mentoring", "add_assessment"):  # fmt: skip
        assert client.post(_url(name, application.pk), {}).status_code == 404


def test_member_cannot_use_manager_forms(client, applicant, organisation):
    application = incubating(organisation=organisation)
    client.force_login(applicant)
    response = client.post(
        _url("add_assessment", application.pk),
        {
            "assessed_on": timezone.localdate(),
            "governance": 25,
            "finance": 25,
            "projects": 25,
            "team": 25,
        },
    )
    assert response.status_code == 403
    assert not application.assessments.exists()


def test_member_cannot_run_manager_actions_through_the_page(client, applicant, own_application):
    client.force_login(applicant)
    response = client.post(_url("application_action", own_application.pk, "start_review"))
    assert response.status_code == 403


def test_member_does_not_see_internal_mentoring_notes(client, applicant, organisation, officer):
    from incubator.services_incubation_programme import add_mentoring_session

    application = incubating(organisation=organisation)
    for shared, topic in ((True, "财务制度建设"), (False, "内部评估：负责人稳定性")):
        add_mentoring_session(
            application=application,
            actor=officer,
            held_on=timezone.localdate(),
            mentor="刘督导",
            topic=topic,
            notes="记录",
            shared_with_organisation=shared,
        )
    client.force_login(applicant)
    page = client.get(_url("application", application.pk)).content.decode()
    assert "财务制度建设" in page
    assert "内部评估" not in page
    client.force_login(officer)
    assert "内部评估" in client.get(_url("application", application.pk)).content.decode()


# --- Actions through the pages ---------------------------------------------------------------------


def test_officer_reviews_and_admits_through_the_page(client, officer, own_application):
    client.force_login(officer)
    page = client.get(_url("application", own_application.pk)).content.decode()
    assert 'data-action="start_review"' in page
    assert 'data-action="withdraw"' not in page  # the organisation's action, not the officer's

    client.post(_url("application_action", own_application.pk, "start_review"))
    client.post(_url("application_action", own_application.pk, "admit"), {"reason": "欢迎入驻"})

    own_application.refresh_from_db()
    assert own_application.state == I.ADMITTED
    assert own_application.decision_note == "欢迎入驻"


def test_reject_without_reason_shows_the_error(client, officer, own_application):
    client.force_login(officer)
    client.post(_url("application_action", own_application.pk, "start_review"))
    client.cookies["django_language"] = "en"
    response = client.post(_url("application_action", own_application.pk, "reject"), {"reason": ""})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    own_application.refresh_from_db()
    assert own_application.state == I.UNDER_REVIEW


def test_unknown_action_is_404(client, officer, own_application):
    client.force_login(officer)
    assert client.post(_url("application_action", own_application.pk, "explode")).status_code == 404


def test_wrong_state_action_says_so_and_changes_nothing(client, officer, own_application):
    client.force_login(officer)
    response = client.post(_url("application_action", own_application.pk, "graduate"), follow=True)
    assert response.status_code == 200
    assert len(list(response.context["messages"])) == 1
    own_application.refresh_from_db()
    assert own_application.state == I.APPLIED


def test_member_withdraws_through_the_page(client, applicant, own_application):
    client.force_login(applicant)
    client.post(_url("application_action", own_application.pk, "withdraw"), {"reason": "暂缓入驻"})
    own_application.refresh_from_db()
    assert own_application.state == I.WITHDRAWN


def test_officer_signs_the_agreement_with_its_terms(client, officer, own_application):
    IncubationApplication.objects.filter(pk=own_application.pk).update(state=I.ADMITTED)
    client.force_login(officer)
    assert (
        'id="agreement-form"'
        in client.get(_url("application", own_application.pk)).content.decode()
    )
    today = timezone.localdate()
    response = client.post(
        _url("sign_agreement", own_application.pk),
        {
            "mode": "in_house",
            "space": "孵化室 A-203",
            "subsidy": "20000.00",
            "term_start": today.isoformat(),
            "term_end": (today + timedelta(days=365)).isoformat(),
        },
    )
    assert response.status_code == 302
    own_application.refresh_from_db()
    assert own_application.state == I.AGREEMENT_SIGNED
    assert own_application.space == "孵化室 A-203"
    assert str(own_application.subsidy) == "20000.00"


def test_in_house_agreement_without_space_is_sent_back_with_the_error(
    client, officer, own_application
):
    IncubationApplication.objects.filter(pk=own_application.pk).update(state=I.ADMITTED)
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    response = client.post(
        _url("sign_agreement", own_application.pk),
        {
            "mode": "in_house",
            "space": "",
            "subsidy": "0",
            "term_start": "2026-01-01",
            "term_end": "2026-12-31",
        },  # fmt: skip
    )
    assert response.status_code == 400
    assert "needs a space" in response.content.decode()


def test_graduation_page_lists_the_unmet_criteria(client, officer, organisation):
    application = incubating(organisation=organisation, intake=IntakeFactory(min_capacity_score=80))
    CapacityAssessmentFactory(
        application=application, governance=10, finance=10, projects=10, team=10
    )
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    page = client.get(_url("application", application.pk)).content.decode()
    assert 'data-criterion="financial_system"' in page
    assert "checklist__item--unmet" in page
    assert "40 of at least 80" in page
    # The graduate button is replaced by the reasons.
    assert "not yet possible" in page

    client.cookies["django_language"] = "en"
    response = client.post(_url("application_action", application.pk, "graduate"), follow=True)
    assert "40 of at least 80" in " ".join(str(m) for m in response.context["messages"])
    application.refresh_from_db()
    assert application.state == I.INCUBATING


def test_overdue_handback_is_flagged_on_the_page_and_in_the_workspace(client, officer):
    long_ago = timezone.localdate() - timedelta(days=60)
    application = incubating()
    IncubationApplication.objects.filter(pk=application.pk).update(
        state=I.GRADUATED, graduated_on=long_ago, handback_due_on=long_ago + timedelta(days=21)
    )
    client.force_login(officer)
    assert (
        'id="handback-overdue"' in client.get(_url("application", application.pk)).content.decode()
    )
    workspace = client.get(_url("workspace")).content.decode()
    assert "card--overdue" in workspace

    client.post(
        _url("handback", application.pk), {"handed_back_on": timezone.localdate().isoformat()}
    )
    application.refresh_from_db()
    assert application.handed_back_on == timezone.localdate()
    assert (
        'id="handback-overdue"'
        not in client.get(_url("application", application.pk)).content.decode()
    )


# --- Workspace --------------------------------------------------------------------------------------


def test_workspace_groups_by_state_and_flags_overdue_reviews(client, officer, intake):
    late = IncubationApplicationFactory(
        intake=intake, review_due_on=timezone.localdate() - timedelta(days=2)
    )
    on_time = IncubationApplicationFactory(intake=intake)
    incubating(intake=intake)
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    response = client.get(_url("workspace"))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="group-applied"' in page and 'id="group-incubating"' in page
    assert "1 application is waiting past its 5-working-day answer date." in page
    assert late.organisation.name in page and on_time.organisation.name in page


def test_base_manager_sees_only_the_bases_they_manage(client):
    manager = UserFactory()
    mine, other = IncubationBaseFactory(), IncubationBaseFactory()
    mine.managers.add(manager)
    shown = IncubationApplicationFactory(intake__base=mine)
    hidden = IncubationApplicationFactory(intake__base=other)
    client.force_login(manager)
    page = client.get(_url("workspace")).content.decode()
    assert shown.organisation.name in page
    assert hidden.organisation.name not in page
    assert client.get(_url("application", hidden.pk)).status_code == 404


def test_workspace_is_403_for_members_and_outsiders(client, applicant, outsider):
    for user in (applicant, outsider):
        client.force_login(user)
        assert client.get(_url("workspace")).status_code == 403
        assert client.get(_url("courses")).status_code == 403


# --- Query counts -----------------------------------------------------------------------------------


def _queries(client, url, django_assert_max_num_queries) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_workspace_costs_the_same_for_1_and_30_applications(
    client, officer, django_assert_max_num_queries
):
    intake = IntakeFactory()
    IncubationApplicationFactory(intake=intake)
    client.force_login(officer)
    one = _queries(client, _url("workspace"), django_assert_max_num_queries)
    for index in range(29):
        if index % 3:
            IncubationApplicationFactory(intake=IntakeFactory())
        else:
            incubating(intake=intake)
    with django_assert_max_num_queries(one):
        client.get(_url("workspace"))


def test_index_costs_the_same_for_1_and_30_bases(
    client, applicant, organisation, django_assert_max_num_queries
):
    IntakeFactory()
    IncubationApplicationFactory(organisation=organisation)
    client.force_login(applicant)
    one = _queries(client, _url("index"), django_assert_max_num_queries)
    for _ in range(29):
        IntakeFactory()
        other = OrganisationFactory()
        MembershipFactory(user=applicant, organisation=other, role=Role.APPLICANT)
        IncubationApplicationFactory(organisation=other)
    with django_assert_max_num_queries(one):
        client.get(_url("index"))


def test_application_page_costs_the_same_for_1_and_30_sessions_and_assessments(
    client, officer, django_assert_max_num_queries
):
    from incubator.models import FollowUp, MentoringSession

    application = incubating()
    course = TrainingCourseFactory(base=application.intake.base)
    TrainingSessionFactory(course=course)
    CapacityAssessmentFactory(application=application)

    def mentoring():
        session = MentoringSession.objects.create(
            application=application, held_on=timezone.localdate(), mentor="刘", topic="t", notes="n", recorded_by=officer
        )  # fmt: skip
        FollowUp.objects.create(session=session, description="补交制度文本")

    mentoring()
    client.force_login(officer)
    one = _queries(client, _url("application", application.pk), django_assert_max_num_queries)
    for _ in range(29):
        mentoring()
        TrainingSessionFactory(course=course)
        CapacityAssessmentFactory(application=application)
    with django_assert_max_num_queries(one):
        client.get(_url("application", application.pk))


def test_index_shows_the_mode_labels(client):
    IntakeFactory(offers_in_house=False, offers_outside=False, offers_cloud=True)
    client.cookies["django_language"] = "en"
    page = client.get(_url("index")).content.decode()
    assert str(IncubationMode.CLOUD.label) in page


# --- Bases and intakes in the Wagtail admin ---------------------------------------------------------


def test_officer_manages_bases_and_intakes_in_the_admin(client, officer, intake):
    client.force_login(officer)
    for model, obj in (("incubationbase", intake.base), ("intake", intake)):
        assert client.get(reverse(f"wagtailsnippets_incubator_{model}:list")).status_code == 200
        assert client.get(reverse(f"wagtailsnippets_incubator_{model}:add")).status_code == 200
        edit = reverse(f"wagtailsnippets_incubator_{model}:edit", args=[obj.pk])
        assert client.get(edit).status_code == 200


def test_members_and_outsiders_cannot_open_the_incubation_admin(
    client, applicant, outsider, intake
):
    for user in (applicant, outsider):
        client.force_login(user)
        response = client.get(reverse("wagtailsnippets_incubator_intake:list"))
        assert response.status_code in (302, 403)
