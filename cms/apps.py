from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Public site")

    def ready(self) -> None:
        from cms.search import connect_signals

        connect_signals()  # keeps the site search index current

        from cms import page_cache

        page_cache.connect_signals()  # purge the anonymous page cache when public data changes
