"""The incubation demo: a cohort in every state, a programme, idempotent."""

from __future__ import annotations

from io import StringIO

import pytest

from accounts import demo as accounts_demo
from incubator import demo as directory_demo
from incubator import demo_incubation
from incubator.enums_incubation import IncubationState
from incubator.models import (
    Attendance,
    CapacityAssessment,
    FollowUp,
    IncubationApplication,
    IncubationBase,
    MentoringSession,
    TrainingSession,
)

pytestmark = pytest.mark.django_db


def _counts():
    return [
        model.objects.count()
        for model in (
            IncubationBase,
            IncubationApplication,
            TrainingSession,
            Attendance,
            MentoringSession,
            FollowUp,
            CapacityAssessment,
        )
    ]


def test_demo_seeds_a_cohort_in_every_state_once():
    out = StringIO()
    directory_demo.seed(stdout=out)
    accounts_demo.seed(stdout=out)

    demo_incubation.seed(stdout=out)
    first = _counts()
    demo_incubation.seed(stdout=out)

    assert _counts() == first
    states = set(IncubationApplication.objects.values_list("state", flat=True))
    assert states == set(IncubationState.values)
    for application in IncubationApplication.objects.filter(state=IncubationState.INCUBATING):
        assert application.assessments.count() >= 2
        assert Attendance.objects.filter(organisation=application.organisation).exists()
    graduate = IncubationApplication.objects.get(state=IncubationState.GRADUATED)
    assert graduate.graduated_on and graduate.handed_back_on
    assert IncubationBase.objects.get().name == demo_incubation.BASE_NAME
    # One of the incubating organisations is not registered: its page shows why it cannot graduate.
    blocked = IncubationApplication.objects.get(organisation__name="桃花桥社区睦邻议事会")
    assert any(check.code == "registered" for check in blocked.graduation_shortfalls())
