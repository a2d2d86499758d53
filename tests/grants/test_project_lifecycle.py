"""The funded part of the lifecycle: agreement → running → mid-term → final → completed or terminated.

Transitions are run through ``_run_transition`` (lock, permission, log), the way the agreement,
disbursement and evaluation services run them; every forbidden source state and every wrong person
is refused and changes nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts.enums import Role
from grants.enums import AgreementState, ApplicationState, TrancheCondition, TrancheStatus
from grants.models import Agreement, Application, Tranche
from grants.services.applications import _run_transition
from grants.services.errors import TransitionRefused
from tests.factories import ApplicationFactory, MembershipFactory, UserFactory

S = ApplicationState
pytestmark = pytest.mark.django_db

# transition → (who, source states, target)
MACHINE = {
    "sign_agreement": ("applicant", [S.APPROVED], S.CONTRACTED),
    "start_project": ("finance", [S.CONTRACTED], S.ACTIVE),
    "start_mid_term": ("officer", [S.ACTIVE], S.MID_TERM),
    "pass_mid_term": ("officer", [S.MID_TERM], S.ACTIVE),
    "start_final_evaluation": ("officer", [S.ACTIVE], S.FINAL_EVALUATION),
    "complete": ("officer", [S.FINAL_EVALUATION], S.COMPLETED),
    "fail_evaluation": ("officer", [S.MID_TERM, S.FINAL_EVALUATION], S.TERMINATED),
}
ALLOWED = [(name, source) for name, (_who, sources, _t) in MACHINE.items() for source in sources]
FORBIDDEN = [
    (name, state)
    for name, (_who, sources, target) in MACHINE.items()
    for state in S.values
    if state not in sources and state != target
]


@pytest.fixture
def finance(db):
    user = UserFactory(username="finance-person")
    MembershipFactory(user=user, role=Role.FINANCE, organisation=None)
    return user


@pytest.fixture
def people(applicant, officer, finance, outsider):
    return {"applicant": applicant, "officer": officer, "finance": finance, "outsider": outsider}


def funded(organisation, state, *, tranches_paid=0, mid_term_passed=False) -> Application:
    """An application in ``state`` with an accepted agreement and the default 50/30/20 schedule."""
    application = ApplicationFactory(organisation=organisation, state=state)
    if mid_term_passed:
        Application.objects.filter(pk=application.pk).update(mid_term_passed_at=timezone.now())
    agreement = Agreement.objects.create(
        application=application,
        state=AgreementState.ACCEPTED if state != S.APPROVED else AgreementState.ISSUED,
        number=f"T-{application.pk}",
        award_amount=Decimal("20000"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
    )
    for number, (percent, condition) in enumerate(
        [(50, "on_signing"), (30, "mid_term_passed"), (20, "final_passed")], start=1
    ):
        Tranche.objects.create(
            agreement=agreement,
            application=application,
            number=number,
            percent=percent,
            amount=Decimal("200") * percent,
            condition=condition,
            status=TrancheStatus.PAID if number <= tranches_paid else TrancheStatus.SCHEDULED,
        )
    return Application.objects.get(pk=application.pk)


def ready(name: str, source: str, organisation) -> Application:
    """An application in ``source`` whose conditions for ``name`` hold."""
    if name == "sign_agreement":
        application = funded(organisation, source)
        Agreement.objects.filter(application=application).update(state=AgreementState.ACCEPTED)
        return application
    if name == "start_project":
        return funded(organisation, source, tranches_paid=1)
    if name == "start_final_evaluation":
        return funded(organisation, source, tranches_paid=2, mid_term_passed=True)
    return funded(organisation, source, tranches_paid=1)


def run(application, name, actor):
    with transaction.atomic():
        return _run_transition(
            application, name=name, actor=actor, target=MACHINE[name][2], description="测试"
        )


@pytest.mark.parametrize(("name", "source"), ALLOWED)
def test_allowed_transition_moves_the_project_and_logs_who(name, source, people, organisation):
    who, _sources, target = MACHINE[name]
    application = ready(name, source, organisation)
    run(application, name, people[who])
    application.refresh_from_db()
    assert application.state == target
    log = StateLog.objects.get(
        content_type=ContentType.objects.get_for_model(Application), object_id=application.pk
    )
    assert (log.source_state, log.state, log.transition, log.by) == (
        source,
        target,
        name,
        people[who],
    )


@pytest.mark.parametrize(("name", "state"), FORBIDDEN)
def test_transition_from_a_wrong_state_is_refused_and_changes_nothing(
    name, state, people, organisation
):
    application = ready(name, state, organisation)
    with pytest.raises((TransitionRefused, PermissionDenied)):
        run(application, name, people[MACHINE[name][0]])
    application.refresh_from_db()
    assert application.state == state


@pytest.mark.parametrize("name", list(MACHINE))
def test_an_outsider_may_run_no_project_transition(name, people, organisation):
    source = MACHINE[name][1][0]
    application = ready(name, source, organisation)
    with pytest.raises(PermissionDenied):
        run(application, name, people["outsider"])
    application.refresh_from_db()
    assert application.state == source


def test_the_organisation_cannot_start_its_own_evaluation_or_pass_it(people, organisation):
    active = funded(organisation, S.ACTIVE, tranches_paid=1)
    with pytest.raises(PermissionDenied):
        run(active, "start_mid_term", people["applicant"])
    mid_term = funded(organisation, S.MID_TERM, tranches_paid=1)
    with pytest.raises(PermissionDenied):
        run(mid_term, "pass_mid_term", people["applicant"])


def test_signing_waits_for_the_accepted_agreement(people, organisation):
    application = funded(organisation, S.APPROVED)  # agreement issued, not accepted
    with pytest.raises(TransitionRefused):
        run(application, "sign_agreement", people["applicant"])
    application.refresh_from_db()
    assert application.state == S.APPROVED


def test_the_project_starts_only_when_the_on_signing_tranche_is_paid(people, organisation):
    application = funded(organisation, S.CONTRACTED, tranches_paid=0)
    with pytest.raises(TransitionRefused):
        run(application, "start_project", people["finance"])
    Tranche.objects.filter(application=application, number=1).update(status=TrancheStatus.PAID)
    run(application, "start_project", people["finance"])
    application.refresh_from_db()
    assert application.state == S.ACTIVE


def test_a_schedule_without_an_on_signing_tranche_starts_at_once(people, organisation):
    application = funded(organisation, S.CONTRACTED)
    Tranche.objects.filter(application=application, condition=TrancheCondition.ON_SIGNING).update(
        condition=TrancheCondition.FINAL_PASSED
    )
    run(application, "start_project", people["officer"])
    application.refresh_from_db()
    assert application.state == S.ACTIVE


def test_passing_the_mid_term_returns_to_running_once(people, organisation):
    application = funded(organisation, S.MID_TERM, tranches_paid=1)
    run(application, "pass_mid_term", people["officer"])
    application.refresh_from_db()
    assert application.state == S.ACTIVE
    assert application.mid_term_passed_at is not None
    # A second mid-term is refused, and the final evaluation may now start.
    with pytest.raises(TransitionRefused):
        run(application, "start_mid_term", people["officer"])
    run(application, "start_final_evaluation", people["officer"])
    application.refresh_from_db()
    assert application.state == S.FINAL_EVALUATION


def test_the_final_evaluation_waits_for_a_passed_mid_term(people, organisation):
    application = funded(organisation, S.ACTIVE, tranches_paid=1)
    with pytest.raises(TransitionRefused):
        run(application, "start_final_evaluation", people["officer"])


@pytest.mark.parametrize(
    ("name", "source"), [("complete", S.FINAL_EVALUATION), ("fail_evaluation", S.MID_TERM)]
)
def test_closing_a_project_records_when(name, source, people, organisation):
    application = funded(organisation, source, tranches_paid=1)
    run(application, name, people["officer"])
    application.refresh_from_db()
    assert application.closed_at is not None
