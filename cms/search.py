"""Site search that finds Chinese words (issue #8): the index and the query.

Why not Wagtail's search: its database backend tokenises on spaces, and Chinese has none, so a
word inside a sentence (养老 in 社区居家养老服务) is not found. Instead every public thing has one
``SearchEntry`` row per language holding the text its public page shows, normalised (NFKC,
case-folded), and a query matches each of its terms as a substring: all terms must match, title
hits rank first. The same SQL runs on PostgreSQL and SQLite; on PostgreSQL a pg_trgm GIN index on
``haystack`` can serve terms of three or more characters.

What is indexed (only what is already public, never contacts, phones or e-mails):

- live pages without view restrictions, except the homes: news items (``news``), call pages
  (``call``: the page is how a call is published), every other page (``page``);
- funded projects (``PUBLIC_PROJECT_STATES``): title, summary, organisation, call, theme;
- organisations with a public project or a registered credit code: name, type, district,
  description.

``connect_signals`` (called from ``CmsConfig.ready``) keeps the rows current; the
``rebuild_search_index`` command and ``rebuild_index`` rebuild them from scratch.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.signals import post_delete, post_save
from django.utils import timezone, translation
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe
from wagtail.models import Page
from wagtail.search import index as wagtail_index
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from cms.models import CallPage, HomePage, NewsPage, SearchEntry, SearchKind
from cms.models.search import PAGE_KINDS
from cms.public_urls import PUBLIC_PROJECT_STATES, organisation_url, project_url
from grants.models import Application, Call, Programme
from incubator.models import Organisation

MAX_QUERY_LENGTH = 100  # characters; longer queries are cut (and the page says so)
MIN_QUERY_LENGTH = 2  # characters without spaces: one character matches nearly everything
MAX_TERMS = 8
SNIPPET_LENGTH = 120
MAX_TEXT_LENGTH = 20_000  # per row; a page longer than this is found by its beginning


def normalise(text: str) -> str:
    """What rows and queries are compared as: full-width letters and digits folded, case-folded."""
    return unicodedata.normalize("NFKC", text or "").casefold()


def _languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _clean(*parts) -> str:
    """The parts as one plain text: tags stripped, whitespace collapsed, empty parts dropped."""
    texts = (" ".join(strip_tags(str(part)).split()) for part in parts if part)
    return "\n".join(text for text in texts if text)[:MAX_TEXT_LENGTH]


def _entry(*, kind, object_id, language, title, text, url, date=None) -> SearchEntry:
    title = " ".join(str(title).split())[:255]
    return SearchEntry(
        kind=kind,
        object_id=object_id,
        language=language,
        title=title,
        text=text,
        url=url,
        date=date,
        title_key=normalise(title)[:255],
        haystack=normalise(f"{title}\n{text}"),
        updated_at=timezone.now(),
    )


def _replace(kind: str, object_ids: Iterable[int], entries: list[SearchEntry]) -> None:
    """The rows of these objects become ``entries`` (none: the objects are no longer public)."""
    object_ids = list(object_ids)
    with transaction.atomic():
        SearchEntry.objects.filter(kind=kind, object_id__in=object_ids).delete()
        SearchEntry.objects.bulk_create(entries)


# --- Pages ---------------------------------------------------------------------------------------


def _page_kind(page: Page) -> str:
    if isinstance(page, NewsPage):
        return SearchKind.NEWS
    if isinstance(page, CallPage):
        return SearchKind.CALL
    return SearchKind.PAGE


def _page_text(page: Page) -> str:
    """The text of the page's own search fields (what the editor wrote), tags stripped.

    Wagtail's ``search_fields`` already name the fields worth searching; StreamField and
    RichTextField know how to give their plain text.
    """
    parts = [page.search_description]
    for field in page.search_fields:
        if not isinstance(field, wagtail_index.SearchField) or field.field_name == "title":
            continue
        try:
            model_field = page._meta.get_field(field.field_name)
        except FieldDoesNotExist:  # a method or property named in search_fields
            value = getattr(page, field.field_name, "")
            parts.append(value() if callable(value) else value)
            continue
        value = model_field.value_from_object(page)
        if hasattr(model_field, "get_searchable_content"):
            parts.extend(model_field.get_searchable_content(value))
        else:
            parts.append(value)
    if isinstance(page, CallPage) and page.call_id:
        # What the call page shows from its call: the summary when the page has no introduction.
        call = page.call
        if not page.intro:
            parts.append(call.summary)
        parts.append(call.programme.name)
    return _clean(*parts)


def _page_date(page: Page):
    if isinstance(page, NewsPage):
        return page.date
    moment = page.last_published_at or page.first_published_at
    return timezone.localdate(moment) if moment else None


def _indexable_pages() -> QuerySet[Page]:
    return Page.objects.live().public().not_type(HomePage).filter(depth__gt=1)


def _page_entry(page: Page) -> SearchEntry | None:
    url = page.get_url()
    if not url:  # not under any site: nowhere to send the reader
        return None
    return _entry(
        kind=_page_kind(page),
        object_id=page.pk,
        language=page.locale.language_code,
        title=page.title,
        text=_page_text(page),
        url=url,
        date=_page_date(page),
    )


def index_page(page: Page) -> None:
    """Index the page (its specific type), or drop it when it is not live and public."""
    page = page.specific
    entries = []
    if _indexable_pages().filter(pk=page.pk).exists():
        entry = _page_entry(page)
        entries = [entry] if entry else []
    _replace_page(page.pk, entries)


def _replace_page(page_id: int, entries: list[SearchEntry]) -> None:
    with transaction.atomic():
        SearchEntry.objects.filter(kind__in=PAGE_KINDS, object_id=page_id).delete()
        SearchEntry.objects.bulk_create(entries)


def index_page_tree(page: Page) -> None:
    """The page and everything below it (a moved or renamed page changes their URLs)."""
    for descendant in page.get_descendants(inclusive=True).specific():
        index_page(descendant)


def unindex_page(page_id: int) -> None:
    SearchEntry.objects.filter(kind__in=PAGE_KINDS, object_id=page_id).delete()


def index_call(call_id: int) -> None:
    """A call's pages (they show its summary and programme) and its projects (they name it)."""
    for page in CallPage.objects.filter(call_id=call_id).select_related("call__programme"):
        index_page(page)
    index_projects(
        Application.objects.filter(call_id=call_id, state__in=PUBLIC_PROJECT_STATES).values_list(
            "pk", flat=True
        )
    )


