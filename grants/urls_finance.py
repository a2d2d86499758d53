"""URLs of expenses, clawbacks, the funder dashboard and reconciliation (issue #5); added to grants/urls.py under the "grants" namespace."""

urlpatterns: list = []
