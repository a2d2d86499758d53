"""Expenses (支出): the organisation reports spending against a budget line; an officer decides overruns.

``submit_expense``: a member of the organisation reports one payment with its receipts while the
project runs (contracted → final evaluation). The budget line is locked first, so two expenses
reported at once on the same line are counted one after the other: they cannot both slip under
the tolerance. Within the line's ceiling (grant × (1 + call.expense_tolerance_percent / 100)) the
expense is ``accepted`` and posts its ledger row ``expense:<pk>`` at once; beyond it, it waits for an
officer (``needs_approval``) and counts for nothing until ``approve_expense`` posts the same row.
``reject_expense`` refuses it with a reason the organisation reads; nothing is posted.

Every check runs before anything is written: a bad amount, a date outside the agreement, a missing
receipt or a refused file raise ``ValidationError`` (field → message) and nothing is recorded.
Lock order: application → budget line → expense (clawbacks: application → clawback).
"""

from __future__ import annotations

import os
import uuid
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from grants.enums import LedgerKind
from grants.models import Application, BudgetLine
from grants.models.expenses import (
    COUNTED_EXPENSE_STATES,
    Expense,
    ExpenseReceipt,
    ExpenseState,
)
from grants.rules_finance import SPENDING_STATES
from grants.selectors_finance import ZERO, line_ceiling
from grants.services import files
from grants.services.errors import TransitionRefused
from grants.services.ledger import clean_amount, post_entry
from grants.services.notifications_finance import notify_expense

RECEIPT_KINDS = frozenset({files.PDF, files.JPEG, files.PNG})
RECEIPT_MAX_MB = 10
MAX_RECEIPTS = 10


def expense_key(expense: Expense) -> str:
    return f"expense:{expense.pk}"


def _clean_text(value: str, *, field: str, message, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    if len(value) > max_length:
        raise ValidationError(
            {field: _("At most %(count)d characters, please.") % {"count": max_length}}
        )
    return value


def _check_receipts(receipts) -> list[tuple[object, files.CheckedFile]]:
    receipts = [r for r in (receipts or []) if r]
    if not receipts:
        raise ValidationError({"receipts": _("Attach at least one receipt (PDF, JPG or PNG).")})
    if len(receipts) > MAX_RECEIPTS:
        raise ValidationError(
            {"receipts": _("At most %(count)d receipts per expense.") % {"count": MAX_RECEIPTS}}
        )
    checked = []
    for receipt in receipts:
        try:
            result = files.check_upload(receipt, max_mb=RECEIPT_MAX_MB)
        except ValidationError as error:
            raise ValidationError({"receipts": error.messages}) from None
        if result.kind not in RECEIPT_KINDS:
            raise ValidationError(
                {
                    "receipts": _("“%(name)s”: receipts must be PDF, JPG or PNG files.")
                    % {"name": os.path.basename(receipt.name or "")}
                }
            )
        checked.append((receipt, result))
    return checked


def _check_date(spent_on, *, agreement) -> date:
    if not isinstance(spent_on, date):
        raise ValidationError({"spent_on": _("Enter the date the payment was made.")})
    if isinstance(spent_on, datetime):
        spent_on = spent_on.date()
    if spent_on > timezone.localdate():
        raise ValidationError({"spent_on": _("The date cannot be in the future.")})
    if spent_on < agreement.starts_on:
        raise ValidationError(
            {
                "spent_on": _(
                    "The date is before the agreement starts (%(date)s): spending before it "
                    "cannot be paid from the grant."
                )
                % {"date": agreement.starts_on.isoformat()}
            }
        )
    if spent_on > agreement.ends_on:
        raise ValidationError(
            {
                "spent_on": _("The date is after the agreement ends (%(date)s).")
                % {"date": agreement.ends_on.isoformat()}
            }
        )
    return spent_on


def counted_on_line(line: BudgetLine) -> object:
    return (
        Expense.objects.filter(budget_line=line, state__in=COUNTED_EXPENSE_STATES).aggregate(
            total=Sum("amount")
        )["total"]
        or ZERO
    )


def _post(expense: Expense, *, actor) -> None:
    moment = timezone.make_aware(datetime.combine(expense.spent_on, time(12, 0)))
    expense.ledger_entry = post_entry(
        kind=LedgerKind.EXPENSE,
        amount=expense.amount,
        programme=None,
        application=expense.application,
        idempotency_key=expense_key(expense),
        occurred_at=moment,
        recorded_by=actor,
        external_reference=expense.payee[:120],
        memo=f"{expense.budget_line.description}：{expense.description}"[:300],
    )


def submit_expense(
    *,
    application: Application,
    budget_line: BudgetLine | int,
    spent_on: date,
    amount,
    payee: str,
    description: str,
    receipts,
    actor,
) -> Expense:
    """Record one expense with its receipts; accepted at once within the line's ceiling."""
    line_pk = budget_line.pk if isinstance(budget_line, BudgetLine) else budget_line
    with transaction.atomic():
        # The project's lock serialises its expenses and clawbacks (see the module docstring).
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("call__programme", "agreement")
            .get(pk=application.pk)
        )
        line = (
            BudgetLine.objects.select_for_update(of=("self",))
            .filter(pk=line_pk, application_id=application.pk)
            .first()
        )
        if actor is None or not actor.has_perm("grants.view_project_finance", application):
            raise PermissionDenied(_("You may not report expenses for this project."))
        if not actor.has_perm("grants.report_expense", application):
            if application.state not in SPENDING_STATES:
                raise TransitionRefused(
                    _("Expenses can be reported while the project runs; it is “%(state)s”.")
                    % {"state": application.get_state_display()},
                    application=application,
                )
            raise PermissionDenied(_("Only the organisation's members report its expenses."))
        agreement = getattr(application, "agreement", None)
        if agreement is None:
            raise TransitionRefused(_("The project has no agreement yet."), application=application)
        if line is None:
            raise ValidationError({"budget_line": _("Choose a line of this project's budget.")})
        amount = clean_amount(amount, field="amount")
        spent_on = _check_date(spent_on, agreement=agreement)
        payee = _clean_text(payee, field="payee", message=_("Say who was paid."), max_length=200)
        description = _clean_text(
            description, field="description", message=_("Say what was bought or paid for."),
            max_length=500,
        )  # fmt: skip
        checked = _check_receipts(receipts)

        spent_before = counted_on_line(line)
        ceiling = line_ceiling(line, application.call.expense_tolerance_percent)
        expense = Expense(
            application=application,
            budget_line=line,
            spent_on=spent_on,
            amount=amount,
            payee=payee,
            description=description,
            line_spent_before=spent_before,
            line_ceiling=ceiling,
            submitted_by=actor,
        )
        expense.save()
        stored = []
        try:
            for upload, result in checked:
                receipt = ExpenseReceipt(
                    expense=expense,
                    original_name=os.path.basename(upload.name or "receipt")[-255:],
                    content_type=result.content_type,
                    size=result.size,
                    sha256=result.sha256,
                )
                upload.seek(0)
                # The stored name is random: people's file names are kept for display only.
                receipt.file.save(f"{uuid.uuid4().hex}{result.extension}", upload, save=False)
                stored.append(receipt)
                receipt.save()
            if spent_before + amount <= ceiling:
                expense.accept(by=actor, description=_("Within the budget line and its tolerance."))
                _post(expense, actor=actor)
            else:
                expense.refer(
                    by=actor,
                    description=_("Over the budget line's tolerance: needs officer approval."),
                )
            expense.save()
            if expense.state == ExpenseState.NEEDS_APPROVAL:
                notify_expense(expense=expense, verb="expense_needs_approval", actor=actor)
        except Exception:
            for receipt in stored:
                receipt.file.delete(save=False)
            raise
    return expense


