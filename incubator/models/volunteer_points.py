"""Volunteer-service points (志愿服务积分): the reward catalogue, redemptions, the points ledger,
and issued certificates. Re-exported by ``incubator.models.volunteers``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition
from django_fsm_log.decorators import fsm_log_by

from incubator.enums_volunteers import PointsKind, RedemptionState

__all__ = ["PointsEntry", "Redemption", "RewardItem", "VolunteerCertificate"]


class RewardItem(models.Model):
    """One thing in the points catalogue (a haircut, a shopping voucher …) and how many are left."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    provider = models.CharField(_("provided by"), max_length=200, blank=True)
    points_cost = models.DecimalField(
        _("points"), max_digits=8, decimal_places=1, validators=[MinValueValidator(Decimal("0.5"))]
    )
    stock = models.PositiveIntegerField(_("in stock"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["points_cost", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(points_cost__gt=0), name="rewarditem_cost_positive"),
            models.CheckConstraint(condition=Q(stock__gte=0), name="rewarditem_stock_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class Redemption(FSMModelMixin, models.Model):
    """A volunteer exchanging points for a reward: requested → handed over, or cancelled (refunded)."""

    volunteer = models.ForeignKey(
        "incubator.Volunteer",
        on_delete=models.PROTECT,
        related_name="redemptions",
        verbose_name=_("volunteer"),
    )
    reward = models.ForeignKey(
        RewardItem, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("reward")
    )
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    points = models.DecimalField(_("points"), max_digits=10, decimal_places=1)
    state = FSMField(
        _("state"),
        default=RedemptionState.REQUESTED,
        choices=RedemptionState.choices,
        protected=True,
        max_length=16,
        db_index=True,
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_at = models.DateTimeField(_("handed over or cancelled"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )

    class Meta:
        verbose_name = _("reward redemption")
        verbose_name_plural = _("reward redemptions")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="redemption_quantity_positive"
            ),
            models.CheckConstraint(condition=Q(points__gt=0), name="redemption_points_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.reward} × {self.quantity}"

    @fsm_log_by
    @transition(
        field=state,
        source=RedemptionState.REQUESTED,
        target=RedemptionState.FULFILLED,
        permission="incubator.fulfil_redemption",
    )
    def fulfil(self, *, by) -> None:
        self.decided_by = by
        self.decided_at = timezone.now()

    @fsm_log_by
    @transition(
        field=state,
        source=RedemptionState.REQUESTED,
        target=RedemptionState.CANCELLED,
        permission="incubator.cancel_redemption",
    )
    def cancel(self, *, by) -> None:
        self.decided_by = by
        self.decided_at = timezone.now()


class PointsEntry(models.Model):
    """志愿服务积分 ledger: one immutable row per change; the balance is their sum.

    Each row carries the volunteer's running ``balance_after`` and a per-volunteer ``sequence``.
    With ``balance_after >= 0`` and ``(volunteer, sequence)`` unique, the database itself refuses an
    overdraft: two writers that read the same balance would both write the same next sequence, and
    one of them fails. The services also lock the volunteer row, so that failure never happens.
    """

    volunteer = models.ForeignKey(
        "incubator.Volunteer",
        on_delete=models.PROTECT,
        related_name="points_entries",
        verbose_name=_("volunteer"),
    )
    sequence = models.PositiveIntegerField(_("entry number"))
    kind = models.CharField(_("kind"), max_length=16, choices=PointsKind.choices)
    amount = models.DecimalField(_("points"), max_digits=10, decimal_places=1)
    balance_after = models.DecimalField(_("balance"), max_digits=10, decimal_places=1)
    hours_record = models.ForeignKey(
        "incubator.HoursRecord",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="points_entries",
        verbose_name=_("hours"),
    )
    redemption = models.ForeignKey(
        Redemption,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="points_entries",
        verbose_name=_("redemption"),
    )
    created_at = models.DateTimeField(_("date"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["volunteer", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "sequence"], name="pointsentry_unique_sequence"
            ),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="pointsentry_balance_not_negative"
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="pointsentry_amount_not_zero"),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind=PointsKind.EARNED,
                        amount__gt=0,
                        hours_record__isnull=False,
                        redemption__isnull=True,
                    )
                    | Q(
                        kind=PointsKind.REDEEMED,
                        amount__lt=0,
                        hours_record__isnull=True,
                        redemption__isnull=False,
                    )
                    | Q(
                        kind=PointsKind.REFUNDED,
                        amount__gt=0,
                        hours_record__isnull=True,
                        redemption__isnull=False,
                    )
                ),
                name="pointsentry_kind_matches_source",
            ),
            # Approved hours earn points once; a redemption is paid once and refunded at most once.
            models.UniqueConstraint(
                fields=["hours_record"],
                condition=Q(hours_record__isnull=False),
                name="pointsentry_one_per_hours_record",
            ),
            models.UniqueConstraint(
                fields=["redemption", "kind"],
                condition=Q(redemption__isnull=False),
                name="pointsentry_one_per_redemption_and_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} #{self.sequence}: {self.amount:+}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("Points entries are never changed: write a new entry instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Points entries are never deleted: write a new entry instead.")


class VolunteerCertificate(models.Model):
    """A volunteer-service certificate as issued: number, totals, issuer. The PDF is rebuilt from it."""

    number = models.CharField(_("certificate number"), max_length=32, unique=True, blank=True)
    volunteer = models.ForeignKey(
        "incubator.Volunteer",
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("volunteer"),
    )
    organisation = models.ForeignKey(
        "incubator.Organisation",
        on_delete=models.PROTECT,
        related_name="volunteer_certificates",
        verbose_name=_("issuing organisation"),
    )
    total_hours = models.DecimalField(_("total hours"), max_digits=7, decimal_places=1)
    activity_count = models.PositiveIntegerField(_("activities"))
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )

    class Meta:
        verbose_name = _("volunteer-service certificate")
        verbose_name_plural = _("volunteer-service certificates")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_hours__gt=0), name="volunteercertificate_hours_positive"
            )
        ]

    def __str__(self) -> str:
        return self.number
