"""Issue #7, "Done when" (volunteers), in real Chromium on a phone-sized screen.

On the volunteering demo (``seed_volunteers`` on an organisation of our own): volunteer1 finds an
upcoming activity on the public list, logs in and signs up; the organiser shows the check-in QR
code, whose link volunteer1 opens to check in and, two hours later, to check out; the organiser
approves volunteer1's hours entered for an earlier activity; volunteer1 sees the hours and points
on her profile, redeems a reward and downloads her volunteer-service certificate (a PDF).

The database is only touched while the browser is idle: once to set the activity's start to now
(so the QR code is open) and once to move the check-in two hours back, as if the afternoon passed.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from accounts.enums import Role
from incubator.demo_volunteers import OPEN_ACTIVITY_TITLE, seed_volunteers
from incubator.enums_volunteers import HoursState, RedemptionState
from incubator.models import HoursRecord, Redemption, Volunteer, VolunteerActivity, VolunteerSignup
from incubator.selectors_volunteers import points_balance, volunteer_summary
from tests.factories import (
    PASSWORD,
    CommunityFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWPORT = {"width": 375, "height": 812}


def log_in(page, base_url: str, username: str, password: str) -> None:
    if "/accounts/login/" not in page.url:
        page.goto(f"{base_url}{reverse('account_login')}")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    page.locator("form:has(input[name=login]) [type=submit]").click()
    page.wait_for_load_state()


def number(page, selector: str) -> Decimal:
    return Decimal(page.locator(selector).inner_text().strip())


def test_volunteer1_signs_up_checks_in_by_qr_gets_hours_and_points_redeems_and_gets_a_certificate(
    live_server, chromium, page, screenshot
):
    # given the volunteering demo on an organisation with an organiser
    communities = [CommunityFactory(name="钮家巷社区"), CommunityFactory(name="大儒社区")]
    organisation = OrganisationFactory(name="姑苏区平江社会工作服务社", community=communities[0])
    organiser = UserFactory(username="lu-yaqin", display_name="陆雅琴")
    MembershipFactory(user=organiser, organisation=organisation, role=Role.APPLICANT)
    seed_volunteers(organisations=[organisation], communities=communities, applications=[])
    volunteer = Volunteer.objects.get(user__username="volunteer1")
    activity = VolunteerActivity.objects.get(title=OPEN_ACTIVITY_TITLE)
    now = timezone.now()
    VolunteerActivity.objects.filter(pk=activity.pk).update(
        starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=3)
    )  # it is starting: the QR code is open
    pending = HoursRecord.objects.get(volunteer=volunteer, state=HoursState.PENDING)
    before = volunteer_summary(volunteer)
    base = live_server.url

    # when volunteer1 finds the activity on the public list (phone screen) ...
    page.goto(f"{base}/volunteering/")
    page.get_by_role("link", name=OPEN_ACTIVITY_TITLE).click()
    page.wait_for_url(re.compile(rf"/volunteering/activities/{activity.pk}/$"))
    screenshot("01-activity")
    # ... logs in and signs up
    page.locator("#login-to-sign-up").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    log_in(page, base, "volunteer1", DEMO_PASSWORD)
    page.wait_for_url(re.compile(rf"/volunteering/activities/{activity.pk}/$"))
    page.locator("#sign-up-button").click()
    page.wait_for_load_state()
    page.locator(f"form[action$='/activities/{activity.pk}/cancel/']").wait_for()
    screenshot("02-signed-up")

    # ... the organiser shows the QR code at the venue
    organiser_context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN")
    organiser_page = organiser_context.new_page()
    organiser_page.set_default_timeout(20_000)
    organiser_page.goto(f"{base}{reverse('volunteering:manage_activity', args=[activity.pk])}")
    log_in(organiser_page, base, "lu-yaqin", PASSWORD)
    organiser_page.goto(f"{base}{reverse('volunteering:manage_activity', args=[activity.pk])}")
    qr = organiser_page.locator(".vol-qr img")
    qr.wait_for()
    assert organiser_page.evaluate("img => img.naturalWidth > 0", qr.element_handle())
    organiser_page.locator("#roster tr[data-volunteer='林小雨']").wait_for()
    checkin_link = organiser_page.locator("a[data-checkin-link]").get_attribute("href")
    screenshot("03-organiser-qr", organiser_page)

    # ... volunteer1 opens the QR link and checks in
    page.goto(checkin_link)
    page.locator("#checkin-button").click()
    page.wait_for_load_state()
    page.locator("#checkout-button").wait_for()
    screenshot("04-checked-in")

    # ... two hours and ten minutes later she checks out (and taps twice)
    VolunteerSignup.objects.filter(activity=activity, volunteer=volunteer).update(
        checked_in_at=timezone.now() - timedelta(minutes=130)
    )
    page.goto(checkin_link)
    page.locator("#checkout-button").click()
    page.wait_for_load_state()
    page.locator("#hours-result").filter(has_text="2.0").wait_for()
    screenshot("05-checked-out")

    # ... the organiser approves the hours she entered for an earlier activity
    organiser_page.goto(f"{base}{reverse('volunteering:hours_pending')}")
    organiser_page.locator(
        f"form[action$='/manage/hours/{pending.pk}/approve/'] button[type=submit]"
    ).click()
    organiser_page.wait_for_load_state()
    organiser_page.locator(f"form[action$='/manage/hours/{pending.pk}/approve/']").wait_for(
        state="detached"
    )
    screenshot("06-organiser-approved", organiser_page)
    organiser_context.close()

    # ... volunteer1 sees the new hours and points on her profile
    expected_hours = before.approved_hours + Decimal("2") + pending.hours
    expected_points = before.points + Decimal("2") + pending.hours
    page.goto(f"{base}{reverse('volunteering:profile')}")
    assert number(page, "#approved-hours") == expected_hours
    assert number(page, "#points-balance") == expected_points
    screenshot("07-profile")

    # ... redeems a haircut (20 points)
    page.goto(f"{base}{reverse('volunteering:rewards')}")
    screenshot("08-rewards")
    page.locator(".reward[data-reward='理发服务'] button[type=submit]").click()
    page.wait_for_url(f"{base}{reverse('volunteering:profile')}")
    page.locator("#redemptions-table").get_by_text("理发服务").wait_for()
    assert number(page, "#points-balance") == expected_points - Decimal("20")
    screenshot("09-redeemed")

    # ... and downloads her volunteer-service certificate
    with page.expect_download() as download_info:
        page.locator("a.certificate-link").first.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    screenshot("10-certificate")

    # then the record holds exactly what the pages showed: counted once, paid once
    record = HoursRecord.objects.get(volunteer=volunteer, activity=activity)
    assert record.hours == Decimal("2") and record.state == HoursState.APPROVED
    assert HoursRecord.objects.get(pk=pending.pk).state == HoursState.APPROVED
    assert points_balance(volunteer) == expected_points - Decimal("20")
    redemption = Redemption.objects.get(volunteer=volunteer, reward__name="理发服务")
    assert redemption.state == RedemptionState.REQUESTED
    assert volunteer.certificates.filter(organisation=organisation).exists()
