"""Template context every page gets from the grants app: the inbox link of the site header."""

from __future__ import annotations

from functools import cached_property

from django.urls import NoReverseMatch, reverse

from grants import selectors


class InboxHeader:
    """The header's "Inbox (3)" link, counted only when a template actually shows it.

    Context processors run for every template rendered with a request (Wagtail's admin, e-mails,
    partials), so the COUNT is deferred to first use and then kept for the rest of the render.
    """

    def __init__(self, user):
        self._user = user

    @cached_property
    def unread_count(self) -> int:
        return selectors.unread_count(user=self._user)

    @cached_property
    def url(self) -> str:
        try:
            return reverse("grants:inbox")
        except NoReverseMatch:  # an URLconf without the grants app (a test's, say)
            return ""


def inbox(request) -> dict:
    # request.user stays lazy here: the session is only read if the template asks for the count,
    # and selectors.unread_count answers 0 without a query for an anonymous visitor.
    user = getattr(request, "user", None)
    return {"inbox_header": InboxHeader(user)} if user is not None else {}
