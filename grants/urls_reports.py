"""URLs of milestone plans and reports (issue #6); added to grants/urls.py under the "grants" namespace."""

urlpatterns: list = []
