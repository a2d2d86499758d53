"""URLs of one area of the review (issue #4); added to grants/urls.py under the "grants" namespace."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
