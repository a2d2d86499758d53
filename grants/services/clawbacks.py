"""Clawbacks (追回): money the organisation must give back, and the voucher of its repayment.

``open_clawback`` (officer): the amount is more than zero and at most what the organisation still
holds of the grant and owes nobody yet: paid − spent − clawbacks already due
(``project_money(...)["clawable"]``). It posts ``clawback_due`` under ``clawback:<pk>``.
``record_clawback_repayment`` (finance): the voucher of the bank transfer back, for exactly the
amount due; it posts ``clawback_repaid`` under ``clawback-repaid:<pk>``. Recording it twice is a
no-op; a different amount is refused and nothing is recorded.

``suggested_clawback``: what the officer panel proposes when a project was terminated or completed
with money unspent. Nothing is opened automatically: an officer presses the button.

Lock order: application → clawback. The application lock serialises clawbacks (and the figures
they read) of one project.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from grants.budget import yuan
from grants.enums import ApplicationState, LedgerKind
from grants.models import Application
from grants.models.expenses import Clawback, ClawbackState
from grants.rules_finance import FUNDED_STATES
from grants.selectors_finance import ZERO, project_money
from grants.services.errors import TransitionRefused
from grants.services.ledger import clean_amount, post_entry
from grants.services.notifications_finance import notify_clawback

CLOSED_STATES = frozenset({ApplicationState.COMPLETED, ApplicationState.TERMINATED})


def clawback_key(clawback: Clawback) -> str:
    return f"clawback:{clawback.pk}"


def clawback_repaid_key(clawback: Clawback) -> str:
    return f"clawback-repaid:{clawback.pk}"


def _yuan(amount: Decimal) -> str:
    return yuan(amount)


def suggested_clawback(application: Application, figures: dict | None = None) -> Decimal:
    """The unspent grant of a closed project not yet claimed back (zero if none or still running)."""
    if application.state not in CLOSED_STATES:
        return ZERO
    figures = figures or project_money([application.pk])[application.pk]
    return max(figures["clawable"], ZERO)


def open_clawback(*, application: Application, amount, reason: str, actor) -> Clawback:
    """Record money to be returned (officer); ``ValidationError`` over the ceiling, nothing recorded."""
    with transaction.atomic():
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("call__programme")
            .get(pk=application.pk)
        )
        if actor is None or not actor.has_perm("grants.open_clawback", application):
            raise PermissionDenied(_("Only programme officers open clawbacks."))
        if application.state not in FUNDED_STATES:
            raise TransitionRefused(
                _("Only a funded project can owe money back; this one is “%(state)s”.")
                % {"state": application.get_state_display()},
                application=application,
            )
        amount = clean_amount(amount, field="amount")
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError({"reason": _("Say why the money is claimed back.")})
        clawable = project_money([application.pk])[application.pk]["clawable"]
        if amount > clawable:
            raise ValidationError(
                {
                    "amount": _(
                        "At most %(limit)s can be claimed back: the grant paid, less the expenses "
                        "counted and the clawbacks already due."
                    )
                    % {"limit": _yuan(max(clawable, ZERO))}
                }
            )
        clawback = Clawback(application=application, amount=amount, reason=reason, created_by=actor)
        clawback.save()
        clawback.due_entry = post_entry(
            kind=LedgerKind.CLAWBACK_DUE,
            amount=amount,
            programme=None,
            application=application,
            idempotency_key=clawback_key(clawback),
            recorded_by=actor,
            memo=reason[:300],
        )
        clawback.save(update_fields=["due_entry"])
        notify_clawback(clawback=clawback, verb="clawback_opened", actor=actor)
    return clawback


def record_clawback_repayment(
    clawback: Clawback, voucher_number: str, paid_on: date, amount, actor
) -> Clawback:
    """Finance records the repayment voucher; the amount must equal the amount due."""
    with transaction.atomic():
        Application.objects.select_for_update(of=("self",)).filter(
            pk=clawback.application_id
        ).first()
        clawback = (
            Clawback.objects.select_for_update(of=("self",))
            .select_related("application__call__programme", "repaid_entry")
            .get(pk=clawback.pk)
        )
        if actor is None or not actor.has_perm("grants.record_clawback_repayment", clawback):
            raise PermissionDenied(_("Only finance staff record repayments."))
        voucher_number = (voucher_number or "").strip()
        errors = {}
        if not voucher_number:
            errors["voucher_number"] = _("Enter the voucher number of the bank transfer.")
        elif len(voucher_number) > 64:
            errors["voucher_number"] = _("At most %(count)d characters, please.") % {"count": 64}
        if not isinstance(paid_on, date):
            errors["paid_on"] = _("Enter the date the money came back.")
        elif paid_on > timezone.localdate():
            errors["paid_on"] = _("The date cannot be in the future.")
        try:
            amount = clean_amount(amount, field="amount")
        except ValidationError as error:
            errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)
        if amount != clawback.amount:
            raise ValidationError(
                {
                    "amount": _(
                        "The voucher is for %(amount)s but %(due)s is due; record the exact "
                        "amount or ask the officer to correct the clawback."
                    )
                    % {"amount": _yuan(amount), "due": _yuan(clawback.amount)}
                }
            )
        if clawback.state == ClawbackState.REPAID:
            if clawback.voucher_number == voucher_number:
                return clawback  # Recorded already: a double submit changes nothing.
            raise TransitionRefused(
                _("This clawback was already repaid (voucher %(voucher)s).")
                % {"voucher": clawback.voucher_number},
                application=clawback.application,
            )
        if not can_proceed(clawback.mark_repaid):
            raise TransitionRefused(
                _("This clawback cannot be repaid now."), application=clawback.application
            )
        clawback.mark_repaid(
            by=actor,
            description=_("Voucher %(voucher)s") % {"voucher": voucher_number},
            voucher_number=voucher_number,
            paid_on=paid_on,
        )
        clawback.repaid_entry = post_entry(
            kind=LedgerKind.CLAWBACK_REPAID,
            amount=amount,
            programme=None,
            application=clawback.application,
            idempotency_key=clawback_repaid_key(clawback),
            occurred_at=timezone.make_aware(datetime.combine(paid_on, time(12, 0))),
            recorded_by=actor,
            external_reference=voucher_number,
            memo=clawback.reason[:300],
        )
        clawback.save()
        notify_clawback(clawback=clawback, verb="clawback_repaid", actor=actor)
    return clawback
