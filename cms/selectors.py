"""Reads for the public site; each query carries what its template shows (image, locale)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch
from wagtail.models import Locale

from cms.models import CallIndexPage, CallPage, NewsIndexPage, NewsPage
from grants.models import Call, RubricCriterion


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


# --- Calls for proposals -------------------------------------------------------------------


@dataclass(frozen=True)
class CallSections:
    """The call pages of an index, by the phase of their call at one moment."""

    open: list[CallPage]
    upcoming: list[CallPage]
    closed: list[CallPage]


def call_pages_by_phase(*, index: CallIndexPage, now: datetime) -> CallSections:
    """Live call pages under ``index`` in three lists; one query however many calls.

    Open calls soonest deadline first, upcoming ones soonest opening first, closed ones most
    recently closed first.
    """
    pages = list(
        CallPage.objects.live()
        .public()
        .child_of(index)
        .select_related("call__programme")
        .order_by("call__closes_at", "pk")
    )
    sections = CallSections(open=[], upcoming=[], closed=[])
    for page in pages:
        getattr(sections, page.call.phase(now)).append(page)
    sections.upcoming.sort(key=lambda page: (page.call.opens_at, page.pk))
    sections.closed.reverse()
    return sections


def call_pages_for(*, call_ids: list[int], locale: Locale) -> dict[int, CallPage]:
    """{call id: its live public page in ``locale``} for the given calls; one query."""
    if not call_ids:
        return {}
    pages = (
        CallPage.objects.live().public().filter(call_id__in=call_ids, locale=locale).order_by("-pk")
    )
    return {page.call_id: page for page in pages}


def call_for_page(*, call_id: int) -> Call:
    """The call a call page shows, with its programme and its rubric (two queries)."""
    return (
        Call.objects.select_related("programme")
        .prefetch_related(
            Prefetch("rubric", queryset=RubricCriterion.objects.order_by("position", "pk"))
        )
        .get(pk=call_id)
    )
