"""The decision demo: a call in 公示 with one open and one answered objection, idempotent."""

from __future__ import annotations

import pytest
from django_fsm_log.models import StateLog

from grants.demo_decisions import seed_decisions
from grants.enums import ApplicationState, ObjectionState
from grants.models import Application, Notification, Objection, PublicNotice
from tests.grants.factories_decisions import closed_call, not_recommended, recommended

pytestmark = pytest.mark.django_db
S = ApplicationState
O = ObjectionState  # noqa: E741


def test_the_demo_publishes_the_notice_with_an_open_and_an_answered_objection(officer):
    # given
    call = closed_call()
    top = recommended(call, rank=1, score=91)
    second = recommended(call, rank=2, score=87)
    out = not_recommended(call, rank=3, score=58)
    # when
    notice = seed_decisions(call=call, officer=officer)
    # then
    assert notice.is_open()
    assert Application.objects.get(pk=top.pk).state == S.OBJECTION_REVIEW
    assert Application.objects.get(pk=second.pk).state == S.PUBLIC_NOTICE
    assert Application.objects.get(pk=out.pk).state == S.REJECTED
    open_one = Objection.objects.get(state=O.OPEN)
    assert open_one.application_id == top.pk and open_one.verified_at is not None
    answered = Objection.objects.get(state=O.DISMISSED)
    assert answered.application_id == second.pk and answered.answer


def test_running_the_demo_again_creates_nothing(officer):
    call = closed_call()
    recommended(call, rank=1, score=91)
    recommended(call, rank=2, score=87)
    seed_decisions(call=call, officer=officer)
    counts = (
        PublicNotice.objects.count(),
        Objection.objects.count(),
        StateLog.objects.count(),
        Notification.objects.count(),
    )
    seed_decisions(call=call, officer=officer)
    assert counts == (
        PublicNotice.objects.count(),
        Objection.objects.count(),
        StateLog.objects.count(),
        Notification.objects.count(),
    )
