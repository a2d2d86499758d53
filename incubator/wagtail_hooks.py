"""The directory in the Wagtail admin: officers manage organisations and the 区→街道→社区 tree.

Permissions come from ``incubator/rules.py`` (officer role code), not from Wagtail groups.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from incubator.models import Community, Donor, InKindDonation, MatchingPledge, Organisation


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


# --- Charitable resources (社会慈善资源): officers, through incubator/rules_community.py ------------
# Pledge states are not edited here (the field is protected): /community/resources/ moves them.


class DonorViewSet(SnippetViewSet):
    model = Donor
    icon = "user"
    menu_label = _("Donors")
    list_display = ["name", "kind", "contact_name", "contact_phone"]
    list_filter = ["kind"]
    search_fields = ["name", "contact_name"]
    search_backend_name = None
    ordering = ["name"]
    list_per_page = 50
    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("kind")]),
        FieldRowPanel(
            [FieldPanel("contact_name"), FieldPanel("contact_phone"), FieldPanel("contact_email")]
        ),
        FieldPanel("note"),
    ]


class InKindDonationViewSet(SnippetViewSet):
    model = InKindDonation
    icon = "pick"
    menu_label = _("In-kind donations")
    list_display = ["description", "donor", "quantity", "estimated_value", "received_on"]
    search_fields = ["description", "donor__name"]
    search_backend_name = None
    ordering = ["-received_on"]
    list_per_page = 50
    panels = [
        FieldPanel("donor"),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("quantity"), FieldPanel("estimated_value")]),
        FieldRowPanel([FieldPanel("application"), FieldPanel("organisation")]),
        FieldPanel("received_on"),
    ]

    def get_queryset(self, request):
        return InKindDonation.objects.select_related("donor")


class MatchingPledgeViewSet(SnippetViewSet):
    model = MatchingPledge
    icon = "doc-full"
    menu_label = _("Matching pledges")
    list_display = ["__str__", "target", "matched_amount", "state", "pledged_on"]
    list_filter = ["state"]
    search_fields = ["donor__name"]
    search_backend_name = None
    ordering = ["-pledged_on"]
    list_per_page = 50
    panels = [
        FieldPanel("donor"),
        MultiFieldPanel(
            [FieldPanel("application"), FieldPanel("programme")],
            heading=_("Matches either one project or a programme's pool"),
        ),
        FieldRowPanel([FieldPanel("ratio"), FieldPanel("cap_amount")]),
        FieldPanel("pledged_on"),
        FieldPanel("note"),
    ]

    def get_queryset(self, request):
        return MatchingPledge.objects.select_related("donor", "application__call", "programme")


class ResourcesViewSetGroup(SnippetViewSetGroup):
    menu_label = _("Charitable resources")
    menu_icon = "pick"
    menu_order = 310
    items = (DonorViewSet, InKindDonationViewSet, MatchingPledgeViewSet)


register_snippet(ResourcesViewSetGroup)


import incubator.wagtail_incubation  # noqa: E402, F401 - registers the incubation bases and intakes
