"""Stripe Connect payouts through the disbursement workflow, tested at the HTTP boundary.

localstripe has no Connect, so a small HTTP server on 127.0.0.1 answers ``POST /v1/transfers``
with a recorded Stripe response (tests/grants/fixtures/stripe_*.json); the official SDK talks to
it for real (``STRIPE_API_BASE``), headers, form encoding, error parsing and all.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from django.core.exceptions import ValidationError

from grants.enums import ApplicationState, LedgerKind, TrancheStatus
from grants.models import LedgerEntry
from grants.models.disbursements import DisbursementMethod, DisbursementState
from grants.services import disbursements as svc
from grants.services.errors import TransitionRefused
from tests.grants.factories_funding import contracted, make_finance, make_officer, pay


@pytest.fixture(autouse=True)
def _english_messages(english):
    """These tests read the English msgids; the zh-hans wording is checked by test_translations."""


pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"
D = DisbursementState
ACCOUNT = "acct_1QfWzRPd3sGkTq9L"


class RecordedStripe:
    """Serves one recorded response per request and keeps what it was sent."""

    def __init__(self, fixture: str, status: int = 200):
        self.body = (FIXTURES / fixture).read_bytes()
        self.status = status
        self.requests: list[dict] = []
        recorded = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                recorded.requests.append(
                    {
                        "path": self.path,
                        "form": {k: v[0] for k, v in form.items()},
                        "idempotency_key": self.headers.get("Idempotency-Key"),
                        "authorization": self.headers.get("Authorization"),
                    }
                )
                self.send_response(recorded.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Request-Id", "req_recorded")
                self.send_header("Content-Length", str(len(recorded.body)))
                self.end_headers()
                self.wfile.write(recorded.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def people():
    officer = make_officer()
    return officer, make_finance()


def _approved_stripe(officer, finance, account=ACCOUNT):
    project = contracted(officer=officer)
    disbursement = svc.prepare_disbursement(
        tranche=project.tranches.get(number=1),
        actor=finance,
        method=DisbursementMethod.STRIPE,
        stripe_account_id=account,
    )
    return project, svc.approve_disbursement(disbursement=disbursement, actor=officer)


@pytest.fixture
def stripe_settings(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_funding"

    def point(server: RecordedStripe):
        settings.STRIPE_API_BASE = server.url

    return point


def test_a_stripe_payout_transfers_fen_with_the_disbursement_key(people, stripe_settings):
    officer, finance = people
    project, disbursement = _approved_stripe(officer, finance)
    with RecordedStripe("stripe_transfer_created.json") as stripe_server:
        stripe_settings(stripe_server)
        disbursement = svc.pay_by_stripe(disbursement=disbursement, actor=finance)

    (request,) = stripe_server.requests
    assert request["path"] == "/v1/transfers"
    assert request["form"]["amount"] == "1000000"  # ¥10,000.00 in fen
    assert request["form"]["currency"] == "cny"
    assert request["form"]["destination"] == ACCOUNT
    assert request["idempotency_key"] == f"disbursement-{disbursement.pk}"
    assert request["authorization"] == "Bearer sk_test_funding"
    assert disbursement.state == D.PAID
    assert disbursement.stripe_transfer_id == "tr_1QfXb2Kc8yZr0aTQm4Yp7sEa"
    entry = LedgerEntry.objects.get(kind=LedgerKind.TRANCHE_PAID)
    assert entry.external_reference == "tr_1QfXb2Kc8yZr0aTQm4Yp7sEa"
    project.refresh_from_db()
    assert project.state == ApplicationState.ACTIVE


@pytest.mark.parametrize(
    ("fixture", "status", "words"),
    [
        ("stripe_transfer_error.json", 400, "No such destination"),
        ("stripe_transfer_insufficient.json", 400, "insufficient available funds"),
    ],
)
def test_a_stripe_error_fails_the_disbursement_and_posts_nothing(
    people, stripe_settings, fixture, status, words
):
    officer, finance = people
    project, disbursement = _approved_stripe(officer, finance)
    with RecordedStripe(fixture, status=status) as stripe_server:
        stripe_settings(stripe_server)
        disbursement = svc.pay_by_stripe(disbursement=disbursement, actor=finance)
    disbursement.refresh_from_db()
    assert disbursement.state == D.FAILED
    assert words in disbursement.failure_reason
    assert not LedgerEntry.objects.filter(kind=LedgerKind.TRANCHE_PAID).exists()
    tranche = project.tranches.get(number=1)
    assert tranche.status == TrancheStatus.RELEASABLE
    project.refresh_from_db()
    assert project.state == ApplicationState.CONTRACTED


def test_a_transfer_of_another_amount_is_not_recorded(people, stripe_settings):
    officer, finance = people
    project = contracted(officer=officer, call=None)
    # a recorded transfer of ¥10,000.00 against a disbursement of another amount
    from grants.models import Tranche

    Tranche.objects.filter(application=project, number=1).update(amount="9999.00")
    disbursement = svc.prepare_disbursement(
        tranche=project.tranches.get(number=1), actor=finance,
        method=DisbursementMethod.STRIPE, stripe_account_id=ACCOUNT,
    )  # fmt: skip
    disbursement = svc.approve_disbursement(disbursement=disbursement, actor=officer)
    with RecordedStripe("stripe_transfer_created.json") as stripe_server:
        stripe_settings(stripe_server)
        disbursement = svc.pay_by_stripe(disbursement=disbursement, actor=finance)
    assert disbursement.state == D.FAILED
    assert not LedgerEntry.objects.filter(kind=LedgerKind.TRANCHE_PAID).exists()


def test_without_stripe_keys_the_payout_fails_clearly(people, settings):
    settings.STRIPE_SECRET_KEY = ""
    officer, finance = people
    _project, disbursement = _approved_stripe(officer, finance)
    disbursement = svc.pay_by_stripe(disbursement=disbursement, actor=finance)
    assert disbursement.state == D.FAILED and "Stripe" in disbursement.failure_reason
    assert not LedgerEntry.objects.filter(kind=LedgerKind.TRANCHE_PAID).exists()


def test_stripe_needs_a_connected_account_and_no_voucher(people):
    officer, finance = people
    project = contracted(officer=officer)
    with pytest.raises(ValidationError):
        svc.prepare_disbursement(
            tranche=project.tranches.get(number=1), actor=finance,
            method=DisbursementMethod.STRIPE, stripe_account_id="12345",
        )  # fmt: skip
    disbursement = svc.prepare_disbursement(
        tranche=project.tranches.get(number=1), actor=finance,
        method=DisbursementMethod.STRIPE, stripe_account_id=ACCOUNT,
    )  # fmt: skip
    disbursement = svc.approve_disbursement(disbursement=disbursement, actor=officer)
    with pytest.raises(TransitionRefused):
        pay(disbursement, finance)
    assert not LedgerEntry.objects.filter(kind=LedgerKind.TRANCHE_PAID).exists()


def test_bank_disbursements_cannot_be_paid_through_stripe(people):
    officer, finance = people
    project = contracted(officer=officer)
    disbursement = svc.prepare_disbursement(tranche=project.tranches.get(number=1), actor=finance)
    disbursement = svc.approve_disbursement(disbursement=disbursement, actor=officer)
    with pytest.raises(TransitionRefused):
        svc.pay_by_stripe(disbursement=disbursement, actor=finance)


def test_recorded_fixture_is_a_transfer():
    data = json.loads((FIXTURES / "stripe_transfer_created.json").read_text())
    assert data["object"] == "transfer" and data["amount"] == 1000000
