"""The public donation pages, the panels and the refund button (against localstripe where Stripe is
needed)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.enums import Role
from grants import stripe_gateway
from grants.enums import ApplicationState, LedgerKind
from grants.models import Donation, LedgerEntry
from grants.models.donations import DonationStatus
from tests.factories import MembershipFactory, UserFactory
from tests.grants.factories_donations import (
    active_pledge,
    funded_project,
    received_donation,
    stripe_event,
)
from tests.stripe_server import signed_delivery


@pytest.fixture(autouse=True)
def _english_messages(english):
    """These tests read the English msgids; the zh-hans wording is checked by test_translations."""


pytestmark = pytest.mark.django_db


@pytest.fixture
def en(client):
    client.cookies["django_language"] = "en"
    return client


def _url(project):
    return reverse("grants:donations_project", kwargs={"pk": project.pk})


def test_donation_page_shows_the_project_presets_and_totals(en, stripe_settings):
    project = funded_project(title="“邻里+”楼道长守望探访计划")
    received_donation(project, "150")

    page = en.get(_url(project)).content.decode()

    assert "“邻里+”楼道长守望探访计划" in page
    assert project.organisation.name in page
    for preset in ("¥50", "¥100", "¥500"):
        assert preset in page
    assert "Donated so far" in page and "¥150" in page
    assert 'name="custom_amount"' in page


@pytest.mark.parametrize(
    "state",
    [
        ApplicationState.DRAFT,
        ApplicationState.SUBMITTED,
        ApplicationState.APPROVED,
        ApplicationState.COMPLETED,
    ],
)
def test_projects_that_are_not_funded_have_no_donation_page(client, stripe_settings, state):
    assert client.get(_url(funded_project(state=state))).status_code == 404


def test_without_stripe_keys_the_page_says_donations_are_off(en, settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_PUBLISHABLE_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.STRIPE_API_BASE = ""
    project = funded_project()

    page = en.get(_url(project))
    posted = en.post(_url(project), {"preset": "100"})

    assert page.status_code == posted.status_code == 200
    assert "Online donations are switched off" in page.content.decode()
    assert "<form" not in page.content.decode().split("Make a donation")[1]
    assert not Donation.objects.exists()
    assert (
        en.post("/stripe/webhook/", data=b"{}", content_type="application/json").status_code == 400
    )


def test_without_keys_the_page_is_translated(client, settings):
    settings.STRIPE_SECRET_KEY = ""
    client.cookies["django_language"] = "zh-hans"
    response = client.get(_url(funded_project()))
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "zh-hans"


def test_a_visitor_donates_and_pays_with_the_test_card(en, stripe_settings):
    # given a project with a 1:1 pledge
    project = funded_project()
    active_pledge(application=project)

    # when a visitor gives ¥200 with a name and pays with the test card
    response = en.post(
        _url(project),
        {"preset": "other", "custom_amount": "200", "donor_name": "赵六", "message": "加油！"},
    )
    donation = Donation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "grants:donations_pay", kwargs={"public_id": donation.public_id}
    )
    pay_page = en.get(response["Location"])
    assert "4242 4242 4242 4242" in pay_page.content.decode()
    assert pay_page["Cache-Control"] == "no-store"
    paid = en.post(
        response["Location"], {"number": "4242 4242 4242 4242", "expiry": "12/34", "cvc": "123"}
    )
    assert paid.status_code == 302

    # then the thank-you page waits for Stripe, and shows the donation after the webhook
    thanks_url = paid["Location"]
    assert "waiting for the payment service" in en.get(thanks_url).content.decode()
    signed_delivery(en, stripe_event(donation.stripe_payment_intent_id, "payment_intent.succeeded"))
    thanks = en.get(thanks_url).content.decode()
    assert "has been received" in thanks
    assert thanks.count("¥200") >= 3  # the gift, the donated and the matched totals
    assert donation.donor_name == "赵六" and donation.message == "加油！"


def test_preset_amount_is_used_when_no_amount_is_typed(en, stripe_settings):
    en.post(_url(funded_project()), {"preset": "500"})
    donation = Donation.objects.get()
    assert donation.amount == Decimal("500.00")
    assert stripe_gateway.retrieve_payment_intent(donation.stripe_payment_intent_id).amount == 50000


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "more than zero"),
        ("-10", "more than zero"),
        ("50000.01", "largest donation"),
        ("0.50", "smallest donation"),
        ("abc", "Enter an amount in yuan"),
        ("", "Choose or enter an amount"),
    ],
)
def test_invalid_amounts_show_a_form_error_and_create_nothing(en, stripe_settings, amount, message):
    project = funded_project()

    response = en.post(_url(project), {"preset": "other", "custom_amount": amount})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Donation.objects.exists()


def test_declined_test_card_shows_the_error(en, stripe_settings):
    en.post(_url(funded_project()), {"preset": "100"})
    donation = Donation.objects.get()
    url = reverse("grants:donations_pay", kwargs={"public_id": donation.public_id})

    response = en.post(url, {"number": "4000 0000 0000 0341", "expiry": "12/34", "cvc": "123"})

    assert response.status_code == 200
    assert "declined" in response.content.decode()


def test_programme_pool_page_takes_gifts(en, stripe_settings):
    project = funded_project()
    programme = project.call.programme
    url = reverse("grants:donations_programme", kwargs={"pk": programme.pk})

    assert programme.name in en.get(url).content.decode()
    en.post(url, {"preset": "50"})

    donation = Donation.objects.get()
    assert donation.programme == programme and donation.application is None


def test_programme_without_funded_projects_has_no_pool_page(client, stripe_settings):
    project = funded_project(state=ApplicationState.SUBMITTED)
    url = reverse("grants:donations_programme", kwargs={"pk": project.call.programme.pk})
    assert client.get(url).status_code == 404


def test_unknown_donation_page_is_404(client, stripe_settings):
    url = reverse(
        "grants:donations_thanks", kwargs={"public_id": "00000000-0000-0000-0000-000000000000"}
    )
    assert client.get(url).status_code == 404


# --- Panels ----------------------------------------------------------------------------------------


def _panel(application, user, audience):
    request = RequestFactory().get("/")
    request.user = user
    return Template(
        "{% load donations_panels %}{% donations_panel application user audience %}"
    ).render(
        Context(
            {"application": application, "user": user, "audience": audience, "request": request}
        )
    )


def test_officer_panel_lists_donors_and_refund_forms(officer):
    project = funded_project()
    received_donation(project, "120", donor_name="钱七")
    Donation.objects.update(donor_email="qian@example.com")

    html = _panel(project, officer, "officer")

    assert "钱七" in html and "qian@example.com" in html
    assert reverse("grants:donations_refund", kwargs={"pk": Donation.objects.get().pk}) in html
    assert "¥120" in html


def test_applicant_and_evaluator_see_totals_only(applicant, organisation):
    project = funded_project(organisation=organisation)
    received_donation(project, "120", donor_name="钱七")
    evaluator = UserFactory()
    MembershipFactory(user=evaluator, organisation=None, role=Role.EVALUATOR)

    for user, audience in (
        (applicant, "applicant"),
        (evaluator, "evaluator"),
        (applicant, "officer"),
    ):
        html = _panel(project, user, audience)
        assert "¥120" in html
        assert "钱七" not in html
        assert "refund-form" not in html


def test_no_panel_for_a_project_never_funded(officer):
    assert (
        _panel(funded_project(state=ApplicationState.SUBMITTED), officer, "officer").strip() == ""
    )


@pytest.mark.parametrize("rows", [1, 30])
def test_officer_panel_costs_the_same_for_1_and_30_donations(
    officer, rows, django_assert_max_num_queries
):
    project = funded_project()
    for n in range(rows):
        received_donation(project, "10", pi=f"pi_count_{n}")
    _panel(project, officer, "officer")  # warm caches (content types, permissions)
    with CaptureQueriesContext(connection) as queries:
        _panel(project, officer, "officer")
    assert len(queries) <= 4, [q["sql"] for q in queries]


def test_officer_application_page_shows_the_panel(en, officer):
    project = funded_project()
    received_donation(project, "88", donor_name="孙八")
    en.force_login(officer)

    page = en.get(reverse("grants:officer_application", kwargs={"pk": project.pk})).content.decode()

    assert "Donations and matching funds" in page and "孙八" in page


# --- Refund button ---------------------------------------------------------------------------------


def _messages(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def _paid(client, project, amount="200"):
    client.post(_url(project), {"preset": "other", "custom_amount": amount})
    donation = Donation.objects.latest("pk")
    client.post(
        reverse("grants:donations_pay", kwargs={"public_id": donation.public_id}),
        {"number": "4242424242424242", "expiry": "12/34", "cvc": "123"},
    )
    signed_delivery(
        client, stripe_event(donation.stripe_payment_intent_id, "payment_intent.succeeded")
    )
    donation.refresh_from_db()
    return donation


def test_officer_refund_button(en, stripe_settings, officer):
    project = funded_project()
    donation = _paid(en, project)
    en.force_login(officer)
    url = reverse("grants:donations_refund", kwargs={"pk": donation.pk})

    back = f"/workspace/applications/{project.pk}/#donations"
    response = en.post(url, {"amount": "80", "expected_refunded": "0.00", "next": back})

    assert response["Location"] == back
    assert "refund was sent" in _messages(response)
    donation.refresh_from_db()
    assert donation.status == DonationStatus.PARTIALLY_REFUNDED
    assert LedgerEntry.objects.get(kind=LedgerKind.DONATION_REFUND).amount == Decimal("80.00")


def test_refund_of_too_much_shows_an_error(en, stripe_settings, officer):
    donation = _paid(en, funded_project())
    en.force_login(officer)

    response = en.post(
        reverse("grants:donations_refund", kwargs={"pk": donation.pk}),
        {"amount": "999", "expected_refunded": "0.00"},
    )

    assert "At most ¥200.00" in _messages(response)
    assert not LedgerEntry.objects.filter(kind=LedgerKind.DONATION_REFUND).exists()


@pytest.mark.parametrize("who", ["applicant", "outsider", "anonymous"])
def test_others_cannot_refund(client, stripe_settings, request, who):
    donation = received_donation(funded_project(), "50")
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    response = client.post(
        reverse("grants:donations_refund", kwargs={"pk": donation.pk}),
        {"amount": "10", "expected_refunded": "0.00"},
    )
    assert response.status_code in (302, 403)
    if who != "anonymous":
        assert response.status_code == 403
    assert not LedgerEntry.objects.filter(kind=LedgerKind.DONATION_REFUND).exists()


def test_production_payment_page_uses_stripe_js_and_takes_no_card_number(en, stripe_settings):
    """With a live-looking key the page mounts Stripe's Payment Element (card data never comes here).

    localstripe still answers the API calls; only the key decides which path the page takes.
    """
    en.post(_url(funded_project()), {"preset": "100"})
    donation = Donation.objects.get()
    stripe_settings.STRIPE_SECRET_KEY = "sk_live_not_a_real_key"
    url = reverse("grants:donations_pay", kwargs={"public_id": donation.public_id})

    page = en.get(url).content.decode()

    assert "https://js.stripe.com/v3/" in page
    assert 'id="payment-element"' in page
    assert f"{donation.stripe_payment_intent_id}_secret_" in page
    assert 'name="number"' not in page
    assert en.post(url, {"number": "4242424242424242"}).status_code == 405


def test_database_refuses_out_of_range_amounts_and_two_recipients():
    from django.db import IntegrityError, transaction

    project = funded_project()
    for kwargs in (
        {"application": project, "amount": Decimal("0.99")},
        {"application": project, "amount": Decimal("50000.01")},
        {"application": project, "programme": project.call.programme, "amount": Decimal("10")},
        {"application": None, "amount": Decimal("10")},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Donation.objects.create(stripe_payment_intent_id=f"pi_bad_{len(str(kwargs))}", **kwargs)


def test_refund_never_redirects_off_site(en, stripe_settings, officer):
    donation = received_donation(funded_project(), "50")
    en.force_login(officer)
    response = en.post(
        reverse("grants:donations_refund", kwargs={"pk": donation.pk}),
        {"amount": "abc", "expected_refunded": "0.00", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("grants:donations_staff_list")


# --- Staff list ------------------------------------------------------------------------------------


def _finance():
    user = UserFactory(username="fiona")
    MembershipFactory(user=user, organisation=None, role=Role.FINANCE)
    return user


def test_staff_list_shows_project_and_pool_donations(en, officer):
    project = funded_project(title="书香濠南")
    received_donation(project, "66", donor_name="吴九")
    pool = Donation.objects.create(
        programme=project.call.programme, amount=Decimal("12"), stripe_payment_intent_id="pi_pool_1"
    )
    en.force_login(officer)

    page = en.get(reverse("grants:donations_staff_list")).content.decode()

    assert "书香濠南" in page and "吴九" in page and "¥66" in page
    assert pool.stripe_payment_intent_id in page and "Anonymous" in page
    assert page.count('class="refund-form"') == 1  # only the received one can be refunded


def test_staff_list_filters_by_programme_and_status(en, officer):
    one, other = funded_project(title="项目甲"), funded_project(title="项目乙")
    received_donation(one, "10")
    received_donation(other, "20")
    en.force_login(officer)
    url = reverse("grants:donations_staff_list")

    page = en.get(url, {"programme": one.call.programme_id}).content.decode()
    assert "项目甲" in page and "项目乙" not in page
    assert "项目甲" not in en.get(url, {"status": "refunded"}).content.decode()


def test_finance_sees_the_list_without_refund_buttons(en):
    received_donation(funded_project(), "10")
    en.force_login(_finance())
    page = en.get(reverse("grants:donations_staff_list"))
    assert page.status_code == 200
    assert 'class="refund-form"' not in page.content.decode()


@pytest.mark.parametrize("who", ["applicant", "outsider"])
def test_staff_list_is_closed_to_others(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("grants:donations_staff_list")).status_code == 403


def test_staff_list_needs_a_login(client):
    assert client.get(reverse("grants:donations_staff_list")).status_code == 302


def test_staff_list_costs_the_same_for_1_and_30_donations(en, officer, django_assert_num_queries):
    en.force_login(officer)
    url = reverse("grants:donations_staff_list")
    received_donation(funded_project(), "10", pi="pi_q_0")
    en.get(url)
    with CaptureQueriesContext(connection) as one:
        en.get(url)
    for n in range(1, 30):
        received_donation(funded_project(), "10", pi=f"pi_q_{n}")
    with django_assert_num_queries(len(one)):
        en.get(url)
