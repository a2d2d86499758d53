"""URLs of resident feedback, 群众评议 (issue #6); added to grants/urls.py under the "grants" namespace."""

urlpatterns: list = []
