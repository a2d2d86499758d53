"""A cache of whole public pages for anonymous readers, purged when what they show changes.

Most readers open a shared link inside WeChat, signed out: the same bytes for everyone. So the
response of a public page (a Wagtail page, or one of the few public Django views listed in
``CACHEABLE_VIEWS``) is kept for anonymous GET/HEAD requests, keyed by scheme + host + full path +
active language.

What is never cached, and why:

- requests from anyone signed in, or carrying a session or messages cookie (their page may say
  their name, a flash message, a passed page password);
- anything but a 200 ``text/html`` response that sets no cookie of its own, modifies no session,
  shows no flash message, has no ``Cache-Control: private/no-cache/no-store`` (``never_cache``
  views) and no ``Vary`` other than ``Accept-Language`` (the key holds the language);
- query strings other than ``?page=`` and the ``from``/``isappinstalled`` WeChat adds to shared
  links (each kept in the key), so a crawler cannot fill the cache with variants;
- HTMX requests (partial responses).

CSRF tokens: every page has forms (the language switcher; the 公示 has objection forms), and a
token rendered for one reader must never reach another. The stored copy has each token replaced
by a placeholder; every hit puts in a fresh token of *this* reader (``get_token``), and Django's
CSRF middleware sets their cookie as it would for an uncached page.

Purging: every key holds a *generation* number, and ``purge()`` bumps it (one ``INCR``), so all
old entries are left to expire. The signals that purge are connected in one place,
``connect_signals()`` (called from ``CmsConfig.ready``): page publish/unpublish/move/delete,
privacy, site settings, and the public grant data pages show (calls, 公示, application states that
are public, agreements, ledger rows, accepted reports, evaluations, donations, organisations).
Each purge runs at once and again on commit, so a reader cannot re-cache the old data between
the save and the commit.

Time-dependent pages (a call opens or closes, a 公示 window ends, with no save to signal it): an
entry never outlives the next such moment, and never ``PAGE_CACHE_SECONDS`` (default 300; 0 turns
the cache off). Writes that skip signals (``QuerySet.update``) are bounded by the same timeout.
"""

from __future__ import annotations

import hashlib
import re
import time
from datetime import datetime
from urllib.parse import parse_qsl

from django.conf import settings
from django.core import checks
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware import csrf
from django.utils import timezone, translation
from django.utils.cache import cc_delim_re

GENERATION_KEY = "pagecache:generation"
DEFAULT_SECONDS = 300
# Public Django views (``namespace:name``) whose GET output is the same for every anonymous reader.
CACHEABLE_VIEWS = frozenset(
    {"grants:public_notice_index", "grants:public_notice", "grants:public_results"}
)
# Query parameters that may vary a cached page (each kept in the key); any other bypasses it.
ALLOWED_QUERY_PARAMS = frozenset({"page", "from", "isappinstalled"})
MAX_QUERY_LENGTH = 100
CSRF_PLACEHOLDER = b"__pagecache_csrf_token__"
_TOKEN_RE = re.compile(rb"(?<![A-Za-z0-9])[A-Za-z0-9]{%d}(?![A-Za-z0-9])" % csrf.CSRF_TOKEN_LENGTH)
_NO_STORE = ("private", "no-cache", "no-store", "max-age=0")

HIT, MISS, BYPASS = "hit", "miss", "bypass"


def timeout_seconds() -> int:
    return int(getattr(settings, "PAGE_CACHE_SECONDS", DEFAULT_SECONDS))


