"""<head> tags every page needs beyond what ``cms/page.html`` gives Wagtail pages.

``share_image``: the site-wide default picture (``SiteSettings.share_image``) for pages without
an image of their own, so that a shared link always shows one. ``page_canonical_url``: the
canonical URL of a page that is not a Wagtail page (Wagtail pages get theirs in cms/page.html).
"""

from __future__ import annotations

from django import template
from django.core.cache import cache
from wagtail.models import Page

from cms import page_cache

register = template.Library()

SHARE_RENDITION = "fill-1200x630|format-jpeg|jpegquality-80"  # the size WeChat and others expect
_NONE = "none"


def _wagtail_page(context) -> Page | None:
    page = context.get("page")
    return page if isinstance(page, Page) else None


def _has_own_image(page: Page | None) -> bool:
    return page is not None and bool(
        getattr(page, "og_image", None) or getattr(page, "route_og_image_url", "")
    )


def _version() -> int:
    return page_cache.generation(page_cache.SHARE_IMAGE_GENERATION_KEY)


def _default_share_image(request) -> dict | None:
    """The default image's rendition, cached until the settings or an image change: no query."""
    from cms.models import SiteSettings

    where = f"share-image:{request.scheme}:{request.get_host()}"
    cached = cache.get(f"seo:{_version()}:{where}")
    if cached is not None:
        return None if cached == _NONE else cached
    image = SiteSettings.load(request_or_site=request).share_image  # the first load saves a row
    if image is None:
        value = None
    else:
        rendition = image.get_rendition(SHARE_RENDITION)
        value = {
            "url": request.build_absolute_uri(rendition.url),
            "width": rendition.width,
            "height": rendition.height,
            "alt": image.default_alt_text,
        }
    # The version read after the load: creating the settings row changed it.
    cache.set(f"seo:{_version()}:{where}", value or _NONE, 3600)
    return value


@register.simple_tag(takes_context=True)
def share_image(context) -> dict | None:
    """The default share image, or None when the page has its own (or no default is set)."""
    request = context.get("request")
    if request is None or _has_own_image(_wagtail_page(context)):
        return None
    # Link previews are fetched by the sharing app, anonymously: workspaces need no lookup.
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return None
    return _default_share_image(request)


@register.simple_tag(takes_context=True)
def page_canonical_url(context) -> str:
    """The absolute URL of this non-Wagtail page without its query string ("" on Wagtail pages)."""
    request = context.get("request")
    if request is None or _wagtail_page(context) is not None:
        return ""
    return request.build_absolute_uri(request.path)
