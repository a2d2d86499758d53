from django.db.models import Q
from wagtail.contrib.sitemaps import Sitemap
from wagtail.models import Page


class AllLocalesSitemap(Sitemap):
    """Every language's pages.

    Wagtail's own sitemap lists the descendants of the site's root page, i.e. the Chinese tree
    only: the English home page is a sibling of the Chinese one, not a descendant.
    """

    def items(self):
        homes = self.get_wagtail_site().root_page.get_translations(inclusive=True)
        in_a_tree = Q()
        for path in homes.values_list("path", flat=True):
            in_a_tree |= Q(path__startswith=path)
        return (
            Page.objects.filter(in_a_tree)
            .live()
            .public()
            .order_by("path")
            .defer_streamfields()
            .specific()
        )
