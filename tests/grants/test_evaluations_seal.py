"""The database's own guard on sealed evaluations (PostgreSQL triggers, ``SEAL_TRIGGER_SQL``).

The lead installs the triggers in a migration; these tests install them inside the test's
transaction (DDL is transactional in PostgreSQL) and check that the services still work with them
and that nothing else can change a sealed evaluation.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from grants.models import Evaluation, EvaluationActivity, EvaluationScore
from grants.models.evaluations import SEAL_TRIGGER_SQL
from grants.services import evaluations as svc
from tests.grants.factories_evaluations import funded_project, make_evaluator, scored, started

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def triggers(db):
    with connection.cursor() as cursor:
        cursor.execute(SEAL_TRIGGER_SQL)


@pytest.fixture
def sealed(triggers, officer):
    evaluator = make_evaluator()
    evaluation = scored(
        started(funded_project(), officer=officer, evaluator=evaluator), evaluator=evaluator
    )
    return svc.submit_evaluation(evaluation=evaluation, actor=evaluator)


def test_the_services_run_with_the_triggers_installed(sealed):
    evaluation = Evaluation.objects.get(pk=sealed.pk)
    assert evaluation.total == Decimal("82.00")


@pytest.mark.parametrize(
    "change",
    [
        lambda e: Evaluation.objects.filter(pk=e.pk).update(total=Decimal("95")),
        lambda e: Evaluation.objects.filter(pk=e.pk).update(grade="excellent"),
        lambda e: Evaluation.objects.filter(pk=e.pk).update(state="in_progress"),
        lambda e: EvaluationScore.objects.filter(evaluation=e).update(score=Decimal("1")),
        lambda e: EvaluationScore.objects.filter(evaluation=e).delete(),
        lambda e: EvaluationActivity.objects.filter(evaluation=e).update(notes="改写"),
        lambda e: EvaluationActivity.objects.filter(evaluation=e).delete(),
    ],
)
def test_nothing_changes_a_sealed_evaluation(sealed, change):
    with pytest.raises(IntegrityError), transaction.atomic():
        change(sealed)
    assert Evaluation.objects.get(pk=sealed.pk).total == Decimal("82.00")


def test_the_clawback_mark_may_be_set_once(sealed):
    from django.utils import timezone

    Evaluation.objects.filter(pk=sealed.pk).update(clawback_opened_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        Evaluation.objects.filter(pk=sealed.pk).update(clawback_opened_at=None)
