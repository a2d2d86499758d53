"""Funding: the grant agreement (签约), its tranches (分期拨付) and the money ledger.

Every movement of money is one immutable ``LedgerEntry``; balances are derived from the ledger,
never stored. Amounts are ``Decimal`` yuan with two places (the same as budgets), currency recorded.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.enums import AgreementState, Currency, LedgerKind, TrancheCondition, TrancheStatus
from grants.storage import private_storage

__all__ = ["Agreement", "LedgerEntry", "LedgerQuerySet", "Tranche"]


def agreement_path(instance: Agreement, filename: str) -> str:
    return f"agreements/{instance.application.call_id}/{instance.application_id}/{filename}"


class Agreement(models.Model):
    """签约: the grant agreement of an approved application, generated as a PDF and accepted online."""

    application = models.OneToOneField(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="agreement",
        verbose_name=_("application"),
    )
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=AgreementState.choices,
        default=AgreementState.DRAFT,
        db_index=True,
    )
    number = models.CharField(_("agreement number"), max_length=40, unique=True)
    award_amount = models.DecimalField(_("grant awarded (yuan)"), max_digits=14, decimal_places=2)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY
    )
    starts_on = models.DateField(_("project starts"))
    ends_on = models.DateField(_("project ends"))
    reporting_duties = models.TextField(_("reporting duties"), blank=True)
    # 专户: the organisation's dedicated account for the grant, copied at issue time so that the
    # signed text never changes when the organisation edits its bank details later.
    account_name = models.CharField(_("account holder"), max_length=200, blank=True)
    account_bank = models.CharField(_("bank"), max_length=200, blank=True)
    account_number = models.CharField(_("account number"), max_length=64, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    pdf = models.FileField(
        _("agreement PDF"), upload_to=agreement_path, storage=private_storage, max_length=300,
        blank=True,
    )  # fmt: skip
    pdf_sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64, blank=True)
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    accepted_ip = models.GenericIPAddressField(_("accepted from IP"), null=True, blank=True)
    accepted_user_agent = models.CharField(_("accepted with browser"), max_length=300, blank=True)
    # The fingerprint of the PDF the organisation accepted, re-computed from the stored file at
    # acceptance: proof of exactly which text was agreed, whatever happens to the file later.
    accepted_pdf_sha256 = models.CharField(
        _("SHA-256 of the accepted PDF"), max_length=64, blank=True
    )
    accepted_version = models.PositiveIntegerField(_("version accepted"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("grant agreement")
        verbose_name_plural = _("grant agreements")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(award_amount__gt=0), name="agreement_award_positive"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="agreement_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class Tranche(models.Model):
    """One instalment of an agreement's grant, paid once its condition holds."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.PROTECT, related_name="tranches", verbose_name=_("agreement")
    )
    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="tranches",
        verbose_name=_("application"),
    )
    number = models.PositiveSmallIntegerField(_("tranche"))
    percent = models.PositiveSmallIntegerField(_("share (%)"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)
    condition = models.CharField(_("condition"), max_length=20, choices=TrancheCondition.choices)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=TrancheStatus.choices,
        default=TrancheStatus.SCHEDULED,
        db_index=True,
    )
    # Set when the condition comes to hold: payment is due within the call's working days.
    releasable_at = models.DateTimeField(_("releasable since"), null=True, blank=True)
    due_on = models.DateField(_("payment due"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    blocked_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    blocked_reason = models.TextField(_("why it was stopped"), blank=True)

    class Meta:
        verbose_name = _("tranche")
        verbose_name_plural = _("tranches")
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="tranche_unique_number"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="tranche_amount_positive"),
            models.CheckConstraint(
                condition=Q(percent__gt=0) & Q(percent__lte=100), name="tranche_percent_range"
            ),
        ]

    def __str__(self) -> str:
        return _("Tranche %(number)s of %(agreement)s") % {
            "number": self.number,
            "agreement": self.agreement_id,
        }


class LedgerQuerySet(models.QuerySet):
    """Ledger rows are written once: bulk updates and deletes are refused as well."""

    def update(self, **kwargs):
        raise ValidationError(_("Ledger entries cannot be changed; post a correcting entry."))

    def delete(self):
        raise ValidationError(_("Ledger entries cannot be deleted; post a correcting entry."))


class LedgerEntry(models.Model):
    """One movement of money. Immutable: a mistake is corrected by another entry, never an edit.

    ``idempotency_key`` names the event that caused the entry (e.g. ``tranche-paid:17``,
    ``stripe:pi_123``): posting the same event twice finds the first row instead of a second one.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=LedgerKind.choices, db_index=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY
    )
    programme = models.ForeignKey(
        "grants.Programme",
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        verbose_name=_("programme"),
    )
    call = models.ForeignKey(
        "grants.Call",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
        verbose_name=_("call"),
    )
    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
        verbose_name=_("project"),
    )
    tranche = models.ForeignKey(
        Tranche,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
        verbose_name=_("tranche"),
    )
    idempotency_key = models.CharField(_("event key"), max_length=120, unique=True)
    occurred_at = models.DateTimeField(_("occurred"), default=timezone.now)
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    external_reference = models.CharField(
        _("voucher or payment reference"), max_length=120, blank=True, db_index=True
    )
    memo = models.CharField(_("memo"), max_length=300, blank=True)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["occurred_at", "pk"]
        indexes = [
            models.Index(fields=["programme", "kind"], name="ledger_programme_kind"),
            models.Index(fields=["application", "kind"], name="ledger_application_kind"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive"),
            # A tranche is paid once, whatever happens concurrently.
            models.UniqueConstraint(
                fields=["tranche"],
                condition=Q(kind=LedgerKind.TRANCHE_PAID),
                name="ledger_tranche_paid_once",
            ),
            models.CheckConstraint(
                condition=~Q(kind=LedgerKind.TRANCHE_PAID) | Q(tranche__isnull=False),
                name="ledger_tranche_paid_names_tranche",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.currency} {self.amount}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValidationError(_("Ledger entries cannot be changed; post a correcting entry."))
        if self.amount is None or Decimal(self.amount) <= 0:
            raise ValidationError({"amount": _("A ledger amount must be more than zero.")})
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Ledger entries cannot be deleted; post a correcting entry."))
