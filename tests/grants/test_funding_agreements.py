"""签约: issuing the agreement PDF, re-issuing it, and the organisation accepting it online."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from grants.agreements_pdf import rmb_upper, split_award
from grants.enums import AgreementState, ApplicationState, LedgerKind, TrancheStatus
from grants.models import Agreement, LedgerEntry, Tranche
from grants.services import agreements as svc
from grants.services.errors import TransitionRefused
from tests.factories import CallFactory
from tests.grants.factories_funding import (
    approved_application,
    bank_account,
    issue,
    make_finance,
    make_officer,
    member_of,
)


@pytest.fixture(autouse=True)
def _english_messages(english):
    """These tests read the English msgids; the zh-hans wording is checked by test_translations."""


pytestmark = pytest.mark.django_db
S = ApplicationState


def _text(pdf: bytes) -> str:
    result = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],  # noqa: S607
        input=pdf,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode("utf-8")


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("35000", "人民币叁万伍仟元整"),
        ("30000.50", "人民币叁万元伍角整"),
        ("10005", "人民币壹万零伍元整"),
        ("100000", "人民币壹拾万元整"),
        ("1010.10", "人民币壹仟零壹拾元壹角整"),
        ("12345.67", "人民币壹万贰仟叁佰肆拾伍元陆角柒分"),
        ("100010000", "人民币壹亿零壹万元整"),
        ("20000.05", "人民币贰万元零伍分"),
        ("0.30", "人民币叁角整"),
        ("1001000", "人民币壹佰万零壹仟元整"),
    ],
)
def test_capital_numerals_are_written_as_banks_require(amount, words):
    assert rmb_upper(Decimal(amount)) == words


def test_tranche_split_is_exact_to_the_fen():
    schedule = [
        {"percent": 33, "condition": "on_signing"},
        {"percent": 33, "condition": "mid_term_passed"},
        {"percent": 34, "condition": "final_passed"},
    ]
    amounts = split_award(Decimal("10000.01"), schedule)
    assert amounts == [Decimal("3300.00"), Decimal("3300.00"), Decimal("3400.01")]
    assert sum(amounts) == Decimal("10000.01")


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler's pdftotext")
def test_officer_issues_a_chinese_pdf_with_organisation_amount_and_account():
    # given an approved application of an organisation with a bank account in its vault
    officer = make_officer()
    application = approved_application(organisation_name="南通市崇川区夕阳红为老服务中心")
    bank_account(application.organisation, created_by=officer)

    # when the officer issues the agreement (award defaults to the amount requested)
    agreement = svc.issue_agreement(
        application=application,
        actor=officer,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + timedelta(days=365),
    )

    # then the PDF is stored with its fingerprint and says who, how much and where the money goes
    assert agreement.state == AgreementState.ISSUED
    assert agreement.award_amount == Decimal("20000.00")
    assert agreement.account_number == "1111222233334444"
    data = svc.pdf_bytes(agreement)
    assert hashlib.sha256(data).hexdigest() == agreement.pdf_sha256
    text = _text(data)
    assert "南通市崇川区夕阳红为老服务中心" in text
    assert "20,000.00" in text
    assert "人民币贰万元整" in text
    assert "1111222233334444" in text
    assert "中国工商银行南通崇川支行" in text
    assert "探访活动物资" in text  # a budget line
    assert "10,000.00" in text and "4,000.00" in text  # tranches 50% and 20%


def test_award_over_the_call_maximum_or_not_positive_is_refused():
    officer = make_officer()
    application = approved_application()
    for value, message in [
        ("30000.01", "maximum"),
        ("0", "more than zero"),
        ("-5", "more than zero"),
        ("abc", "Enter an amount"),
        ("100.001", "two decimal places"),
        ("0.01", "too small"),
    ]:
        with pytest.raises(ValidationError) as error:
            issue(application, officer, award_amount=value)
        assert message in str(error.value.message_dict["award_amount"])
    assert not Agreement.objects.exists()


def test_without_a_vault_account_the_officer_must_enter_one():
    officer = make_officer()
    application = approved_application()
    with pytest.raises(ValidationError) as error:
        svc.issue_agreement(
            application=application,
            actor=officer,
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate() + timedelta(days=30),
        )
    assert "account_number" in error.value.message_dict
    assert not Agreement.objects.exists()


def test_dates_must_be_in_order():
    officer = make_officer()
    application = approved_application()
    with pytest.raises(ValidationError) as error:
        issue(application, officer, ends_on=timezone.localdate())
    assert "ends_on" in error.value.message_dict


def test_only_officers_issue_and_only_for_approved_applications():
    application = approved_application()
    with pytest.raises(PermissionDenied):
        issue(application, make_finance())
    with pytest.raises(PermissionDenied):
        issue(application, member_of(application.organisation))
    other = approved_application()
    type(other).objects.filter(pk=other.pk).update(state=S.IN_REVIEW)
    other.refresh_from_db()
    with pytest.raises(TransitionRefused):
        issue(other, make_officer())
    assert not Agreement.objects.exists()


def test_reissuing_before_acceptance_makes_a_new_version_and_pdf():
    officer = make_officer()
    application = approved_application()
    first = issue(application, officer)
    first_hash, first_name = first.pdf_sha256, first.pdf.name
    second = issue(application, officer, award_amount="18000")
    assert second.pk == first.pk and second.version == 2
    assert second.pdf_sha256 != first_hash and second.pdf.name != first_name
    assert second.award_amount == Decimal("18000.00")


def test_member_accepts_and_the_project_is_contracted_with_tranches_and_award():
    # given an issued agreement
    officer = make_officer()
    application = approved_application()
    member = member_of(application.organisation)
    agreement = issue(application, officer, award_amount="20000.01")

    # when the member ticks the box and accepts
    svc.accept_agreement(
        agreement=agreement,
        actor=member,
        agreed=True,
        pdf_sha256=agreement.pdf_sha256,
        ip="203.0.113.9",
        user_agent="Mozilla/5.0 WeChat",
    )

    # then who, when, where and which PDF are recorded
    agreement.refresh_from_db()
    application.refresh_from_db()
    assert agreement.state == AgreementState.ACCEPTED
    assert agreement.accepted_by == member and agreement.accepted_at is not None
    assert agreement.accepted_ip == "203.0.113.9"
    assert agreement.accepted_user_agent == "Mozilla/5.0 WeChat"
    assert agreement.accepted_pdf_sha256 == agreement.pdf_sha256
    assert application.state == S.CONTRACTED
    # the tranches sum to the award exactly; the on-signing one is open with a due date
    tranches = list(Tranche.objects.filter(agreement=agreement).order_by("number"))
    assert [t.amount for t in tranches] == [
        Decimal("10000.01"),
        Decimal("6000.00"),
        Decimal("4000.00"),
    ]
    assert sum(t.amount for t in tranches) == Decimal("20000.01")
    assert tranches[0].status == TrancheStatus.RELEASABLE and tranches[0].due_on is not None
    assert [t.status for t in tranches[1:]] == [TrancheStatus.SCHEDULED] * 2
    award = LedgerEntry.objects.get(application=application, kind=LedgerKind.AWARD)
    assert award.amount == Decimal("20000.01")


def test_accepting_twice_changes_nothing():
    officer = make_officer()
    application = approved_application()
    member = member_of(application.organisation)
    agreement = issue(application, officer)
    for _round in range(2):
        svc.accept_agreement(
            agreement=agreement, actor=member, agreed=True, pdf_sha256=agreement.pdf_sha256
        )
    assert LedgerEntry.objects.filter(kind=LedgerKind.AWARD).count() == 1
    assert Tranche.objects.filter(agreement=agreement).count() == 3


def test_accepting_needs_the_tick_box_and_nothing_is_recorded_without_it():
    officer = make_officer()
    application = approved_application()
    agreement = issue(application, officer)
    with pytest.raises(ValidationError) as error:
        svc.accept_agreement(
            agreement=agreement,
            actor=member_of(application.organisation),
            agreed=False,
            pdf_sha256=agreement.pdf_sha256,
        )
    assert "agree" in error.value.message_dict
    agreement.refresh_from_db()
    assert agreement.state == AgreementState.ISSUED
    assert not Tranche.objects.exists() and not LedgerEntry.objects.exists()


def test_accepting_an_outdated_version_is_refused():
    officer = make_officer()
    application = approved_application()
    member = member_of(application.organisation)
    old = issue(application, officer)
    old_hash = old.pdf_sha256
    new = issue(application, officer, award_amount="15000")
    with pytest.raises(TransitionRefused, match="re-issued"):
        svc.accept_agreement(agreement=new, actor=member, agreed=True, pdf_sha256=old_hash)
    assert not LedgerEntry.objects.exists()


def test_a_tampered_pdf_is_not_accepted():
    officer = make_officer()
    application = approved_application()
    agreement = issue(application, officer)
    with agreement.pdf.storage.open(agreement.pdf.name, "wb") as handle:
        handle.write(b"%PDF-1.4 something else")
    with pytest.raises(TransitionRefused, match="fingerprint"):
        svc.accept_agreement(
            agreement=agreement,
            actor=member_of(application.organisation),
            agreed=True,
            pdf_sha256=agreement.pdf_sha256,
        )
    assert application.__class__.objects.get(pk=application.pk).state == S.APPROVED


def test_other_organisations_and_staff_cannot_accept():
    officer = make_officer()
    application = approved_application()
    agreement = issue(application, officer)
    outsider_application = approved_application()
    for actor in (member_of(outsider_application.organisation, "eve"), officer):
        with pytest.raises(PermissionDenied):
            svc.accept_agreement(
                agreement=agreement, actor=actor, agreed=True, pdf_sha256=agreement.pdf_sha256
            )
    assert not LedgerEntry.objects.exists()


def test_accepted_agreement_is_frozen():
    officer = make_officer()
    application = approved_application()
    agreement = issue(application, officer)
    svc.accept_agreement(
        agreement=agreement,
        actor=member_of(application.organisation),
        agreed=True,
        pdf_sha256=agreement.pdf_sha256,
    )
    type(application).objects.filter(pk=application.pk).update(state=S.APPROVED)  # even so
    application.refresh_from_db()
    with pytest.raises(TransitionRefused, match="no longer be changed"):
        issue(application, officer, award_amount="10000")
    agreement.refresh_from_db()
    assert agreement.version == 1 and agreement.award_amount == Decimal("20000.00")


def test_schedule_without_on_signing_tranche_still_contracts():
    call = CallFactory(
        max_grant=Decimal("30000"),
        tranche_schedule=[
            {"percent": 60, "condition": "mid_term_passed"},
            {"percent": 40, "condition": "final_passed"},
        ],
    )
    officer = make_officer()
    application = approved_application(call=call)
    agreement = issue(application, officer)
    svc.accept_agreement(
        agreement=agreement,
        actor=member_of(application.organisation),
        agreed=True,
        pdf_sha256=agreement.pdf_sha256,
    )
    application.refresh_from_db()
    assert application.state == S.CONTRACTED
    assert not Tranche.objects.filter(status=TrancheStatus.RELEASABLE).exists()


def test_the_organisation_is_told_when_the_agreement_is_issued():
    from grants.models import Notification

    officer = make_officer()
    application = approved_application()
    member = member_of(application.organisation)
    issue(application, officer)
    notice = Notification.objects.get(recipient=member, verb="issue_agreement")
    assert notice.url.endswith(f"/me/applications/{application.pk}/agreement/")