# --- Projects and organisations -------------------------------------------------------------------


def _public_projects() -> QuerySet[Application]:
    return Application.objects.filter(state__in=PUBLIC_PROJECT_STATES).select_related(
        "organisation", "call__programme", "agreement"
    )


def _project_entries(application: Application) -> list[SearchEntry]:
    agreement = getattr(application, "agreement", None)
    entries = []
    for language in _languages():
        with translation.override(language):
            theme = application.get_theme_display() if application.theme else ""
            entries.append(
                _entry(
                    kind=SearchKind.PROJECT,
                    object_id=application.pk,
                    language=language,
                    title=application.title or application.reference,
                    text=_clean(
                        application.summary,
                        application.organisation.name,
                        application.call.title,
                        theme,
                    ),
                    url=project_url(application.pk, language),
                    date=agreement.starts_on if agreement else None,
                )
            )
    return entries


def index_projects(application_ids: Iterable[int]) -> None:
    """Index these applications when they are funded projects; drop the others' rows."""
    ids = list(application_ids)
    if not ids:
        return
    entries = []
    for application in _public_projects().filter(pk__in=ids):
        entries.extend(_project_entries(application))
    _replace(SearchKind.PROJECT, ids, entries)


def _public_organisations() -> QuerySet[Organisation]:
    has_public_project = Q(
        pk__in=Application.objects.filter(state__in=PUBLIC_PROJECT_STATES).values("organisation_id")
    )
    return Organisation.objects.filter(
        Q(credit_code__isnull=False) | has_public_project
    ).select_related("district")


