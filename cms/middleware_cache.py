"""Serve and fill the anonymous page cache (``cms.page_cache``; the rules are explained there).

Placed last in ``MIDDLEWARE``: the session, CSRF, authentication and messages middleware have run,
so this one knows whether the reader is anonymous, and on a hit the outer ones still do their
work on the response (the CSRF cookie for the fresh token, security headers, ``Vary``).

``X-Cache`` says what happened: ``hit``, ``miss`` (rendered and stored) or ``bypass``.
"""

from __future__ import annotations

from django.core.cache import cache
from wagtail import hooks

from cms import page_cache


@hooks.register("on_serve_page")
def _mark_served_page(next_serve_page):
    # Wagtail calls this chain only when no ``before_serve_page`` hook (privacy) answered first.
    def serve(page, request, args, kwargs):
        page_cache.mark_wagtail_page(request)
        return next_serve_page(page, request, args, kwargs)

    return serve


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not page_cache.request_is_cacheable(request):
            return self._label(self.get_response(request), page_cache.BYPASS)
        generation = page_cache.generation()
        key = page_cache.cache_key(request, generation)
        entry = cache.get(key)
        if entry is not None:
            return self._label(page_cache.cached_response(request, entry), page_cache.HIT)
        response = self.get_response(request)
        stored = page_cache.store(request, response, key, generation_number=generation)
        return self._label(response, page_cache.MISS if stored else page_cache.BYPASS)

    @staticmethod
    def _label(response, outcome: str):
        response["X-Cache"] = outcome
        return response
