"""Disbursements (支付): the two-person payment workflow of tranches, domestic vouchers and Stripe
Connect payouts.

One ``Disbursement`` pays one tranche, for exactly the tranche's amount::

    requested ──approve──▶ approved ──pay──▶ paid ──reconcile──▶ reconciled
        │                     │  │
        └──cancel──▶ cancelled ◀─┘  └──fail──▶ failed

Domestic transfers (bank, 国库集中支付) are *recorded*, not executed: finance enters the voucher once
the bank has moved the money. Stripe payouts are executed by ``pay`` (a Connect transfer).

Why ``failed`` is reachable only from ``approved``: the TRANCHE_PAID ledger row is written in the
same transaction as ``pay``, and ledger rows are never changed or deleted. A domestic payment is
recorded from the bank's own voucher (回单), i.e. after the money left; a Stripe transfer is paid
when Stripe accepted it. A bank that later returns the money (退汇) is a new movement of money that
needs its own correcting ledger entry, not a disbursement quietly flipped to ``failed`` while the
ledger still says the tranche was paid. So a rejection before the voucher is recorded (or a Stripe
error) is ``failed`` and posts nothing; after ``paid`` there is no way back in this machine.
A failed or cancelled disbursement frees the tranche: finance may prepare a new one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from grants.enums import Currency
from grants.storage import private_storage

__all__ = ["Disbursement", "DisbursementMethod", "DisbursementState"]


class DisbursementState(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("disbursement", "Awaiting approval")
    APPROVED = "approved", pgettext_lazy("disbursement", "Approved, awaiting payment")
    PAID = "paid", pgettext_lazy("disbursement", "Paid")
    RECONCILED = "reconciled", pgettext_lazy("disbursement", "Reconciled")
    FAILED = "failed", pgettext_lazy("disbursement", "Failed")
    CANCELLED = "cancelled", pgettext_lazy("disbursement", "Cancelled")


class DisbursementMethod(models.TextChoices):
    BANK = "bank", _("Bank transfer")
    TREASURY = "treasury", _("Treasury payment")
    STRIPE = "stripe", _("Stripe Connect payout")


D = DisbursementState
# A tranche has at most one of these at a time; failed and cancelled ones free it again.
LIVE_STATES = (D.REQUESTED, D.APPROVED, D.PAID, D.RECONCILED)


def voucher_path(instance: Disbursement, filename: str) -> str:
    return f"vouchers/{instance.application_id}/{instance.tranche_id}/{filename}"


class Disbursement(ConcurrentTransitionMixin, models.Model):
    tranche = models.ForeignKey(
        "grants.Tranche",
        on_delete=models.PROTECT,
        related_name="disbursements",
        verbose_name=_("tranche"),
    )
    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="disbursements",
        verbose_name=_("project"),
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY
    )
    state = FSMField(
        _("state"), default=D.REQUESTED, choices=D.choices, protected=True, max_length=16
    )
    method = models.CharField(
        _("payment method"),
        max_length=16,
        choices=DisbursementMethod.choices,
        default=DisbursementMethod.BANK,
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("prepared by"),
    )
    prepared_at = models.DateTimeField(_("prepared"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    # The voucher (凭证): what the bank or the treasury confirmed.
    voucher_number = models.CharField(_("voucher number"), max_length=64, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    payer_account = models.CharField(_("payer account"), max_length=200, blank=True)
    payee_account = models.CharField(_("payee account"), max_length=200, blank=True)
    voucher_scan = models.FileField(
        _("voucher scan"), upload_to=voucher_path, storage=private_storage, max_length=300,
        blank=True,
    )  # fmt: skip
    voucher_sha256 = models.CharField(_("SHA-256 of the voucher scan"), max_length=64, blank=True)
    voucher_content_type = models.CharField(max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payment recorded by"),
    )
    recorded_at = models.DateTimeField(_("payment recorded"), null=True, blank=True)
    # Stripe Connect: the grantee's connected account and the transfer made to it.
    stripe_account_id = models.CharField(_("Stripe connected account"), max_length=64, blank=True)
    stripe_transfer_id = models.CharField(_("Stripe transfer"), max_length=64, blank=True)
    ledger_entry = models.OneToOneField(
        "grants.LedgerEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disbursement",
        verbose_name=_("ledger entry"),
    )
    reconciled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reconciled by"),
    )
    reconciled_at = models.DateTimeField(_("reconciled"), null=True, blank=True)
    failure_reason = models.TextField(_("why it failed or was cancelled"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "created_at"], name="disbursement_state_created")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="disbursement_amount_positive"),
            # Two-person rule (四眼原则): whoever prepares a payment never approves it.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                name="disbursement_two_person_rule",
            ),
            models.UniqueConstraint(
                fields=["tranche"],
                condition=Q(state__in=LIVE_STATES),
                name="disbursement_one_live_per_tranche",
            ),
            # Paid means the ledger knows it: the row and the state are written together.
            models.CheckConstraint(
                condition=~Q(state__in=[D.PAID, D.RECONCILED]) | Q(ledger_entry__isnull=False),
                name="disbursement_paid_has_ledger_entry",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=[D.PAID, D.RECONCILED])
                | (~Q(voucher_number="") & Q(paid_on__isnull=False)),
                name="disbursement_paid_has_voucher",
            ),
            models.CheckConstraint(
                condition=~Q(method=DisbursementMethod.STRIPE) | ~Q(stripe_account_id=""),
                name="disbursement_stripe_names_account",
            ),
        ]

    def __str__(self) -> str:
        return _("Disbursement %(pk)s (tranche %(number)s)") % {
            "pk": self.pk,
            "number": self.tranche.number if self.tranche_id else "?",
        }

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES

    # --- The machine: bodies change in-memory fields only; services lock, check and save. ------

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state, source=D.REQUESTED, target=D.APPROVED, permission="grants.approve_disbursement"
    )
    def approve(self, *, by=None, description=None) -> None:
        self.approved_by = by
        self.approved_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=D.APPROVED,
        target=D.PAID,
        permission="grants.record_disbursement_payment",
    )
    def pay(self, *, by=None, description=None, ledger_entry=None) -> None:
        self.ledger_entry = ledger_entry
        self.recorded_by = by
        self.recorded_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state, source=D.PAID, target=D.RECONCILED, permission="grants.reconcile_disbursement"
    )
    def reconcile(self, *, by=None, description=None) -> None:
        self.reconciled_by = by
        self.reconciled_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=D.APPROVED,
        target=D.FAILED,
        permission="grants.record_disbursement_payment",
    )
    def fail(self, *, by=None, description=None) -> None:
        self.failure_reason = description or ""

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[D.REQUESTED, D.APPROVED],
        target=D.CANCELLED,
        permission="grants.cancel_disbursement",
    )
    def cancel(self, *, by=None, description=None) -> None:
        self.failure_reason = description or ""