def _organisation_entries(organisation: Organisation) -> list[SearchEntry]:
    entries = []
    for language in _languages():
        with translation.override(language):
            entries.append(
                _entry(
                    kind=SearchKind.ORGANISATION,
                    object_id=organisation.pk,
                    language=language,
                    title=organisation.name,
                    # Never the address, contact person, phone or e-mail.
                    text=_clean(
                        organisation.get_org_type_display(),
                        organisation.district.name if organisation.district_id else "",
                        organisation.description,
                    ),
                    url=organisation_url(organisation.pk, language),
                )
            )
    return entries


def index_organisations(organisation_ids: Iterable[int]) -> None:
    ids = list(organisation_ids)
    if not ids:
        return
    entries = []
    for organisation in _public_organisations().filter(pk__in=ids):
        entries.extend(_organisation_entries(organisation))
    _replace(SearchKind.ORGANISATION, ids, entries)


# --- Rebuild -------------------------------------------------------------------------------------


def rebuild_index() -> dict[str, int]:
    """Drop every row and index everything public again; {kind: rows}. Idempotent.

    The lead's ``seed_demo`` calls this at its end (the demo builders save pages and projects in
    orders the signals cannot always follow, e.g. a call page before its call's summary).
    """
    entries: list[SearchEntry] = []
    pages = _indexable_pages().specific().select_related("locale")
    for page in pages:
        entry = _page_entry(page)
        if entry:
            entries.append(entry)
    for application in _public_projects():
        entries.extend(_project_entries(application))
    for organisation in _public_organisations():
        entries.extend(_organisation_entries(organisation))
    with transaction.atomic():
        SearchEntry.objects.all().delete()
        SearchEntry.objects.bulk_create(entries, batch_size=500)
    counts = dict.fromkeys(SearchKind.values, 0)
    for entry in entries:
        counts[entry.kind] += 1
    return counts


# --- Signals -------------------------------------------------------------------------------------


def _on_page_published(sender, instance, **kwargs):
    index_page(instance)


def _on_page_unpublished(sender, instance, **kwargs):
    unindex_page(instance.pk)


def _on_page_moved(sender, instance, **kwargs):
    index_page_tree(instance)


def _on_delete(sender, instance, **kwargs):
    if isinstance(instance, Page):
        unindex_page(instance.pk)
    elif isinstance(instance, Application):
        SearchEntry.objects.filter(kind=SearchKind.PROJECT, object_id=instance.pk).delete()
    elif isinstance(instance, Organisation):
        SearchEntry.objects.filter(kind=SearchKind.ORGANISATION, object_id=instance.pk).delete()


def _on_application_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    if instance.state in PUBLIC_PROJECT_STATES:
        index_projects([instance.pk])
        index_organisations([instance.organisation_id])
        return
    # Drafts are saved often (autosave): one DELETE, and the organisation only when the project
    # just stopped being public.
    deleted, _rows = SearchEntry.objects.filter(
        kind=SearchKind.PROJECT, object_id=instance.pk
    ).delete()
    if deleted:
        index_organisations([instance.organisation_id])


def _on_organisation_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    index_organisations([instance.pk])
    index_projects(
        Application.objects.filter(
            organisation=instance, state__in=PUBLIC_PROJECT_STATES
        ).values_list("pk", flat=True)
    )


def _on_call_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        index_call(instance.pk)


def _on_programme_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    for call_id in Call.objects.filter(programme=instance).values_list("pk", flat=True):
        for page in CallPage.objects.filter(call_id=call_id).select_related("call__programme"):
            index_page(page)


