"""Reconciliation (对账): the ledger against bank and treasury vouchers and against Stripe.

The checks are pure functions over plain rows (dicts), so they are tested without the other areas'
models or a Stripe server; ``load_rows`` reads the rows from the database (and from Stripe where a
secret key is configured) and ``reconcile`` runs every check. Each problem is a ``Mismatch`` with
a plain reason a finance officer can act on.

Rows (keys used; others ignored):

- ledger: ``pk, kind, amount, application_id, tranche_id, external_reference, idempotency_key``
- disbursements (funding area, ``Disbursement``): ``pk, state, amount, voucher_number, paid_on,
  method, ledger_entry_id, tranche_id, application_id``
- clawbacks: ``pk, state, amount, voucher_number, paid_on, due_entry_id, repaid_entry_id,
  application_id``
- donations (donations area, ``Donation``): ``pk, status, amount, stripe_payment_intent_id,
  ledger_entry_id, application_id``
- stripe_charges (Stripe balance transactions of type ``charge``, joined to their charge's payment
  intent): ``id, payment_intent, amount_fen, currency``. ``None`` when Stripe is not configured:
  donations are then reconciled against the ``Donation`` records only (the page says so).

localstripe (the test Stripe server) serves ``GET /v1/balance/history`` and ``GET /v1/charges``, so
``stripe.BalanceTransaction.list`` and ``stripe.Charge.list`` work against it as against Stripe.
Refund balance transactions are not matched one by one: refunds are checked on the ledger side
(a ``donation_refund`` row per refunded donation is the donations area's duty).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.utils.translation import gettext as _

from grants.budget import yuan
from grants.enums import LedgerKind

logger = logging.getLogger(__name__)

K = LedgerKind
PAID_DISBURSEMENT_STATES = frozenset({"paid", "reconciled"})
VOUCHER_METHODS = frozenset({"bank", "treasury"})
COLLECTED_DONATION_STATES = frozenset({"succeeded", "refunded", "partially_refunded"})


@dataclass(frozen=True)
class Mismatch:
    source: str  # "bank", "clawback" or "stripe": which side of the report it belongs to
    code: str  # stable, for tests and filters
    reason: str  # plain words
    reference: str  # what to look up: a voucher number, a payment intent, a ledger key
    application_id: int | None = None
    expected: Decimal | None = None
    actual: Decimal | None = None


def _amount(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _yuan(value) -> str:
    return yuan(_amount(value))


def check_disbursements(ledger: list[dict], disbursements: list[dict]) -> list[Mismatch]:
    """Every paid disbursement has its ``tranche_paid`` row of the same amount, and vice versa."""
    problems: list[Mismatch] = []
    by_pk = {row["pk"]: row for row in ledger}
    claimed: set[int] = set()
    vouchers = Counter(
        (row.get("voucher_number") or "").strip()
        for row in disbursements
        if row["state"] in PAID_DISBURSEMENT_STATES and (row.get("voucher_number") or "").strip()
    )
    for row in disbursements:
        reference = (row.get("voucher_number") or "").strip() or f"#{row['pk']}"
        app_id = row.get("application_id")
        entry_id = row.get("ledger_entry_id")
        entry = by_pk.get(entry_id) if entry_id else None
        if entry_id:
            claimed.add(entry_id)
        if row["state"] not in PAID_DISBURSEMENT_STATES:
            if entry_id:
                problems.append(
                    Mismatch("bank", "ledger_for_unpaid_disbursement",
                             _("The ledger records a payment for a disbursement that is not paid (%(state)s).")
                             % {"state": row["state"]}, reference, app_id)
                )  # fmt: skip
            continue
        if (
            row.get("method", "bank") in VOUCHER_METHODS
            and not (row.get("voucher_number") or "").strip()
        ):
            problems.append(
                Mismatch("bank", "paid_without_voucher",
                         _("A disbursement is marked paid but has no voucher number."), reference, app_id)
            )  # fmt: skip
        if vouchers.get((row.get("voucher_number") or "").strip(), 0) > 1:
            problems.append(
                Mismatch("bank", "voucher_used_twice",
                         _("The same voucher number is recorded for more than one disbursement."),
                         reference, app_id)
            )  # fmt: skip
        if entry is None:
            problems.append(
                Mismatch("bank", "paid_without_ledger_row",
                         _("A paid disbursement has no ledger row: the payment is missing from the ledger."),
                         reference, app_id, expected=_amount(row["amount"]))
            )  # fmt: skip
            continue
        if entry["kind"] != K.TRANCHE_PAID:
            problems.append(
                Mismatch("bank", "ledger_row_wrong_kind",
                         _("The disbursement's ledger row is not a tranche payment."), reference, app_id)
            )  # fmt: skip
        if _amount(entry["amount"]) != _amount(row["amount"]):
            problems.append(
                Mismatch("bank", "amounts_differ",
                         _("The voucher is for %(voucher)s but the ledger records %(ledger)s.")
                         % {"voucher": _yuan(row["amount"]), "ledger": _yuan(entry["amount"])},
                         reference, app_id, expected=_amount(row["amount"]), actual=_amount(entry["amount"]))
            )  # fmt: skip
        if (
            row.get("tranche_id")
            and entry.get("tranche_id")
            and row["tranche_id"] != entry["tranche_id"]
        ):
            problems.append(
                Mismatch("bank", "tranche_differs",
                         _("The voucher and the ledger row name different tranches."), reference, app_id)
            )  # fmt: skip
    for entry in ledger:
        if entry["kind"] == K.TRANCHE_PAID and entry["pk"] not in claimed:
            problems.append(
                Mismatch("bank", "ledger_without_voucher",
                         _("The ledger records a tranche payment of %(amount)s with no paid disbursement or voucher behind it.")
                         % {"amount": _yuan(entry["amount"])},
                         entry.get("external_reference") or entry.get("idempotency_key", ""),
                         entry.get("application_id"), actual=_amount(entry["amount"]))
            )  # fmt: skip
    return problems


def check_clawbacks(ledger: list[dict], clawbacks: list[dict]) -> list[Mismatch]:
    """Each clawback has its ``clawback_due`` row; each repaid one its voucher and repaid row."""
    problems: list[Mismatch] = []
    by_pk = {row["pk"]: row for row in ledger}
    claimed: set[int] = set()
    for row in clawbacks:
        reference = (row.get("voucher_number") or "").strip() or f"clawback:{row['pk']}"
        app_id = row.get("application_id")
        for field, kind in (
            ("due_entry_id", K.CLAWBACK_DUE),
            ("repaid_entry_id", K.CLAWBACK_REPAID),
        ):
            entry_id = row.get(field)
            if entry_id:
                claimed.add(entry_id)
                entry = by_pk.get(entry_id)
                if entry is None or entry["kind"] != kind:
                    problems.append(
                        Mismatch("clawback", "clawback_entry_missing",
                                 _("A clawback points at a ledger row that is missing or of another kind."),
                                 reference, app_id)
                    )  # fmt: skip
                elif _amount(entry["amount"]) != _amount(row["amount"]):
                    problems.append(
                        Mismatch("clawback", "amounts_differ",
                                 _("The clawback is for %(due)s but the ledger records %(ledger)s.")
                                 % {"due": _yuan(row["amount"]), "ledger": _yuan(entry["amount"])},
                                 reference, app_id, expected=_amount(row["amount"]),
                                 actual=_amount(entry["amount"]))
                    )  # fmt: skip
        if not row.get("due_entry_id"):
            problems.append(
                Mismatch("clawback", "clawback_without_ledger_row",
                         _("A clawback has no ledger row: the money owed is missing from the ledger."),
                         reference, app_id, expected=_amount(row["amount"]))
            )  # fmt: skip
        if row["state"] == "repaid" and not row.get("repaid_entry_id"):
            problems.append(
                Mismatch("clawback", "repaid_without_ledger_row",
                         _("A repaid clawback has no repayment row in the ledger."), reference, app_id)
            )  # fmt: skip
        if row["state"] == "repaid" and not (row.get("voucher_number") or "").strip():
            problems.append(
                Mismatch("clawback", "repaid_without_voucher",
                         _("A clawback is marked repaid without a voucher number."), reference, app_id)
            )  # fmt: skip
    for entry in ledger:
        if entry["kind"] in (K.CLAWBACK_DUE, K.CLAWBACK_REPAID) and entry["pk"] not in claimed:
            problems.append(
                Mismatch("clawback", "ledger_without_clawback",
                         _("The ledger records a clawback movement of %(amount)s that no clawback explains.")
                         % {"amount": _yuan(entry["amount"])},
                         entry.get("external_reference") or entry.get("idempotency_key", ""),
                         entry.get("application_id"), actual=_amount(entry["amount"]))
            )  # fmt: skip
    return problems


def check_donations(
    ledger: list[dict], donations: list[dict], stripe_charges: list[dict] | None
) -> list[Mismatch]:
    """Collected donations have their ledger rows; with Stripe, each matches its charges."""
    problems: list[Mismatch] = []
    by_pk = {row["pk"]: row for row in ledger}
    claimed: set[int] = set()
    for row in donations:
        reference = row.get("stripe_payment_intent_id") or f"donation:{row['pk']}"
        app_id = row.get("application_id")
        entry_id = row.get("ledger_entry_id")
        entry = by_pk.get(entry_id) if entry_id else None
        if entry_id:
            claimed.add(entry_id)
        collected = row["status"] in COLLECTED_DONATION_STATES
        if not collected:
            if entry_id:
                problems.append(
                    Mismatch("stripe", "ledger_for_uncollected_donation",
                             _("The ledger records a donation whose payment did not succeed (%(status)s).")
                             % {"status": row["status"]}, reference, app_id)
                )  # fmt: skip
            continue
        if entry is None:
            problems.append(
                Mismatch("stripe", "donation_without_ledger_row",
                         _("A succeeded donation has no ledger row."), reference, app_id,
                         expected=_amount(row["amount"]))
            )  # fmt: skip
        elif _amount(entry["amount"]) != _amount(row["amount"]):
            problems.append(
                Mismatch("stripe", "amounts_differ",
                         _("The donation is for %(donation)s but the ledger records %(ledger)s.")
                         % {"donation": _yuan(row["amount"]), "ledger": _yuan(entry["amount"])},
                         reference, app_id, expected=_amount(row["amount"]), actual=_amount(entry["amount"]))
            )  # fmt: skip
    for entry in ledger:
        if entry["kind"] == K.DONATION and entry["pk"] not in claimed:
            problems.append(
                Mismatch("stripe", "ledger_without_donation",
                         _("The ledger records a donation of %(amount)s that no Stripe payment explains.")
                         % {"amount": _yuan(entry["amount"])},
                         entry.get("external_reference") or entry.get("idempotency_key", ""),
                         entry.get("application_id"), actual=_amount(entry["amount"]))
            )  # fmt: skip
    # Matching funds are pledged against a payment (their reference is its payment intent): a
    # matching row for a payment no collected donation records was matched on nothing.
    collected_pis = {
        row.get("stripe_payment_intent_id")
        for row in donations
        if row["status"] in COLLECTED_DONATION_STATES and row.get("stripe_payment_intent_id")
    }
    for entry in ledger:
        reference = entry.get("external_reference") or ""
        if (
            entry["kind"] == K.MATCHING
            and reference.startswith("pi_")
            and reference not in collected_pis
        ):
            problems.append(
                Mismatch(
                    "stripe",
                    "matching_without_donation",
                    _(
                        "Matching funds of %(amount)s were recorded for a payment that no received donation records."
                    )
                    % {"amount": _yuan(entry["amount"])},
                    reference,
                    entry.get("application_id"),
                    actual=_amount(entry["amount"]),
                )
            )
    if stripe_charges is None:
        return problems
    charged: dict[str, int] = defaultdict(int)
    for charge in stripe_charges:
        charged[charge.get("payment_intent") or charge["id"]] += int(charge["amount_fen"])
    known = {row.get("stripe_payment_intent_id") for row in donations}
    for row in donations:
        if row["status"] not in COLLECTED_DONATION_STATES:
            continue
        pi = row.get("stripe_payment_intent_id") or ""
        expected_fen = int(_amount(row["amount"]) * 100)
        if pi not in charged:
            problems.append(
                Mismatch("stripe", "donation_without_stripe_charge",
                         _("Stripe's balance has no charge for this succeeded donation."), pi or f"donation:{row['pk']}",
                         row.get("application_id"), expected=_amount(row["amount"]))
            )  # fmt: skip
        elif charged[pi] != expected_fen:
            problems.append(
                Mismatch("stripe", "stripe_amount_differs",
                         _("Stripe charged %(stripe)s but the donation records %(donation)s.")
                         % {"stripe": _yuan(Decimal(charged[pi]) / 100), "donation": _yuan(row["amount"])},
                         pi, row.get("application_id"), expected=_amount(row["amount"]),
                         actual=_amount(Decimal(charged[pi]) / 100))
            )  # fmt: skip
    for pi, fen in charged.items():
        if pi not in known:
            problems.append(
                Mismatch("stripe", "stripe_charge_without_donation",
                         _("Stripe holds a charge of %(amount)s that no donation records.")
                         % {"amount": _yuan(Decimal(fen) / 100)}, pi, None, actual=_amount(Decimal(fen) / 100))
            )  # fmt: skip
    return problems


@dataclass
class Report:
    mismatches: list[Mismatch]
    counts: dict[str, int]
    stripe_checked: bool
    stripe_error: str = ""
    disbursements_available: bool = True
    donations_available: bool = True

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def by_source(self, source: str) -> list[Mismatch]:
        return [m for m in self.mismatches if m.source == source]


def reconcile(
    *,
    ledger: list[dict],
    disbursements: list[dict],
    clawbacks: list[dict],
    donations: list[dict],
    stripe_charges: list[dict] | None,
) -> list[Mismatch]:
    return [
        *check_disbursements(ledger, disbursements),
        *check_clawbacks(ledger, clawbacks),
        *check_donations(ledger, donations, stripe_charges),
    ]


# --- Loading rows -------------------------------------------------------------------------------


def _model(name: str):
    try:
        return apps.get_model("grants", name)
    except LookupError:
        return None


def _values(model, fields: list[str], **filters) -> list[dict]:
    # A field the other area named differently must not break the whole report: leave it out.
    names = {f.attname for f in model._meta.concrete_fields} | {
        f.name for f in model._meta.concrete_fields
    }
    present = [f for f in fields if f == "pk" or f in names]
    return list(model.objects.filter(**filters).values(*present))


def _ledger_pks(rows: list[dict], field: str = "ledger_entry_id") -> None:
    for row in rows:
        row.setdefault(field, None)


def stripe_charges() -> list[dict] | None:
    """Charge balance transactions with their payment intents, or None without a Stripe key."""
    api_key = getattr(settings, "STRIPE_SECRET_KEY", "")
    if not api_key:
        return None
    import stripe

    base = getattr(settings, "STRIPE_API_BASE", "")
    client = stripe.StripeClient(
        api_key, base_addresses={"api": base} if base else None, max_network_retries=1
    )
    charges = {
        charge.id: getattr(charge, "payment_intent", None)
        for charge in client.v1.charges.list(params={"limit": 100}).auto_paging_iter()
    }
    rows = []
    for txn in client.v1.balance_transactions.list(params={"limit": 100}).auto_paging_iter():
        if txn.type not in ("charge", "payment"):
            continue
        source = txn.source if isinstance(txn.source, str) else getattr(txn.source, "id", "")
        rows.append(
            {
                "id": txn.id,
                "payment_intent": charges.get(source) or source,
                "amount_fen": txn.amount,
                "currency": txn.currency,
            }
        )
    return rows


def load_report() -> Report:
    from grants.models import LedgerEntry
    from grants.models.expenses import Clawback

    ledger = list(
        LedgerEntry.objects.values(
            "pk", "kind", "amount", "application_id", "tranche_id", "external_reference",
            "idempotency_key",
        )
    )  # fmt: skip
    disbursement_model = _model("Disbursement")
    disbursements = (
        _values(
            disbursement_model,
            [
                "pk",
                "state",
                "amount",
                "voucher_number",
                "paid_on",
                "method",
                "ledger_entry_id",
                "tranche_id",
                "application_id",
            ],
        )  # fmt: skip
        if disbursement_model
        else []
    )
    _ledger_pks(disbursements)
    clawbacks = list(
        Clawback.objects.values(
            "pk", "state", "amount", "voucher_number", "paid_on", "due_entry_id",
            "repaid_entry_id", "application_id",
        )
    )  # fmt: skip
    donation_model = _model("Donation")
    donations = (
        _values(
            donation_model,
            [
                "pk",
                "status",
                "amount",
                "stripe_payment_intent_id",
                "ledger_entry_id",
                "application_id",
            ],
        )  # fmt: skip
        if donation_model
        else []
    )
    _ledger_pks(donations)
    stripe_error = ""
    try:
        charges = stripe_charges()
    except Exception as error:  # noqa: BLE001 — Stripe down must not hide the bank side
        logger.warning("Reconciliation could not read Stripe: %s", error)
        charges, stripe_error = None, str(error) or error.__class__.__name__
    mismatches = reconcile(
        ledger=ledger,
        disbursements=disbursements,
        clawbacks=clawbacks,
        donations=donations,
        stripe_charges=charges,
    )
    counts = {
        "ledger": len(ledger),
        "disbursements": len(disbursements),
        "clawbacks": len(clawbacks),
        "donations": len(donations),
        "stripe_charges": len(charges or []),
    }
    return Report(
        mismatches=mismatches,
        counts=counts,
        stripe_checked=charges is not None,
        stripe_error=stripe_error,
        disbursements_available=disbursement_model is not None,
        donations_available=donation_model is not None,
    )
