"""URLs of agreements, tranches and disbursements (issue #5); added to grants/urls.py under the "grants" namespace."""

urlpatterns: list = []