@checks.register(checks.Tags.caches)
def check_shared_cache(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A purge bumps the generation in *this* process's cache when the cache is in memory: other
    web workers and the task worker would keep serving old pages until they expire."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if timeout_seconds() > 0 and not settings.DEBUG and backend.endswith("LocMemCache"):
        return [
            checks.Warning(
                "The page cache runs on an in-memory cache: publishing purges one process only.",
                hint="Set REDIS_URL (a cache shared by every process), or PAGE_CACHE_SECONDS=0.",
                id="cms.W001",
            )
        ]
    return []


# --- Generation (purge) ----------------------------------------------------------------------------


def generation(key: str = GENERATION_KEY) -> int:
    value = cache.get(key)
    if value is None:
        # Time-based start: if the key is ever evicted, the new generation is still newer than
        # every generation that had entries.
        cache.add(key, time.time_ns() // 1_000_000, timeout=None)
        value = cache.get(key)
    return int(value)


def purge() -> None:
    """Make every cached page stale (cheap: one increment); again when the transaction commits."""
    _bump()
    transaction.on_commit(_bump)


def _bump(key: str = GENERATION_KEY) -> None:
    try:
        cache.incr(key)
    except ValueError:  # no generation yet (or evicted): start a new, larger one
        generation(key)


# The default share image (cms/templatetags/seo_tags.py) is kept apart from the pages: it changes
# only with the site settings or an image, not with every purge.
SHARE_IMAGE_GENERATION_KEY = "pagecache:share-image-generation"


def _share_image_changed(**kwargs) -> None:
    _bump(SHARE_IMAGE_GENERATION_KEY)


# --- Requests and responses ------------------------------------------------------------------------


def _has_authenticated_user(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def request_is_cacheable(request: HttpRequest) -> bool:
    if timeout_seconds() <= 0 or request.method not in ("GET", "HEAD"):
        return False
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
        return False
    if request.headers.get("HX-Request"):
        return False
    query = request.META.get("QUERY_STRING", "")
    if len(query) > MAX_QUERY_LENGTH:
        return False
    if any(name not in ALLOWED_QUERY_PARAMS for name, _v in parse_qsl(query, True)):
        return False
    return not _has_authenticated_user(request)


def cache_key(request: HttpRequest, generation_number: int) -> str:
    where = "|".join(
        (
            request.scheme or "",
            request.get_host(),
            request.get_full_path(),
            translation.get_language() or "",
        )
    )
    digest = hashlib.sha256(where.encode()).hexdigest()
    return f"pagecache:{generation_number}:{digest}"


def mark_wagtail_page(request: HttpRequest) -> None:
    """Called when Wagtail serves a page after every ``before_serve_page`` hook let it through.

    A page the reader may not see (login or password restriction) is answered by a hook and so
    never marked: only pages every anonymous reader gets are cached.
    """
    request._page_cache_candidate = True


def _is_candidate(request: HttpRequest) -> bool:
    if getattr(request, "_page_cache_candidate", False):
        return True
    match = getattr(request, "resolver_match", None)
    return match is not None and match.view_name in CACHEABLE_VIEWS


def _messages_shown(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and bool(storage.used or storage._queued_messages)


def response_is_cacheable(request: HttpRequest, response: HttpResponse) -> bool:
    if request.method != "GET" or not _is_candidate(request):
        return False
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if not response.get("Content-Type", "").startswith("text/html"):
        return False
    cache_control = response.get("Cache-Control", "").lower()
    if any(word in cache_control for word in _NO_STORE):
        return False
    vary = {v.strip().lower() for v in cc_delim_re.split(response.get("Vary", "")) if v.strip()}
    if vary - {"accept-language"}:
        return False
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False
    return not _messages_shown(request) and not _has_authenticated_user(request)


def _without_csrf_tokens(request: HttpRequest, content: bytes) -> tuple[bytes, bool] | None:
    """The content with this reader's CSRF tokens replaced by the placeholder.

    None when the page cannot be made anonymous (the raw secret is in it).
    """
    if not request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return content, False  # no token was rendered
    secret = request.META.get("CSRF_COOKIE", "")
    if not secret or secret.encode() in content:
        return None

    def replace(match: re.Match) -> bytes:
        token = match.group().decode()
        return CSRF_PLACEHOLDER if csrf._unmask_cipher_token(token) == secret else match.group()

    return _TOKEN_RE.sub(replace, content), True


def next_boundary(now: datetime) -> datetime | None:
    """The next moment at which a public page changes by itself: a call opens or closes, a 公示
    window ends (two aggregate queries, on a miss only)."""
    from django.apps import apps
    from django.db.models import Min, Q

    Call = apps.get_model("grants", "Call")
    PublicNotice = apps.get_model("grants", "PublicNotice")
    calls = Call.objects.aggregate(
        opens=Min("opens_at", filter=Q(opens_at__gt=now)),
        closes=Min("closes_at", filter=Q(closes_at__gt=now)),
    )
    notices = PublicNotice.objects.aggregate(closes=Min("closes_at", filter=Q(closes_at__gt=now)))
    moments = [m for m in (calls["opens"], calls["closes"], notices["closes"]) if m is not None]
    return min(moments) if moments else None


def _entry_timeout(now: datetime) -> int:
    seconds = timeout_seconds()
    boundary = next_boundary(now)
    if boundary is not None:
        seconds = min(seconds, int((boundary - now).total_seconds()))
    return seconds


def store(
    request: HttpRequest, response: HttpResponse, key: str, *, generation_number: int
) -> bool:
    """Keep ``response`` under ``key`` when it is the same for every anonymous reader.

    Not when the cache was purged while the page was rendered: it may show the data from before.
    """
    if not response_is_cacheable(request, response) or generation() != generation_number:
        return False
    cleaned = _without_csrf_tokens(request, response.content)
    if cleaned is None:
        return False
    seconds = _entry_timeout(timezone.now())
    if seconds <= 0:
        return False
    content, has_token = cleaned
    entry = {"content": content, "content_type": response["Content-Type"], "csrf": has_token}
    cache.set(key, entry, seconds)
    return True


def cached_response(request: HttpRequest, entry: dict) -> HttpResponse:
    content = entry["content"]
    if entry["csrf"]:
        content = content.replace(CSRF_PLACEHOLDER, csrf.get_token(request).encode())
    return HttpResponse(content, content_type=entry["content_type"])


# --- Signals -------------------------------------------------------------------------------------

# Public grant and organisation data shown by public pages: (app label, model, state field, states
# that are public — None: every save). Saves in other states (drafts, autosave) purge nothing.
_PUBLIC_APPLICATION_STATES = (
    "public_notice", "objection_review", "approved", "rejected", "contracted", "active",
    "mid_term", "final_evaluation", "completed", "terminated",
)  # fmt: skip
PUBLIC_DATA = (
    ("grants", "Programme", None, None),
    ("grants", "Call", None, None),
    ("grants", "PublicNotice", None, None),
    ("grants", "Objection", "state", ("upheld", "dismissed")),
    ("grants", "Application", "state", _PUBLIC_APPLICATION_STATES),
    ("grants", "Agreement", None, None),
    ("grants", "LedgerEntry", None, None),
    ("grants", "Report", "state", ("accepted",)),
    ("grants", "Evaluation", "state", ("submitted",)),
    ("grants", "Donation", "status", ("succeeded", "partially_refunded", "refunded")),
    ("incubator", "Organisation", None, None),
    ("wagtailcore", "PageViewRestriction", None, None),
    ("wagtailcore", "Site", None, None),
    ("cms", "ContactSettings", None, None),
    ("cms", "SiteSettings", None, None),
)
# Settings rows are created empty on their first load (inside a page render): nothing to purge.
_CREATED_EMPTY = {("cms", "ContactSettings"), ("cms", "SiteSettings")}


def _purge_on_signal(**kwargs) -> None:
    purge()


def _saved_receiver(field: str | None, states: tuple[str, ...] | None, *, on_create: bool = True):
    def receiver(sender, instance, created=False, **kwargs) -> None:
        if created and not on_create:
            return
        if field is None or getattr(instance, field, None) in states:
            purge()

    return receiver


def _page_deleted(sender, instance, **kwargs) -> None:
    from wagtail.models import Page

    if isinstance(instance, Page):
        purge()


_receivers: list = []  # strong references: the receivers are closures


def connect_signals() -> None:
    """Connect every purge in one place (``CmsConfig.ready``); models that do not exist are skipped."""
    from django.apps import apps
    from django.db.models.signals import post_delete, post_save
    from wagtail.signals import page_published, page_unpublished, post_page_move

    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(_purge_on_signal, dispatch_uid=f"pagecache-{id(signal)}")
    post_delete.connect(_page_deleted, dispatch_uid="pagecache-page-delete")
    for app_label, model_name in (("cms", "SiteSettings"), ("wagtailimages", "Image")):
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            continue
        for signal in (post_save, post_delete):
            signal.connect(
                _share_image_changed, sender=model, dispatch_uid=f"pagecache-share-{model_name}"
            )
    for app_label, model_name, field, states in PUBLIC_DATA:
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            continue
        receiver = _saved_receiver(
            field, states, on_create=(app_label, model_name) not in _CREATED_EMPTY
        )
        _receivers.append(receiver)
        uid = f"pagecache-{app_label}.{model_name}"
        post_save.connect(receiver, sender=model, dispatch_uid=uid)
        post_delete.connect(_purge_on_signal, sender=model, dispatch_uid=f"{uid}-delete")
