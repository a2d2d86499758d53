"""Disbursements on PostgreSQL under concurrent requests: never paid twice, never above the award."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Sum

from accounts.models import User
from grants.enums import LedgerKind
from grants.models import Agreement, Disbursement, LedgerEntry, Tranche
from grants.models.disbursements import DisbursementState
from grants.services import disbursements as svc
from grants.services.errors import TransitionRefused
from tests.grants.factories_funding import (
    approved_disbursement,
    contracted,
    make_finance,
    make_officer,
    pay,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = DisbursementState


def _race(function, arguments):
    """Run ``function`` for each argument in its own thread and connection, released together."""
    barrier = threading.Barrier(len(arguments))

    def run(argument):
        try:
            barrier.wait(timeout=10)
            return ("ok", function(argument))
        except (TransitionRefused, PermissionDenied, ValidationError) as error:
            return ("refused", error)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(arguments)) as pool:
        return list(pool.map(run, arguments))


def test_two_simultaneous_approvals_approve_once():
    # given a requested disbursement and two people who may approve it
    officer = make_officer()
    finance = make_finance()
    project = contracted(officer=officer)
    disbursement = svc.prepare_disbursement(tranche=project.tranches.get(number=1), actor=finance)
    approvers = [officer.pk, make_finance("second").pk]

    # when both press Approve at the same moment
    results = _race(
        lambda pk: (
            svc.approve_disbursement(
                disbursement=Disbursement.objects.get(pk=disbursement.pk),
                actor=User.objects.get(pk=pk),
            ).approved_by_id
        ),
        approvers,
    )

    # then it is approved once, by one of them, and both see the same approver
    disbursement.refresh_from_db()
    assert disbursement.state == D.APPROVED
    assert [r[0] for r in results] == ["ok", "ok"]
    assert {r[1] for r in results} == {disbursement.approved_by_id}
    from django_fsm_log.models import StateLog

    assert StateLog.objects.filter(object_id=disbursement.pk, transition="approve").count() == 1


def test_two_simultaneous_payments_write_one_ledger_row():
    officer = make_officer()
    finance = make_finance()
    project = contracted(officer=officer)
    disbursement = approved_disbursement(project, finance=finance, approver=officer)
    second = make_finance("payer2")

    results = _race(
        lambda pk: (
            pay(
                Disbursement.objects.get(pk=disbursement.pk),
                User.objects.get(pk=pk),
                voucher_number=f"V-{pk}",
            ).state
        ),
        [finance.pk, second.pk],
    )

    assert sorted(r[0] for r in results) == ["ok", "refused"]
    assert LedgerEntry.objects.filter(kind=LedgerKind.TRANCHE_PAID).count() == 1
    disbursement.refresh_from_db()
    assert disbursement.state == D.PAID


def test_two_disbursements_prepared_at_once_for_one_tranche_make_one():
    officer = make_officer()
    project = contracted(officer=officer)
    tranche = project.tranches.get(number=1)
    preparers = [make_finance("p1").pk, make_finance("p2").pk]

    results = _race(
        lambda pk: (
            svc.prepare_disbursement(
                tranche=Tranche.objects.get(pk=tranche.pk), actor=User.objects.get(pk=pk)
            ).pk
        ),
        preparers,
    )

    assert sorted(r[0] for r in results) == ["ok", "refused"]
    assert Disbursement.objects.filter(tranche=tranche).count() == 1


def test_paying_every_tranche_at_once_never_exceeds_the_award():
    # given all three tranches releasable and approved at the same time
    officer = make_officer()
    finance = make_finance()
    project = contracted(officer=officer)
    Tranche.objects.filter(application=project).update(status="releasable")
    disbursements = [
        approved_disbursement(project, finance=finance, approver=officer, number=n).pk
        for n in (1, 2, 3)
    ]
    payers = [make_finance(f"pay{n}").pk for n in range(3)]

    # when three finance users record all of them, twice each, at once
    jobs = [(d, p) for d in disbursements for p in payers[:2]]
    _race(
        lambda job: pay(
            Disbursement.objects.get(pk=job[0]),
            User.objects.get(pk=job[1]),
            voucher_number=f"V-{job[0]}",
        ),
        jobs,
    )

    # then each tranche is paid once and the total is exactly the award
    award = Agreement.objects.get(application=project).award_amount
    rows = LedgerEntry.objects.filter(application=project, kind=LedgerKind.TRANCHE_PAID)
    assert rows.count() == 3
    assert rows.aggregate(total=Sum("amount"))["total"] == award == Decimal("20000.00")


def test_two_members_accepting_at_once_contract_once():
    from grants.services import agreements as agreement_svc
    from tests.grants.factories_funding import approved_application, issue, member_of

    officer = make_officer()
    application = approved_application()
    agreement = issue(application, officer)
    members = [
        member_of(application.organisation, "m1").pk,
        member_of(application.organisation, "m2").pk,
    ]

    results = _race(
        lambda pk: (
            agreement_svc.accept_agreement(
                agreement=Agreement.objects.get(pk=agreement.pk),
                actor=User.objects.get(pk=pk),
                agreed=True,
                pdf_sha256=agreement.pdf_sha256,
            ).state
        ),
        members,
    )

    assert [r[0] for r in results] == ["ok", "ok"]
    assert LedgerEntry.objects.filter(kind=LedgerKind.AWARD).count() == 1
    assert Tranche.objects.filter(agreement=agreement).count() == 3
