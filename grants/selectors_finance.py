"""Money figures of funded projects, calls and programmes, all derived from the ledger.

Nothing here is stored: every figure is a conditional ``Sum`` over ``LedgerEntry`` rows grouped by
project (or by call and programme), plus one grouped query over ``Tranche`` for what is pending.
The number of queries never depends on the number of projects.

Definitions (the dashboard, the statement, the Excel files and the clawback ceiling share them):

- ``awarded``: entries ``award`` (the grant of accepted agreements).
- ``paid``: entries ``tranche_paid`` (money that reached the organisation).
- ``pending``: tranches whose condition holds (status ``releasable``) but not paid yet — money the
  funder owes now. Tranches still waiting for their condition are ``scheduled`` (extra key), and
  tranches stopped by a failed evaluation or a termination are ``stopped`` (extra key).
- ``donated``: entries ``donation`` minus entries ``donation_refund`` (net of refunds).
- ``matched``: entries ``matching``.
- ``spent``: entries ``expense`` (accepted expenses, and approved ones over the tolerance).
- ``clawback_due``: entries ``clawback_due`` (every clawback ever opened, repaid or not);
  ``clawback_repaid``: entries ``clawback_repaid``; ``clawback_open`` (extra) the difference.
- ``unspent``: grant money the organisation holds and has not accounted for:
  paid − spent − clawback_repaid. It is negative when the organisation spent more than it received
  so far (it advanced its own money). Donations and matching funds are reported separately.
- ``clawable`` (extra): what a new clawback may still ask for: paid − spent − clawback_due.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from grants.enums import LedgerKind, TrancheStatus
from grants.models import Application, BudgetLine, Call, LedgerEntry, Programme, Tranche
from grants.models.expenses import COUNTED_EXPENSE_STATES, Clawback, Expense, ExpenseState

ZERO = Decimal("0.00")
K = LedgerKind
FIGURES = (
    "awarded",
    "paid",
    "pending",
    "donated",
    "matched",
    "spent",
    "unspent",
    "clawback_due",
    "clawback_repaid",
)
EXTRA_FIGURES = ("scheduled", "stopped", "clawback_open", "clawable")


def _sum(kind: str) -> Coalesce:
    return Coalesce(
        Sum("amount", filter=Q(kind=kind)),
        Value(ZERO),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )


LEDGER_SUMS = {
    "awarded": _sum(K.AWARD),
    "paid": _sum(K.TRANCHE_PAID),
    "donation": _sum(K.DONATION),
    "donation_refund": _sum(K.DONATION_REFUND),
    "matched": _sum(K.MATCHING),
    "spent": _sum(K.EXPENSE),
    "clawback_due": _sum(K.CLAWBACK_DUE),
    "clawback_repaid": _sum(K.CLAWBACK_REPAID),
}


def _tranche_sum(status: str) -> Coalesce:
    return Coalesce(
        Sum("amount", filter=Q(status=status)),
        Value(ZERO),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )


TRANCHE_SUMS = {
    "pending": _tranche_sum(TrancheStatus.RELEASABLE),
    "scheduled": _tranche_sum(TrancheStatus.SCHEDULED),
    "stopped": _tranche_sum(TrancheStatus.BLOCKED),
}


def empty_figures() -> dict[str, Decimal]:
    return dict.fromkeys((*FIGURES, *EXTRA_FIGURES), ZERO)


def _derive(figures: dict[str, Decimal]) -> dict[str, Decimal]:
    """Fill the derived figures from the summed ones (in place) and return them."""
    if "donation" in figures:
        figures["donated"] = figures.pop("donation") - figures.pop("donation_refund")
    figures["unspent"] = figures["paid"] - figures["spent"] - figures["clawback_repaid"]
    figures["clawback_open"] = figures["clawback_due"] - figures["clawback_repaid"]
    figures["clawable"] = figures["paid"] - figures["spent"] - figures["clawback_due"]
    return figures


def project_money(application_ids) -> dict[int, dict[str, Decimal]]:
    """{application id: figures} for every id asked (zeros when there is no money yet); 2 queries."""
    ids = list(application_ids)
    result = {pk: empty_figures() for pk in ids}
    if not ids:
        return result
    rows = (
        LedgerEntry.objects.filter(application_id__in=ids)
        .values("application_id")
        .annotate(**LEDGER_SUMS)
        .order_by()
    )
    for row in rows:
        pk = row.pop("application_id")
        result[pk].update(row)
    tranches = (
        Tranche.objects.filter(application_id__in=ids)
        .values("application_id")
        .annotate(**TRANCHE_SUMS)
        .order_by()
    )
    for row in tranches:
        result[row.pop("application_id")].update(row)
    for figures in result.values():
        figures.setdefault("donation", figures.get("donated", ZERO))
        figures.setdefault("donation_refund", ZERO)
        _derive(figures)
    return result


# --- The funder dashboard: per programme and per call -------------------------------------------


@dataclass
class MoneyRow:
    """One line of the dashboard: a programme or a call, with its figures."""

    label: str
    programme: Programme
    call: Call | None = None
    projects: int = 0
    figures: dict[str, Decimal] = field(default_factory=empty_figures)

    @property
    def values(self) -> list[Decimal]:
        return [self.figures[key] for key in FIGURES]

    def add(self, figures: dict[str, Decimal]) -> None:
        for key in (*FIGURES, *EXTRA_FIGURES):
            self.figures[key] += figures.get(key, ZERO)


@dataclass
class ProgrammeBlock:
    row: MoneyRow
    calls: list[MoneyRow]


def funded_applications(*, programme_ids=None, year: int | None = None) -> QuerySet[Application]:
    """Projects with an agreement (so with money or a grant), for the dashboard filters."""
    queryset = Application.objects.filter(agreement__isnull=False)
    if programme_ids:
        queryset = queryset.filter(call__programme_id__in=programme_ids)
    if year:
        queryset = queryset.filter(
            call__programme__start_year__lte=year, call__programme__end_year__gte=year
        )
    return queryset


def programmes_for_dashboard(*, programme_id: int | None = None, year: int | None = None):
    queryset = Programme.objects.order_by("-start_year", "name")
    if programme_id:
        queryset = queryset.filter(pk=programme_id)
    if year:
        queryset = queryset.filter(start_year__lte=year, end_year__gte=year)
    return queryset


def dashboard(*, programme_id: int | None = None, year: int | None = None) -> list[ProgrammeBlock]:
    """Figures per programme and per call, in 4 queries whatever the number of projects.

    A programme's row also holds its pool money (donations and matching funds given to the programme,
    not to one project: ledger rows without a call), so it can be more than the sum of its calls.
    """
    programmes = list(programmes_for_dashboard(programme_id=programme_id, year=year))
    programme_ids = [p.pk for p in programmes]
    if not programme_ids:
        return []
    calls = {
        call.pk: call
        for call in Call.objects.filter(programme_id__in=programme_ids).order_by("opens_at", "pk")
    }
    ledger = (
        LedgerEntry.objects.filter(programme_id__in=programme_ids)
        .values("programme_id", "call_id")
        .annotate(**LEDGER_SUMS)
        .order_by()
    )
    tranches = (
        Tranche.objects.filter(application__call__programme_id__in=programme_ids)
        .values("application__call_id")
        .annotate(**TRANCHE_SUMS)
        .order_by()
    )
    projects = (
        Application.objects.filter(call__programme_id__in=programme_ids, agreement__isnull=False)
        .values_list("call_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    per_call: dict[int | None, dict] = defaultdict(empty_figures)
    pools: dict[int, dict] = defaultdict(empty_figures)
    for row in ledger:
        programme_pk, call_pk = row.pop("programme_id"), row.pop("call_id")
        target = per_call[call_pk] if call_pk is not None else pools[programme_pk]
        target.update(row)
    for row in tranches:
        per_call[row.pop("application__call_id")].update(row)
    project_counts = dict(projects)
    blocks = []
    for programme in programmes:
        total = MoneyRow(label=programme.name, programme=programme)
        call_rows = []
        for call in calls.values():
            if call.programme_id != programme.pk:
                continue
            figures = per_call.get(call.pk) or empty_figures()
            figures.setdefault("donation", ZERO)
            figures.setdefault("donation_refund", ZERO)
            _derive(figures)
            row = MoneyRow(
                label=call.title,
                programme=programme,
                call=call,
                projects=project_counts.get(call.pk, 0),
                figures=figures,
            )
            call_rows.append(row)
            total.add(figures)
            total.projects += row.projects
        if programme.pk in pools:
            pool = pools[programme.pk]
            pool.setdefault("donation", ZERO)
            pool.setdefault("donation_refund", ZERO)
            total.add(_derive(pool))
        blocks.append(ProgrammeBlock(row=total, calls=call_rows))
    return blocks


# --- One project: spending per budget line, the statement ---------------------------------------


@dataclass
class LineSpending:
    line: BudgetLine
    budget: Decimal
    ceiling: Decimal
    spent: Decimal
    awaiting: Decimal

    @property
    def left(self) -> Decimal:
        return self.budget - self.spent

    @property
    def over_ceiling(self) -> bool:
        return self.spent > self.ceiling


def line_ceiling(line: BudgetLine, tolerance_percent) -> Decimal:
    """The spending a line takes without approval: its grant × (1 + tolerance / 100), to the fen."""
    factor = Decimal(100 + int(tolerance_percent or 0)) / Decimal(100)
    return (line.amount * factor).quantize(Decimal("0.01"))


def spending_by_line(application: Application) -> list[LineSpending]:
    """Each budget line with its counted spending and what waits for approval; 2 queries."""
    lines = list(BudgetLine.objects.filter(application=application).order_by("position", "pk"))
    sums = (
        Expense.objects.filter(application=application)
        .values("budget_line_id")
        .annotate(
            spent=Coalesce(
                Sum("amount", filter=Q(state__in=COUNTED_EXPENSE_STATES)),
                Value(ZERO),
                output_field=DecimalField(max_digits=16, decimal_places=2),
            ),
            awaiting=Coalesce(
                Sum("amount", filter=Q(state=ExpenseState.NEEDS_APPROVAL)),
                Value(ZERO),
                output_field=DecimalField(max_digits=16, decimal_places=2),
            ),
        )
        .order_by()
    )
    by_line = {row["budget_line_id"]: row for row in sums}
    tolerance = application.call.expense_tolerance_percent
    return [
        LineSpending(
            line=line,
            budget=line.amount,
            ceiling=line_ceiling(line, tolerance),
            spent=by_line.get(line.pk, {}).get("spent", ZERO),
            awaiting=by_line.get(line.pk, {}).get("awaiting", ZERO),
        )
        for line in lines
    ]


def expenses_of(application: Application) -> QuerySet[Expense]:
    return (
        Expense.objects.filter(application=application)
        .select_related("budget_line", "submitted_by", "decided_by")
        .prefetch_related("receipts")
        .order_by("-spent_on", "-pk")
    )


def clawbacks_of(application: Application) -> QuerySet[Clawback]:
    return (
        Clawback.objects.filter(application=application)
        .select_related("created_by", "repaid_by")
        .order_by("-created_at", "-pk")
    )


def expenses_awaiting_approval(*, application: Application | None = None) -> QuerySet[Expense]:
    queryset = Expense.objects.filter(state=ExpenseState.NEEDS_APPROVAL)
    if application is not None:
        queryset = queryset.filter(application=application)
    return queryset.select_related(
        "budget_line", "submitted_by", "application__organisation"
    ).prefetch_related("receipts")


# How each kind moves the project's grant balance (money the organisation holds from the grant).
# Award, donations and matching funds do not: they are shown with no effect on the balance.
BALANCE_SIGN = {
    K.AWARD: 0,
    K.TRANCHE_PAID: 1,
    K.DONATION: 0,
    K.MATCHING: 0,
    K.DONATION_REFUND: 0,
    K.EXPENSE: -1,
    K.CLAWBACK_DUE: 0,
    K.CLAWBACK_REPAID: -1,
}


@dataclass(frozen=True)
class StatementRow:
    occurred_at: datetime
    kind: str
    kind_label: str
    amount: Decimal
    money_in: Decimal | None
    money_out: Decimal | None
    balance: Decimal
    reference: str
    memo: str
    tranche_number: int | None


def statement(application: Application) -> list[StatementRow]:
    """Every ledger row of the project in date order, with the running grant balance; 1 query.

    The balance is the grant money the organisation holds: tranches paid in, expenses and clawback
    repayments out. Award, donations, matching funds and clawbacks due are listed without moving it.
    """
    entries = (
        LedgerEntry.objects.filter(application=application)
        .select_related("tranche")
        .order_by("occurred_at", "pk")
    )
    balance = ZERO
    rows = []
    for entry in entries:
        sign = BALANCE_SIGN.get(entry.kind, 0)
        balance += sign * entry.amount
        rows.append(
            StatementRow(
                occurred_at=entry.occurred_at,
                kind=entry.kind,
                kind_label=str(entry.get_kind_display()),
                amount=entry.amount,
                money_in=entry.amount if sign > 0 else None,
                money_out=entry.amount if sign < 0 else None,
                balance=balance,
                reference=entry.external_reference,
                memo=entry.memo,
                tranche_number=entry.tranche.number if entry.tranche_id else None,
            )
        )
    return rows
