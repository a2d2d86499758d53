"""URLs of the officer's ranking of a call (issue #4); added to grants/urls.py under the "grants"
namespace, so the names carry a ``ranking`` prefix."""

from django.urls import path

from grants.views import ranking

urlpatterns = [
    path("workspace/calls/<int:pk>/ranking/", ranking.call_ranking_page, name="call_ranking"),
    path(
        "workspace/calls/<int:pk>/ranking/recommend/", ranking.recommend, name="ranking_recommend"
    ),
    path("workspace/calls/<int:pk>/ranking/method/", ranking.set_method, name="ranking_method"),
    path("workspace/calls/<int:pk>/ranking/override/", ranking.override, name="ranking_override"),
    path("workspace/calls/<int:pk>/ranking/adjust/", ranking.adjust, name="ranking_adjust"),
    path("workspace/calls/<int:pk>/ranking/scores.xlsx", ranking.export, name="ranking_export"),
]
