"""Disbursements: finance prepares, someone else approves, finance records the payment, reconciles.

One function per action, keyword-only, each in ``transaction.atomic()``. Lock order, as in
``grants.services.agreements``: application → tranche → disbursement. Side effects of paying
(``record_payment`` and ``pay_by_stripe``), all in one transaction:

- the TRANCHE_PAID ledger entry (key ``tranche_paid_key``: a tranche is paid once, DB-enforced);
- the disbursement ``paid`` with the entry linked; the tranche ``paid``;
- the application ``contracted → active`` once every on-signing tranche is paid.

Re-running an action already done (two clicks, two tabs, two people at once) is a no-op; the
database constraints (one live disbursement per tranche, approver ≠ preparer, one TRANCHE_PAID
per tranche) hold even if a check here were wrong.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from grants.enums import ApplicationState, LedgerKind, TrancheCondition, TrancheStatus
from grants.models import Application, Disbursement, LedgerEntry, Tranche
from grants.models.disbursements import LIVE_STATES, DisbursementMethod, DisbursementState
from grants.services import files
from grants.services.applications import _lock_application, _run_transition
from grants.services.errors import TransitionRefused
from grants.services.ledger import clean_amount, post_entry, tranche_paid_key
from grants.services.payouts_stripe import StripePayoutError, create_transfer

D = DisbursementState
VOUCHER_KINDS = {files.PDF, files.JPEG, files.PNG}
VOUCHER_MAX_MB = 10


def _require(actor, perm: str, obj, message) -> None:
    if actor is None or not actor.has_perm(perm, obj):
        raise PermissionDenied(message)


def _lock(disbursement: Disbursement | int) -> Disbursement:
    pk = disbursement.pk if isinstance(disbursement, Disbursement) else disbursement
    return (
        Disbursement.objects.select_for_update(of=("self",))
        .select_related("tranche", "application")
        .get(pk=pk)
    )


def _refuse(disbursement: Disbursement, message=None):
    raise TransitionRefused(
        message
        or _("This is not possible while the disbursement is “%(state)s”.")
        % {"state": disbursement.get_state_display()},
        application=disbursement.application,
    )


# --- Prepare ---------------------------------------------------------------------------------


def prepare_disbursement(
    *,
    tranche: Tranche,
    actor,
    method: str = DisbursementMethod.BANK,
    payee_account: str = "",
    payer_account: str = "",
    stripe_account_id: str = "",
) -> Disbursement:
    """Finance prepares the payment of a releasable tranche, for exactly the tranche's amount."""
    if method not in DisbursementMethod.values:
        raise ValidationError({"method": _("Choose how the tranche is paid.")})
    stripe_account_id = (stripe_account_id or "").strip()
    if method == DisbursementMethod.STRIPE and not stripe_account_id.startswith("acct_"):
        raise ValidationError(
            {
                "stripe_account_id": _(
                    "Enter the grantee's Stripe connected account (it starts with acct_)."
                )
            }
        )
    with transaction.atomic():
        tranche = (
            Tranche.objects.select_for_update(of=("self",))
            .select_related("agreement", "application")
            .get(pk=tranche.pk)
        )
        _require(
            actor,
            "grants.prepare_disbursement",
            tranche.application,
            _("Only finance staff prepare disbursements."),
        )
        if tranche.status != TrancheStatus.RELEASABLE:
            raise TransitionRefused(
                _("Tranche %(number)s is “%(status)s”: only a releasable tranche can be paid.")
                % {"number": tranche.number, "status": tranche.get_status_display()},
                application=tranche.application,
            )
        live = tranche.disbursements.filter(state__in=LIVE_STATES).first()
        if live is not None:
            raise TransitionRefused(
                _("Tranche %(number)s already has a disbursement (“%(state)s”).")
                % {"number": tranche.number, "state": live.get_state_display()},
                application=tranche.application,
            )
        agreement = tranche.agreement
        disbursement = Disbursement(
            tranche=tranche,
            application=tranche.application,
            amount=tranche.amount,
            currency=agreement.currency,
            state=D.REQUESTED,
            method=method,
            prepared_by=actor,
            prepared_at=timezone.now(),
            payee_account=(payee_account or "").strip()
            or " ".join(
                part
                for part in (
                    agreement.account_name,
                    agreement.account_bank,
                    agreement.account_number,
                )
                if part
            ),
            payer_account=(payer_account or "").strip(),
            stripe_account_id=stripe_account_id if method == DisbursementMethod.STRIPE else "",
        )
        try:
            with transaction.atomic():
                disbursement.save()
        except IntegrityError:
            # A concurrent preparer won the race (the partial unique constraint caught it).
            raise TransitionRefused(
                _("Tranche %(number)s already has a disbursement.") % {"number": tranche.number},
                application=tranche.application,
            ) from None
    return disbursement


