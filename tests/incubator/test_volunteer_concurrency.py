"""Races on PostgreSQL with real threads and row locks: one check-out counts once, the last place
goes to one volunteer, and concurrent redemptions never overdraw the points."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from incubator import services_volunteer_points as points
from incubator import services_volunteers as svc
from incubator.enums_volunteers import HoursState
from incubator.models import HoursRecord, PointsEntry, Redemption, RewardItem, VolunteerSignup
from incubator.selectors_volunteers import points_balance
from tests.incubator.factories_volunteers import (
    ActivityFactory,
    HoursRecordFactory,
    RewardFactory,
    SignupFactory,
    VolunteerFactory,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(function, arguments, *, workers: int = 10):
    """Run ``function`` on every argument at once (a barrier releases all threads together)."""
    barrier = threading.Barrier(len(arguments))

    def run(argument):
        try:
            barrier.wait()
            return function(argument)
        except Exception as error:  # noqa: BLE001 — the test inspects what each thread got
            return error
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=max(workers, len(arguments))) as pool:
        return list(pool.map(run, arguments))


def test_ten_concurrent_check_outs_of_one_check_in_record_one_hours_record_and_one_payment():
    # given a volunteer checked in two hours ago (the same phone, tapping fast, two tabs …)
    volunteer = VolunteerFactory()
    now = timezone.now()
    activity = ActivityFactory(starts_at=now - timedelta(hours=3), ends_at=now + timedelta(hours=1))
    signup = SignupFactory(activity=activity, volunteer=volunteer)
    VolunteerSignup.objects.filter(pk=signup.pk).update(checked_in_at=now - timedelta(hours=2))
    user = volunteer.user

    # when ten check-outs arrive at once
    results = race(lambda _: svc.check_out(actor=user, token=activity.checkin_token), range(10))

    # then every call succeeds with the same record, and it is counted and paid once
    assert not [r for r in results if isinstance(r, Exception)], results
    assert {record.pk for _, record in results} == {HoursRecord.objects.get().pk}
    assert HoursRecord.objects.get().hours == Decimal("2")
    assert PointsEntry.objects.filter(volunteer=volunteer).count() == 1
    assert points_balance(volunteer) == Decimal("2")


def test_concurrent_approvals_of_the_same_hours_pay_once(officer):
    record = HoursRecordFactory(hours=Decimal("3"))
    results = race(lambda _: svc.approve_hours(actor=officer, record=record), range(8))
    assert all(r.state == HoursState.APPROVED for r in results), results
    assert PointsEntry.objects.filter(hours_record=record).count() == 1


def test_twenty_volunteers_racing_for_five_places_get_exactly_five():
    activity = ActivityFactory(slots=5)
    users = [VolunteerFactory().user for _ in range(20)]
    results = race(lambda user: svc.sign_up(actor=user, activity=activity), users, workers=20)
    refused = [r for r in results if isinstance(r, svc.VolunteeringRefused)]
    assert len(refused) == 15 and len(results) - len(refused) == 5
    assert activity.signups.count() == 5


def test_concurrent_redemptions_never_overdraw_the_balance():
    # given 25 points and a 10-point reward with plenty of stock
    volunteer = VolunteerFactory()
    record = HoursRecordFactory(volunteer=volunteer, hours=Decimal("25"), state=HoursState.APPROVED)
    points.award_points_for_hours(record=record, actor=None)
    reward = RewardFactory(points_cost=Decimal("10"), stock=100)
    user = volunteer.user

    # when the volunteer fires ten redemptions at once
    results = race(lambda _: points.redeem_reward(actor=user, reward=reward), range(10))

    # then two go through, eight are told the points are not enough, and the ledger adds up
    refused = [r for r in results if isinstance(r, points.InsufficientPoints)]
    assert len(refused) == 8, results
    assert Redemption.objects.count() == 2
    assert points_balance(volunteer) == Decimal("5")
    last = PointsEntry.objects.filter(volunteer=volunteer).order_by("-sequence").first()
    assert last.balance_after == Decimal("5") and last.sequence == 3
    assert RewardItem.objects.get(pk=reward.pk).stock == 98


def test_the_last_reward_in_stock_goes_to_one_volunteer():
    reward = RewardFactory(points_cost=Decimal("1"), stock=1)
    users = []
    for _ in range(6):
        volunteer = VolunteerFactory()
        record = HoursRecordFactory(
            volunteer=volunteer, hours=Decimal("5"), state=HoursState.APPROVED
        )
        points.award_points_for_hours(record=record, actor=None)
        users.append(volunteer.user)
    results = race(lambda user: points.redeem_reward(actor=user, reward=reward), users)
    assert sum(isinstance(r, Redemption) for r in results) == 1
    assert RewardItem.objects.get(pk=reward.pk).stock == 0
    assert PointsEntry.objects.filter(amount__lt=0).count() == 1
