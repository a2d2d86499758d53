"""Expenses reported against budget lines, overrun approvals and clawbacks (追回).

An ``Expense`` is spending the organisation reports against one budget line of its funded project,
with receipts. Within the line's grant plus the call's tolerance it counts at once (``accepted``);
beyond it an officer decides (``needs_approval`` → ``approved`` | ``rejected``). Only a counted
expense has a ledger row (kind ``expense``). A ``Clawback`` is money the organisation must return
(kind ``clawback_due``) until finance records the repayment voucher (kind ``clawback_repaid``).

The states are declared here, once per model; the services in ``grants/services/expenses.py`` and
``grants/services/clawbacks.py`` are the only callers of the transitions.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from grants.enums import Currency
from grants.storage import private_storage

__all__ = ["Clawback", "ClawbackState", "Expense", "ExpenseReceipt", "ExpenseState"]


class ExpenseState(models.TextChoices):
    SUBMITTED = "submitted", pgettext_lazy("expense", "Submitted")
    ACCEPTED = "accepted", pgettext_lazy("expense", "Accepted")
    NEEDS_APPROVAL = "needs_approval", pgettext_lazy("expense", "Awaiting officer approval")
    APPROVED = "approved", pgettext_lazy("expense", "Approved")
    REJECTED = "rejected", pgettext_lazy("expense", "Rejected")


class ClawbackState(models.TextChoices):
    DUE = "due", pgettext_lazy("clawback", "Due")
    REPAID = "repaid", pgettext_lazy("clawback", "Repaid")


E = ExpenseState
C = ClawbackState
# The expenses that count as spending (and have a ledger row).
COUNTED_EXPENSE_STATES = (E.ACCEPTED, E.APPROVED)


class Expense(ConcurrentTransitionMixin, models.Model):
    """One payment the organisation made for its project, against one budget line."""

    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="expenses",
        verbose_name=_("project"),
    )
    budget_line = models.ForeignKey(
        "grants.BudgetLine",
        on_delete=models.PROTECT,
        related_name="expenses",
        verbose_name=_("budget line"),
    )
    spent_on = models.DateField(_("date paid"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY
    )
    payee = models.CharField(_("paid to"), max_length=200)
    description = models.CharField(_("what for"), max_length=500)
    state = FSMField(
        _("state"), default=E.SUBMITTED, choices=E.choices, protected=True, max_length=16
    )
    # What the line looked like when the expense was reported: the officer and the auditor see
    # why it needed approval (counted spending before it, and the ceiling grant × (1 + tolerance)).
    line_spent_before = models.DecimalField(
        _("counted spending on the line before"), max_digits=14, decimal_places=2, default=0
    )
    line_ceiling = models.DecimalField(
        _("line ceiling with tolerance"), max_digits=14, decimal_places=2, default=0
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reported by"),
    )
    submitted_at = models.DateTimeField(_("reported"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("officer's note"), blank=True)
    ledger_entry = models.OneToOneField(
        "grants.LedgerEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="expense",
        verbose_name=_("ledger entry"),
    )

    class Meta:
        verbose_name = _("expense")
        verbose_name_plural = _("expenses")
        ordering = ["-spent_on", "-pk"]
        indexes = [models.Index(fields=["application", "state"], name="expense_app_state")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="expense_amount_positive"),
            models.CheckConstraint(
                condition=~Q(state__in=COUNTED_EXPENSE_STATES) | Q(ledger_entry__isnull=False),
                name="expense_counted_has_ledger_entry",
            ),
            models.CheckConstraint(
                condition=Q(state__in=COUNTED_EXPENSE_STATES) | Q(ledger_entry__isnull=True),
                name="expense_uncounted_has_no_ledger_entry",
            ),
            models.CheckConstraint(
                condition=~Q(state=E.REJECTED) | ~Q(decision_note=""),
                name="expense_rejected_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.spent_on} {self.payee} ¥{self.amount}"

    @property
    def counts(self) -> bool:
        return self.state in COUNTED_EXPENSE_STATES

    # Within the line's ceiling: counted at once, no decision needed.
    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=E.SUBMITTED, target=E.ACCEPTED)
    def accept(self, *, by=None, description=None) -> None:
        pass

    # Beyond the ceiling: waits for an officer.
    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=E.SUBMITTED, target=E.NEEDS_APPROVAL)
    def refer(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=E.NEEDS_APPROVAL,
        target=E.APPROVED,
        permission="grants.decide_expense",
    )
    def approve(self, *, by=None, description=None, note: str = "") -> None:
        self.decided_by = by
        self.decided_at = timezone.now()
        self.decision_note = note

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=E.NEEDS_APPROVAL,
        target=E.REJECTED,
        permission="grants.decide_expense",
    )
    def reject(self, *, by=None, description=None, note: str = "") -> None:
        self.decided_by = by
        self.decided_at = timezone.now()
        self.decision_note = note


def receipt_path(instance: ExpenseReceipt, filename: str) -> str:
    expense = instance.expense
    return f"expenses/{expense.application.call_id}/{expense.application_id}/{filename}"


class ExpenseReceipt(models.Model):
    """A receipt (发票, 收据) of an expense: PDF, JPG or PNG, private, served after a permission check."""

    expense = models.ForeignKey(
        Expense, on_delete=models.PROTECT, related_name="receipts", verbose_name=_("expense")
    )
    file = models.FileField(
        _("file"), upload_to=receipt_path, storage=private_storage, max_length=300
    )
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["expense", "pk"]

    def __str__(self) -> str:
        return self.original_name


class Clawback(ConcurrentTransitionMixin, models.Model):
    """追回: money the organisation must return, e.g. the unspent grant of a terminated project."""

    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="clawbacks",
        verbose_name=_("project"),
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY
    )
    reason = models.TextField(_("reason"))
    state = FSMField(_("state"), default=C.DUE, choices=C.choices, protected=True, max_length=16)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("opened by"),
    )
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    # Set in the same transaction as the clawback is created (its key names the clawback's pk).
    due_entry = models.OneToOneField(
        "grants.LedgerEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clawback_due",
        verbose_name=_("ledger entry (due)"),
    )
    voucher_number = models.CharField(_("repayment voucher number"), max_length=64, blank=True)
    paid_on = models.DateField(_("repaid on"), null=True, blank=True)
    repaid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("repayment recorded by"),
    )
    repaid_at = models.DateTimeField(_("repayment recorded"), null=True, blank=True)
    repaid_entry = models.OneToOneField(
        "grants.LedgerEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clawback_repaid",
        verbose_name=_("ledger entry (repaid)"),
    )

    class Meta:
        verbose_name = _("clawback")
        verbose_name_plural = _("clawbacks")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="clawback_amount_positive"),
            models.CheckConstraint(
                condition=~Q(state=C.REPAID)
                | (
                    Q(repaid_entry__isnull=False) & ~Q(voucher_number="") & Q(paid_on__isnull=False)
                ),
                name="clawback_repaid_has_voucher",
            ),
            models.CheckConstraint(
                condition=Q(state=C.REPAID) | Q(repaid_entry__isnull=True),
                name="clawback_due_not_repaid_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} ¥{self.amount}"

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=C.DUE,
        target=C.REPAID,
        permission="grants.record_clawback_repayment",
    )
    def mark_repaid(
        self, *, by=None, description=None, voucher_number: str = "", paid_on=None
    ) -> None:
        self.voucher_number = voucher_number
        self.paid_on = paid_on
        self.repaid_by = by
        self.repaid_at = timezone.now()
