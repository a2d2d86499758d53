"""签约 and 拨付 in real Chromium at 375 px, each person on their own phone (browser context):
the officer generates the agreement, ngo1's member accepts it, finance prepares tranche 1 and
cannot approve it, the officer approves, finance records the bank voucher; the project is active
and tranche 1 shows paid; the funder dashboard shows the figures; a visitor donates through the
donation page (against localstripe) and the matched total updates after the signed webhook.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.enums import Role
from grants.enums import AgreementState, ApplicationState, LedgerKind
from grants.models import Agreement, Application, Disbursement, LedgerEntry
from grants.models.disbursements import DisbursementState
from tests.browser.test_pitch import log_in, phone
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.grants.factories_donations import active_pledge
from tests.grants.factories_funding import (
    PDF_BYTES,
    approved_application,
    bank_account,
    make_finance,
    make_officer,
)
from tests.stripe_server import register_webhook, silence_webhook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agreement_to_first_tranche_paid(live_server, chromium, screenshot, stripe_settings):
    # given an approved application of ngo1's organisation, with a bank account on file
    officer = make_officer("officer_b")
    finance = make_finance("finance_b")
    organisation = OrganisationFactory(name="南通市崇川区和平桥街道邻里守望服务社")
    member = UserFactory(username="ngo1_b", display_name="王社工")
    MembershipFactory(user=member, organisation=organisation, role=Role.APPLICANT)
    bank_account(organisation, created_by=member)
    application = approved_application(organisation=organisation)
    base = live_server.url

    # the officer generates the agreement from the funding panel
    officer_context, officer_tab = phone(chromium)
    log_in(officer_tab, base, officer.username)
    officer_tab.goto(f"{base}{reverse('grants:officer_application', args=[application.pk])}")
    panel = officer_tab.locator("section.funding-panel")
    assert panel.locator("input[name=account_number]").input_value() == "1111222233334444"
    panel.locator("input[name=award_amount]").fill("20000")
    screenshot("1-officer-generates", officer_tab)
    panel.locator("form button[type=submit]").click()
    officer_tab.wait_for_load_state()
    assert officer_tab.locator("section.funding-panel .agreement-state--issued").count() == 1
    agreement = Agreement.objects.get(application=application)
    assert agreement.state == AgreementState.ISSUED

    # ngo1's member reads and accepts it
    member_context, member_tab = phone(chromium)
    log_in(member_tab, base, member.username)
    member_tab.goto(f"{base}{reverse('grants:application_detail', args=[application.pk])}")
    member_tab.locator(
        f"a[href='{reverse('grants:funding_agreement', args=[application.pk])}']"
    ).click()
    member_tab.wait_for_load_state()
    assert "¥20,000.00" in member_tab.content()
    member_tab.locator("input[name=agree]").check()
    screenshot("2-member-accepts", member_tab)
    member_tab.locator("section.accept-box button[type=submit]").click()
    member_tab.wait_for_load_state()
    assert Application.objects.get(pk=application.pk).state == ApplicationState.CONTRACTED

    # finance prepares tranche 1 and is told they cannot approve it
    finance_context, finance_tab = phone(chromium)
    log_in(finance_tab, base, finance.username)
    finance_tab.goto(f"{base}{reverse('grants:funding_workspace')}")
    tranche = application.tranches.get(number=1)
    finance_tab.locator(f"#releasable-{tranche.pk} button[type=submit]").click()
    finance_tab.wait_for_load_state()
    assert finance_tab.locator("#two-person-note").is_visible()
    disbursement = Disbursement.objects.get(tranche=tranche)
    approve_url = reverse("grants:funding_disbursement_action", args=[disbursement.pk, "approve"])
    assert finance_tab.locator(f"form[action='{approve_url}']").count() == 0
    screenshot("3-finance-cannot-approve", finance_tab)

    # the officer approves
    officer_tab.goto(f"{base}{reverse('grants:funding_disbursement', args=[disbursement.pk])}")
    officer_tab.locator(f"form[action='{approve_url}'] button[type=submit]").click()
    officer_tab.wait_for_load_state()
    assert Disbursement.objects.get(pk=disbursement.pk).state == DisbursementState.APPROVED
    screenshot("4-officer-approved", officer_tab)

    # finance records the bank voucher
    finance_tab.reload()
    pay_url = reverse("grants:funding_disbursement_action", args=[disbursement.pk, "pay"])
    form = finance_tab.locator(f"form[action='{pay_url}']")
    form.locator("input[name='pay-voucher_number']").fill("ICBC-20261123-0042")
    form.locator("input[name='pay-payer_account']").fill("南通市崇川区民政局零余额账户")
    form.locator("input[name='pay-voucher_scan']").set_input_files(
        files=[{"name": "回单.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
    )
    screenshot("5-finance-voucher", finance_tab)
    form.locator("button[type=submit]").click()
    finance_tab.wait_for_load_state()
    assert finance_tab.locator(".disbursement-state--paid").count() == 1

    # then the project is active and tranche 1 shows paid, on the officer's page too
    assert Application.objects.get(pk=application.pk).state == ApplicationState.ACTIVE
    entry = LedgerEntry.objects.get(kind=LedgerKind.TRANCHE_PAID, tranche=tranche)
    assert entry.external_reference == "ICBC-20261123-0042"
    officer_tab.goto(f"{base}{reverse('grants:officer_application', args=[application.pk])}")
    assert officer_tab.locator("#tranche-1 .tranche-status--paid").count() == 1
    screenshot("6-officer-sees-paid", officer_tab)

    # the funder dashboard shows what was awarded and paid for the project
    dashboard = f"{base}{reverse('grants:finance_dashboard')}"
    finance_tab.goto(dashboard)
    row = finance_tab.locator("tr", has=finance_tab.locator(f"a:text-is('{application.title}')"))
    cells = row.locator("td.number").all_inner_texts()
    assert "¥20,000" in cells and "¥10,000" in cells
    screenshot("7-dashboard", finance_tab)

    # a visitor gives ¥200 on the donation page; a 1:1 pledge matches it after the webhook
    stripe_base = stripe_settings.STRIPE_API_BASE
    register_webhook(stripe_base, "funding-browser", f"{base}/stripe/webhook/")
    try:
        active_pledge(programme=application.call.programme, cap="10000")
        visitor_context, visitor_tab = phone(chromium)
        donate = f"{base}{reverse('grants:donations_project', kwargs={'pk': application.pk})}"
        visitor_tab.goto(donate)
        visitor_tab.locator("input[name=preset][value=other]").check()
        visitor_tab.fill("input[name=custom_amount]", "200")
        visitor_tab.fill("input[name=donor_name]", "周女士")
        visitor_tab.locator("form.donate-form button[type=submit]").click()
        visitor_tab.wait_for_load_state()
        visitor_tab.locator("form.donate-form button[type=submit]").click()  # the test card
        visitor_tab.wait_for_load_state()
        expect(visitor_tab.locator("[data-figure=matched]")).to_have_text("¥200", timeout=30_000)
        screenshot("8-visitor-donated", visitor_tab)
    finally:
        silence_webhook(stripe_base, "funding-browser")

    # and the dashboard now counts the donation and the matching funds
    finance_tab.goto(dashboard)
    cells = row.locator("td.number").all_inner_texts()
    assert cells.count("¥200") == 2, cells
    screenshot("9-dashboard-with-donation", finance_tab)
    for context in (officer_context, member_context, finance_context, visitor_context):
        context.close()
