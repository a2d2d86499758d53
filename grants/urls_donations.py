"""URLs of donations, matching funds and Stripe webhooks (issue #5); added to grants/urls.py under the "grants" namespace."""

from django.urls import path

from grants.views import donations

urlpatterns: list = [
    # Public
    path("projects/<int:pk>/donate/", donations.donate_project, name="donations_project"),
    path("programmes/<int:pk>/donate/", donations.donate_programme, name="donations_programme"),
    path("donations/<uuid:public_id>/pay/", donations.donation_pay, name="donations_pay"),
    path("donations/<uuid:public_id>/thanks/", donations.donation_thanks, name="donations_thanks"),
    # Stripe (signed requests, no session)
    path("stripe/webhook/", donations.stripe_webhook, name="donations_webhook"),
    # Officers and finance staff
    path("workspace/donations/", donations.staff_list, name="donations_staff_list"),
    path(
        "workspace/donations/<int:pk>/refund/", donations.donation_refund, name="donations_refund"
    ),
]
