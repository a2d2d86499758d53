"""Where the public site shows a funded project or an organisation, in each language.

The project and organisation pages are routes of two index pages with fixed slugs directly under
each language's home (``/projects/<pk>/``, ``/en/projects/<pk>/``), so links to them can be built
from the data alone — by search, the transparency dashboard and e-mails — without loading pages.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from grants.enums import PUBLIC_PROJECT_STATES  # noqa: F401  (re-exported for the public site)

PROJECTS_SLUG = "projects"
ORGANISATIONS_SLUG = "organisations"
OPEN_DATA_SLUG = "open-data"
SEARCH_SLUG = "search"


def _prefix(language: str | None) -> str:
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    return "" if language == settings.LANGUAGE_CODE else f"/{language}"


def project_url(application_id: int, language: str | None = None) -> str:
    return f"{_prefix(language)}/{PROJECTS_SLUG}/{application_id}/"


def organisation_url(organisation_id: int, language: str | None = None) -> str:
    return f"{_prefix(language)}/{ORGANISATIONS_SLUG}/{organisation_id}/"
