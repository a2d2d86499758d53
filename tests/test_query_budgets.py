"""Query budgets: every list and dashboard runs the same number of queries for 1 and 30 rows.

A page whose query count grows with its rows (an N+1) is fast in a test and slow at city scale,
so each list page is measured twice — with one row, then with thirty of the kinds it shows, with
their related rows — and the counts must be equal, not merely under a ceiling.

``INVENTORY`` (tests/_query_budget_inventory.py) classifies every page the URL resolver and the
Wagtail page types know: covered here, covered by a named test elsewhere, or not a
list. ``test_every_page_is_in_the_inventory`` fails when a page is added without a decision, so a
new list page cannot ship without its budget test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.enums import Role
from tests._query_budget_inventory import HERE, INVENTORY, NOT_A_LIST, discovered_url_keys
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    MembershipFactory,
    OrganisationFactory,
    ProgrammeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TESTS = Path(__file__).resolve().parent

# Filled by the tests below: the inventory keys this module measures.
COVERED_HERE: set[str] = set()


def _covers(*keys: str):
    COVERED_HERE.update(keys)
    return keys


def budget_for(*keys: str):
    """Marks a test as the budget test of ``keys`` (registered at import, for the guard)."""
    _covers(*keys)
    return lambda test: test


def test_every_page_is_in_the_inventory():
    found = discovered_url_keys()
    missing = sorted(found - INVENTORY.keys())
    stale = sorted(INVENTORY.keys() - found)
    assert not missing, (
        f"New pages without a query-budget decision: {missing}. Add each to INVENTORY in "
        "tests/_query_budget_inventory.py: HERE (and a 1-vs-30 test), elsewhere('tests/…::test_…') "
        "or a NOT_A_LIST reason."
    )
    assert not stale, f"INVENTORY names pages that no longer exist: {stale}"


def test_every_list_named_in_the_inventory_has_its_test():
    here = {key for key, value in INVENTORY.items() if value == HERE}
    assert here == COVERED_HERE, (here - COVERED_HERE, COVERED_HERE - here)
    for key, value in INVENTORY.items():
        if value in (HERE,) or value.startswith(NOT_A_LIST):
            continue
        path, _, name = value.partition("::")
        source = (TESTS.parent / path).read_text(encoding="utf-8")
        assert re.search(rf"^def {re.escape(name)}\(", source, re.M), f"{key}: {value} not found"


# --- Measuring ----------------------------------------------------------------------------------


def _count(client, url: str) -> tuple[int, object]:
    # Saving rows purges the page caches; each measurement starts from an empty cache so that
    # one cold request is compared with another.
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries), response


def same_for_1_and_30(client, urls: str | list[str], add: Callable[[int], object]):
    """Builds one row with ``add(0)``, counts the queries of each page, builds 29 more with
    ``add(1)`` … ``add(29)`` and counts again: each page must cost the same. Returns the last
    response (of the last page)."""
    urls = [urls] if isinstance(urls, str) else urls
    add(0)
    one = {}
    for url in urls:
        _count(client, url)  # warm per-process caches (content types, site, settings)
        one[url], _ = _count(client, url)
    for number in range(1, 30):
        add(number)
    thirty = {}
    for url in urls:
        thirty[url], response = _count(client, url)
    assert thirty == one, f"queries for 1 row: {one}; for 30 rows: {thirty}"
    for url, count in one.items():
        print(f"query budget: {count:3d} {url}")  # shown with pytest -s
    return response


def staff(username: str, role: str):
    user = UserFactory(username=username)
    MembershipFactory(user=user, organisation=None, role=role)
    return user


# --- Money: funding dashboard, statements, reconciliation ---------------------------------------


def _donate(project, number: int) -> None:
    from grants.enums import LedgerKind
    from grants.services.ledger import post_entry

    post_entry(
        kind=LedgerKind.DONATION,
        amount=Decimal(f"{number + 1}.00"),
        programme=None,
        application=project,
        idempotency_key=f"budget-donation-{project.pk}-{number}",
    )


@budget_for(
    "grants:finance_dashboard",
    "grants:finance_dashboard_export",
    "grants:finance_reconciliation",
    "grants:impact_annual_xlsx",
    "api-v1:open_data_figures",
    "page:TransparencyPage:json",
)
def test_money_dashboards_and_open_data_cost_the_same_for_1_and_30_projects(
    client, public_site, settings
):
    from tests.grants.factories_finance import funded_project

    # given funded projects of one call (award, a paid tranche and a donation each)
    settings.STRIPE_SECRET_KEY = ""  # reconcile against the Donation rows, no Stripe server
    call = CallFactory()

    def add(number: int) -> None:
        project = funded_project(call=call)
        _donate(project, number)

    year = call.opens_at.astimezone().year
    urls = [
        reverse("grants:finance_dashboard"),
        reverse("grants:finance_dashboard_export"),
        reverse("grants:finance_reconciliation"),
        reverse("grants:impact_annual_xlsx", args=[call.programme_id]),
        f"/api/v1/open-data/{call.programme_id}/{year}",
        f"/open-data/{call.programme_id}/{year}/json/",
    ]
    client.force_login(staff("budget_finance", Role.FINANCE))
    # then each page costs the same with 1 and with 30 projects
    response = same_for_1_and_30(client, urls, add)
    assert len(response.json()["projects"]) == 30


@pytest.mark.parametrize(
    ("name", "who"),
    [
        (name, who)
        for name, who in [
            ("grants:finance_statement", "finance"),
            ("grants:finance_statement_export", "finance"),
            ("grants:finance_my_statement", "member"),
            ("grants:finance_my_statement_export", "member"),
        ]
        if _covers(name)
    ],
)
def test_statements_cost_the_same_for_1_and_30_ledger_rows(client, name, who):
    from tests.grants.factories_finance import funded_project, member_of

    # given a funded project whose ledger grows by donations and spending
    project = funded_project()
    user = (
        staff("budget_finance", Role.FINANCE)
        if who == "finance"
        else member_of(project.organisation, "budget_member")
    )
    client.force_login(user)
    # then its statement costs the same for 1 and 30 ledger rows
    same_for_1_and_30(
        client, reverse(name, args=[project.pk]), lambda number: _donate(project, number)
    )


# --- Applications: the applicant's and the officer's page of one application ---------------------


def _comment(application, author, visibility: str, number: int) -> None:
    from grants.models import ApplicationComment

    ApplicationComment.objects.create(
        application=application,
        author=author,
        body=f"请补充预算说明{number}",
        visibility=visibility,
    )


@pytest.mark.parametrize("name", _covers("grants:application_detail"))
def test_applicants_application_page_costs_the_same_for_1_and_30_comments_and_files(
    client, applicant, organisation, officer, name
):
    from tests.grants.factories_review import attach

    application = ApplicationFactory(
        organisation=organisation, created_by=applicant, state="submitted"
    )

    def add(number: int) -> None:
        _comment(application, officer, "applicant", number)
        attach(application, name=f"附件{number}.pdf", kind="other")

    client.force_login(applicant)
    response = same_for_1_and_30(client, reverse(name, args=[application.pk]), add)
    assert response.content.decode().count("请补充预算说明") == 30


@pytest.mark.parametrize("name", _covers("grants:officer_application"))
def test_officers_application_page_costs_the_same_for_1_and_30_comments_files_and_reviews(
    client, officer, name
):
    from grants.enums import AssignmentState
    from tests.grants.factories_review import assign, attach, in_review, make_reviewer, review_call
    from tests.grants.factories_review import sheet as score_sheet

    application = in_review(review_call())

    def add(number: int) -> None:
        _comment(application, officer, "staff", number)
        _comment(application, application.created_by, "applicant", number)
        attach(application, name=f"附件{number}.pdf", kind="other")
        assignment = assign(application, make_reviewer(), AssignmentState.SUBMITTED)
        score_sheet(assignment, submitted=True)

    client.force_login(officer)
    response = same_for_1_and_30(client, reverse(name, args=[application.pk]), add)
    assert response.content.decode().count("请补充预算说明") == 60  # staff and applicant


@budget_for("grants:officer_call_applications")
def test_officer_list_costs_the_same_for_1_and_30_applications_under_each_filter(client, officer):
    from grants.enums import AssignmentState
    from tests.factories import DistrictFactory
    from tests.grants.factories_review import assign, make_reviewer

    # given applications from different organisations of one district, each with a reviewer
    call = CallFactory(themes=["elderly", "youth"])
    district = DistrictFactory()

    def add(number: int) -> None:
        application = ApplicationFactory(
            call=call,
            organisation=OrganisationFactory(district=district),
            state="submitted",
            submitted_at=timezone.now() - timedelta(hours=number),
            theme="elderly",
            title=f"社区养老服务项目{number}",
        )
        assign(application, make_reviewer(), AssignmentState.ACCEPTED)

    client.force_login(officer)
    url = reverse("grants:officer_call_applications", args=[call.pk])
    queries = [
        "",
        "q=养老&sort=organisation",
        f"state=submitted&theme=elderly&district={district.pk}&sort=-amount",
        "eligibility=clean&sort=submitted",
    ]
    # then the list costs the same for 1 and 30 applications, under each filter
    response = same_for_1_and_30(client, [f"{url}?{query}" for query in queries], add)
    assert response.context["page"].paginator.count == 30


# --- Review: a reviewer's profile (officer's view) and the history of one score sheet -----------


@pytest.mark.parametrize("name", _covers("grants:review_pool_member"))
def test_pool_member_page_costs_the_same_for_1_and_30_relations(client, officer, name):
    from tests.grants.factories_review import RelationFactory, make_reviewer

    reviewer = make_reviewer()

    def add(number: int) -> None:
        RelationFactory(profile=reviewer.reviewer_profile, organisation=OrganisationFactory())

    client.force_login(officer)
    response = same_for_1_and_30(client, reverse(name, args=[reviewer.pk]), add)
    assert len(response.context["relations"]) == 30


@pytest.mark.parametrize("name", _covers("grants:review_history"))
def test_score_history_costs_the_same_for_1_and_30_versions(client, name):
    from grants.enums import AssignmentState
    from grants.models import ScoreSheet
    from tests.grants.factories_review import assign, in_review, make_reviewer, review_call
    from tests.grants.factories_review import sheet as score_sheet

    reviewer = make_reviewer()
    assignment = assign(in_review(review_call()), reviewer, AssignmentState.SUBMITTED)

    def add(number: int) -> None:
        # each correction keeps the earlier versions and makes the new one current
        ScoreSheet.objects.filter(assignment=assignment).update(is_current=False)
        score_sheet(assignment, submitted=True, version=number + 1)

    client.force_login(reviewer)
    response = same_for_1_and_30(client, reverse(name, args=[assignment.pk]), add)
    assert len(response.context["sheets"]) == 30


@pytest.mark.parametrize("name", _covers("grants:review_assignment"))
def test_scoring_page_costs_the_same_for_1_and_30_criteria_budget_lines_and_files(client, name):
    from grants.enums import AssignmentState
    from grants.models import BudgetLine, RubricCriterion
    from tests.grants.factories_review import assign, attach, in_review, make_reviewer, review_call

    call = review_call()
    application = in_review(call)
    reviewer = make_reviewer()
    assignment = assign(application, reviewer, AssignmentState.ACCEPTED)

    def add(number: int) -> None:
        RubricCriterion.objects.create(
            call=call, position=10 + number, label=f"附加标准{number}", weight=1
        )
        BudgetLine.objects.create(
            application=application,
            position=10 + number,
            category="activity",
            description=f"活动物资{number}",
            amount=Decimal("10"),
        )
        attach(application, name=f"附件{number}.pdf", kind="other")

    client.force_login(reviewer)
    response = same_for_1_and_30(client, reverse(name, args=[assignment.pk]), add)
    assert response.content.decode().count("附加标准") >= 30


# --- Reports (staff queue) -----------------------------------------------------------------------


@pytest.mark.parametrize("name", _covers("grants:reports_workspace"))
def test_reports_queue_costs_the_same_for_1_and_30_projects(client, name):
    from grants.models import Milestone
    from grants.models.reports import ReportKind
    from tests.grants.factories_reports import (
        funded_project,
        make_officer,
        member_of,
        milestone_of,
        submitted_report,
    )

    def add(number: int) -> None:
        project = funded_project(title=f"报告项目{number}")
        member = member_of(project.organisation, f"budget_reporter{number}")
        milestone = milestone_of(project, ReportKind.PERIODIC)
        Milestone.objects.filter(pk=milestone.pk).update(
            due_on=timezone.localdate() - timedelta(days=2)
        )
        submitted_report(project, member)

    client.force_login(make_officer("budget_reports_officer"))
    same_for_1_and_30(client, reverse(name) + "?status=all", add)


# --- Incubator: the vault and a training course --------------------------------------------------


@pytest.mark.parametrize("name", _covers("incubator:vault"))
def test_vault_costs_the_same_for_1_and_30_documents_and_accounts(
    client, applicant, organisation, name
):
    from tests.incubator.factories_incubation import BankAccountFactory, VaultDocumentFactory

    def add(number: int) -> None:
        VaultDocumentFactory(organisation=organisation, uploaded_by=applicant)
        BankAccountFactory(organisation=organisation, created_by=applicant)

    client.force_login(applicant)
    same_for_1_and_30(client, reverse(name, args=[organisation.pk]), add)


@pytest.mark.parametrize("name", _covers("incubation:course"))
def test_course_page_costs_the_same_for_1_and_30_sessions(client, officer, name):
    from tests.incubator.factories_incubation import TrainingCourseFactory, TrainingSessionFactory

    course = TrainingCourseFactory()

    def add(number: int) -> None:
        TrainingSessionFactory(course=course, topic=f"预算编制{number}")

    client.force_login(officer)
    response = same_for_1_and_30(client, reverse(name, args=[course.pk]), add)
    assert response.content.decode().count("预算编制") >= 30


# --- The public site: call page, project and organisation profiles, open data, sitemap ---------


@pytest.fixture
def public_site(db):
    from cms.demo import build_site
    from cms.demo_open_data import build_open_data_page
    from cms.demo_projects import build_project_pages
    from cms.models import HomePage

    site = build_site()
    for home in HomePage.objects.all():
        build_project_pages(home, home.locale.language_code)
        build_open_data_page(home, home.locale.language_code)
    return site


def _call_page(call):
    from cms.models import CallIndexPage, CallPage

    index = CallIndexPage.objects.get(locale__language_code="zh-hans")
    page = CallPage(title=call.title, slug=call.slug, call=call)
    page.locale = index.locale
    index.add_child(instance=page)
    return page


@pytest.mark.parametrize("key", _covers("page:CallPage"))
def test_public_call_page_costs_the_same_for_1_and_30_criteria(client, public_site, key):
    from grants.models import RubricCriterion

    call = CallFactory()
    _call_page(call)

    def add(number: int) -> None:
        RubricCriterion.objects.create(
            call=call, position=number, label=f"标准{number}", weight=3, guidance="说明"
        )

    same_for_1_and_30(client, f"/calls/{call.slug}/", add)


@pytest.mark.parametrize("key", _covers("page:ProjectIndexPage:project_detail"))
def test_public_project_page_costs_the_same_for_1_and_30_partners_and_activities(
    client, public_site, key
):
    from tests.factories import CommunityFactory
    from tests.grants.factories_reports import funded_project
    from tests.incubator.factories_volunteers import ActivityFactory

    project = funded_project()

    def add(number: int) -> None:
        project.partner_communities.add(CommunityFactory())
        ActivityFactory(organisation=project.organisation, application=project)

    same_for_1_and_30(client, f"/projects/{project.pk}/", add)


@pytest.mark.parametrize("key", _covers("page:OrganisationIndexPage:organisation_detail"))
def test_public_organisation_page_costs_the_same_for_1_and_30_projects(client, public_site, key):
    from tests.grants.factories_reports import funded_project

    organisation = OrganisationFactory()
    same_for_1_and_30(
        client,
        f"/organisations/{organisation.pk}/",
        lambda number: funded_project(organisation=organisation, title=f"项目{number}"),
    )


@budget_for("page:TransparencyPage:index", "api-v1:open_data_programmes")
def test_open_data_choices_cost_the_same_for_1_and_30_programmes(client, public_site):
    from tests.grants.factories_finance import funded_project

    response = same_for_1_and_30(
        client,
        ["/open-data/", "/api/v1/open-data/"],
        lambda number: funded_project(call=CallFactory(programme=ProgrammeFactory())),
    )
    assert len(response.json()) == 30


@pytest.mark.parametrize("key", _covers("sitemap.xml"))
def test_sitemap_costs_the_same_for_1_and_30_pages(client, public_site, key):
    response = same_for_1_and_30(client, "/sitemap.xml", lambda number: _call_page(CallFactory()))
    assert response.content.decode().count("<url>") >= 30


# --- The Wagtail admin: snippet lists of the incubator's models ---------------------------------


def _snippet_rows():
    from incubator.models import MatchingPledge
    from tests.factories import CommunityFactory
    from tests.incubator import factories_community as community
    from tests.incubator import factories_incubation as incubation

    return {
        "organisation": lambda: OrganisationFactory(community=CommunityFactory()),
        "community": CommunityFactory,
        "donor": community.DonorFactory,
        "inkinddonation": community.InKindDonationFactory,
        # half match one project, half a programme's pool (the two kinds of target shown)
        "matchingpledge": lambda: (
            community.MatchingPledgeFactory(
                application=ApplicationFactory(state="active"), programme=None
            )
            if MatchingPledge.objects.count() % 2 == 0
            else community.MatchingPledgeFactory()
        ),
        "incubationbase": lambda: incubation.IncubationBaseFactory(operator=OrganisationFactory()),
        "intake": incubation.IntakeFactory,
    }


@pytest.mark.parametrize(
    "model",
    [
        model
        for model in (
            "organisation",
            "community",
            "donor",
            "inkinddonation",
            "matchingpledge",
            "incubationbase",
            "intake",
        )
        if _covers(f"wagtailsnippets_incubator_{model}:list")
    ],
)
def test_admin_snippet_lists_cost_the_same_for_1_and_30_rows(client, officer, model):
    make = _snippet_rows()[model]
    client.force_login(officer)
    same_for_1_and_30(
        client, reverse(f"wagtailsnippets_incubator_{model}:list"), lambda number: make()
    )
