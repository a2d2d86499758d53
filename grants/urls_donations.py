"""URLs of donations, matching funds and Stripe webhooks (issue #5); added to grants/urls.py under the "grants" namespace."""

urlpatterns: list = []