# --- Approve (the second person) ---------------------------------------------------------------


def approve_disbursement(*, disbursement: Disbursement, actor, note: str = "") -> Disbursement:
    """An officer or another finance user approves; the preparer never can."""
    with transaction.atomic():
        disbursement = _lock(disbursement)
        if actor is not None and actor.pk == disbursement.prepared_by_id:
            raise PermissionDenied(
                _("You prepared this payment: another person must approve it (two-person rule).")
            )
        _require(
            actor,
            "grants.approve_disbursement",
            disbursement,
            _("Only programme officers or finance staff approve disbursements."),
        )
        if disbursement.state == D.APPROVED:
            return disbursement  # approved already (perhaps by a colleague a moment ago)
        if not can_proceed(disbursement.approve):
            _refuse(disbursement)
        if disbursement.tranche.status != TrancheStatus.RELEASABLE:
            _refuse(
                disbursement,
                _("The tranche is no longer releasable (“%(status)s”); cancel this payment.")
                % {"status": disbursement.tranche.get_status_display()},
            )
        disbursement.approve(by=actor, description=(note or "").strip() or None)
        disbursement.save()
    return disbursement


# --- Pay -----------------------------------------------------------------------------------


def check_voucher_scan(upload):
    """A PDF, JPG or PNG scan of the voucher, checked by content; ValidationError otherwise."""
    if not upload:
        raise ValidationError({"voucher_scan": _("Upload a scan of the bank or treasury voucher.")})
    extension = os.path.splitext(upload.name or "")[1].lower()
    if files.EXTENSIONS.get(extension) not in VOUCHER_KINDS:
        raise ValidationError({"voucher_scan": _("Upload the voucher as a PDF, JPG or PNG file.")})
    try:
        checked = files.check_upload(upload, max_mb=VOUCHER_MAX_MB)
    except ValidationError as error:
        raise ValidationError({"voucher_scan": error.messages}) from None
    if checked.kind not in VOUCHER_KINDS:
        raise ValidationError({"voucher_scan": _("Upload the voucher as a PDF, JPG or PNG file.")})
    return checked


