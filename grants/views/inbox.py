"""The in-app inbox: the notifications written on every transition, for their recipient only.

Writes go through ``grants.services.notifications`` (``mark_read``/``mark_all_read``), reads through
the selectors. Someone else's notification looks exactly like a missing one (404).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from grants import selectors
from grants.models import Notification
from grants.services import notifications as notification_svc

PAGE_SIZE = 25


def _own_notification(user, pk: int) -> Notification:
    """Fetch and check in one step: only the recipient gets it, everyone else a 404."""
    notification = selectors.notifications_of_user(user=user).filter(pk=pk).first()
    if notification is None:
        raise Http404
    return notification


def _safe_local(request, url: str) -> str | None:
    """``url`` when it stays on this site; notification links are ours, but never trust a redirect."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


def _back_to_inbox(request) -> HttpResponseRedirect:
    # The forms post the page they were on, so marking an item on page 3 stays on page 3.
    return HttpResponseRedirect(
        _safe_local(request, request.POST.get("next", "")) or reverse("grants:inbox")
    )


@never_cache
@login_required
@require_GET
def inbox(request):
    page = Paginator(selectors.notifications_of_user(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "grants/inbox/inbox.html",
        {"page": page, "notifications": page.object_list},
    )


@never_cache
@login_required
@require_GET
def open_notification(request, pk: int):
    """Follow a notification's link, marking it read on the way (a plain link works from e-mail)."""
    notification = _own_notification(request.user, pk)
    notification_svc.mark_read(user=request.user, notification_ids=[notification.pk])
    return HttpResponseRedirect(_safe_local(request, notification.url) or reverse("grants:inbox"))


@login_required
@require_POST
def mark_read(request, pk: int):
    notification = _own_notification(request.user, pk)
    notification_svc.mark_read(user=request.user, notification_ids=[notification.pk])
    return _back_to_inbox(request)


@login_required
@require_POST
def mark_all_read(request):
    count = notification_svc.mark_all_read(user=request.user)
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)d notification marked as read.",
                "%(count)d notifications marked as read.",
                count,
            )
            % {"count": count},
        )
    else:
        messages.info(request, _("There were no unread notifications."))
    return _back_to_inbox(request)
