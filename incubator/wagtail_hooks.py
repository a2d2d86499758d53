"""The directory in the Wagtail admin: officers manage organisations and the 区→街道→社区 tree.

Permissions come from ``incubator/rules.py`` (officer role code), not from Wagtail groups.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from incubator.models import Community, Organisation


class OrganisationViewSet(SnippetViewSet):
    model = Organisation
    icon = "group"
    menu_label = _("Organisations")
    list_display = ["name", "credit_code", "org_type", "rating", "rating_expires_on", "district"]
    list_filter = ["org_type", "rating", "district"]
    search_fields = ["name", "credit_code", "contact_name"]
    search_backend_name = None  # plain ORM search: no index to keep in step
    ordering = ["name"]
    list_per_page = 50
    panels = [
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("org_type"), FieldPanel("credit_code")]),
        FieldRowPanel([FieldPanel("registration_date"), FieldPanel("registration_authority")]),
        FieldRowPanel([FieldPanel("rating"), FieldPanel("rating_expires_on")]),
        FieldRowPanel([FieldPanel("district"), FieldPanel("community")]),
        FieldPanel("address"),
        MultiFieldPanel(
            [FieldPanel("contact_name"), FieldPanel("contact_phone"), FieldPanel("contact_email")],
            heading=_("Contacts"),
        ),
        FieldPanel("description"),
        FieldPanel("website"),
    ]

    def get_queryset(self, request):
        return Organisation.objects.select_related("district")


class CommunityViewSet(SnippetViewSet):
    model = Community
    icon = "site"
    menu_label = _("Districts and communities")
    list_display = ["name", "level", "parent", "city", "households"]
    list_filter = ["level", "city"]
    search_fields = ["name", "city"]
    search_backend_name = None
    ordering = ["level", "name"]
    list_per_page = 50
    panels = [
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("level"), FieldPanel("parent")]),
        FieldPanel("city"),
        FieldRowPanel([FieldPanel("households"), FieldPanel("population")]),
    ]

    def get_queryset(self, request):
        return Community.objects.select_related("parent")


class DirectoryViewSetGroup(SnippetViewSetGroup):
    menu_label = _("Directory")
    menu_icon = "folder-open-inverse"
    menu_order = 300
    items = (OrganisationViewSet, CommunityViewSet)


register_snippet(DirectoryViewSetGroup)
