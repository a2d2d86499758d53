"""Volunteer-service points (志愿服务积分), the reward catalogue, redemptions and certificates.

The points ledger (``PointsEntry``) is append-only. Every write here first locks the volunteer's
row, then reads the last entry, so entries of one volunteer are written one at a time and
``balance_after`` is always right; the table's constraints (a unique ``sequence`` per volunteer and
``balance_after >= 0``) refuse an overdraft even if some future code forgot the lock.

Lock order (shared with ``services_volunteers``): volunteer → hours record → reward → redemption.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from incubator.enums_volunteers import HoursState, PointsKind, RedemptionState
from incubator.models import (
    HoursRecord,
    Organisation,
    PointsEntry,
    Redemption,
    RewardItem,
    Volunteer,
    VolunteerCertificate,
)
from incubator.rules_volunteers import volunteer_id_of

__all__ = [
    "InsufficientPoints",
    "VolunteeringRefused",
    "RewardRefused",
    "award_points_for_hours",
    "cancel_redemption",
    "create_reward",
    "fulfil_redemption",
    "issue_certificate",
    "redeem_reward",
    "update_reward",
]


class VolunteeringRefused(Exception):  # noqa: N818 — it reads as what happened to the request
    """The action is not possible now (full, ended, not signed up …): a translatable message.

    Views show ``message`` to the user; nothing was recorded.
    """

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class RewardRefused(VolunteeringRefused):
    """A redemption is not possible (out of stock, not offered, already handed over …)."""


class InsufficientPoints(RewardRefused):
    """The volunteer's balance does not cover the reward; nothing was recorded."""


def _require(actor: User | None, perm: str, obj: Any = None) -> None:
    if actor is None or not actor.has_perm(perm, obj):
        raise PermissionDenied(_("You may not do this."))


def _append_entry(
    *,
    volunteer_id: int,
    kind: str,
    amount: Decimal,
    actor: User | None,
    hours_record: HoursRecord | None = None,
    redemption: Redemption | None = None,
) -> PointsEntry:
    """Write the next ledger row. The caller holds the lock on the volunteer's row."""
    last = (
        PointsEntry.objects.filter(volunteer_id=volunteer_id)
        .order_by("-sequence")
        .values("sequence", "balance_after")
        .first()
    )
    sequence = (last["sequence"] if last else 0) + 1
    balance = (last["balance_after"] if last else Decimal(0)) + amount
    if balance < 0:
        raise InsufficientPoints(
            _("You have %(balance)s points; this needs %(cost)s.")
            % {"balance": balance - amount, "cost": -amount}
        )
    return PointsEntry.objects.create(
        volunteer_id=volunteer_id,
        sequence=sequence,
        kind=kind,
        amount=amount,
        balance_after=balance,
        hours_record=hours_record,
        redemption=redemption,
        created_by=actor,
    )


def award_points_for_hours(*, record: HoursRecord, actor: User | None) -> PointsEntry | None:
    """Pay the points for approved hours, once. The caller holds the volunteer's row lock.

    Points = hours × the activity's rate (1 per hour unless the activity says otherwise).
    """
    if record.state != HoursState.APPROVED:
        raise ValueError("Only approved hours earn points.")
    existing = PointsEntry.objects.filter(hours_record=record).first()
    if existing is not None:
        return existing
    amount = (record.hours * record.activity.points_per_hour).quantize(Decimal("0.1"))
    if amount <= 0:
        return None  # an activity with rate 0 records hours but pays no points
    return _append_entry(
        volunteer_id=record.volunteer_id,
        kind=PointsKind.EARNED,
        amount=amount,
        actor=actor,
        hours_record=record,
    )


# --- The catalogue ----------------------------------------------------------------------------------

REWARD_FIELDS = ("name", "description", "provider", "points_cost", "stock", "is_active")


def _apply_reward(reward: RewardItem, data: dict[str, Any]) -> None:
    unknown = set(data) - set(REWARD_FIELDS)
    if unknown:
        raise ValueError(f"not reward fields: {sorted(unknown)}")
    for field, value in data.items():
        setattr(reward, field, value)
    errors = {}
    if not (reward.name or "").strip():
        errors["name"] = _("Give the reward a name.")
    if reward.points_cost is None or reward.points_cost <= 0:
        errors["points_cost"] = _("A reward costs more than zero points.")
    if reward.stock is None or reward.stock < 0:
        errors["stock"] = _("Stock cannot be negative.")
    if RewardItem.objects.filter(name=reward.name).exclude(pk=reward.pk).exists():
        errors["name"] = _("A reward with this name is already in the catalogue.")
    if errors:
        raise ValidationError(errors)


def create_reward(*, actor: User, data: dict[str, Any]) -> RewardItem:
    _require(actor, "incubator.manage_rewards")
    reward = RewardItem()
    _apply_reward(reward, data)
    with transaction.atomic():
        reward.save()
    return reward


def update_reward(*, actor: User, reward: RewardItem, data: dict[str, Any]) -> RewardItem:
    _require(actor, "incubator.manage_rewards")
    with transaction.atomic():
        reward = RewardItem.objects.select_for_update().get(pk=reward.pk)
        _apply_reward(reward, data)
        reward.save()
    return reward


# --- Redemptions -------------------------------------------------------------------------------------


