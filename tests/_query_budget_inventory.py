"""Finding every page of the project, for the query-budget guard in test_query_budgets.py.

``discovered_url_keys()`` walks Django's URL resolver (the project's own URL modules and the
API) and the routes of the Wagtail page types of ``cms``; every key it returns must be classified
in ``INVENTORY`` (below), so a new page cannot arrive without someone deciding
whether it is a list that needs a "same queries for 1 and 30 rows" test.
"""

from __future__ import annotations

import re

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

# URL modules whose patterns are ours (third-party ones — Wagtail admin, allauth, Django admin —
# are tested upstream) plus the Wagtail snippet lists of our models.
OUR_MODULES = ("accounts.", "cms.", "grants.", "incubator.", "yichuang.")
API_NAMESPACE = "api-v1"
# The Wagtail admin is third party, but the snippet lists of our models are our pages.
OUR_SNIPPET_LIST = re.compile(r"^wagtailsnippets_(accounts|cms|grants|incubator)_\w+:list$")


def _walk(patterns, prefix: str, namespace: str, ours: bool):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            child_ns = namespace
            if pattern.namespace:
                child_ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            module = pattern.urlconf_name
            module_name = module if isinstance(module, str) else getattr(module, "__name__", "")
            child_ours = module_name.startswith(OUR_MODULES) or child_ns == API_NAMESPACE
            yield from _walk(
                pattern.url_patterns, prefix + str(pattern.pattern), child_ns, child_ours
            )
        elif isinstance(pattern, URLPattern):
            key = pattern.name or prefix + str(pattern.pattern)
            if pattern.name and namespace:
                key = f"{namespace}:{pattern.name}"
            if ours or OUR_SNIPPET_LIST.match(key):
                yield key


def discovered_url_keys() -> set[str]:
    """URL names (``namespace:name``; the route for an unnamed pattern) and Wagtail page routes
    (``page:<PageType>`` or ``page:<PageType>:<route name>``)."""
    keys = set(_walk(get_resolver().url_patterns, "", "", True))
    from wagtail.models import Page

    for model in apps.get_app_config("cms").get_models():
        if not issubclass(model, Page):
            continue
        if hasattr(model, "get_subpage_urls"):
            for route in model.get_subpage_urls():
                keys.add(f"page:{model.__name__}:{route.name or route.callback.__name__}")
        else:
            keys.add(f"page:{model.__name__}")
    return keys


# --- The inventory -------------------------------------------------------------------------------

HERE = "here"  # a test in tests/test_query_budgets.py (see COVERED_HERE there)
NOT_A_LIST = "not a list"  # a form, an action (POST), a file download, a redirect or one row


def elsewhere(test: str) -> str:
    """A budget test in another file, as ``tests/…py::test_name`` (checked to exist)."""
    return test


def _not_list(reason: str) -> str:
    return f"{NOT_A_LIST}: {reason}"


FORM = _not_list("a form (GET shows it, POST runs one service)")
ACTION = _not_list("a POST action that redirects")
FILE = _not_list("one stored file or generated document of one row")
ONE_ROW = _not_list("one row and its fixed-size parts")
REDIRECT = _not_list("a redirect")

_REVIEW_OFFICER = "tests/grants/test_review_officer.py::"
_ADMIN = "tests/grants/test_admin.py::test_admin_list_uses_the_same_queries_for_1_and_30_rows"
_VOLUNTEERS = "tests/incubator/test_volunteer_query_counts.py::"