def _lock_expense(expense: Expense) -> Expense:
    # Lock order: application → budget line → expense (the same as submit_expense).
    Application.objects.select_for_update(of=("self",)).filter(pk=expense.application_id).first()
    BudgetLine.objects.select_for_update(of=("self",)).filter(pk=expense.budget_line_id).first()
    return (
        Expense.objects.select_for_update(of=("self",))
        .select_related("application__call__programme", "budget_line")
        .get(pk=expense.pk)
    )


def _decide(expense: Expense, *, name: str, target: str, actor, note: str) -> Expense:
    with transaction.atomic():
        expense = _lock_expense(expense)
        if actor is None or not actor.has_perm("grants.decide_expense", expense):
            raise PermissionDenied(_("Only programme officers decide expenses over the budget."))
        if expense.state == target:
            return expense  # Decided already: a double click changes nothing.
        method = getattr(expense, name)
        if not can_proceed(method):
            raise TransitionRefused(
                _("This expense is “%(state)s” and cannot be decided now.")
                % {"state": expense.get_state_display()},
                application=expense.application,
            )
        method(by=actor, description=note, note=note)
        if target == ExpenseState.APPROVED:
            _post(expense, actor=actor)
        expense.save()
        notify_expense(expense=expense, verb=f"expense_{target}", actor=actor)
    return expense


def approve_expense(*, expense: Expense, actor, note: str = "") -> Expense:
    """An officer lets an expense over the line's tolerance count; it posts its ledger row."""
    return _decide(
        expense,
        name="approve",
        target=ExpenseState.APPROVED,
        actor=actor,
        note=(note or "").strip(),
    )


def reject_expense(*, expense: Expense, actor, note: str) -> Expense:
    """An officer refuses an expense over the tolerance, with a reason; it never counts."""
    note = (note or "").strip()
    if not note:
        raise ValidationError(
            {"note": _("Say why the expense is refused; the organisation reads it.")}
        )
    return _decide(expense, name="reject", target=ExpenseState.REJECTED, actor=actor, note=note)
