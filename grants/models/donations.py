"""Donations and matching funds through Stripe, and the webhook events processed exactly once.

A ``Donation`` goes to one funded project (an application in a funded state) or to a programme's
matching pool, never both (a database constraint). Its money is in the ledger, not here: the
``donation`` entry written when Stripe says the payment succeeded (``ledger_entry``), the
``matching`` entries of the pledges it triggered and one ``donation_refund`` entry per refund.
``refunded_amount`` is kept in step with those refund entries in the same transaction.

``StripeEvent`` holds every webhook event received, inserted first in the transaction that
processes it: its unique ``event_id`` is what makes processing exactly-once.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from grants.enums import Currency

__all__ = [
    "DONATION_MAX",
    "DONATION_MIN",
    "Donation",
    "DonationStatus",
    "StripeEvent",
]

# Per donation, in yuan. The minimum keeps card fees below the gift; the maximum is what a public
# page accepts from an anonymous visitor (bigger gifts go through an agreement with the funder).
DONATION_MIN = Decimal("1.00")
DONATION_MAX = Decimal("50000.00")


class DonationStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("donation", "Awaiting payment")
    SUCCEEDED = "succeeded", pgettext_lazy("donation", "Received")
    FAILED = "failed", pgettext_lazy("donation", "Payment failed")
    PARTIALLY_REFUNDED = "partially_refunded", pgettext_lazy("donation", "Partially refunded")
    REFUNDED = "refunded", pgettext_lazy("donation", "Refunded")


D = DonationStatus
# The statuses in which the money was received (some of it may have gone back).
RECEIVED_STATUSES = (D.SUCCEEDED, D.PARTIALLY_REFUNDED, D.REFUNDED)


class Donation(ConcurrentTransitionMixin, models.Model):
    """One gift by card through a Stripe PaymentIntent (created before the donation row).

    pending → succeeded (``payment_intent.succeeded``) → partially_refunded / refunded;
    pending → failed (``payment_intent.payment_failed``) → succeeded (the donor tried again with
    the same PaymentIntent). Nothing moves a donation backwards: a late ``payment_failed`` after
    the success is ignored.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="donations",
        verbose_name=_("project"),
    )
    programme = models.ForeignKey(
        "grants.Programme",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pool_donations",
        verbose_name=_("programme matching pool"),
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY
    )
    donor_name = models.CharField(_("donor name"), max_length=100, blank=True)
    donor_email = models.EmailField(_("donor e-mail"), blank=True)
    message = models.CharField(_("message"), max_length=300, blank=True)
    status = FSMField(
        _("status"),
        max_length=20,
        choices=DonationStatus.choices,
        default=D.PENDING,
        protected=True,
        db_index=True,
    )
    stripe_payment_intent_id = models.CharField(
        _("Stripe PaymentIntent"), max_length=255, unique=True
    )
    failure_message = models.CharField(_("why the payment failed"), max_length=300, blank=True)
    ledger_entry = models.OneToOneField(
        "grants.LedgerEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="donation",
        verbose_name=_("ledger entry"),
    )
    refunded_amount = models.DecimalField(
        _("refunded"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    succeeded_at = models.DateTimeField(_("received"), null=True, blank=True)

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(application__isnull=False) & Q(programme__isnull=True))
                | (Q(application__isnull=True) & Q(programme__isnull=False)),
                name="donation_one_recipient",
                violation_error_message=_(
                    "A donation goes to one project or to a programme's pool, not both."
                ),
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=DONATION_MIN) & Q(amount__lte=DONATION_MAX),
                name="donation_amount_range",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=F("amount")),
                name="donation_refund_within_amount",
            ),
            models.CheckConstraint(
                # Money received is in the ledger: a received donation names its entry.
                condition=Q(status=D.PENDING) | Q(status=D.FAILED) | Q(ledger_entry__isnull=False),
                name="donation_received_has_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_name} ¥{self.amount} ({self.get_status_display()})"

    @property
    def public_name(self) -> str:
        return self.donor_name or str(_("Anonymous"))

    @property
    def refundable_amount(self) -> Decimal:
        if self.status not in (D.SUCCEEDED, D.PARTIALLY_REFUNDED):
            return Decimal("0.00")
        return self.amount - self.refunded_amount

    @property
    def recipient(self):
        return self.application or self.programme

    # --- The state machine (the services run it; transitions touch in-memory fields only) ---------

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=[D.PENDING, D.FAILED], target=D.SUCCEEDED)
    def succeed(self, *, entry, by=None, description=None) -> None:
        self.ledger_entry = entry
        self.succeeded_at = entry.occurred_at
        self.failure_message = ""

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=D.PENDING, target=D.FAILED)
    def fail(self, *, reason: str = "", by=None, description=None) -> None:
        self.failure_message = reason[:300]

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status, source=[D.SUCCEEDED, D.PARTIALLY_REFUNDED], target=D.PARTIALLY_REFUNDED
    )
    def refund_partially(self, *, refunded: Decimal, by=None, description=None) -> None:
        self.refunded_amount = refunded

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=[D.SUCCEEDED, D.PARTIALLY_REFUNDED], target=D.REFUNDED)
    def refund_fully(self, *, refunded: Decimal, by=None, description=None) -> None:
        self.refunded_amount = refunded


class StripeEvent(models.Model):
    """A webhook event from Stripe, recorded once. Inserted first, in the transaction that
    processes it: a replay (or a second delivery racing the first) hits the unique ``event_id``
    and changes nothing."""

    event_id = models.CharField(_("event"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=100, db_index=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    payload = models.JSONField(_("payload"), default=dict)

    class Meta:
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"
