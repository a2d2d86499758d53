"""Reads of the organisation page's vault and track record, each a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Membership
from grants.enums import FUNDED_STATES, ApplicationState
from incubator.enums_incubation import VAULT_REMINDER_DAYS, IncubationState
from incubator.models import BankAccount, IncubationApplication, Organisation, VaultDocument

# A project on the record: funded and running, or finished one way or the other.
TRACK_RECORD_STATES = (*FUNDED_STATES, ApplicationState.COMPLETED, ApplicationState.TERMINATED)


def documents_of(*, organisation: Organisation) -> QuerySet[VaultDocument]:
    return VaultDocument.objects.filter(organisation=organisation).select_related("uploaded_by")


def bank_accounts_of(*, organisation: Organisation) -> QuerySet[BankAccount]:
    return BankAccount.objects.filter(organisation=organisation).order_by(
        "-is_primary", "created_at", "pk"
    )


def members_of(*, organisation: Organisation) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organisation=organisation, is_active=True)
        .select_related("user")
        .order_by("role", "user__display_name", "user__username")
    )


@dataclass
class TrackRecordRow:
    title: str
    reference: str
    call: str
    year: int
    state: str
    state_label: str
    amount: Decimal


@dataclass
class TrackRecord:
    projects: list[TrackRecordRow] = field(default_factory=list)
    incubations: list[IncubationApplication] = field(default_factory=list)

    @property
    def graduated(self) -> bool:
        return any(row.state == IncubationState.GRADUATED for row in self.incubations)


def track_record(*, organisation: Organisation) -> TrackRecord:
    """Funded and finished projects (with call and year) and the incubation history: two queries."""
    from grants.models import Application

    applications = (
        Application.objects.filter(organisation=organisation, state__in=TRACK_RECORD_STATES)
        .select_related("call__programme")
        .order_by("-call__opens_at", "-pk")
    )
    projects = [
        TrackRecordRow(
            title=application.title or application.reference,
            reference=application.reference,
            call=application.call.title,
            year=timezone.localtime(application.call.opens_at).year,
            state=application.state,
            state_label=application.get_state_display(),
            amount=application.requested_amount,
        )
        for application in applications
    ]
    incubations = list(
        IncubationApplication.objects.filter(organisation=organisation)
        .select_related("intake__base")
        .order_by("-applied_at", "-pk")
    )
    return TrackRecord(projects=projects, incubations=incubations)


@dataclass
class Vault:
    documents: list[VaultDocument]
    accounts: list[BankAccount]
    members: list[Membership]
    track_record: TrackRecord
    show_full_numbers: bool
    reminder_days: int = VAULT_REMINDER_DAYS


def vault_for(*, organisation: Organisation, viewer) -> Vault:
    """Everything the vault section shows; the caller has checked ``incubator.view_vault``."""
    return Vault(
        documents=list(documents_of(organisation=organisation)),
        accounts=list(bank_accounts_of(organisation=organisation)),
        members=list(members_of(organisation=organisation)),
        track_record=track_record(organisation=organisation),
        show_full_numbers=viewer.has_perm("incubator.view_full_bank_account", organisation),
    )
