"""Reconciliation: pure checks over plain rows, then the page over the database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.enums import Role
from grants.reconciliation import (
    check_clawbacks,
    check_disbursements,
    check_donations,
    reconcile,
)
from grants.services import clawbacks as clawback_svc
from tests.factories import PASSWORD
from tests.grants.factories_finance import funded_project, staff


@pytest.fixture(autouse=True)
def _english_messages(english):
    """These tests read the English msgids; the zh-hans wording is checked by test_translations."""


def ledger(pk, kind, amount, **extra):
    return {"pk": pk, "kind": kind, "amount": Decimal(amount), "application_id": 1,
            "tranche_id": extra.pop("tranche_id", None), "external_reference": "",
            "idempotency_key": f"k{pk}", **extra}  # fmt: skip


def disbursement(pk, state, amount, entry=None, voucher="GK-1", **extra):
    return {"pk": pk, "state": state, "amount": Decimal(amount), "voucher_number": voucher,
            "paid_on": None, "method": "bank", "ledger_entry_id": entry, "tranche_id": None,
            "application_id": 1, **extra}  # fmt: skip


def donation(pk, status, amount, entry=None, pi="pi_1"):
    return {"pk": pk, "status": status, "amount": Decimal(amount),
            "stripe_payment_intent_id": pi, "ledger_entry_id": entry, "application_id": 1}  # fmt: skip


def codes(problems):
    return sorted(p.code for p in problems)


def test_matching_rows_give_no_mismatch():
    rows = [ledger(1, "tranche_paid", "5000"), ledger(2, "donation", "100")]
    assert (
        reconcile(
            ledger=rows,
            disbursements=[disbursement(1, "paid", "5000", entry=1)],
            clawbacks=[],
            donations=[donation(1, "succeeded", "100", entry=2)],
            stripe_charges=[{"id": "txn_1", "payment_intent": "pi_1", "amount_fen": 10000}],
        )
        == []
    )


def test_paid_disbursement_without_ledger_row():
    (problem,) = check_disbursements([], [disbursement(1, "paid", "5000")])
    assert problem.code == "paid_without_ledger_row" and problem.reference == "GK-1"
    assert problem.expected == Decimal("5000.00")


def test_ledger_tranche_paid_without_voucher():
    (problem,) = check_disbursements([ledger(7, "tranche_paid", "3000")], [])
    assert problem.code == "ledger_without_voucher"
    assert "¥3,000" in problem.reason


def test_amounts_differ_between_voucher_and_ledger():
    (problem,) = check_disbursements(
        [ledger(1, "tranche_paid", "5000")], [disbursement(1, "reconciled", "5000.01", entry=1)]
    )
    assert problem.code == "amounts_differ"
    assert "¥5,000.01" in problem.reason and "¥5,000" in problem.reason


def test_voucher_problems():
    problems = check_disbursements(
        [ledger(1, "tranche_paid", "10"), ledger(2, "tranche_paid", "10"), ledger(3, "award", "9")],
        [
            disbursement(1, "paid", "10", entry=1, voucher="SAME"),
            disbursement(2, "paid", "10", entry=2, voucher="SAME"),
            disbursement(3, "paid", "9", entry=3, voucher=""),
            disbursement(4, "cancelled", "9", entry=None),
            disbursement(5, "approved", "9", entry=3, voucher=""),
        ],
    )
    assert codes(problems) == [
        "ledger_for_unpaid_disbursement",
        "ledger_row_wrong_kind",
        "paid_without_voucher",
        "voucher_used_twice",
        "voucher_used_twice",
    ]


def test_succeeded_donation_without_ledger_row_and_ledger_donation_without_payment():
    problems = check_donations(
        [ledger(5, "donation", "50")],
        [donation(1, "succeeded", "100"), donation(2, "failed", "80", pi="pi_2")],
        None,
    )
    assert codes(problems) == ["donation_without_ledger_row", "ledger_without_donation"]


def test_failed_donation_with_a_ledger_row():
    problems = check_donations(
        [ledger(5, "donation", "50")], [donation(1, "failed", "50", 5)], None
    )
    assert codes(problems) == ["ledger_for_uncollected_donation"]


def test_stripe_balance_against_donations():
    rows = [ledger(1, "donation", "100"), ledger(2, "donation", "20")]
    donations = [
        donation(1, "succeeded", "100", 1, "pi_a"),
        donation(2, "succeeded", "20", 2, "pi_b"),
    ]
    charges = [
        {"id": "txn_1", "payment_intent": "pi_a", "amount_fen": 9999},
        {"id": "txn_2", "payment_intent": "pi_x", "amount_fen": 500},
    ]
    problems = check_donations(rows, donations, charges)
    assert codes(problems) == [
        "donation_without_stripe_charge",
        "stripe_amount_differs",
        "stripe_charge_without_donation",
    ]
    differs = next(p for p in problems if p.code == "stripe_amount_differs")
    assert differs.actual == Decimal("99.99") and differs.expected == Decimal("100.00")


def test_clawback_checks():
    rows = [ledger(1, "clawback_due", "100"), ledger(2, "clawback_repaid", "90"),
            ledger(3, "clawback_due", "5")]  # fmt: skip
    problems = check_clawbacks(
        rows,
        [
            {
                "pk": 1,
                "state": "repaid",
                "amount": Decimal("100"),
                "voucher_number": "HK",
                "paid_on": None,
                "due_entry_id": 1,
                "repaid_entry_id": 2,
                "application_id": 1,
            },
            {
                "pk": 2,
                "state": "repaid",
                "amount": Decimal("7"),
                "voucher_number": "",
                "paid_on": None,
                "due_entry_id": None,
                "repaid_entry_id": None,
                "application_id": 1,
            },
        ],  # fmt: skip
    )
    assert codes(problems) == [
        "amounts_differ",
        "clawback_without_ledger_row",
        "ledger_without_clawback",
        "repaid_without_ledger_row",
        "repaid_without_voucher",
    ]


@pytest.mark.django_db
def test_reconciliation_page_lists_the_mismatches(client, settings):
    settings.STRIPE_SECRET_KEY = ""
    project = funded_project()  # tranche 1 in the ledger, no disbursement behind it
    officer_user = staff("officer_r", Role.OFFICER)
    clawback = clawback_svc.open_clawback(
        application=project, amount="10", reason="r", actor=officer_user
    )
    clawback_svc.record_clawback_repayment(
        clawback, "HK-77", timezone.localdate(), "10", staff("fin_r", Role.FINANCE)
    )
    assert client.login(username=officer_user.username, password=PASSWORD)
    response = client.get(reverse("grants:finance_reconciliation"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "finance-mismatch--ledger_without_voucher" in body
    assert f"GKZF-{project.tranches.get(number=1).pk}" in body
    assert "finance-mismatch--clawback" not in body  # the clawback is in order


def test_stripe_charges_are_read_from_the_balance_history(stripe_settings, stripe_server):
    """localstripe serves /v1/balance/history and /v1/charges: a confirmed PaymentIntent shows up
    as a charge balance transaction joined to its payment intent, and reconciles against it."""
    import stripe

    from grants.reconciliation import stripe_charges

    client = stripe.StripeClient(
        stripe_settings.STRIPE_SECRET_KEY, base_addresses={"api": stripe_server}
    )
    method = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    )
    intent = client.v1.payment_intents.create(
        params={"amount": 12345, "currency": "cny", "payment_method": method.id}
    )
    client.v1.payment_intents.confirm(intent.id)

    charges = [row for row in stripe_charges() if row["payment_intent"] == intent.id]

    assert [row["amount_fen"] for row in charges] == [12345]
    rows = [ledger(1, "donation", "123.45")]
    assert check_donations(rows, [donation(1, "succeeded", "123.45", 1, intent.id)], charges) == []
    problems = check_donations(rows, [donation(1, "succeeded", "123.45", 1, "pi_other")], charges)
    assert codes(problems) == ["donation_without_stripe_charge", "stripe_charge_without_donation"]


def test_matching_funds_need_a_received_donation():
    rows = [
        ledger(1, "donation", "100"),
        ledger(2, "matching", "100", external_reference="pi_a"),
        ledger(3, "matching", "50", external_reference="pi_gone"),
    ]
    problems = check_donations(rows, [donation(1, "succeeded", "100", 1, "pi_a")], None)
    assert codes(problems) == ["matching_without_donation"]
    assert problems[0].reference == "pi_gone"


@pytest.mark.django_db
def test_report_reads_the_real_disbursement_and_donation_rows(settings):
    """Against the funding and donations areas' models: a paid disbursement with its ledger row and a
    received donation with its row reconcile; a paid one whose row is of another amount does not."""
    from grants.enums import LedgerKind
    from grants.models import Disbursement, Donation, LedgerEntry
    from grants.reconciliation import load_report

    settings.STRIPE_SECRET_KEY = ""
    project = funded_project(tranches_paid=2)
    preparer = staff("prep_r", Role.FINANCE)
    first, second = project.tranches.order_by("number")[:2]
    for tranche, amount in ((first, first.amount), (second, second.amount + Decimal("1"))):
        Disbursement.objects.create(
            tranche=tranche, application=project, amount=amount, method="bank",
            prepared_by=preparer, state="paid", voucher_number=f"GK-{tranche.number}",
            paid_on=timezone.localdate(),
            ledger_entry=LedgerEntry.objects.get(tranche=tranche, kind=LedgerKind.TRANCHE_PAID),
        )  # fmt: skip
    # Waiting for approval: no voucher yet, nothing to reconcile, and no error either.
    Disbursement.objects.create(
        tranche=project.tranches.get(number=3), application=project, amount=Decimal("1"),
        method="bank", prepared_by=preparer, state="requested",
    )  # fmt: skip
    from grants.services.ledger import post_entry

    entry = post_entry(
        kind=LedgerKind.DONATION, amount="200", programme=None, application=project,
        idempotency_key="test-donation-1", external_reference="pi_test_1",
    )  # fmt: skip
    Donation.objects.create(
        application=project, amount=Decimal("200"), status="succeeded",
        stripe_payment_intent_id="pi_test_1", ledger_entry=entry,
    )  # fmt: skip

    report = load_report()

    assert report.disbursements_available and report.donations_available
    assert report.counts["disbursements"] == 3 and report.counts["donations"] == 1
    assert [(m.code, m.reference) for m in report.mismatches] == [("amounts_differ", "GK-2")]
