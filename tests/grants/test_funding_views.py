"""Funding pages: the officer's agreement form, the member's acceptance, the finance workspace and the
disbursement page, with outsiders refused and query counts constant."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from grants.enums import AgreementState, ApplicationState, LedgerKind
from grants.models import Agreement, Disbursement, LedgerEntry
from grants.models.disbursements import DisbursementState
from grants.services import disbursements as svc
from tests.grants.factories_funding import (
    PDF_BYTES,
    approved_application,
    approved_disbursement,
    contracted,
    issue,
    make_finance,
    make_officer,
    member_of,
    voucher_file,
)


@pytest.fixture(autouse=True)
def _english_messages(english):
    """These tests read the English msgids; the zh-hans wording is checked by test_translations."""


pytestmark = pytest.mark.django_db
S = ApplicationState
D = DisbursementState


@pytest.fixture
def officer():
    return make_officer()


@pytest.fixture
def finance():
    return make_finance()


def test_officer_page_shows_the_generate_form_and_issues_the_agreement(client, officer):
    application = approved_application(organisation_name="南通市崇川区夕阳红为老服务中心")
    client.force_login(officer)
    page = client.get(reverse("grants:officer_application", args=[application.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="funding-heading"' in html
    assert reverse("grants:funding_agreement_issue", args=[application.pk]) in html

    today = timezone.localdate()
    response = client.post(
        reverse("grants:funding_agreement_issue", args=[application.pk]),
        {
            "award_amount": "20000",
            "starts_on": today.isoformat(),
            "ends_on": today.replace(year=today.year + 1).isoformat(),
            "account_name": "南通市崇川区夕阳红为老服务中心",
            "account_bank": "中国银行南通分行",
            "account_number": "6216600000001234",
        },
    )
    assert response.status_code == 302
    agreement = Agreement.objects.get(application=application)
    assert agreement.state == AgreementState.ISSUED and agreement.pdf_sha256
    pdf = client.get(reverse("grants:funding_agreement_pdf_staff", args=[application.pk]))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")


@pytest.mark.parametrize("amount", ["0", "-1", "abc", "99999"])
def test_bad_award_amounts_show_an_error_and_issue_nothing(client, officer, amount):
    application = approved_application()
    client.force_login(officer)
    today = timezone.localdate()
    response = client.post(
        reverse("grants:funding_agreement_issue", args=[application.pk]),
        {
            "award_amount": amount,
            "starts_on": today.isoformat(),
            "ends_on": today.replace(year=today.year + 1).isoformat(),
            "account_name": "x",
            "account_bank": "y",
            "account_number": "123456789",
        },
    )
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not Agreement.objects.exists()


def test_non_officers_cannot_issue(client, finance):
    application = approved_application()
    member = member_of(application.organisation)
    url = reverse("grants:funding_agreement_issue", args=[application.pk])
    client.force_login(member)
    assert client.post(url, {}).status_code == 403
    client.force_login(finance)
    assert client.post(url, {}).status_code == 403
    outsider = member_of(approved_application().organisation, "mallory_f")
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_member_reads_and_accepts_on_the_agreement_page(client, officer):
    application = approved_application()
    member = member_of(application.organisation)
    agreement = issue(application, officer)
    client.force_login(member)
    detail = client.get(reverse("grants:application_detail", args=[application.pk]))
    assert reverse("grants:funding_agreement", args=[application.pk]) in detail.content.decode()
    url = reverse("grants:funding_agreement", args=[application.pk])
    page = client.get(url)
    assert page.status_code == 200 and agreement.pdf_sha256 in page.content.decode()

    # without the tick: an error, nothing accepted
    refused = client.post(url, {"pdf_sha256": agreement.pdf_sha256})
    assert refused.status_code == 400
    agreement.refresh_from_db()
    assert agreement.state == AgreementState.ISSUED

    accepted = client.post(
        url,
        {"pdf_sha256": agreement.pdf_sha256, "agree": "on"},
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone) MicroMessenger",
        REMOTE_ADDR="198.51.100.7",
    )
    assert accepted.status_code == 302
    agreement.refresh_from_db()
    application.refresh_from_db()
    assert agreement.state == AgreementState.ACCEPTED
    assert agreement.accepted_user_agent.endswith("MicroMessenger")
    assert agreement.accepted_ip
    assert application.state == S.CONTRACTED
    panel = client.get(reverse("grants:application_detail", args=[application.pk])).content.decode()
    assert "¥10,000.00" in panel  # tranche 1 in the schedule


def test_other_organisations_get_404_on_agreement_and_pdf(client, officer):
    application = approved_application()
    issue(application, officer)
    outsider = member_of(approved_application().organisation, "eve_f")
    client.force_login(outsider)
    for name in ("grants:funding_agreement", "grants:funding_agreement_pdf"):
        assert client.get(reverse(name, args=[application.pk])).status_code == 404


def test_finance_cannot_approve_own_and_officer_approves_then_finance_pays(
    client, officer, finance
):
    project = contracted(officer=officer)
    tranche = project.tranches.get(number=1)
    client.force_login(finance)
    workspace = client.get(reverse("grants:funding_workspace"))
    assert reverse("grants:funding_prepare", args=[tranche.pk]) in workspace.content.decode()
    response = client.post(reverse("grants:funding_prepare", args=[tranche.pk]), {"method": "bank"})
    disbursement = Disbursement.objects.get()
    assert response.url == reverse("grants:funding_disbursement", args=[disbursement.pk])

    page = client.get(response.url).content.decode()
    assert 'id="two-person-note"' in page and "/approve/" not in page
    forced = client.post(
        reverse("grants:funding_disbursement_action", args=[disbursement.pk, "approve"])
    )
    assert forced.status_code == 403  # the two-person rule, even when the form is forged
    disbursement.refresh_from_db()
    assert disbursement.state == D.REQUESTED

    client.force_login(officer)
    client.post(reverse("grants:funding_disbursement_action", args=[disbursement.pk, "approve"]))
    disbursement.refresh_from_db()
    assert disbursement.state == D.APPROVED

    client.force_login(finance)
    pay_url = reverse("grants:funding_disbursement_action", args=[disbursement.pk, "pay"])
    data = {
        "pay-voucher_number": "GKZF-001",
        "pay-paid_on": timezone.localdate().isoformat(),
        "pay-amount": "9000",
        "pay-payer_account": "区民政局零余额账户",
        "pay-payee_account": "中国银行 6216600000001234",
        "pay-voucher_scan": voucher_file(),
    }
    wrong = client.post(pay_url, data)
    assert wrong.status_code == 400
    assert "nothing was recorded" in wrong.content.decode()
    assert not LedgerEntry.objects.filter(kind=LedgerKind.TRANCHE_PAID).exists()

    data.update({"pay-amount": "10,000.00", "pay-voucher_scan": voucher_file()})
    ok = client.post(pay_url, data)
    assert ok.status_code == 302
    disbursement.refresh_from_db()
    project.refresh_from_db()
    assert disbursement.state == D.PAID and project.state == S.ACTIVE
    voucher = client.get(reverse("grants:funding_voucher", args=[disbursement.pk]))
    assert b"".join(voucher.streaming_content) == PDF_BYTES

    client.post(reverse("grants:funding_disbursement_action", args=[disbursement.pk, "reconcile"]))
    disbursement.refresh_from_db()
    assert disbursement.state == D.RECONCILED


def test_wrong_file_type_is_a_form_error(client, officer, finance):
    project = contracted(officer=officer)
    disbursement = approved_disbursement(project, finance=finance, approver=officer)
    client.force_login(finance)
    response = client.post(
        reverse("grants:funding_disbursement_action", args=[disbursement.pk, "pay"]),
        {
            "pay-voucher_number": "GKZF-001",
            "pay-paid_on": timezone.localdate().isoformat(),
            "pay-amount": "10000",
            "pay-payer_account": "a",
            "pay-payee_account": "b",
            "pay-voucher_scan": voucher_file("voucher.txt", b"hello"),
        },
    )
    assert response.status_code == 400
    assert "PDF, JPG or PNG" in response.content.decode()
    disbursement.refresh_from_db()
    assert disbursement.state == D.APPROVED


def test_applicants_cannot_use_the_workspace(client, officer, finance):
    project = contracted(officer=officer)
    disbursement = svc.prepare_disbursement(tranche=project.tranches.get(number=1), actor=finance)
    member = member_of(project.organisation, "amy_w")
    client.force_login(member)
    assert client.get(reverse("grants:funding_workspace")).status_code == 403
    assert (
        client.get(reverse("grants:funding_disbursement", args=[disbursement.pk])).status_code
        == 403
    )
    assert (
        client.post(
            reverse("grants:funding_disbursement_action", args=[disbursement.pk, "approve"])
        ).status_code
        == 403
    )


def test_workspace_query_count_is_constant(client, officer, finance, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("grants:funding_workspace")).status_code == 200
        return len(queries)

    project = contracted(officer=officer)
    approved_disbursement(project, finance=finance, approver=officer)
    client.force_login(finance)
    count()  # warm up: the site settings row is created on the first request
    one = count()
    # 30 more rows: releasable tranches and disbursements in every state (cheap set-up, no PDFs)
    from grants.models import Tranche

    agreement = project.agreement
    for number in range(4, 34):
        tranche = Tranche.objects.create(
            agreement=agreement, application=project, number=number, percent=1,
            amount=Decimal("10.00"), condition="on_signing", status="releasable",
            due_on=timezone.localdate(),
        )  # fmt: skip
        if number % 2:
            svc.prepare_disbursement(tranche=tranche, actor=finance)
    thirty = count()
    assert thirty == one
    with django_assert_max_num_queries(one):
        client.get(reverse("grants:funding_workspace"))


def test_panel_is_empty_before_approval_and_for_people_who_may_not_see_it(officer):
    from grants.views.funding import render_panel
    from tests.factories import ApplicationFactory

    draft = ApplicationFactory()
    assert render_panel(draft, officer, "officer") == ""
    application = approved_application()
    issue(application, officer)
    outsider = member_of(approved_application().organisation, "zed")
    assert render_panel(application, outsider, "applicant") == ""
    assert render_panel(application, make_finance("fin_p"), "officer") == ""
    assert "funding-heading" in render_panel(application, officer, "officer")


def test_panels_show_payments_to_the_member_and_no_account_to_evaluators(officer, finance):
    from grants.views.funding import render_panel

    project = contracted(officer=officer)
    member = member_of(project.organisation, "amy_p")
    disbursement = approved_disbursement(project, finance=finance, approver=officer)
    svc.record_payment(
        disbursement=disbursement, actor=finance, voucher_number="GKZF-777",
        paid_on=timezone.localdate(), amount="10000", payer_account="a", payee_account="b",
        voucher_scan=voucher_file(),
    )  # fmt: skip
    applicant_html = render_panel(project, member, "applicant")
    assert "GKZF-777" in applicant_html and "¥10,000.00" in applicant_html
    evaluator_html = render_panel(project, officer, "evaluator")
    assert "tranche-status--paid" in evaluator_html
    assert "6216600000001234" not in evaluator_html  # the account is not the evaluator's business
    officer_html = render_panel(project, officer, "officer")
    assert "6216600000001234" in officer_html and "GKZF-777" in officer_html


def test_an_overdue_tranche_is_shown_in_red(client, officer):
    from datetime import timedelta

    from grants.models import Tranche

    project = contracted(officer=officer)
    Tranche.objects.filter(application=project, number=1).update(
        due_on=timezone.localdate() - timedelta(days=1)
    )
    client.force_login(officer)
    html = client.get(reverse("grants:officer_application", args=[project.pk])).content.decode()
    assert 'class="overdue"' in html


def test_stripe_payout_without_keys_shows_the_failure_and_records_nothing(
    client, officer, finance, settings
):
    settings.STRIPE_SECRET_KEY = ""
    project = contracted(officer=officer)
    disbursement = svc.prepare_disbursement(
        tranche=project.tranches.get(number=1), actor=finance, method="stripe",
        stripe_account_id="acct_1QfWzRPd3sGkTq9L",
    )  # fmt: skip
    svc.approve_disbursement(disbursement=disbursement, actor=officer)
    client.force_login(finance)
    page = client.get(reverse("grants:funding_disbursement", args=[disbursement.pk]))
    stripe_url = reverse("grants:funding_disbursement_action", args=[disbursement.pk, "stripe"])
    assert stripe_url in page.content.decode()
    response = client.post(stripe_url, follow=True)
    disbursement.refresh_from_db()
    assert disbursement.state == D.FAILED
    html = response.content.decode()
    assert "Stripe" in html and 'id="history-heading"' in html  # the history lists every step
    assert not LedgerEntry.objects.filter(kind=LedgerKind.TRANCHE_PAID).exists()
