"""The funding demo: disbursements for every paid tranche, PDFs, an issued agreement and a payment
awaiting approval; idempotent."""

from __future__ import annotations

import importlib
from io import StringIO

import pytest

from grants import demo_funding
from grants.enums import AgreementState, LedgerKind
from grants.models import Agreement, Disbursement, LedgerEntry
from grants.models.disbursements import DisbursementState

pytestmark = pytest.mark.django_db
D = DisbursementState


@pytest.fixture
def projects(db):
    for name in ("incubator.demo", "accounts.demo", "grants.demo", "grants.demo_projects"):
        importlib.import_module(name).seed(stdout=StringIO())


def test_the_demo_writes_disbursements_pdfs_and_an_issued_agreement(projects):
    out = StringIO()

    demo_funding.seed(stdout=out)

    paid_rows = LedgerEntry.objects.filter(kind=LedgerKind.TRANCHE_PAID).count()
    assert f"disbursements: {paid_rows + 1} created ({paid_rows} paid, 1 awaiting approval)" in (
        out.getvalue()
    )
    # every paid tranche has its disbursement, linked to its ledger row
    paid = Disbursement.objects.filter(state__in=[D.PAID, D.RECONCILED])
    assert paid.count() == paid_rows
    assert all(d.ledger_entry.tranche_id == d.tranche_id for d in paid)
    assert all(d.approved_by_id != d.prepared_by_id for d in Disbursement.objects.all())
    assert paid.filter(state=D.PAID).get().application.title == "“邻里+”楼道长守望探访计划"
    waiting = Disbursement.objects.get(state=D.REQUESTED)
    assert waiting.application.title == "“邻里公约”议事协商能力提升"
    assert waiting.prepared_by.username == "finance" and waiting.tranche.number == 1
    issued = Agreement.objects.get(state=AgreementState.ISSUED)
    assert issued.application.title == "钟楼社区高龄独居老人结对守望" and issued.pdf_sha256
    assert not Agreement.objects.filter(pdf_sha256="").exists()


def test_running_the_demo_again_creates_nothing(projects):
    demo_funding.seed(stdout=StringIO())
    counts = (Disbursement.objects.count(), Agreement.objects.count())
    out = StringIO()
    demo_funding.seed(stdout=out)
    assert "disbursements: 0 created" in out.getvalue()
    assert "0 PDFs, 0 issued" in out.getvalue()
    assert (Disbursement.objects.count(), Agreement.objects.count()) == counts
