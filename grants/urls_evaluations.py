"""URLs of mid-term and final evaluations and track record (issue #6); added to grants/urls.py under the "grants" namespace."""

urlpatterns: list = []
