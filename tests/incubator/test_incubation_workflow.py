"""The incubation state machine through its services: every transition, every forbidden one,
deadlines in working days, graduation criteria with their reasons, and the space hand-back."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django_fsm_log.models import StateLog

from accounts.enums import Role
from grants.models import Notification
from grants.services.errors import TransitionRefused
from incubator import services_incubation as svc
from incubator.enums_incubation import IncubationMode, IncubationState
from incubator.models import IncubationApplication
from incubator.working_days import add_months, add_working_days
from tests.factories import ApplicationFactory, MembershipFactory, UserFactory
from tests.incubator.factories_incubation import (
    CapacityAssessmentFactory,
    IncubationApplicationFactory,
    IncubationBaseFactory,
    IntakeFactory,
    incubating,
)

pytestmark = pytest.mark.django_db
I = IncubationState  # noqa: E741


@pytest.fixture
def intake(db):
    return IntakeFactory()


def _applied(applicant, organisation, intake) -> IncubationApplication:
    return svc.apply_for_incubation(
        intake=intake,
        organisation=organisation,
        actor=applicant,
        requested_mode=IncubationMode.IN_HOUSE,
        motivation="希望入驻孵化基地，获得场地和督导。",
    )


def _at(application, state, **fields) -> IncubationApplication:
    IncubationApplication.objects.filter(pk=application.pk).update(state=state, **fields)
    return IncubationApplication.objects.get(pk=application.pk)


# --- Working days ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 3, 2), 5, date(2026, 3, 9)),  # Monday → next Monday
        (date(2026, 3, 6), 5, date(2026, 3, 13)),  # Friday → next Friday
        (date(2026, 3, 7), 5, date(2026, 3, 13)),  # Saturday: the weekend does not count
        (date(2026, 3, 8), 5, date(2026, 3, 13)),  # Sunday
        (date(2026, 3, 4), 15, date(2026, 3, 25)),  # three weeks
        (date(2026, 3, 4), 0, date(2026, 3, 4)),
    ],
)
def test_working_days_skip_weekends(start, days, expected):
    assert add_working_days(start, days) == expected


def test_add_months_keeps_the_day_or_takes_the_last_of_a_shorter_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 8, 15), 6) == date(2027, 2, 15)


# --- Applying -------------------------------------------------------------------------------------


def test_member_applies_and_the_answer_is_due_in_five_working_days(applicant, organisation, intake):
    application = _applied(applicant, organisation, intake)

    assert application.state == I.APPLIED
    assert application.review_due_on == add_working_days(timezone.localdate(), 5)
    assert application.review_due_on.weekday() < 5
    assert not application.review_overdue()


def test_managers_are_notified_of_a_new_application(applicant, organisation):
    manager = UserFactory()
    base = IncubationBaseFactory()
    base.managers.add(manager)
    _applied(applicant, organisation, IntakeFactory(base=base))

    assert Notification.objects.filter(recipient=manager, verb="incubation_apply").count() == 1
    assert not Notification.objects.filter(recipient=applicant).exists()


def test_review_is_overdue_after_the_due_date_only_while_unanswered(
    applicant, organisation, intake
):
    application = _applied(applicant, organisation, intake)
    late = application.review_due_on + timedelta(days=1)

    assert application.review_overdue(late)
    assert not application.review_overdue(application.review_due_on)
    assert not _at(application, I.ADMITTED).review_overdue(late)


def test_outsider_cannot_apply_for_someone_elses_organisation(outsider, organisation, intake):
    with pytest.raises(PermissionDenied):
        _applied(outsider, organisation, intake)


def test_applying_to_a_closed_intake_is_refused(applicant, organisation):
    closed = IntakeFactory(
        opens_on=timezone.localdate() - timedelta(days=30),
        closes_on=timezone.localdate() - timedelta(days=1),
    )
    with pytest.raises(TransitionRefused):
        _applied(applicant, organisation, closed)


def test_mode_the_intake_does_not_offer_is_refused(applicant, organisation):
    intake = IntakeFactory(offers_in_house=False, offers_outside=False, offers_cloud=True)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        _applied(applicant, organisation, intake)
    assert "does not offer" in str(error.value.message_dict["requested_mode"])


def test_an_organisation_holds_one_live_application_at_a_time(applicant, organisation, intake):
    _applied(applicant, organisation, intake)
    with pytest.raises(TransitionRefused):
        _applied(applicant, organisation, IntakeFactory())
    assert IncubationApplication.objects.filter(organisation=organisation).count() == 1


def test_after_withdrawing_the_organisation_may_apply_again(applicant, organisation, intake):
    first = _applied(applicant, organisation, intake)
    svc.withdraw(application=first, actor=applicant)

    again = _applied(applicant, organisation, intake)

    assert again.pk != first.pk


# --- Every transition ---------------------------------------------------------------------------


def test_the_whole_path_from_application_to_graduation(applicant, organisation, officer, intake):
    # given
    application = _applied(applicant, organisation, intake)

    # when: review, admit, sign, plan, move in, attest, assess, graduate
    application = svc.start_review(application=application, actor=officer)
    assert application.state == I.UNDER_REVIEW
    application = svc.admit(
        application=application, actor=officer, reason="材料齐全，符合入驻条件。"
    )
    assert application.state == I.ADMITTED
    assert application.answered_at is not None
    today = timezone.localdate()
    application = svc.sign_agreement(
        application=application,
        actor=officer,
        mode=IncubationMode.IN_HOUSE,
        space="孵化室 A-203",
        subsidy="20000",
        term_start=today,
        term_end=today + timedelta(days=365),
    )
    assert application.state == I.AGREEMENT_SIGNED
    assert application.agreement_signed_on == today
    application = svc.save_service_plan(
        application=application, actor=officer, goals="建立财务制度", services=["财务辅导", ""]
    )
    assert application.planned_services == ["财务辅导"]
    application = svc.start_incubation(application=application, actor=officer)
    assert application.state == I.INCUBATING
    assert application.incubating_since == today
    application = svc.attest_financial_system(application=application, actor=officer, attested=True)
    CapacityAssessmentFactory(
        application=application, governance=20, finance=18, projects=15, team=17
    )
    application = svc.graduate(application=application, actor=officer)

    # then
    assert application.state == I.GRADUATED
    assert application.graduated_on == today
    assert application.handback_due_on == add_working_days(today, 15)
    log = list(
        StateLog.objects.filter(object_id=application.pk)
        .order_by("pk")
        .values_list("transition", "by")
    )
    assert log == [
        ("start_review", officer.pk),
        ("admit", officer.pk),
        ("sign_agreement", officer.pk),
        ("start_incubation", officer.pk),
        ("graduate", officer.pk),
    ]
    # The organisation's members heard about each decision.
    verbs = set(Notification.objects.filter(recipient=applicant).values_list("verb", flat=True))
    assert {"incubation_admit", "incubation_sign_agreement", "incubation_graduate"} <= verbs


def test_reject_needs_a_reason_and_tells_the_organisation(applicant, organisation, officer, intake):
    application = svc.start_review(
        application=_applied(applicant, organisation, intake), actor=officer
    )
    with pytest.raises(ValidationError):
        svc.reject(application=application, actor=officer, reason="  ")

    application = svc.reject(
        application=application, actor=officer, reason="服务方向与基地定位不符。"
    )

    assert application.state == I.REJECTED
    assert application.decision_note == "服务方向与基地定位不符。"
    note = Notification.objects.get(recipient=applicant, verb="incubation_reject")
    assert "服务方向与基地定位不符" in note.body


@pytest.mark.parametrize("state", [I.APPLIED, I.UNDER_REVIEW, I.ADMITTED])
def test_member_withdraws_before_the_agreement(applicant, organisation, intake, state):
    application = _at(IncubationApplicationFactory(intake=intake, organisation=organisation), state)

    application = svc.withdraw(application=application, actor=applicant, reason="机构调整计划")

    assert application.state == I.WITHDRAWN
    assert application.closing_reason == "机构调整计划"


def test_terminate_an_incubation_needs_a_reason_and_starts_the_handback(officer):
    application = incubating()
    with pytest.raises(ValidationError):
        svc.terminate(application=application, actor=officer, reason="")

    application = svc.terminate(
        application=application, actor=officer, reason="连续三个月未参加培训"
    )

    assert application.state == I.TERMINATED
    assert application.handback_due_on == add_working_days(timezone.localdate(), 15)


def test_running_an_action_twice_has_one_effect(applicant, organisation, officer, intake):
    application = _applied(applicant, organisation, intake)
    svc.start_review(application=application, actor=officer)
    svc.start_review(application=application, actor=officer)

    assert StateLog.objects.filter(object_id=application.pk, transition="start_review").count() == 1


# --- Forbidden transitions ----------------------------------------------------------------------

FORBIDDEN = [
    ("start_review", [I.ADMITTED, I.GRADUATED, I.AGREEMENT_SIGNED, I.INCUBATING, I.REJECTED, I.WITHDRAWN]),
    ("admit", [I.APPLIED, I.AGREEMENT_SIGNED, I.INCUBATING, I.REJECTED, I.WITHDRAWN, I.TERMINATED]),
    ("reject", [I.APPLIED, I.ADMITTED, I.INCUBATING, I.GRADUATED, I.WITHDRAWN]),
    ("start_incubation", [I.APPLIED, I.UNDER_REVIEW, I.ADMITTED, I.GRADUATED, I.TERMINATED]),
    ("graduate", [I.APPLIED, I.ADMITTED, I.AGREEMENT_SIGNED, I.WITHDRAWN, I.TERMINATED]),
    ("terminate", [I.APPLIED, I.UNDER_REVIEW, I.ADMITTED, I.AGREEMENT_SIGNED, I.GRADUATED]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "state"), [(code, state) for code, states in FORBIDDEN for state in states]
)
def test_transition_from_a_wrong_state_is_refused(officer, code, state):
    application = incubating()
    application = _at(application, state)

    with pytest.raises(TransitionRefused):
        svc.run_action(code, application=application, actor=officer, reason="理由")

    assert IncubationApplication.objects.get(pk=application.pk).state == state


@pytest.mark.parametrize(
    "state", [I.AGREEMENT_SIGNED, I.INCUBATING, I.GRADUATED, I.REJECTED, I.TERMINATED]
)
def test_withdrawal_after_the_agreement_is_refused(applicant, organisation, state):
    application = _at(incubating(organisation=organisation), state)
    with pytest.raises(TransitionRefused):
        svc.withdraw(application=application, actor=applicant)


def test_sign_agreement_outside_admitted_is_refused(officer):
    application = incubating()
    with pytest.raises(TransitionRefused):
        svc.sign_agreement(
            application=application,
            actor=officer,
            mode=IncubationMode.CLOUD,
            space="",
            subsidy=0,
            term_start=date(2026, 1, 1),
            term_end=date(2026, 12, 31),
        )


def test_applicant_cannot_run_manager_transitions(applicant, organisation):
    application = IncubationApplicationFactory(organisation=organisation)
    with pytest.raises(PermissionDenied):
        svc.start_review(application=application, actor=applicant)


def test_manager_cannot_withdraw_for_the_organisation(officer):
    application = IncubationApplicationFactory()
    with pytest.raises(PermissionDenied):
        svc.withdraw(application=application, actor=officer)


def test_manager_of_another_base_cannot_decide(organisation):
    other_manager = UserFactory()
    IncubationBaseFactory().managers.add(other_manager)
    application = IncubationApplicationFactory(organisation=organisation)
    with pytest.raises(PermissionDenied):
        svc.start_review(application=application, actor=other_manager)


def test_listed_base_manager_without_officer_role_may_decide():
    manager = UserFactory()
    application = IncubationApplicationFactory()
    application.intake.base.managers.add(manager)

    application = svc.start_review(application=application, actor=manager)

    assert application.state == I.UNDER_REVIEW


# --- Agreement and service plan --------------------------------------------------------------------


def test_in_house_agreement_needs_a_space_and_an_ordered_term(officer):
    application = _at(IncubationApplicationFactory(), I.ADMITTED)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        svc.sign_agreement(
            application=application,
            actor=officer,
            mode=IncubationMode.IN_HOUSE,
            space="",
            subsidy="-5",
            term_start=date(2026, 6, 1),
            term_end=date(2026, 5, 1),
        )
    assert set(error.value.message_dict) == {"space", "subsidy", "term_end"}
    assert IncubationApplication.objects.get(pk=application.pk).state == I.ADMITTED


def test_cloud_agreement_needs_no_space(officer):
    application = _at(IncubationApplicationFactory(), I.ADMITTED)
    application = svc.sign_agreement(
        application=application,
        actor=officer,
        mode=IncubationMode.CLOUD,
        space="will be ignored",
        subsidy="0",
        term_start=date(2026, 1, 1),
        term_end=date(2026, 12, 31),
    )
    assert application.state == I.AGREEMENT_SIGNED
    assert application.space == ""


def test_incubation_does_not_start_without_a_service_plan(officer):
    application = _at(incubating(), I.AGREEMENT_SIGNED, service_goals="")
    with translation.override("en"), pytest.raises(TransitionRefused) as error:
        svc.start_incubation(application=application, actor=officer)
    assert "service plan" in str(error.value)


# --- Graduation criteria ------------------------------------------------------------------------


def test_graduation_is_blocked_with_a_reason_for_each_unmet_criterion(officer):
    # given: an intake asking for everything, and an organisation meeting none of it
    intake = IntakeFactory(
        requires_registration=True,
        requires_completed_project=True,
        requires_financial_system=True,
        min_capacity_score=70,
        min_months=12,
    )
    application = incubating(
        intake=intake,
        organisation__org_type="community_org",
        organisation__credit_code=None,
        incubating_since=timezone.localdate() - timedelta(days=30),
    )
    CapacityAssessmentFactory(
        application=application, governance=10, finance=10, projects=10, team=10
    )

    # when
    with translation.override("en"), pytest.raises(TransitionRefused) as error:
        svc.graduate(application=application, actor=officer)

    # then: the refusal says what is missing, criterion by criterion
    message = str(error.value)
    assert "not registered" in message
    assert "No project of the organisation has been completed" in message
    assert "financial system" in message
    assert "40 of at least 70" in message
    assert "12 months are reached on" in message
    assert IncubationApplication.objects.get(pk=application.pk).state == I.INCUBATING
    with translation.override("en"):
        codes = {check.code for check in application.graduation_shortfalls()}
    assert codes == {
        "registered",
        "completed_project",
        "financial_system",
        "capacity_score",
        "months",
    }


def test_graduation_passes_when_each_criterion_holds(officer):
    intake = IntakeFactory(requires_completed_project=True, min_capacity_score=60, min_months=6)
    application = incubating(intake=intake, financial_system_attested_on=timezone.localdate())
    ApplicationFactory(organisation=application.organisation, state="completed")
    CapacityAssessmentFactory(
        application=application, governance=10, finance=10, projects=10, team=10
    )
    CapacityAssessmentFactory(
        application=application,
        assessed_on=timezone.localdate(),
        governance=18,
        finance=16,
        projects=15,
        team=16,
    )

    assert all(check.passed for check in application.graduation_checklist())
    assert svc.graduate(application=application, actor=officer).state == I.GRADUATED


def test_only_the_latest_assessment_counts_for_graduation(officer):
    application = incubating(intake=IntakeFactory(min_capacity_score=60), financial_system_attested_on=timezone.localdate())  # fmt: skip
    CapacityAssessmentFactory(application=application, assessed_on=date(2025, 1, 1), governance=25, finance=25, projects=25, team=25)  # fmt: skip
    CapacityAssessmentFactory(application=application, assessed_on=date(2025, 6, 1), governance=10, finance=10, projects=10, team=10)  # fmt: skip

    with pytest.raises(TransitionRefused):
        svc.graduate(application=application, actor=officer)


def test_withdrawn_attestation_blocks_graduation_again(officer):
    application = incubating(intake=IntakeFactory(min_capacity_score=0))
    svc.attest_financial_system(application=application, actor=officer, attested=True)
    svc.attest_financial_system(application=application, actor=officer, attested=False)
    with pytest.raises(TransitionRefused):
        svc.graduate(application=application, actor=officer)


# --- Space hand-back ------------------------------------------------------------------------------


def test_handback_is_due_fifteen_working_days_after_graduation_and_flagged_when_late(officer):
    graduated_on = date(2026, 3, 2)
    application = _at(
        incubating(), I.GRADUATED, graduated_on=graduated_on, handback_due_on=add_working_days(graduated_on, 15)
    )  # fmt: skip
    assert application.handback_due_on == date(2026, 3, 23)
    assert not application.handback_overdue(date(2026, 3, 23))
    assert application.handback_overdue(date(2026, 3, 24))

    svc.record_handback(application=application, actor=officer, handed_back_on=date(2026, 3, 25))
    application.refresh_from_db()
    assert application.handed_back_on == date(2026, 3, 25)
    assert not application.handback_overdue(date(2026, 4, 30))


def test_cloud_graduates_have_no_space_to_hand_back(officer):
    application = incubating(
        intake=IntakeFactory(min_capacity_score=0),
        mode=IncubationMode.CLOUD,
        space="",
        financial_system_attested_on=timezone.localdate(),
    )
    application = svc.graduate(application=application, actor=officer)
    assert application.handback_due_on is None
    with pytest.raises(TransitionRefused):
        svc.record_handback(
            application=application, actor=officer, handed_back_on=timezone.localdate()
        )


def test_handback_date_in_the_future_is_refused(officer):
    application = _at(incubating(), I.GRADUATED, handback_due_on=date(2026, 3, 23))
    with pytest.raises(ValidationError):
        svc.record_handback(
            application=application,
            actor=officer,
            handed_back_on=timezone.localdate() + timedelta(days=1),
        )


def test_applicant_member_cannot_record_the_handback(applicant, organisation):
    application = _at(
        incubating(organisation=organisation), I.GRADUATED, handback_due_on=date(2026, 3, 23)
    )
    with pytest.raises(PermissionDenied):
        svc.record_handback(
            application=application, actor=applicant, handed_back_on=date(2026, 3, 20)
        )


def test_member_of_another_role_is_not_an_applicant(organisation):
    social_worker = UserFactory()
    MembershipFactory(user=social_worker, organisation=organisation, role=Role.SOCIAL_WORKER)
    with pytest.raises(PermissionDenied):
        _applied(social_worker, organisation, IntakeFactory())
