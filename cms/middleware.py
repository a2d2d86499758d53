"""Language selection for a site whose pages carry their language in the URL.

Public pages live under ``i18n_patterns(prefix_default_language=False)``: Chinese at ``/``, English
at ``/en/``. The URL decides their language, whatever the browser says, so that a shared link
opens in the language it was shared in.

Django's ``LocaleMiddleware`` applies the same rule to *every* unprefixed path, so ``/me/``,
``/accounts/`` and ``/i18n/setlang/`` would always be Chinese and the language switcher could never
change them. This middleware keeps Django's behaviour for the public pages and, for paths outside
``i18n_patterns``, uses the language cookie set by ``set_language`` (default: Chinese; the
Accept-Language header is ignored so that the whole site is Chinese until the user chooses).
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.urls import LocalePrefixPattern, Resolver404, get_resolver, reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers


@lru_cache(maxsize=4096)
def served_by_i18n_patterns(path_info: str, urlconf=None) -> bool:
    """Whether the first URL pattern matching ``path_info`` is inside ``i18n_patterns``.

    Mirrors the resolver's order: the first top-level pattern that matches wins. Cached: the
    answer depends only on the URLconf (unprefixed paths are always resolved in the default
    language), and it is asked on every request.
    """
    resolver = get_resolver(urlconf)
    remaining = path_info.removeprefix("/")
    for pattern in resolver.url_patterns:
        try:
            match = pattern.resolve(remaining)  # URLPattern: None; URLResolver: Resolver404
        except Resolver404:
            continue
        if match is None:
            continue
        return isinstance(getattr(pattern, "pattern", None), LocalePrefixPattern)
    return False


def supported_language(code: str | None) -> str | None:
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def cookie_language(request: HttpRequest) -> str:
    return supported_language(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)) or (
        settings.LANGUAGE_CODE
    )


class LocaleMiddleware(DjangoLocaleMiddleware):
    def process_request(self, request):
        super().process_request(request)
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        if translation.get_language_from_path(request.path_info):
            return  # /en/...: the prefix decides, as in Django
        if request.method == "POST" and request.path_info == reverse(
            "set_language", urlconf=urlconf
        ):
            # set_language() passes `next` through translate_url(), which resolves it in the
            # active language. Our switcher already sends the target-language URL, so resolving
            # it in the target language leaves it untouched; resolving /en/news/ in Chinese would
            # turn it into /en/en/news/.
            language = supported_language(request.POST.get("language")) or cookie_language(request)
        elif served_by_i18n_patterns(request.path_info, urlconf):
            return  # an unprefixed public page is Chinese, as Django decided
        else:
            language = cookie_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        response = super().process_response(request, response)
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        if not translation.get_language_from_path(
            request.path_info
        ) and not served_by_i18n_patterns(request.path_info, urlconf):
            patch_vary_headers(response, ("Cookie",))  # the language cookie chose the language
        return response