def redeem_reward(*, actor: User, reward: RewardItem, quantity: int = 1) -> Redemption:
    """The volunteer exchanges points for ``quantity`` of ``reward``.

    Locks the volunteer (their balance) and the reward (its stock). Not enough points or stock
    raises with a clear message and records nothing.
    """
    _require(actor, "incubator.redeem_reward")
    volunteer_id = volunteer_id_of(actor)
    if volunteer_id is None:
        raise RewardRefused(_("Please register as a volunteer first."))
    if not isinstance(quantity, int) or quantity < 1:
        raise ValidationError({"quantity": _("Choose at least one.")})
    with transaction.atomic():
        Volunteer.objects.select_for_update().get(pk=volunteer_id)
        reward = RewardItem.objects.select_for_update().get(pk=reward.pk)
        if not reward.is_active:
            raise RewardRefused(_("This reward is no longer offered."))
        if reward.stock < quantity:
            raise RewardRefused(
                _("Only %(stock)d left of “%(name)s”.")
                % {"stock": reward.stock, "name": reward.name}
                if reward.stock
                else _("“%(name)s” is out of stock.") % {"name": reward.name}
            )
        cost = reward.points_cost * quantity
        redemption = Redemption.objects.create(
            volunteer_id=volunteer_id, reward=reward, quantity=quantity, points=cost
        )
        # Raises InsufficientPoints, which rolls the redemption back: nothing is recorded.
        _append_entry(
            volunteer_id=volunteer_id,
            kind=PointsKind.REDEEMED,
            amount=-cost,
            actor=actor,
            redemption=redemption,
        )
        reward.stock -= quantity
        reward.save(update_fields=["stock"])
    return redemption


def _lock_redemption(redemption: Redemption) -> Redemption:
    Volunteer.objects.select_for_update().get(pk=redemption.volunteer_id)
    RewardItem.objects.select_for_update().get(pk=redemption.reward_id)
    return (
        Redemption.objects.select_for_update(of=("self",))
        .select_related("reward", "volunteer")
        .get(pk=redemption.pk)
    )


def cancel_redemption(*, actor: User, redemption: Redemption) -> Redemption:
    """Cancel a requested redemption: the points come back as a new entry, the stock goes back."""
    with transaction.atomic():
        redemption = _lock_redemption(redemption)
        _require(actor, "incubator.cancel_redemption", redemption)
        if redemption.state == RedemptionState.CANCELLED:
            return redemption
        if redemption.state != RedemptionState.REQUESTED:
            raise RewardRefused(_("This reward has been handed over; it cannot be cancelled."))
        redemption.cancel(by=actor)
        redemption.save()
        _append_entry(
            volunteer_id=redemption.volunteer_id,
            kind=PointsKind.REFUNDED,
            amount=redemption.points,
            actor=actor,
            redemption=redemption,
        )
        reward = redemption.reward
        reward.stock += redemption.quantity
        reward.save(update_fields=["stock"])
    return redemption


def fulfil_redemption(*, actor: User, redemption: Redemption) -> Redemption:
    """Record that the reward was handed over. Points were taken at the request."""
    with transaction.atomic():
        redemption = (
            Redemption.objects.select_for_update(of=("self",))
            .select_related("reward", "volunteer")
            .get(pk=redemption.pk)
        )
        _require(actor, "incubator.fulfil_redemption", redemption)
        if redemption.state == RedemptionState.FULFILLED:
            return redemption
        if redemption.state != RedemptionState.REQUESTED:
            raise RewardRefused(_("This redemption was cancelled; it cannot be handed over."))
        redemption.fulfil(by=actor)
        redemption.save()
    return redemption


# --- Certificates ------------------------------------------------------------------------------------


def issue_certificate(
    *, actor: User, volunteer: Volunteer, organisation: Organisation
) -> VolunteerCertificate:
    """A certificate of the volunteer's approved hours at ``organisation``'s activities.

    Whoever records the hours certifies them, so the issuer is the organisation. Asking again while
    the totals are unchanged returns the same certificate (same number); new approved hours make a
    new certificate with a new number.
    """
    if not (
        actor.has_perm("incubator.view_volunteer", volunteer)
        or actor.has_perm("incubator.issue_volunteer_certificate", organisation)
    ):
        raise PermissionDenied(_("You may not do this."))
    with transaction.atomic():
        Volunteer.objects.select_for_update().get(pk=volunteer.pk)
        totals = HoursRecord.objects.filter(
            volunteer=volunteer,
            activity__organisation=organisation,
            state=HoursState.APPROVED,
        ).aggregate(hours=Sum("hours"), activities=Count("activity", distinct=True))
        hours = totals["hours"] or Decimal(0)
        if hours <= 0:
            raise VolunteeringRefused(
                _("There are no approved hours at %(organisation)s to certify.")
                % {"organisation": organisation.name}
            )
        latest = (
            VolunteerCertificate.objects.filter(volunteer=volunteer, organisation=organisation)
            .order_by("-issued_at", "-pk")
            .first()
        )
        if (
            latest is not None
            and latest.total_hours == hours
            and latest.activity_count == totals["activities"]
        ):
            return latest
        certificate = VolunteerCertificate.objects.create(
            number=f"tmp-{uuid.uuid4().hex[:24]}",  # replaced below, once the row has its id
            volunteer=volunteer,
            organisation=organisation,
            total_hours=hours,
            activity_count=totals["activities"],
            issued_by=actor,
        )
        issued = timezone.localtime(certificate.issued_at)
        certificate.number = f"ZYFW{issued:%Y}{certificate.pk:07d}"
        certificate.save(update_fields=["number"])
    return certificate
