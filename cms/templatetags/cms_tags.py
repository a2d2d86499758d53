"""Template tags for the site chrome in base.html: navigation, footer links, language switcher.

They work on every page, Wagtail or not; what they read is fetched once per request (a handful of
queries, independent of the page's content).
"""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils import translation
from wagtail.models import Page, Site

register = template.Library()

# Pages the footer links to when they exist under the home page (slugs are the same in every locale).
ABOUT_SLUG = "about"
OPEN_DATA_SLUG = "open-data"


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str
    next_url: str
    current: bool


def _wagtail_page(context) -> Page | None:
    # Non-Wagtail views may have a `page` in their context too (a paginator page, say).
    page = context.get("page")
    return page if isinstance(page, Page) else None


def _homes(request) -> dict[str, Page]:
    """The site's home page in each locale, by language code (live translations only)."""
    cached = getattr(request, "_cms_homes", None)
    if cached is not None:
        return cached
    homes: dict[str, Page] = {}
    site = Site.find_for_request(request)
    if site is not None:
        for home in site.root_page.get_translations(inclusive=True).live().select_related("locale"):
            homes[home.locale.language_code] = home
    request._cms_homes = homes
    return homes


def _translations(request, page: Page) -> dict[str, Page]:
    """The page's live translations (itself included) by language code, once per request."""
    cache = request.__dict__.setdefault("_cms_translations", {})
    if page.pk not in cache:
        cache[page.pk] = {
            translated.locale.language_code: translated
            for translated in page.get_translations(inclusive=True).live().select_related("locale")
        }
    return cache[page.pk]


def _current_home(request) -> Page | None:
    homes = _homes(request)
    language = translation.get_language()
    return homes.get(language) or homes.get(settings.LANGUAGE_CODE)


@register.simple_tag(takes_context=True)
def site_chrome(context) -> dict:
    """Home, menu entries and footer pages for the current language.

    The menu is the home page's live children marked "show in menus"; ``current`` marks the entry
    that holds the page being shown.
    """
    request = context.get("request")
    chrome = {"home_url": "/", "home_current": False, "menu": [], "about": None, "open_data": None}
    if request is None:
        return chrome
    home = _current_home(request)
    if home is None:
        return chrome
    page = _wagtail_page(context)
    children = list(home.get_children().live().public())
    by_slug = {child.slug: child for child in children}
    chrome.update(
        home_url=home.get_url(request) or "/",
        home_current=page is not None and page.pk == home.pk,
        menu=[
            {"page": child, "current": page is not None and page.path.startswith(child.path)}
            for child in children
            if child.show_in_menus
        ],
        about=by_slug.get(ABOUT_SLUG),
        open_data=by_slug.get(OPEN_DATA_SLUG),
    )
    return chrome


@register.simple_tag(takes_context=True)
def page_alternates(context) -> list[tuple[str, str]]:
    """(language code, absolute URL) of each live translation of the page, for hreflang links."""
    request = context.get("request")
    page = _wagtail_page(context)
    if page is None or request is None:
        return []
    return [
        (code, request.build_absolute_uri(translated.get_url(request)))
        for code, translated in _translations(request, page).items()
    ]


@register.simple_tag(takes_context=True)
def language_links(context) -> list[LanguageLink]:
    """Where each language's button of the switcher leads.

    On a Wagtail page: its translation in that language, or that language's home page when the
    page is not translated. Elsewhere: the same path (translated when it is a public page).
    """
    request = context.get("request")
    current = translation.get_language()
    here = request.get_full_path() if request is not None else "/"
    page = _wagtail_page(context)
    translations = _translations(request, page) if page is not None and request is not None else {}
    links = []
    for code, name in settings.LANGUAGES:
        if code == current:
            next_url = here
        elif context.get("language_urls", {}).get(code):  # a routed record (/projects/<pk>/)
            next_url = context["language_urls"][code]
        elif page is not None and request is not None:
            target = translations.get(code) or _homes(request).get(code)
            next_url = target.get_url(request) if target is not None else translate_url(here, code)
        else:
            # Resolved in the active language, i.e. the language of the page being shown.
            next_url = translate_url(here, code)
        links.append(LanguageLink(code=code, name=name, next_url=next_url, current=code == current))
    return links


@register.simple_tag(takes_context=True)
def absolute_url(context, target) -> str:
    """The URL of ``target`` (a page or a path) with the scheme and host of this request.

    Open Graph wants absolute URLs (WeChat ignores a relative og:image). The request's host is used
    rather than the Wagtail Site's hostname: it is the one the reader shared, and ALLOWED_HOSTS
    vouches for it.
    """
    request = context.get("request")
    url = target.get_url(request) if isinstance(target, Page) else target
    if request is None or not url:
        return url or ""
    return request.build_absolute_uri(url)
