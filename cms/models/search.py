"""The site search index: one row per public thing (page, project, organisation) and language.

Wagtail's database backend splits text on spaces (PostgreSQL ``to_tsvector('simple')``, SQLite
FTS5), so 养老 inside the sentence 社区居家养老服务 is never a token of its own and is not found.
This table is matched by substring instead, which works for Chinese on both databases. It holds
only what the public pages show, never contacts; ``cms.search`` keeps it current.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SearchKind(models.TextChoices):
    CALL = "call", pgettext_lazy("search result kind", "Calls for proposals")
    PROJECT = "project", pgettext_lazy("search result kind", "Projects")
    ORGANISATION = "organisation", pgettext_lazy("search result kind", "Organisations")
    NEWS = "news", pgettext_lazy("search result kind", "News")
    PAGE = "page", pgettext_lazy("search result kind", "Pages")


# Rows whose object id is a Wagtail page id (the others are ids of their own models).
PAGE_KINDS = (SearchKind.CALL, SearchKind.NEWS, SearchKind.PAGE)


class SearchEntry(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=SearchKind.choices)
    object_id = models.PositiveBigIntegerField(_("object id"))
    language = models.CharField(_("language"), max_length=16)
    title = models.CharField(_("title"), max_length=255)
    text = models.TextField(_("text"), blank=True)
    url = models.CharField(_("URL"), max_length=500)
    date = models.DateField(_("date"), null=True, blank=True)
    # Normalised (NFKC, case-folded) copies that queries are matched against; ``haystack`` holds
    # the title and the text, ``title_key`` the title alone (title hits rank first).
    title_key = models.CharField(max_length=255, editable=False)
    haystack = models.TextField(editable=False)
    updated_at = models.DateTimeField(_("indexed"), default=timezone.now)

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "language"], name="search_entry_unique_per_language"
            )
        ]
        indexes = [models.Index(fields=["language", "kind"], name="search_entry_language_kind")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"
