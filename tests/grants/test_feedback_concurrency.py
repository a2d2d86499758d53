"""群众评议 on PostgreSQL: one number typing two codes at the same moment counts once."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from grants.models.feedback import FeedbackMode, FeedbackResponse, FeedbackState
from grants.services import feedback as svc
from grants.services.objections import LoggingSmsBackend
from tests.grants.factories_feedback import channel_for, funded_project

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _pending(channel, *, phone, household="", ip):
    response = svc.submit_response(
        channel=channel,
        answers=svc.Answers(satisfaction=5, phone=phone, household=household),
        ip=ip,
    )  # transaction=True: the code is sent on commit, straight away
    code = re.search(r"\b(\d{6})\b", LoggingSmsBackend.outbox[-1][1]).group(1)
    # the second form may be sent a minute later; nothing else changes
    FeedbackResponse.objects.filter(pk=response.pk).update(
        code_sent_at=timezone.now() - timedelta(seconds=5)
    )
    return response.pk, code


@pytest.mark.parametrize("mode", [FeedbackMode.PHONE, FeedbackMode.HOUSEHOLD])
def test_two_codes_typed_at_once_count_one_response(mode):
    # given: two pending responses from one number (phone mode) or one household (household mode)
    LoggingSmsBackend.outbox.clear()
    channel = channel_for(funded_project(), mode=mode)
    if mode == FeedbackMode.PHONE:
        pending = [
            _pending(channel, phone="13912345678", ip="10.0.0.1"),
            _pending(channel, phone="13912345678", ip="10.0.0.2"),
        ]
    else:
        pending = [
            _pending(channel, phone="13912345678", household="5栋101", ip="10.0.0.1"),
            _pending(channel, phone="13800001111", household="5幢101室", ip="10.0.0.2"),
        ]
    barrier = threading.Barrier(2)

    def verify(item):
        pk, code = item
        try:
            response = FeedbackResponse.objects.get(pk=pk)
            barrier.wait(timeout=10)
            svc.verify_response(response=response, code=code)
            return "counted"
        except svc.AlreadyResponded:
            return "refused"
        finally:
            connection.close()

    # when: both codes are typed at the same moment
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(verify, pending))

    # then: one counts, the other is told it already answered
    assert outcomes == ["counted", "refused"]
    assert FeedbackResponse.objects.filter(state=FeedbackState.COUNTED).count() == 1
    LoggingSmsBackend.outbox.clear()
