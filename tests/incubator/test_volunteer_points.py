"""Star levels, the points ledger, rewards and redemptions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from incubator import services_volunteer_points as points
from incubator.enums_volunteers import HoursState, PointsKind, RedemptionState
from incubator.models import PointsEntry, Redemption, RewardItem
from incubator.selectors_volunteers import (
    next_star_threshold,
    points_balance,
    star_level,
    volunteer_summary,
)
from tests.factories import UserFactory
from tests.incubator.factories_volunteers import (
    ActivityFactory,
    HoursRecordFactory,
    RewardFactory,
    VolunteerFactory,
    in_english,
)

pytestmark = pytest.mark.django_db


def earn(volunteer, hours: str) -> PointsEntry:
    """Approved hours at a past activity, paid through the service (as an approval does)."""
    now = timezone.now()
    activity = ActivityFactory(
        starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=3) + timedelta(hours=24)
    )
    record = HoursRecordFactory(
        volunteer=volunteer, activity=activity, hours=Decimal(hours), state=HoursState.APPROVED
    )
    return points.award_points_for_hours(record=record, actor=None)


# --- Star levels ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "stars"),
    [(0, 0), ("99.5", 0), (100, 1), ("299.5", 1), (300, 2), (599, 2), (600, 3), (999, 3),
     (1000, 4), ("1499.5", 4), (1500, 5), (9999, 5)],
)  # fmt: skip
def test_star_levels_at_100_300_600_1000_1500_hours(hours, stars):
    assert star_level(Decimal(hours)) == stars


def test_next_star_threshold_and_none_after_five_stars():
    assert next_star_threshold(Decimal("99.5")) == 100
    assert next_star_threshold(Decimal(300)) == 600
    assert next_star_threshold(Decimal(1500)) is None


def test_the_summary_counts_only_approved_hours_towards_stars():
    volunteer = VolunteerFactory()
    for _ in range(5):
        earn(volunteer, "20")  # 100 h approved
    HoursRecordFactory(volunteer=volunteer, hours=Decimal("50"))  # pending
    summary = volunteer_summary(volunteer)
    assert summary.approved_hours == Decimal(100) and summary.pending_hours == Decimal(50)
    assert summary.stars == 1 and summary.next_threshold == 300
    assert summary.hours_to_next_star == Decimal(200)
    assert summary.points == Decimal(100)


# --- The ledger ------------------------------------------------------------------------------------


def test_the_balance_is_the_sum_of_the_ledger_and_the_last_running_balance():
    volunteer = VolunteerFactory()
    earn(volunteer, "2.5")
    earn(volunteer, "4")
    reward = RewardFactory(points_cost=Decimal("3"))
    points.redeem_reward(actor=volunteer.user, reward=reward)
    entries = list(PointsEntry.objects.filter(volunteer=volunteer).order_by("sequence"))
    assert [e.sequence for e in entries] == [1, 2, 3]
    assert [e.amount for e in entries] == [Decimal("2.5"), Decimal("4"), Decimal("-3")]
    assert entries[-1].balance_after == points_balance(volunteer) == Decimal("3.5")


def test_an_hours_record_earns_points_once():
    volunteer = VolunteerFactory()
    entry = earn(volunteer, "2")
    again = points.award_points_for_hours(record=entry.hours_record, actor=None)
    assert again.pk == entry.pk and PointsEntry.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.create(
            volunteer=volunteer, sequence=2, kind=PointsKind.EARNED, amount=Decimal("2"),
            balance_after=Decimal("4"), hours_record=entry.hours_record,
        )  # fmt: skip


def test_pending_hours_earn_no_points():
    record = HoursRecordFactory()
    with pytest.raises(ValueError):
        points.award_points_for_hours(record=record, actor=None)


def test_ledger_rows_are_never_changed_or_deleted():
    entry = earn(VolunteerFactory(), "1")
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()


def test_the_database_refuses_a_negative_balance_and_a_duplicate_sequence():
    entry = earn(VolunteerFactory(), "1")
    redemption = Redemption.objects.create(
        volunteer=entry.volunteer, reward=RewardFactory(), points=Decimal("5")
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.create(
            volunteer=entry.volunteer, sequence=2, kind=PointsKind.REDEEMED, amount=Decimal("-5"),
            balance_after=Decimal("-4"), redemption=redemption,
        )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        # A writer that read a stale balance would reuse sequence 1: refused.
        PointsEntry.objects.create(
            volunteer=entry.volunteer, sequence=1, kind=PointsKind.REDEEMED, amount=Decimal("-1"),
            balance_after=Decimal("0"), redemption=redemption,
        )  # fmt: skip


# --- Redemptions ------------------------------------------------------------------------------------


def test_redeeming_takes_the_points_and_the_stock():
    volunteer = VolunteerFactory()
    earn(volunteer, "30")
    reward = RewardFactory(points_cost=Decimal("10"), stock=5)
    redemption = points.redeem_reward(actor=volunteer.user, reward=reward, quantity=2)
    assert redemption.state == RedemptionState.REQUESTED and redemption.points == Decimal("20")
    assert points_balance(volunteer) == Decimal("10")
    assert RewardItem.objects.get(pk=reward.pk).stock == 3


def test_not_enough_points_is_a_clear_error_and_records_nothing():
    volunteer = VolunteerFactory()
    earn(volunteer, "5")
    reward = RewardFactory(points_cost=Decimal("10"), stock=5)
    with translation.override("en"), pytest.raises(points.InsufficientPoints) as refused:
        points.redeem_reward(actor=volunteer.user, reward=reward)
    assert in_english(refused.value) == "You have 5.0 points; this needs 10.0."
    assert not Redemption.objects.exists()
    assert PointsEntry.objects.filter(volunteer=volunteer).count() == 1
    assert RewardItem.objects.get(pk=reward.pk).stock == 5


def test_out_of_stock_and_withdrawn_rewards_cannot_be_redeemed():
    volunteer = VolunteerFactory()
    earn(volunteer, "50")
    with translation.override("en"), pytest.raises(points.RewardRefused) as refused:
        points.redeem_reward(actor=volunteer.user, reward=RewardFactory(stock=0))
    assert "out of stock" in in_english(refused.value)
    with pytest.raises(points.RewardRefused):
        points.redeem_reward(actor=volunteer.user, reward=RewardFactory(stock=1), quantity=2)
    with pytest.raises(points.RewardRefused):
        points.redeem_reward(actor=volunteer.user, reward=RewardFactory(is_active=False))
    assert points_balance(volunteer) == Decimal(50)


def test_cancelling_refunds_with_a_new_entry_and_returns_the_stock_once():
    volunteer = VolunteerFactory()
    earn(volunteer, "10")
    reward = RewardFactory(points_cost=Decimal("10"), stock=1)
    redemption = points.redeem_reward(actor=volunteer.user, reward=reward)
    points.cancel_redemption(actor=volunteer.user, redemption=redemption)
    points.cancel_redemption(actor=volunteer.user, redemption=redemption)  # twice: one refund
    kinds = list(
        PointsEntry.objects.filter(volunteer=volunteer)
        .order_by("sequence")
        .values_list("kind", flat=True)
    )
    assert kinds == [PointsKind.EARNED, PointsKind.REDEEMED, PointsKind.REFUNDED]
    assert points_balance(volunteer) == Decimal(10)
    assert RewardItem.objects.get(pk=reward.pk).stock == 1
    assert Redemption.objects.get(pk=redemption.pk).state == RedemptionState.CANCELLED


def test_an_officer_hands_a_reward_over_and_then_it_cannot_be_cancelled(officer):
    volunteer = VolunteerFactory()
    earn(volunteer, "10")
    redemption = points.redeem_reward(actor=volunteer.user, reward=RewardFactory())
    with pytest.raises(PermissionDenied):
        points.fulfil_redemption(actor=volunteer.user, redemption=redemption)
    done = points.fulfil_redemption(actor=officer, redemption=redemption)
    assert done.state == RedemptionState.FULFILLED and done.decided_by == officer
    with pytest.raises(points.RewardRefused):
        points.cancel_redemption(actor=officer, redemption=redemption)
    assert points_balance(volunteer) == 0


def test_a_cancelled_redemption_cannot_be_handed_over(officer):
    volunteer = VolunteerFactory()
    earn(volunteer, "10")
    redemption = points.redeem_reward(actor=volunteer.user, reward=RewardFactory())
    points.cancel_redemption(actor=officer, redemption=redemption)
    with pytest.raises(points.RewardRefused):
        points.fulfil_redemption(actor=officer, redemption=redemption)


def test_other_volunteers_cannot_cancel_a_redemption(outsider):
    volunteer = VolunteerFactory()
    earn(volunteer, "10")
    redemption = points.redeem_reward(actor=volunteer.user, reward=RewardFactory())
    for actor in (outsider, VolunteerFactory().user):
        with pytest.raises(PermissionDenied):
            points.cancel_redemption(actor=actor, redemption=redemption)


def test_redemption_transitions():
    from django_fsm import TransitionNotAllowed

    user = UserFactory()
    volunteer = VolunteerFactory()
    fulfilled = Redemption.objects.create(volunteer=volunteer, reward=RewardFactory(), points=1)
    fulfilled.fulfil(by=user)
    assert fulfilled.state == RedemptionState.FULFILLED
    with pytest.raises(TransitionNotAllowed):
        fulfilled.cancel(by=user)
    cancelled = Redemption.objects.create(volunteer=volunteer, reward=RewardFactory(), points=1)
    cancelled.cancel(by=user)
    with pytest.raises(TransitionNotAllowed):
        cancelled.fulfil(by=user)


def test_only_officers_manage_the_catalogue(officer, applicant):
    data = {"name": "理发服务", "points_cost": Decimal("20"), "stock": 10, "provider": "社区理发室"}
    with pytest.raises(PermissionDenied):
        points.create_reward(actor=applicant, data=data)
    reward = points.create_reward(actor=officer, data=data)
    points.update_reward(actor=officer, reward=reward, data={"stock": 12})
    assert RewardItem.objects.get(pk=reward.pk).stock == 12