def record_payment(
    *,
    disbursement: Disbursement,
    actor,
    voucher_number: str,
    paid_on,
    amount,
    payer_account: str,
    payee_account: str,
    voucher_scan,
) -> Disbursement:
    """Finance records a domestic payment from the voucher: the tranche is paid, the ledger says so.

    The voucher's amount must be the disbursement's amount exactly; any error records nothing.
    """
    errors = {}
    voucher_number = (voucher_number or "").strip()
    if not voucher_number:
        errors["voucher_number"] = _("Enter the voucher number.")
    try:
        amount = clean_amount(amount, field="amount")
    except ValidationError as error:
        errors.update(error.message_dict)
        amount = None
    if not isinstance(paid_on, dt.date):
        errors["paid_on"] = _("Enter the date on the voucher.")
    elif paid_on > timezone.localdate():
        errors["paid_on"] = _("The payment date cannot be in the future.")
    payer_account = (payer_account or "").strip()
    payee_account = (payee_account or "").strip()
    if not payer_account:
        errors["payer_account"] = _("Enter the account the money was paid from.")
    if not payee_account:
        errors["payee_account"] = _("Enter the account the money was paid into.")
    checked = None
    try:
        checked = check_voucher_scan(voucher_scan)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        application = _lock_application(disbursement.application_id)
        tranche = _lock_tranche(disbursement.tranche_id)
        disbursement = _lock(disbursement)
        _require(
            actor,
            "grants.record_disbursement_payment",
            disbursement,
            _("Only finance staff record payments."),
        )
        if disbursement.state in (D.PAID, D.RECONCILED) and (
            disbursement.voucher_number == voucher_number
        ):
            return disbursement  # the same voucher twice: recorded once
        if disbursement.method == DisbursementMethod.STRIPE:
            _refuse(disbursement, _("This disbursement is paid through Stripe, not by voucher."))
        if not can_proceed(disbursement.pay):
            _refuse(disbursement)
        if amount != disbursement.amount:
            raise ValidationError(
                {
                    "amount": _(
                        "The voucher is for ¥%(voucher)s but this disbursement is ¥%(due)s: "
                        "nothing was recorded. Check the voucher."
                    )
                    % {"voucher": f"{amount:,.2f}", "due": f"{disbursement.amount:,.2f}"}
                }
            )
        _check_payable(application, tranche, disbursement)  # before the scan is stored
        disbursement.voucher_number = voucher_number
        disbursement.paid_on = paid_on
        disbursement.payer_account = payer_account[:200]
        disbursement.payee_account = payee_account[:200]
        disbursement.voucher_sha256 = checked.sha256
        disbursement.voucher_content_type = checked.content_type
        disbursement.voucher_scan.save(
            f"voucher-{disbursement.pk}{checked.extension}", voucher_scan, save=False
        )
        occurred_at = timezone.make_aware(dt.datetime.combine(paid_on, dt.time(12, 0)))
        _mark_paid(application, tranche, disbursement, actor=actor, occurred_at=occurred_at)
    return disbursement


def pay_by_stripe(*, disbursement: Disbursement, actor) -> Disbursement:
    """Execute an approved Stripe disbursement as a Connect transfer.

    A Stripe error makes the disbursement ``failed`` with Stripe's message and writes nothing to
    the ledger; the caller reads ``state`` and ``failure_reason``. The row stays locked during the
    call so two clicks cannot both reach Stripe (and the idempotency key would absorb it anyway).
    """
    with transaction.atomic():
        application = _lock_application(disbursement.application_id)
        tranche = _lock_tranche(disbursement.tranche_id)
        disbursement = _lock(disbursement)
        _require(
            actor,
            "grants.record_disbursement_payment",
            disbursement,
            _("Only finance staff make payouts."),
        )
        if disbursement.state in (D.PAID, D.RECONCILED):
            return disbursement
        if disbursement.method != DisbursementMethod.STRIPE:
            _refuse(disbursement, _("This disbursement is paid by bank or treasury voucher."))
        if not can_proceed(disbursement.pay):
            _refuse(disbursement)
        _check_payable(application, tranche, disbursement)  # before any money moves
        try:
            transfer = create_transfer(disbursement)
        except StripePayoutError as error:
            disbursement.fail(
                by=actor, description=gettext("Stripe: %(message)s") % {"message": error.message}
            )
            disbursement.save()
            return disbursement
        disbursement.stripe_transfer_id = transfer.id
        disbursement.voucher_number = transfer.id
        disbursement.paid_on = timezone.localdate()
        disbursement.payee_account = transfer.destination
        _mark_paid(application, tranche, disbursement, actor=actor, occurred_at=timezone.now())
    return disbursement


def _lock_tranche(pk: int) -> Tranche:
    return Tranche.objects.select_for_update(of=("self",)).select_related("agreement").get(pk=pk)


