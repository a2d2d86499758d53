"""Tranches: opened when their condition comes to hold, stopped when a project fails or ends early.

The evaluation services call ``open_tranches`` when a mid-term or final evaluation passes and
``stop_open_tranches`` when one fails; the agreement service opens the on-signing tranches. Payment
itself goes through the disbursement workflow, which marks a tranche paid.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from grants.enums import TrancheCondition, TrancheStatus
from grants.models import Application, Tranche
from incubator.working_days import add_working_days


def open_tranches(*, application: Application, condition: str, when=None) -> list[Tranche]:
    """Mark the application's tranches with ``condition`` releasable; payment due in working days."""
    if condition not in TrancheCondition.values:
        raise ValueError(f"unknown tranche condition {condition!r}")
    when = when or timezone.now()
    due_on = add_working_days(timezone.localdate(when), application.call.tranche_due_working_days)
    with transaction.atomic():
        tranches = list(
            Tranche.objects.select_for_update()
            .filter(application=application, condition=condition, status=TrancheStatus.SCHEDULED)
            .order_by("number")
        )
        for tranche in tranches:
            tranche.status = TrancheStatus.RELEASABLE
            tranche.releasable_at = when
            tranche.due_on = due_on
            tranche.save(update_fields=["status", "releasable_at", "due_on"])
    return tranches


def stop_open_tranches(*, application: Application, reason: str, when=None) -> list[Tranche]:
    """Stop every tranche not yet paid (a failed evaluation or a termination): none will be paid."""
    when = when or timezone.now()
    with transaction.atomic():
        tranches = list(
            Tranche.objects.select_for_update()
            .filter(
                application=application,
                status__in=[TrancheStatus.SCHEDULED, TrancheStatus.RELEASABLE],
            )
            .order_by("number")
        )
        for tranche in tranches:
            tranche.status = TrancheStatus.BLOCKED
            tranche.blocked_at = when
            tranche.blocked_reason = reason
            tranche.save(update_fields=["status", "blocked_at", "blocked_reason"])
        # Payments prepared or approved for them will not be made: withdraw them with the reason,
        # so finance's list shows no payment that can no longer happen.
        from grants.models import Disbursement
        from grants.models.disbursements import DisbursementState

        pending = Disbursement.objects.select_for_update().filter(
            tranche__in=[t.pk for t in tranches],
            state__in=[DisbursementState.REQUESTED, DisbursementState.APPROVED],
        )
        for disbursement in pending:
            disbursement.cancel(by=None, description=reason)
            disbursement.save()
    return tranches
