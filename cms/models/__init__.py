"""Page types of the public site, one module per area; re-exported here for ``cms.models.X``."""

from cms.models.open_data import TransparencyPage  # noqa: F401
from cms.models.projects import OrganisationIndexPage, ProjectIndexPage  # noqa: F401
from cms.models.search import SearchEntry, SearchKind  # noqa: F401
from cms.models.site import (  # noqa: F401
    CallIndexPage,
    CallPage,
    ContactSettings,
    HomePage,
    NewsIndexPage,
    NewsPage,
    SeoMixin,
    StandardPage,
)
from cms.models.site_settings import SiteSettings  # noqa: F401
