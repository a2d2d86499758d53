"""Deadline surge on PostgreSQL: real threads, real row locks, nothing lost and nothing doubled."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django_fsm_log.models import StateLog

from accounts.enums import Role
from grants.enums import ApplicationState
from grants.models import Application
from grants.services import applications as svc
from grants.services.errors import TransitionRefused
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)

S = ApplicationState
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def in_thread(function):
    """Run ``function`` with its own connection, closed afterwards (threads never share one)."""

    def run(*args):
        try:
            return function(*args)
        finally:
            connection.close()

    return run


def submit_logs(ids):
    return StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Application),
        object_id__in=ids,
        state=S.SUBMITTED,
    )


def test_two_hundred_concurrent_submitters_all_succeed_exactly_once():
    # given 200 organisations, each with a member and a complete draft to the same call
    call = CallFactory(max_grant=30000, budget=6_000_000)
    drafts = []
    for _ in range(200):
        member = MembershipFactory(role=Role.APPLICANT)
        drafts.append(
            (ApplicationFactory(call=call, organisation=member.organisation).pk, member.user_id)
        )

    @in_thread
    def submit(pk_and_user):
        pk, user_id = pk_and_user
        from accounts.models import User

        return svc.submit_application(
            application=Application.objects.get(pk=pk), actor=User.objects.get(pk=user_id)
        ).state

    # when they all press Submit in the last minute
    with ThreadPoolExecutor(max_workers=20) as pool:
        states = list(pool.map(submit, drafts))

    # then every one is submitted, once, with its log row
    ids = [pk for pk, _ in drafts]
    assert states == [S.SUBMITTED] * 200
    assert Application.objects.filter(call=call, state=S.SUBMITTED).count() == 200
    assert Application.objects.filter(call=call).count() == 200
    assert submit_logs(ids).count() == 200
    assert set(submit_logs(ids).values_list("object_id", flat=True)) == set(ids)


def test_twenty_threads_submitting_the_same_draft_give_one_submission():
    # given one draft and its member pressing Submit in twenty tabs
    member = MembershipFactory(role=Role.APPLICANT)
    draft = ApplicationFactory(organisation=member.organisation)

    @in_thread
    def submit(_):
        return svc.submit_application(
            application=Application.objects.get(pk=draft.pk), actor=member.user
        ).state

    # when
    with ThreadPoolExecutor(max_workers=20) as pool:
        states = list(pool.map(submit, range(20)))

    # then one submission, one log row, and every tab sees it submitted
    assert states == [S.SUBMITTED] * 20
    assert submit_logs([draft.pk]).count() == 1


def test_two_threads_starting_an_application_for_one_organisation_create_one():
    # given two members of one organisation pressing Apply at the same moment
    organisation = OrganisationFactory()
    users = []
    for name in ("apply_a", "apply_b"):
        user = UserFactory(username=name)
        MembershipFactory(user=user, organisation=organisation, role=Role.APPLICANT)
        users.append(user)
    call = CallFactory()

    @in_thread
    def start(user):
        try:
            return svc.start_application(call=call, organisation=organisation, actor=user).pk
        except TransitionRefused as refused:  # pragma: no cover — would mean a lost race
            return refused

    # when
    for _ in range(5):  # a few rounds make an unlucky interleaving likely if the lock were missing
        Application.objects.filter(call=call).delete()
        with ThreadPoolExecutor(max_workers=2) as pool:
            pks = list(pool.map(start, users))
        # then both got the same draft, and there is one
        assert pks[0] == pks[1]
        assert Application.objects.filter(call=call, organisation=organisation).count() == 1


def test_officer_and_applicant_racing_leave_one_consistent_outcome(officer):
    # given a submitted application the applicant withdraws while the officer returns it
    member = MembershipFactory(role=Role.APPLICANT)
    application = ApplicationFactory(organisation=member.organisation, state=S.SUBMITTED)

    @in_thread
    def act(who):
        fresh = Application.objects.get(pk=application.pk)
        try:
            if who == "officer":
                return svc.return_for_revision(
                    application=fresh, actor=officer, reason="补充材料"
                ).state
            return svc.withdraw_application(application=fresh, actor=member.user).state
        except TransitionRefused:
            return "refused"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(act, ["officer", "applicant"]))

    final = Application.objects.get(pk=application.pk).state
    logs = StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Application), object_id=application.pk
    )
    # Both orders are valid (returned then withdrawn, or withdrawn then refused); no lost update.
    assert final in (S.WITHDRAWN, S.RETURNED)
    assert logs.count() == sum(1 for outcome in outcomes if outcome != "refused")
