from django.urls import path

from incubator.views import organisations as views

app_name = "incubator"

# Mounted at /me/organisations/ (yichuang/urls.py).
urlpatterns = [
    path("", views.organisation_list, name="organisation_list"),
    path("new/", views.organisation_create, name="organisation_create"),
    path("<int:pk>/", views.organisation_detail, name="organisation_detail"),
]
