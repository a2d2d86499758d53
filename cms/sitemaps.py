from django.apps import apps
from django.db.models import Q
from wagtail.contrib.sitemaps import Sitemap
from wagtail.models import Page

# Index pages that route ``<pk>/`` to one record, and the selector of the records that are public
# (``cms.selectors_projects``): the sitemap lists one URL per record under each language's index.
ROUTED_INDEXES = (
    ("ProjectIndexPage", "public_projects"),
    ("OrganisationIndexPage", "public_organisations"),
)


class AllLocalesSitemap(Sitemap):
    """Every language's pages, and the project and organisation pages their indexes route to.

    Wagtail's own sitemap lists the descendants of the site's root page, i.e. the Chinese tree
    only: the English home page is a sibling of the Chinese one, not a descendant.
    """

    def _in_the_trees(self) -> Q:
        homes = self.get_wagtail_site().root_page.get_translations(inclusive=True)
        in_a_tree = Q()
        for path in homes.values_list("path", flat=True):
            in_a_tree |= Q(path__startswith=path)
        return in_a_tree

    def items(self):
        return (
            Page.objects.filter(self._in_the_trees())
            .live()
            .public()
            .order_by("path")
            .defer_streamfields()
            .specific()
        )

    def _urls(self, page, protocol, domain):
        urls = super()._urls(page, protocol, domain)
        if int(page) == 1:
            urls += self._routed_urls()
        return urls

    def _routed_urls(self) -> list[dict]:
        try:  # the project and organisation pages are optional modules of the public site
            from cms import selectors_projects
        except ImportError:
            return []
        urls = []
        for model_name, selector in ROUTED_INDEXES:
            try:
                model = apps.get_model("cms", model_name)
            except LookupError:
                continue
            indexes = list(model.objects.filter(self._in_the_trees()).live().public())
            if not indexes:
                continue
            pks = list(
                getattr(selectors_projects, selector)().order_by("pk").values_list("pk", flat=True)
            )
            for index in indexes:
                base = index.get_full_url(self.request)
                urls += [{"item": index, "location": f"{base}{pk}/", "lastmod": None} for pk in pks]
        return urls
