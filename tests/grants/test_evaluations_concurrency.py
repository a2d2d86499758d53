"""Evaluations under concurrency (PostgreSQL, real threads): one effect, whatever the races."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django_fsm_log.models import StateLog

from accounts.enums import Role
from accounts.models import User
from grants.enums import ApplicationState, TrancheStatus
from grants.models import Application, Evaluation, Tranche
from grants.services import evaluations as svc
from tests.factories import MembershipFactory, UserFactory
from tests.grants.factories_evaluations import funded_project, make_evaluator, scored, started

S = ApplicationState
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def in_thread(function):
    def run(*args):
        try:
            return function(*args)
        except Exception as error:  # noqa: BLE001 — the outcome is what the test compares
            return type(error).__name__
        finally:
            connection.close()

    return run


def test_two_submissions_at_once_seal_once_and_release_tranche_2_once():
    # given an evaluation ready to submit
    officer = UserFactory(username="oscar_c")
    MembershipFactory(user=officer, organisation=None, role=Role.OFFICER)
    evaluator = make_evaluator()
    project = funded_project()
    evaluation = scored(started(project, officer=officer, evaluator=evaluator), evaluator=evaluator)

    @in_thread
    def submit(_):
        return svc.submit_evaluation(
            evaluation=Evaluation.objects.get(pk=evaluation.pk),
            actor=User.objects.get(pk=evaluator.pk),
        ).state

    # when the evaluator's double tap sends two submissions at once
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(submit, range(2)))

    # then one seals it, the other is refused; one pass_mid_term, tranche 2 releasable once
    assert outcomes == ["TransitionRefused", "submitted"]
    assert StateLog.objects.filter(object_id=project.pk, transition="pass_mid_term").count() == 1
    assert Application.objects.get(pk=project.pk).state == S.ACTIVE
    assert Tranche.objects.get(application=project, number=2).status == TrancheStatus.RELEASABLE


def test_two_officers_starting_at_once_open_one_evaluation():
    officers = []
    for name in ("oscar_a", "oscar_b"):
        user = UserFactory(username=name)
        MembershipFactory(user=user, organisation=None, role=Role.OFFICER)
        officers.append(user.pk)
    evaluators = [make_evaluator("eva_a").pk, make_evaluator("eva_b").pk]
    project = funded_project()

    @in_thread
    def start(index):
        return svc.start_evaluation(
            application=Application.objects.get(pk=project.pk),
            kind="mid_term",
            evaluator=User.objects.get(pk=evaluators[index]),
            actor=User.objects.get(pk=officers[index]),
        ).state

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(start, range(2)))

    assert outcomes == ["TransitionRefused", "assigned"]
    assert Evaluation.objects.filter(application=project).count() == 1
    assert StateLog.objects.filter(object_id=project.pk, transition="start_mid_term").count() == 1