INVENTORY: dict[str, str] = {
    # accounts
    "accounts:dashboard": elsewhere(
        "tests/incubator/test_query_counts.py::test_member_lists_cost_the_same_for_1_and_30_organisations"
    ),
    "accounts:preferences": FORM,
    "accounts:api_tokens": elsewhere(
        "tests/accounts/test_workspace.py::test_token_list_costs_the_same_for_1_and_30_tokens"
    ),
    "accounts:revoke_api_token": ACTION,
    # the API
    "api-v1:api-root": _not_list("the API's index"),
    "api-v1:openapi-json": _not_list("the schema, built from code"),
    "api-v1:openapi-view": _not_list("the schema viewer"),
    "api-v1:me": ONE_ROW,
    "api-v1:list_open_calls": elsewhere(
        "tests/test_api.py::test_open_calls_query_count_is_the_same_for_1_and_30"
    ),
    "api-v1:my_applications": elsewhere(
        "tests/grants/test_api_applications.py::test_mine_query_count_is_the_same_for_1_and_30"
    ),
    "api-v1:application_detail": ONE_ROW,
    "api-v1:application_transitions": _not_list("the fixed set of transitions of one application"),
    "api-v1:run_transition": ACTION,
    "api-v1:my_organisations": elsewhere(
        "tests/test_api.py::test_my_organisations_query_count_is_the_same_for_1_and_30"
    ),
    "api-v1:open_data_programmes": HERE,
    "api-v1:open_data_figures": HERE,
    # top level
    "healthz": _not_list("a health probe"),
    "robots_txt": _not_list("a fixed text"),
    "sitemap.xml": HERE,
    "project_photo": FILE,
    "site_search": elsewhere(
        "tests/cms/test_search.py::test_query_count_is_the_same_for_one_and_thirty_results"
    ),
    # Wagtail pages
    "page:HomePage": elsewhere(
        "tests/cms/test_home_page.py::test_home_query_count_does_not_grow_with_notices_and_projects"
    ),
    "page:NewsIndexPage": elsewhere(
        "tests/cms/test_pages.py::test_news_index_query_count_does_not_grow_with_the_news"
    ),
    "page:NewsPage": ONE_ROW,
    "page:StandardPage": ONE_ROW,
    "page:CallIndexPage": elsewhere(
        "tests/cms/test_call_pages.py::test_call_index_query_count_is_the_same_for_1_and_30_calls"
    ),
    "page:CallPage": HERE,
    "page:ProjectIndexPage:index_route": _not_list("Wagtail's default route, shadowed by ''"),
    "page:ProjectIndexPage:project_list": elsewhere(
        "tests/cms/test_project_pages.py::test_project_index_query_count_is_the_same_for_1_and_30_projects"
    ),
    "page:ProjectIndexPage:project_detail": HERE,
    "page:OrganisationIndexPage:index_route": _not_list("Wagtail's default route, shadowed by ''"),
    "page:OrganisationIndexPage:organisation_list": elsewhere(
        "tests/cms/test_organisation_pages.py::test_directory_query_count_is_the_same_for_1_and_30_organisations"
    ),
    "page:OrganisationIndexPage:organisation_detail": HERE,
    "page:TransparencyPage:index_route": _not_list("Wagtail's default route, shadowed by 'index'"),
    "page:TransparencyPage:index": HERE,
    "page:TransparencyPage:dashboard": elsewhere(
        "tests/cms/test_open_data.py::test_dashboard_costs_the_same_queries_for_1_and_30_projects"
    ),
    "page:TransparencyPage:csv": elsewhere(
        "tests/cms/test_open_data.py::test_dashboard_costs_the_same_queries_for_1_and_30_projects"
    ),
    "page:TransparencyPage:json": HERE,
    # the Wagtail admin's snippet lists of our models
    "wagtailsnippets_grants_call:list": elsewhere(_ADMIN),
    "wagtailsnippets_grants_programme:list": elsewhere(_ADMIN),
    "wagtailsnippets_grants_blacklistentry:list": elsewhere(_ADMIN),
    "wagtailsnippets_incubator_organisation:list": HERE,
    "wagtailsnippets_incubator_community:list": HERE,
    "wagtailsnippets_incubator_donor:list": HERE,
    "wagtailsnippets_incubator_inkinddonation:list": HERE,
    "wagtailsnippets_incubator_matchingpledge:list": HERE,
    "wagtailsnippets_incubator_incubationbase:list": HERE,
    "wagtailsnippets_incubator_intake:list": HERE,
    # incubator: organisations and their vault
    "incubator:organisation_list": elsewhere(
        "tests/incubator/test_query_counts.py::test_officer_list_costs_the_same_for_1_and_30_organisations"
    ),
    "incubator:organisation_create": elsewhere(
        "tests/incubator/test_query_counts.py::test_registration_form_options_cost_the_same_for_1_and_30_communities"
    ),
    "incubator:organisation_detail": elsewhere(
        "tests/incubator/test_vault.py::test_organisation_page_costs_the_same_for_1_and_30_rows"
    ),
    "incubator:vault": HERE,
    "incubator:vault_upload": ACTION,
    "incubator:vault_download": FILE,
    "incubator:vault_delete_document": ACTION,
    "incubator:vault_add_account": ACTION,
    "incubator:vault_primary_account": ACTION,
    "incubator:vault_delete_account": ACTION,
    # incubation
    "incubation:index": elsewhere(
        "tests/incubator/test_incubation_views.py::test_index_costs_the_same_for_1_and_30_bases"
    ),
    "incubation:workspace": elsewhere(
        "tests/incubator/test_incubation_views.py::test_workspace_costs_the_same_for_1_and_30_applications"
    ),
    "incubation:application": elsewhere(
        "tests/incubator/test_incubation_views.py::test_application_page_costs_the_same_for_1_and_30_sessions_and_assessments"
    ),
    "incubation:apply": FORM,
    "incubation:application_action": ACTION,
    "incubation:sign_agreement": FORM,
    "incubation:service_plan": FORM,
    "incubation:financial_system": FORM,
    "incubation:handback": ACTION,
    "incubation:add_mentoring": ACTION,
    "incubation:follow_up_done": ACTION,
    "incubation:add_assessment": ACTION,
    "incubation:courses": elsewhere(
        "tests/incubator/test_incubation_programme.py::test_course_list_costs_the_same_for_1_and_30_courses"
    ),
    "incubation:course": HERE,
    "incubation:attendance": elsewhere(
        "tests/incubator/test_incubation_programme.py::test_register_costs_the_same_for_1_and_30_organisations"
    ),
    # volunteering
    "volunteering:activity_list": elsewhere(_VOLUNTEERS + "test_the_public_activity_list"),
    "volunteering:activity_detail": ONE_ROW,
    "volunteering:activity_signup": ACTION,
    "volunteering:activity_cancel": ACTION,
    "volunteering:enter_hours": FORM,
    "volunteering:checkin": FORM,
    "volunteering:rewards": elsewhere(_VOLUNTEERS + "test_the_reward_catalogue"),
    "volunteering:reward_redeem": ACTION,
    "volunteering:redemption_cancel": ACTION,
    "volunteering:register": FORM,
    "volunteering:profile": elsewhere(_VOLUNTEERS + "test_the_volunteers_profile"),
    "volunteering:profile_edit": FORM,
    "volunteering:certificate": FILE,
    "volunteering:manage": elsewhere(_VOLUNTEERS + "test_the_organisers_activity_list"),
    "volunteering:activity_create": FORM,
    "volunteering:manage_activity": elsewhere(_VOLUNTEERS + "test_the_roster_of_an_activity"),
    "volunteering:activity_edit": FORM,
    "volunteering:activity_publish": ACTION,
    "volunteering:activity_qr": FILE,
    "volunteering:roster_add": ACTION,
    "volunteering:roster_hours": ACTION,
    "volunteering:hours_pending": elsewhere(_VOLUNTEERS + "test_the_pending_hours_list"),
    "volunteering:hours_approve": ACTION,
    "volunteering:hours_reject": ACTION,
    "volunteering:export_csv": elsewhere(_VOLUNTEERS + "test_the_csv_export"),
    "volunteering:teams": elsewhere(_VOLUNTEERS + "test_the_team_list"),
    "volunteering:register_on_paper": FORM,
    "volunteering:rewards_manage": elsewhere(_VOLUNTEERS + "test_the_officers_redemption_desk"),
    "volunteering:reward_edit": FORM,
    "volunteering:redemption_fulfil": ACTION,
    # community (三社/五社联动)
    "community:index": REDIRECT,
    "community:proposal_list": elsewhere(
        "tests/incubator/test_proposals_pages.py::test_public_list_costs_the_same_for_1_and_30_proposals"
    ),
    "community:proposal_create": FORM,
    "community:proposal_manage": elsewhere(
        "tests/incubator/test_proposals_pages.py::test_staff_queue_costs_the_same_for_1_and_30_proposals"
    ),
    "community:proposal_detail": _not_list("one proposal and its vote tally (one aggregate)"),
    "community:proposal_vote": ACTION,
    "community:proposal_classify": ACTION,
    "community:proposal_open_voting": ACTION,
    "community:proposal_close_voting": ACTION,
    "community:proposal_micro_call": ACTION,
    "community:proposal_application_draft": ACTION,
    "community:wushe": elsewhere(
        "tests/incubator/test_wushe.py::test_wushe_costs_the_same_for_1_and_30_districts"
    ),
    "community:application_partners": elsewhere(
        "tests/incubator/test_wushe.py::test_partners_page_costs_the_same_for_1_and_30_choices"
    ),
    "community:certification_report": elsewhere(
        "tests/incubator/test_social_workers.py::test_report_costs_the_same_for_1_and_30_organisations"
    ),
    "community:social_worker_edit": FORM,
    "community:organisation_social_workers": elsewhere(
        "tests/incubator/test_social_workers.py::test_organisation_page_costs_the_same_for_1_and_30_social_workers"
    ),
    "community:social_worker_create": FORM,
    "community:resources": elsewhere(
        "tests/incubator/test_resources.py::test_resources_page_costs_the_same_for_1_and_30_rows"
    ),
    "community:pledge_action": ACTION,
    # grants: applicants
    "grants:apply": FORM,
    "grants:my_applications": elsewhere(
        "tests/grants/test_applicant_workspace.py::test_workspace_uses_the_same_number_of_queries_for_1_and_30_applications"
    ),
    "grants:application_detail": HERE,
    "grants:application_edit": FORM,
    "grants:application_autosave": ACTION,
    "grants:application_comment": ACTION,
    "grants:application_withdraw": ACTION,
    "grants:inbox": elsewhere(
        "tests/grants/test_inbox.py::test_the_inbox_uses_the_same_number_of_queries_for_1_and_30_notifications"
    ),
    "grants:inbox_mark_all_read": ACTION,
    "grants:inbox_open": REDIRECT,
    "grants:inbox_mark_read": ACTION,
    # grants: officers
    "grants:officer_workspace": elsewhere(
        "tests/grants/test_officer_workspace.py::test_workspace_query_count_does_not_grow_with_calls_and_applications"
    ),
    # the test there grows one organisation's rows, searched and sorted; the one here grows
    # rows of different organisations with reviewers, under every filter
    "grants:officer_call_applications": HERE,
    "grants:officer_export": elsewhere(
        "tests/grants/test_export.py::test_export_uses_the_same_number_of_queries_for_1_and_100_applications"
    ),
    "grants:officer_application": HERE,
    "grants:officer_action": ACTION,
    "grants:officer_comment": ACTION,
    "grants:attachment_download": FILE,
    # grants: review
    "grants:review_dashboard": elsewhere(
        "tests/grants/test_review_views.py::test_dashboard_query_count_is_the_same_for_1_and_30_reviews"
    ),
    "grants:review_profile": FORM,
    "grants:review_relation_delete": ACTION,
    "grants:review_assignment": HERE,  # the scoring form shows the whole application
    "grants:review_declaration": FORM,
    "grants:review_decline": ACTION,
    "grants:review_autosave": ACTION,
    "grants:review_correction": ACTION,
    "grants:review_history": HERE,
    "grants:review_attachment": FILE,
    "grants:review_pool": elsewhere(
        _REVIEW_OFFICER + "test_pool_page_query_count_is_the_same_for_1_and_30_reviewers"
    ),
    "grants:review_pool_member": HERE,
    "grants:review_pool_relation_delete": ACTION,
    "grants:review_panels": elsewhere(
        _REVIEW_OFFICER + "test_panels_page_query_count_is_the_same_for_1_and_30_applications"
    ),
    "grants:review_draw": ACTION,
    "grants:review_add_reviewer": ACTION,
    "grants:review_remove_reviewer": ACTION,
    "grants:review_conflicts": elsewhere(
        _REVIEW_OFFICER + "test_register_query_count_is_the_same_for_1_and_30_conflicts"
    ),
    "grants:review_detect_conflicts": ACTION,
    "grants:review_conduct": elsewhere(
        _REVIEW_OFFICER + "test_conduct_page_query_count_is_the_same_for_1_and_30_reviewers"
    ),
    # grants: ranking and pitch
    "grants:call_ranking": elsewhere(
        "tests/grants/test_ranking_views.py::test_same_number_of_queries_for_1_and_30_applications"
    ),
    "grants:ranking_export": elsewhere(
        "tests/grants/test_ranking_views.py::test_same_number_of_queries_for_1_and_30_applications"
    ),
    "grants:ranking_recommend": ACTION,
    "grants:ranking_method": ACTION,
    "grants:ranking_override": ACTION,
    "grants:ranking_adjust": ACTION,
    "grants:pitch_sessions": elsewhere(
        "tests/grants/test_pitch_views.py::test_call_sessions_page_runs_the_same_queries_for_1_and_30_sessions"
    ),
    "grants:pitch_session": elsewhere(
        "tests/grants/test_pitch_views.py::test_pitch_pages_run_the_same_queries_for_1_and_30_pitches"
    ),
    "grants:pitch_schedule": ACTION,
    "grants:pitch_move": ACTION,
    "grants:pitch_start": ACTION,
    "grants:pitch_judge": elsewhere(
        "tests/grants/test_pitch_views.py::test_pitch_pages_run_the_same_queries_for_1_and_30_pitches"
    ),
    "grants:pitch_judge_live": elsewhere(
        "tests/grants/test_pitch_views.py::test_pitch_pages_run_the_same_queries_for_1_and_30_pitches"
    ),
    # the same view as pitch_judge, with one slot in focus
    "grants:pitch_judge_slot": elsewhere(
        "tests/grants/test_pitch_views.py::test_pitch_pages_run_the_same_queries_for_1_and_30_pitches"
    ),
    "grants:pitch_declare": ACTION,
    "grants:pitch_score": ACTION,
    "grants:pitch_board": elsewhere(
        "tests/grants/test_pitch_views.py::test_pitch_pages_run_the_same_queries_for_1_and_30_pitches"
    ),
    "grants:pitch_board_live": elsewhere(
        "tests/grants/test_pitch_views.py::test_pitch_pages_run_the_same_queries_for_1_and_30_pitches"
    ),
    # grants: decisions and 公示
    "grants:public_notice_index": elsewhere(
        "tests/grants/test_decisions_views.py::test_the_index_costs_the_same_for_1_and_30_notices"
    ),
    "grants:public_notice": elsewhere(
        "tests/grants/test_decisions_views.py::test_the_notice_page_costs_the_same_for_1_and_30_projects"
    ),
    "grants:public_results": elsewhere(
        "tests/grants/test_public_results.py::test_results_cost_the_same_for_1_and_30_projects"
    ),
    "grants:objection_verify": FORM,
    "grants:objection_resend": ACTION,
    "grants:objection_lodge": FORM,
    "grants:decisions_notice": elsewhere(
        "tests/grants/test_decisions_views.py::test_the_objection_list_costs_the_same_for_1_and_30_objections"
    ),
    "grants:decisions_approve": ACTION,
    "grants:decisions_decide": ACTION,
    "grants:decisions_objection": ONE_ROW,
    "grants:decisions_objection_resolve": ACTION,
    "grants:decision_letter": FILE,
    "grants:officer_decision_letter": FILE,
    # grants: agreements and disbursements
    "grants:funding_agreement_issue": FORM,
    "grants:funding_agreement_pdf_staff": FILE,
    "grants:funding_agreement": FORM,
    "grants:funding_agreement_pdf": FILE,
    "grants:funding_workspace": elsewhere(
        "tests/grants/test_funding_views.py::test_workspace_query_count_is_constant"
    ),
    "grants:funding_prepare": FORM,
    "grants:funding_disbursement": ONE_ROW,
    "grants:funding_voucher": FILE,
    "grants:funding_disbursement_action": ACTION,
    # grants: donations
    "grants:donations_project": FORM,
    "grants:donations_programme": FORM,
    "grants:donations_pay": FORM,
    "grants:donations_thanks": ONE_ROW,
    "grants:donations_webhook": ACTION,
    "grants:donations_staff_list": elsewhere(
        "tests/grants/test_donations_views.py::test_staff_list_costs_the_same_for_1_and_30_donations"
    ),
    "grants:donations_refund": ACTION,
    # grants: money
    "grants:finance_expense_new": FORM,
    "grants:finance_my_statement": HERE,
    "grants:finance_my_statement_export": HERE,
    "grants:finance_receipt": FILE,
    "grants:finance_expense_decide": ACTION,
    "grants:finance_clawback_open": ACTION,
    "grants:finance_clawback_repaid": ACTION,
    "grants:finance_dashboard": HERE,
    "grants:finance_dashboard_export": HERE,
    "grants:finance_statement": HERE,
    "grants:finance_statement_export": HERE,
    "grants:finance_reconciliation": HERE,
    # grants: reports
    "grants:reports_write": FORM,
    "grants:reports_edit": FORM,
    "grants:reports_autosave": ACTION,
    "grants:reports_workspace": HERE,
    "grants:reports_review": FORM,
    "grants:reports_generate_plan": ACTION,
    "grants:reports_milestone_edit": FORM,
    "grants:reports_evaluator": FORM,
    "grants:reports_evidence": FILE,
    # grants: evaluations
    "grants:evaluations_workspace": elsewhere(
        "tests/grants/test_evaluations_views.py::test_workspace_costs_the_same_for_1_and_30_evaluations"
    ),
    "grants:evaluations_workspace_detail": FORM,
    "grants:evaluations_autosave": ACTION,
    "grants:evaluations_activity_add": ACTION,
    "grants:evaluations_activity_delete": ACTION,
    "grants:evaluations_attachment": FILE,
    "grants:evaluations_start": ACTION,
    "grants:evaluations_cancel": ACTION,
    "grants:evaluations_template": FORM,
    "grants:evaluations_open_clawback": ACTION,
    # grants: 评议 (beneficiary feedback)
    "grants:feedback_public": FORM,
    "grants:feedback_confirm": FORM,
    "grants:feedback_resend": ACTION,
    "grants:feedback_officer": elsewhere(
        "tests/grants/test_feedback_views.py::test_officer_page_runs_a_constant_number_of_queries"
    ),
    "grants:feedback_open": ACTION,
    "grants:feedback_settings": ACTION,
    "grants:feedback_exclude": ACTION,
    "grants:feedback_reinstate": ACTION,
    "grants:feedback_poster": FILE,
    "grants:feedback_poster_applicant": FILE,
    # grants: impact
    "grants:impact_call": elsewhere(
        "tests/grants/test_impact_views.py::test_the_dashboards_cost_the_same_queries_for_1_and_30_projects"
    ),
    "grants:impact_programme": elsewhere(
        "tests/grants/test_impact_views.py::test_the_dashboards_cost_the_same_queries_for_1_and_30_projects"
    ),
    "grants:impact_annual_xlsx": HERE,
    "grants:impact_annual_pdf": _not_list(
        "the PDF of the annual report: the same selectors as impact_annual_xlsx"
    ),
}
