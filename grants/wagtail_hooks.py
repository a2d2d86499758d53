"""Running calls in the Wagtail admin: programmes, calls (with rubric and extra questions), blocked lists.

Permissions come from ``grants/rules.py`` (officer role code), not from Wagtail groups. The extra
questions are saved through ``grants.services.calls.publish_call_questions`` (see ``admin_forms``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from grants.admin_forms import CallAdminForm
from grants.models import BlacklistEntry, Call, Programme


class ProgrammeViewSet(SnippetViewSet):
    model = Programme
    icon = "folder-open-1"
    menu_label = _("Programmes")
    list_display = ["name", "funder", "start_year", "end_year", "total_budget", "district"]
    list_filter = ["start_year", "district"]
    search_fields = ["name", "funder"]
    search_backend_name = None  # plain ORM search: no index to keep in step
    ordering = ["-start_year", "name"]
    list_per_page = 50
    panels = [
        FieldPanel("name"),
        FieldPanel("funder"),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("total_budget"), FieldPanel("district")]),
        FieldRowPanel([FieldPanel("start_year"), FieldPanel("end_year")]),
        FieldPanel("officers"),
    ]

    def get_queryset(self, request):
        return Programme.objects.select_related("district")


class CallViewSet(SnippetViewSet):
    model = Call
    icon = "form"
    menu_label = _("Calls for proposals")
    list_display = ["title", "programme", "opens_at", "closes_at", "budget", "max_grant"]
    list_filter = ["programme", "opens_at", "has_defense", "requires_matching"]
    search_fields = ["title", "slug", "summary"]
    search_backend_name = None
    ordering = ["-opens_at"]
    list_per_page = 50
    edit_handler = TabbedInterface(
        [
            ObjectList(
                [
                    FieldPanel("programme"),
                    FieldRowPanel([FieldPanel("title"), FieldPanel("slug")]),
                    FieldPanel("summary"),
                    FieldPanel("themes"),
                ],
                heading=_("Basics"),
            ),
            ObjectList(
                [
                    FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")]),
                    FieldPanel("grace_minutes"),
                ],
                heading=_("Window"),
            ),
            ObjectList(
                [
                    FieldPanel("budget"),
                    FieldRowPanel([FieldPanel("min_grant"), FieldPanel("max_grant")]),
                    MultiFieldPanel(
                        [
                            FieldPanel("requires_matching"),
                            FieldPanel("max_grant_share_percent"),
                            FieldRowPanel(
                                [
                                    FieldPanel("personnel_cap_percent"),
                                    FieldPanel("management_cap_percent"),
                                ]
                            ),
                        ],
                        heading=_("Budget rules"),
                    ),
                ],
                heading=_("Budget"),
            ),
            ObjectList(
                [
                    FieldPanel("one_application_per_organisation"),
                    FieldPanel("allow_filed_community_orgs"),
                    FieldPanel("failure_bar_years"),
                    FieldPanel("max_attachment_mb"),
                    FieldPanel("requires_incubation_graduate"),
                ],
                heading=_("Eligibility"),
            ),
            ObjectList(
                [
                    FieldPanel("has_screening"),
                    FieldRowPanel([FieldPanel("has_defense"), FieldPanel("has_public_notice")]),
                    FieldPanel("public_notice_days"),
                    FieldRowPanel(
                        [
                            FieldPanel("reviewers_per_application"),
                            FieldPanel("conflict_lookback_years"),
                        ]
                    ),
                ],
                heading=_("Stages"),
            ),
            ObjectList(
                [
                    FieldPanel("review_deadline"),
                    FieldRowPanel(
                        [FieldPanel("aggregation_method"), FieldPanel("peer_scores_visible")]
                    ),
                    FieldRowPanel(
                        [FieldPanel("blind_review"), FieldPanel("comment_required_below_percent")]
                    ),
                    FieldRowPanel(
                        [FieldPanel("expert_weight_percent"), FieldPanel("pitch_weight_percent")]
                    ),
                    FieldRowPanel([FieldPanel("theme_quotas"), FieldPanel("district_quotas")]),
                ],
                heading=_("Review"),
            ),
            ObjectList(
                [
                    FieldPanel("tranche_schedule"),
                    FieldRowPanel(
                        [
                            FieldPanel("tranche_due_working_days"),
                            FieldPanel("expense_tolerance_percent"),
                        ]
                    ),
                ],
                heading=_("Funding"),
            ),
            ObjectList(
                [
                    InlinePanel(
                        "rubric",
                        heading=_("Rubric"),
                        label=_("Criterion"),
                        panels=[
                            FieldRowPanel([FieldPanel("label"), FieldPanel("weight")]),
                            FieldRowPanel([FieldPanel("min_score"), FieldPanel("max_score")]),
                            FieldPanel("position"),
                            FieldPanel("guidance"),
                        ],
                    ),
                ],
                heading=_("Rubric"),
            ),
            ObjectList([FieldPanel("questions")], heading=_("Extra questions")),
        ],
        base_form_class=CallAdminForm,
    )

    def get_queryset(self, request):
        return Call.objects.select_related("programme")


class BlacklistEntryViewSet(SnippetViewSet):
    model = BlacklistEntry
    icon = "warning"
    menu_label = _("Blocked lists")
    list_display = ["organisation", "kind", "listed_on", "removed_on", "source"]
    list_filter = ["kind", "listed_on"]
    search_fields = ["organisation__name", "organisation__credit_code", "source"]
    search_backend_name = None
    ordering = ["-listed_on"]
    list_per_page = 50
    panels = [
        FieldPanel("organisation"),
        FieldPanel("kind"),
        FieldRowPanel([FieldPanel("listed_on"), FieldPanel("removed_on")]),
        FieldPanel("source"),
    ]

    def get_queryset(self, request):
        return BlacklistEntry.objects.select_related("organisation")


class GrantsViewSetGroup(SnippetViewSetGroup):
    menu_label = _("Grants")
    menu_icon = "tasks"
    menu_order = 250
    items = (ProgrammeViewSet, CallViewSet, BlacklistEntryViewSet)


register_snippet(GrantsViewSetGroup)
