from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from cms.sitemaps import AllLocalesSitemap
from yichuang import views_health
from yichuang.api import api

urlpatterns = [
    path("healthz/", views_health.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", include(wagtailadmin_urls)),
    path("django-admin/", admin.site.urls),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/", api.urls),
    path("accounts/", include("allauth.urls")),
    path("me/organisations/", include("incubator.urls")),
    path("incubation/", include("incubator.urls_incubation")),
    path("volunteering/", include("incubator.urls_volunteering")),
    path("community/", include("incubator.urls_community")),
    path("me/", include("accounts.urls")),
    path("sitemap.xml", sitemap, {"sitemaps": {"pages": AllLocalesSitemap}}),
    path("", include("cms.urls")),
    path("", include("grants.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail serves the public pages last: Chinese at /, English at /en/.
urlpatterns += i18n_patterns(
    path("", include("cms.urls_search")),
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)

# A plain 500 page in the language of the URL (no request context: it may be what failed).
handler500 = "yichuang.views_errors.server_error"
