from django.urls import path

from incubator.views import organisations as views
from incubator.views import vault

app_name = "incubator"

# Mounted at /me/organisations/ (yichuang/urls.py).
urlpatterns = [
    path("", views.organisation_list, name="organisation_list"),
    path("new/", views.organisation_create, name="organisation_create"),
    path("<int:pk>/", views.organisation_detail, name="organisation_detail"),
    # The organisation vault (incubator/views/vault.py).
    path("<int:pk>/vault/", vault.vault_page, name="vault"),
    path("<int:pk>/vault/documents/", vault.upload_document, name="vault_upload"),
    path(
        "<int:pk>/vault/documents/<int:document_pk>/",
        vault.download_document,
        name="vault_download",
    ),
    path(
        "<int:pk>/vault/documents/<int:document_pk>/delete/",
        vault.delete_document,
        name="vault_delete_document",
    ),
    path("<int:pk>/vault/accounts/", vault.add_account, name="vault_add_account"),
    path(
        "<int:pk>/vault/accounts/<int:account_pk>/primary/",
        vault.make_primary_account,
        name="vault_primary_account",
    ),
    path(
        "<int:pk>/vault/accounts/<int:account_pk>/delete/",
        vault.delete_account,
        name="vault_delete_account",
    ),
]
