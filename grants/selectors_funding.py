"""Reads of agreements, tranches and disbursements, each with its joins (constant query counts)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from grants.enums import TrancheStatus
from grants.models import Agreement, Application, Disbursement, Tranche
from grants.models.disbursements import DisbursementState

D = DisbursementState
WORKSPACE_STATES = (D.REQUESTED, D.APPROVED, D.PAID, D.FAILED)


def agreement_of(application: Application) -> Agreement | None:
    return (
        Agreement.objects.select_related("issued_by", "accepted_by")
        .filter(application=application)
        .first()
    )


def tranches_of(application: Application) -> list[Tranche]:
    return list(
        Tranche.objects.filter(application=application)
        .order_by("number")
        .prefetch_related(
            Prefetch(
                "disbursements",
                queryset=Disbursement.objects.select_related("prepared_by", "approved_by").order_by(
                    "-created_at", "-pk"
                ),
            )
        )
    )


def disbursements_of(application: Application) -> list[Disbursement]:
    return list(
        Disbursement.objects.filter(application=application)
        .select_related("tranche", "prepared_by", "approved_by", "recorded_by")
        .order_by("tranche__number", "-created_at")
    )


def releasable_tranches() -> QuerySet[Tranche]:
    """Tranches open for payment with no live disbursement yet: finance's to-do list."""
    return (
        Tranche.objects.filter(status=TrancheStatus.RELEASABLE)
        .exclude(disbursements__state__in=[D.REQUESTED, D.APPROVED, D.PAID, D.RECONCILED])
        .select_related("application__organisation", "application__call", "agreement")
        .order_by("due_on", "pk")
    )


def workspace_disbursements(*, states=WORKSPACE_STATES, limit: int = 200) -> dict[str, list]:
    """Disbursements by state (reconciled and cancelled ones are history, not work)."""
    rows = (
        Disbursement.objects.filter(state__in=states)
        .select_related(
            "tranche", "application__organisation", "prepared_by", "approved_by", "recorded_by"
        )
        .order_by("state", "-created_at", "-pk")[:limit]
    )
    grouped: dict[str, list] = {state: [] for state in states}
    for row in rows:
        grouped[row.state].append(row)
    return grouped


def recent_reconciled(limit: int = 20) -> list[Disbursement]:
    return list(
        Disbursement.objects.filter(state=D.RECONCILED)
        .select_related("tranche", "application__organisation", "reconciled_by")
        .order_by("-reconciled_at", "-pk")[:limit]
    )


def disbursement_for_staff(pk: int) -> Disbursement | None:
    return (
        Disbursement.objects.select_related(
            "tranche__agreement",
            "application__organisation",
            "application__call",
            "prepared_by",
            "approved_by",
            "recorded_by",
            "reconciled_by",
            "ledger_entry",
        )
        .filter(pk=pk)
        .first()
    )
