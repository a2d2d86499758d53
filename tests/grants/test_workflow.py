"""Every transition of the application lifecycle, allowed and forbidden, through the services."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.utils import translation
from django_fsm_log.models import StateLog

from grants.enums import FUNDED_STATES, WITHDRAWABLE_STATES, ApplicationState
from grants.models import Application
from grants.services import applications as svc
from grants.services.errors import TransitionRefused
from tests.factories import ApplicationFactory, CallFactory


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests read the reasons' English msgids; zh_Hans wording is covered by test_translations."""
    with translation.override("en"):
        yield


S = ApplicationState
pytestmark = pytest.mark.django_db


def run(action: str, application, actor):
    """Call the service of ``action`` with whatever input it needs."""
    reason = "材料不全，请补充社区盖章的合作意向书。"
    return {
        "submit": lambda: svc.submit_application(application=application, actor=actor),
        "start_screening": lambda: svc.start_screening(application=application, actor=actor),
        "accept_for_review": lambda: svc.accept_for_review(application=application, actor=actor),
        "return_for_revision": lambda: svc.return_for_revision(
            application=application, actor=actor, reason=reason
        ),
        "mark_ineligible": lambda: svc.mark_ineligible(
            application=application, actor=actor, reason=reason
        ),
        "withdraw": lambda: svc.withdraw_application(
            application=application, actor=actor, reason="机构调整计划"
        ),
        "terminate": lambda: svc.terminate_application(
            application=application, actor=actor, reason=reason
        ),
    }[action]()


# action → (who may run it, source states, target state)
MACHINE = {
    "submit": ("applicant", [S.DRAFT, S.RETURNED], S.SUBMITTED),
    "start_screening": ("officer", [S.SUBMITTED], S.SCREENING),
    "accept_for_review": ("officer", [S.SCREENING], S.IN_REVIEW),
    "return_for_revision": ("officer", [S.SUBMITTED, S.SCREENING], S.RETURNED),
    "mark_ineligible": ("officer", [S.SUBMITTED, S.SCREENING], S.INELIGIBLE),
    "withdraw": ("applicant", list(WITHDRAWABLE_STATES), S.WITHDRAWN),
    "terminate": ("officer", list(FUNDED_STATES), S.TERMINATED),
}
ALLOWED = [
    (action, source) for action, (_, sources, _target) in MACHINE.items() for source in sources
]
FORBIDDEN = [
    (action, state)
    for action, (_, sources, target) in MACHINE.items()
    for state in S.values
    if state not in sources and state != target
]


def log_rows(application):
    return StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Application), object_id=application.pk
    )


@pytest.fixture
def people(applicant, officer, outsider):
    return {"applicant": applicant, "officer": officer, "outsider": outsider}


@pytest.mark.parametrize(("action", "source"), ALLOWED)
def test_allowed_transition_moves_the_application_and_logs_who_and_why(
    action, source, people, organisation
):
    # given
    who, _sources, target = MACHINE[action]
    application = ApplicationFactory(organisation=organisation, state=source)
    actor = people[who]
    # when
    result = run(action, application, actor)
    # then
    assert result.state == target
    assert Application.objects.get(pk=application.pk).state == target
    (log,) = log_rows(application)
    assert log.by == actor
    assert log.source_state == source
    assert log.state == target
    assert log.transition == action
    if action in ("return_for_revision", "mark_ineligible", "terminate"):
        assert log.description == "材料不全，请补充社区盖章的合作意向书。"


@pytest.mark.parametrize(("action", "state"), FORBIDDEN)
def test_action_in_the_wrong_state_is_refused_and_changes_nothing(
    action, state, people, organisation
):
    who, _sources, _target = MACHINE[action]
    application = ApplicationFactory(organisation=organisation, state=state)
    with pytest.raises(TransitionRefused) as refused:
        run(action, application, people[who])
    assert str(refused.value)  # a message a person can read
    assert Application.objects.get(pk=application.pk).state == state
    assert not log_rows(application).exists()


WRONG_PEOPLE = [
    (action, source, wrong)
    for action, (who, sources, _target) in MACHINE.items()
    for wrong in ("outsider", "officer" if who == "applicant" else "applicant")
    for source in sources[:1]
]


