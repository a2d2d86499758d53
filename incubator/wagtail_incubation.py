"""Incubation bases and their intakes in the Wagtail admin (snippets), for officers.

Imported by ``incubator/wagtail_hooks.py``. Applications are not edited here: their state is an
FSM field moved only by the services (/incubation/workspace/). Permissions come from
``incubator/rules_incubation.py`` (officer role code).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from incubator.models import IncubationBase, Intake


class IncubationBaseViewSet(SnippetViewSet):
    model = IncubationBase
    icon = "home"
    menu_label = _("Incubation bases")
    list_display = ["name", "district", "capacity", "operator"]
    list_filter = ["district"]
    search_fields = ["name", "address"]
    search_backend_name = None
    ordering = ["name"]
    list_per_page = 50
    panels = [
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("district"), FieldPanel("capacity")]),
        FieldPanel("address"),
        FieldPanel("operator"),
        FieldPanel("managers"),
        FieldPanel("description"),
    ]

    def get_queryset(self, request):
        return IncubationBase.objects.select_related("district", "operator")


class IntakeViewSet(SnippetViewSet):
    model = Intake
    icon = "date"
    menu_label = _("Intakes")
    list_display = ["name", "base", "opens_on", "closes_on"]
    list_filter = ["base"]
    search_fields = ["name"]
    search_backend_name = None
    ordering = ["-opens_on"]
    list_per_page = 50
    panels = [
        FieldRowPanel([FieldPanel("base"), FieldPanel("name")]),
        FieldRowPanel([FieldPanel("opens_on"), FieldPanel("closes_on"), FieldPanel("term_months")]),
        MultiFieldPanel(
            [
                FieldPanel("offers_in_house"),
                FieldPanel("offers_outside"),
                FieldPanel("offers_cloud"),
            ],
            heading=_("Modes offered"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("requires_registration"),
                FieldPanel("requires_completed_project"),
                FieldPanel("requires_financial_system"),
                FieldRowPanel([FieldPanel("min_capacity_score"), FieldPanel("min_months")]),
            ],
            heading=_("Graduation criteria (出壳条件)"),
        ),
        FieldPanel("description"),
    ]

    def get_queryset(self, request):
        return Intake.objects.select_related("base")


class IncubationViewSetGroup(SnippetViewSetGroup):
    menu_label = _("Incubation")
    menu_icon = "home"
    menu_order = 320
    items = (IncubationBaseViewSet, IntakeViewSet)


register_snippet(IncubationViewSetGroup)