def _check_payable(application: Application, tranche: Tranche, disbursement: Disbursement) -> None:
    """Refuse (nothing recorded) unless the tranche is open and paying it stays within the award."""
    if tranche.status != TrancheStatus.RELEASABLE:
        _refuse(
            disbursement,
            _("The tranche is “%(status)s”; nothing was recorded.")
            % {"status": tranche.get_status_display()},
        )
    if disbursement.amount != tranche.amount:
        _refuse(disbursement, _("The disbursement and the tranche disagree on the amount."))
    paid = LedgerEntry.objects.filter(
        application=application, kind=LedgerKind.TRANCHE_PAID
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    if paid + disbursement.amount > tranche.agreement.award_amount:
        _refuse(
            disbursement, _("This payment would exceed the grant awarded; nothing was recorded.")
        )


def _mark_paid(
    application: Application, tranche: Tranche, disbursement: Disbursement, *, actor, occurred_at
) -> None:
    _check_payable(application, tranche, disbursement)
    entry = post_entry(
        kind=LedgerKind.TRANCHE_PAID,
        amount=disbursement.amount,
        currency=disbursement.currency,
        programme=application.call.programme,
        application=application,
        tranche=tranche,
        idempotency_key=tranche_paid_key(tranche),
        occurred_at=occurred_at,
        recorded_by=actor,
        external_reference=disbursement.voucher_number,
        memo=gettext("Tranche %(number)s, disbursement %(pk)s")
        % {"number": tranche.number, "pk": disbursement.pk},
    )
    disbursement.pay(by=actor, ledger_entry=entry)
    disbursement.save()
    tranche.status = TrancheStatus.PAID
    tranche.paid_at = occurred_at
    tranche.save(update_fields=["status", "paid_at"])
    if (
        application.state == ApplicationState.CONTRACTED
        and not Tranche.objects.filter(
            application=application, condition=TrancheCondition.ON_SIGNING
        )
        .exclude(status=TrancheStatus.PAID)
        .exists()
    ):
        _run_transition(
            application,
            name="start_project",
            actor=actor,
            target=ApplicationState.ACTIVE,
            description=gettext("First tranche paid"),
        )


# --- After payment, or instead of it ---------------------------------------------------------


def reconcile_disbursement(*, disbursement: Disbursement, actor, note: str = "") -> Disbursement:
    """Finance confirms the payment against the bank statement."""
    with transaction.atomic():
        disbursement = _lock(disbursement)
        _require(
            actor,
            "grants.reconcile_disbursement",
            disbursement,
            _("Only finance staff reconcile payments."),
        )
        if disbursement.state == D.RECONCILED:
            return disbursement
        if not can_proceed(disbursement.reconcile):
            _refuse(disbursement)
        disbursement.reconcile(by=actor, description=(note or "").strip() or None)
        disbursement.save()
    return disbursement


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Please give a reason.")})
    return reason


def fail_disbursement(*, disbursement: Disbursement, actor, reason: str) -> Disbursement:
    """The bank or treasury rejected an approved payment before it was made. Posts nothing."""
    reason = _reason(reason)
    with transaction.atomic():
        disbursement = _lock(disbursement)
        _require(
            actor,
            "grants.record_disbursement_payment",
            disbursement,
            _("Only finance staff record a failed payment."),
        )
        if disbursement.state == D.FAILED:
            return disbursement
        if disbursement.state in (D.PAID, D.RECONCILED):
            _refuse(
                disbursement,
                _(
                    "This payment is recorded as paid and is in the ledger; a returned payment "
                    "needs a correcting entry, not a failed disbursement."
                ),
            )
        if not can_proceed(disbursement.fail):
            _refuse(disbursement)
        disbursement.fail(by=actor, description=reason)
        disbursement.save()
    return disbursement


def cancel_disbursement(*, disbursement: Disbursement, actor, reason: str) -> Disbursement:
    """Withdraw a payment not yet made; the tranche may be prepared again."""
    reason = _reason(reason)
    with transaction.atomic():
        disbursement = _lock(disbursement)
        _require(
            actor,
            "grants.cancel_disbursement",
            disbursement,
            _("Only programme officers or finance staff cancel disbursements."),
        )
        if disbursement.state == D.CANCELLED:
            return disbursement
        if not can_proceed(disbursement.cancel):
            _refuse(disbursement)
        disbursement.cancel(by=actor, description=reason)
        disbursement.save()
    return disbursement