@pytest.mark.parametrize(("action", "source", "wrong"), WRONG_PEOPLE)
def test_action_by_the_wrong_person_is_denied(action, source, wrong, people, organisation):
    application = ApplicationFactory(organisation=organisation, state=source)
    with pytest.raises(PermissionDenied):
        run(action, application, people[wrong])
    assert Application.objects.get(pk=application.pk).state == source
    assert not log_rows(application).exists()


@pytest.mark.parametrize("action", list(MACHINE))
def test_repeating_an_action_has_one_effect(action, people, organisation):
    who, sources, target = MACHINE[action]
    application = ApplicationFactory(organisation=organisation, state=sources[0])
    first = run(action, application, people[who])
    again = run(action, first, people[who])
    assert again.state == target
    assert log_rows(application).count() == 1


def test_repeating_submit_sends_no_second_notification(
    applicant, officer, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    application = ApplicationFactory(organisation=organisation)
    with django_capture_on_commit_callbacks(execute=True):
        svc.submit_application(application=application, actor=applicant)
    mails = len(mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        svc.submit_application(application=application, actor=applicant)
    assert mails >= 1
    assert len(mailoutbox) == mails
    assert log_rows(application).count() == 1


def test_call_without_screening_goes_from_submitted_straight_to_review(
    applicant, officer, organisation
):
    call = CallFactory(has_screening=False)
    application = ApplicationFactory(call=call, organisation=organisation)
    submitted = svc.submit_application(application=application, actor=applicant)
    with pytest.raises(TransitionRefused) as refused:
        svc.start_screening(application=submitted, actor=officer)
    assert "screening" in str(refused.value)
    reviewed = svc.accept_for_review(application=submitted, actor=officer)
    assert reviewed.state == S.IN_REVIEW
    assert [log.state for log in log_rows(application).order_by("timestamp", "pk")] == [
        S.SUBMITTED,
        S.IN_REVIEW,
    ]


def test_call_with_screening_refuses_review_before_screening(applicant, officer, organisation):
    application = ApplicationFactory(organisation=organisation, state=S.SUBMITTED)
    with pytest.raises(TransitionRefused, match="screening"):
        svc.accept_for_review(application=application, actor=officer)


def test_returned_application_can_be_revised_and_resubmitted(applicant, officer, organisation):
    application = ApplicationFactory(organisation=organisation)
    application = svc.submit_application(application=application, actor=applicant)
    application = svc.start_screening(application=application, actor=officer)
    application = svc.return_for_revision(
        application=application, actor=officer, reason="请补充预算说明"
    )
    application = svc.save_draft(
        application=application, actor=applicant, fields={"summary": "已补充预算说明。"}
    )
    application = svc.submit_application(application=application, actor=applicant)
    application = svc.start_screening(application=application, actor=officer)
    application = svc.accept_for_review(application=application, actor=officer)
    assert application.state == S.IN_REVIEW
    assert application.summary == "已补充预算说明。"
    assert [log.transition for log in log_rows(application).order_by("timestamp", "pk")] == [
        "submit",
        "start_screening",
        "return_for_revision",
        "submit",
        "start_screening",
        "accept_for_review",
    ]


def test_withdrawing_frees_the_call_for_a_new_application(applicant, organisation):
    application = ApplicationFactory(organisation=organisation)
    svc.withdraw_application(application=application, actor=applicant)
    again = svc.start_application(call=application.call, organisation=organisation, actor=applicant)
    assert again.pk != application.pk
    assert again.state == S.DRAFT


@pytest.mark.parametrize("action", ["return_for_revision", "mark_ineligible", "terminate"])
def test_officer_actions_against_the_applicant_need_a_reason(action, officer, organisation):
    from django.core.exceptions import ValidationError

    _who, sources, _target = MACHINE[action]
    application = ApplicationFactory(organisation=organisation, state=sources[0])
    service = {
        "return_for_revision": svc.return_for_revision,
        "mark_ineligible": svc.mark_ineligible,
        "terminate": svc.terminate_application,
    }[action]
    with pytest.raises(ValidationError) as error:
        service(application=application, actor=officer, reason="  ")
    assert "reason" in error.value.message_dict
    assert Application.objects.get(pk=application.pk).state == sources[0]