def connect_signals() -> None:
    page_published.connect(_on_page_published, dispatch_uid="cms_search_published")
    page_unpublished.connect(_on_page_unpublished, dispatch_uid="cms_search_unpublished")
    page_slug_changed.connect(_on_page_moved, dispatch_uid="cms_search_slug_changed")
    post_page_move.connect(_on_page_moved, dispatch_uid="cms_search_moved")
    post_delete.connect(_on_delete, dispatch_uid="cms_search_deleted")
    post_save.connect(_on_application_saved, sender=Application, dispatch_uid="cms_search_app")
    post_save.connect(_on_organisation_saved, sender=Organisation, dispatch_uid="cms_search_org")
    post_save.connect(_on_call_saved, sender=Call, dispatch_uid="cms_search_call")
    post_save.connect(_on_programme_saved, sender=Programme, dispatch_uid="cms_search_programme")


# --- Query ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchQuery:
    """A query as typed, cut to length, and the terms it is matched by."""

    text: str
    terms: tuple[str, ...]
    truncated: bool = False

    @property
    def too_short(self) -> bool:
        return bool(self.text) and sum(len(term) for term in self.terms) < MIN_QUERY_LENGTH

    @property
    def usable(self) -> bool:
        return bool(self.terms) and not self.too_short


def parse_query(raw: str | None) -> SearchQuery:
    """Whitespace (full-width too) separates terms; each term matches as a substring."""
    text = " ".join((raw or "").split())
    truncated = len(text) > MAX_QUERY_LENGTH
    text = text[:MAX_QUERY_LENGTH].strip()
    terms: list[str] = []
    for term in normalise(text).split():
        if term not in terms:
            terms.append(term)
    return SearchQuery(text=text, terms=tuple(terms[:MAX_TERMS]), truncated=truncated)


def search_entries(*, query: SearchQuery, language: str, kind: str = "") -> QuerySet[SearchEntry]:
    """Rows in ``language`` matching every term; title matches first, then newest, then title."""
    rows = SearchEntry.objects.filter(language=language)
    in_title = Q()
    for term in query.terms:
        rows = rows.filter(haystack__contains=term)
        in_title &= Q(title_key__contains=term)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.annotate(
        title_rank=Case(
            When(in_title, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("title_rank", F("date").desc(nulls_last=True), "title", "pk")


def kind_counts(*, query: SearchQuery, language: str) -> dict[str, int]:
    """{kind: matching rows} for the kind filter; one query."""
    rows = SearchEntry.objects.filter(language=language)
    for term in query.terms:
        rows = rows.filter(haystack__contains=term)
    counts = dict(rows.values_list("kind").annotate(count=Count("pk")).order_by())
    return {kind: counts.get(kind, 0) for kind in SearchKind.values}


# --- Highlighting --------------------------------------------------------------------------------


def _pattern(query: SearchQuery) -> re.Pattern | None:
    variants = set(query.terms) | set(query.text.split())
    variants = sorted((v for v in variants if v), key=len, reverse=True)
    if not variants:
        return None
    return re.compile("|".join(re.escape(v) for v in variants), re.IGNORECASE)


def highlight(text: str, query: SearchQuery) -> SafeString:
    """``text`` escaped, with every term wrapped in <mark>."""
    pattern = _pattern(query)
    if pattern is None:
        return escape(text)
    parts, last = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text was escaped above


def snippet(text: str, query: SearchQuery, *, length: int = SNIPPET_LENGTH) -> SafeString:
    """About ``length`` characters of ``text`` around its first match, highlighted."""
    text = " ".join(text.split())
    pattern = _pattern(query)
    match = pattern.search(text) if pattern else None
    start = 0
    if match and match.start() > length // 3:
        start = match.start() - length // 3
    piece = text[start : start + length]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + length < len(text) else ""
    return mark_safe(f"{prefix}{highlight(piece, query)}{suffix}")  # noqa: S308 - escaped above


def seed_index(*, stdout) -> None:
    """The hook ``seed_demo`` calls last: the demo site's pages are added without publishing."""
    counts = rebuild_index()
    summary = ", ".join(f"{kind} {count}" for kind, count in counts.items())
    stdout.write(f"  站内搜索 search index: {summary}")
