"""A visitor gives ¥200 to a funded project in real Chromium at 375 px, against localstripe; after
localstripe's signed webhook reaches the live server, the matched total shows the 1:1 match."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from grants.models import Donation
from tests.grants.factories_donations import active_pledge, funded_project
from tests.stripe_server import register_webhook, silence_webhook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitor_donates_and_sees_the_matched_total_after_the_webhook(
    live_server, page, screenshot, stripe_settings
):
    # given a running project, a 1:1 pledge on its programme's pool, and localstripe's webhook
    # pointed at the live server
    base = stripe_settings.STRIPE_API_BASE
    register_webhook(base, "donations-browser", f"{live_server.url}/stripe/webhook/")
    try:
        project = funded_project(title="“邻里+”楼道长守望探访计划")
        active_pledge(programme=project.call.programme, cap="10000")
        url = live_server.url + reverse("grants:donations_project", kwargs={"pk": project.pk})

        # when a visitor opens the donation page and gives ¥200 under their name
        page.goto(url)
        expect(page.locator("h1")).to_have_text("“邻里+”楼道长守望探访计划")
        expect(page.locator("[data-figure=matched]")).to_have_text("¥0")
        screenshot("1-donation-page")
        page.locator("input[name=preset][value=other]").check()
        page.fill("input[name=custom_amount]", "200")
        page.fill("input[name=donor_name]", "周女士")
        page.fill("textarea[name=message]", "感谢楼道长们！")
        page.locator("form.donate-form button[type=submit]").click()
        page.wait_for_load_state()

        # and pays with the test card (prefilled) on the payment page
        expect(page.locator("input[name=number]")).to_have_value("4242 4242 4242 4242")
        expect(page.locator(".facts .amount")).to_have_text("¥200")
        screenshot("2-payment")
        page.locator("form.donate-form button[type=submit]").click()
        page.wait_for_load_state()

        # then a thank-you page, which (refreshing itself) shows the gift and the 1:1 match once
        # localstripe's payment_intent.succeeded webhook has been processed
        assert re.search(r"/donations/[0-9a-f-]+/thanks/$", page.url)
        expect(page.locator("[data-figure=matched]")).to_have_text("¥200", timeout=30_000)
        expect(page.locator("[data-figure=donated]")).to_have_text("¥200")
        screenshot("3-thanks")

        # and the project's public page shows the new totals too
        page.goto(url)
        expect(page.locator("[data-figure=donated]")).to_have_text("¥200")
        expect(page.locator("[data-figure=matched]")).to_have_text("¥200")
        donation = Donation.objects.get()
        assert (donation.status, donation.donor_name) == ("succeeded", "周女士")
    finally:
        silence_webhook(base, "donations-browser")
