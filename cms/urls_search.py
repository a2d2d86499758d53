"""The site search, inside ``i18n_patterns`` so that /en/search/ searches the English site."""

from django.urls import path

from cms.views_search import search_view

urlpatterns = [
    path("search/", search_view, name="site_search"),
]
