"""Reads for the public site; each query carries what its template shows (image, locale)."""

from __future__ import annotations

from wagtail.models import Locale

from cms.models import NewsIndexPage, NewsPage


def news_under(*, index: NewsIndexPage):
    """Live news items under ``index``, newest first."""
    return NewsPage.objects.live().child_of(index).select_related("image").order_by("-date", "-pk")


def latest_news(*, locale: Locale, limit: int) -> list[NewsPage]:
    """The newest live news items in ``locale``, whichever news index holds them."""
    return list(
        NewsPage.objects.live()
        .filter(locale=locale)
        .select_related("image")
        .order_by("-date", "-pk")[:limit]
    )
