"""Page types of the public site, one module per area; re-exported here for ``cms.models.X``."""

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
