"""/search/ and /en/search/: the site search (issue #8); the matching lives in ``cms.search``."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET

from cms import search
from cms.models import SearchKind

PER_PAGE = 20


@require_GET
def search_view(request: HttpRequest) -> HttpResponse:
    query = search.parse_query(request.GET.get("q"))
    kind = request.GET.get("kind", "")
    kind = kind if kind in SearchKind.values else ""
    language = translation.get_language()
    context = {"query": query, "kind": kind, "max_length": search.MAX_QUERY_LENGTH}
    if query.usable:
        counts = search.kind_counts(query=query, language=language)
        paginator = Paginator(
            search.search_entries(query=query, language=language, kind=kind), PER_PAGE
        )
        results_page = paginator.get_page(request.GET.get("page"))
        context.update(
            total=sum(counts.values()),
            results_page=results_page,
            results=[
                {
                    "entry": entry,
                    "kind_label": SearchKind(entry.kind).label,
                    "title": search.highlight(entry.title, query),
                    "snippet": search.snippet(entry.text, query),
                }
                for entry in results_page
            ],
            kinds=[
                {
                    "code": code,
                    "label": label,
                    "count": counts[code],
                    "url": "?" + urlencode({"q": query.text, "kind": code}),
                }
                for code, label in SearchKind.choices
                if counts[code]
            ],
            all_url="?" + urlencode({"q": query.text}),
            page_url_prefix="?" + urlencode({"q": query.text, **({"kind": kind} if kind else {})}),
        )
    return render(request, "cms/search.html", context)
