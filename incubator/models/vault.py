"""The organisation vault: documents and bank accounts an organisation files once and every
application reuses.

Files live in the private storage (no URL) and are served only by ``incubator.views.vault`` after
the permission check. Writes go through ``incubator.services_vault``.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.storage import private_storage
from incubator.enums_incubation import DocumentKind

__all__ = ["BankAccount", "VaultDocument"]


def vault_path(instance: VaultDocument, filename: str) -> str:
    return f"vault/{instance.organisation_id}/{filename}"


class VaultDocument(models.Model):
    """One document of an organisation: its charter, certificates, an annual report, …"""

    organisation = models.ForeignKey(
        "incubator.Organisation",
        on_delete=models.CASCADE,
        related_name="vault_documents",
        verbose_name=_("organisation"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=DocumentKind.choices)
    title = models.CharField(
        _("title"),
        max_length=200,
        blank=True,
        help_text=_("What the document is, e.g. 2025 audit report. Needed for “Other”."),
    )
    year = models.PositiveSmallIntegerField(
        _("year"), null=True, blank=True, help_text=_("The year an annual report covers.")
    )
    file = models.FileField(
        _("file"), upload_to=vault_path, storage=private_storage, max_length=300
    )
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64, editable=False)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    expires_on = models.DateField(_("valid until"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    # The expiry date the last reminder was sent for. The reminder task claims a document with a
    # conditional UPDATE on this column, so two runs (or two workers) remind once; a renewed
    # document with a new expiry date gets its own reminder.
    reminded_for_expiry = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("vault document")
        verbose_name_plural = _("vault documents")
        ordering = ["organisation", "kind", "-year", "-uploaded_at"]
        indexes = [models.Index(fields=["expires_on"], name="vaultdocument_expires_on")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=DocumentKind.ANNUAL_REPORT) | Q(year__isnull=False),
                name="vaultdocument_annual_report_has_year",
                violation_error_message=_("Give the year the annual report covers."),
            ),
            models.CheckConstraint(
                condition=~Q(kind=DocumentKind.OTHER) | ~Q(title=""),
                name="vaultdocument_other_has_title",
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(issued_on__isnull=True)
                | Q(expires_on__gte=F("issued_on")),
                name="vaultdocument_expires_after_issue",
                violation_error_message=_("A document cannot expire before it was issued."),
            ),
            models.UniqueConstraint(
                fields=["organisation", "year"],
                condition=Q(kind=DocumentKind.ANNUAL_REPORT),
                name="vaultdocument_one_annual_report_per_year",
                violation_error_message=_(
                    "There is already an annual report for this year; remove it first."
                ),
            ),
        ]

    def __str__(self) -> str:
        label = self.title or self.get_kind_display()
        return f"{label} {self.year}" if self.year else str(label)

    def is_expired(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.expires_on is not None and self.expires_on < today

    def expires_within(self, days: int, today=None) -> bool:
        today = today or timezone.localdate()
        return self.expires_on is not None and today <= self.expires_on <= today + timedelta(
            days=days
        )


account_number_validator = RegexValidator(
    r"^[0-9]{8,30}$", _("Enter the account number as 8 to 30 digits, without spaces.")
)


class BankAccount(models.Model):
    """A bank account grants are paid into. One is primary; the database holds that invariant."""

    organisation = models.ForeignKey(
        "incubator.Organisation",
        on_delete=models.CASCADE,
        related_name="bank_accounts",
        verbose_name=_("organisation"),
    )
    account_name = models.CharField(
        _("account name"),
        max_length=200,
        help_text=_("As the bank has it; usually the organisation's registered name."),
    )
    bank_name = models.CharField(
        _("bank and branch"), max_length=200, help_text=_("e.g. 中国工商银行重庆南坪支行")
    )
    account_number = models.CharField(
        _("account number"), max_length=30, validators=[account_number_validator]
    )
    is_primary = models.BooleanField(_("primary account"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")
        ordering = ["organisation", "-is_primary", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(is_primary=True),
                name="bankaccount_one_primary_per_organisation",
            ),
            models.UniqueConstraint(
                fields=["organisation", "account_number"],
                name="bankaccount_unique_number_per_organisation",
                violation_error_message=_("This account is already on file."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bank_name} {self.masked_number}"

    @property
    def last_four(self) -> str:
        return self.account_number[-4:]

    @property
    def masked_number(self) -> str:
        """What people outside the organisation see: only the last four digits."""
        return "**** **** " + self.last_four
