"""seed_demo and demo_logins: the data a new user meets on `make run`.

Seeding (with the public Wagtail site) takes seconds, so the module seeds once: the
``seeded`` fixture opens a transaction around the whole module and rolls it back at the end; each
test still runs in its own savepoint (pytest-django's ``db``), so tests that seed again or add
benchmark rows do not see each other. The scale test is the slowest single test.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD, DEMO_USERS, REVIEWERS
from accounts.enums import Role
from accounts.models import Membership, User
from grants.models import Call, Programme
from incubator.credit_code import validate_credit_code
from incubator.enums import CommunityLevel, OrganisationType
from incubator.models import Community, Organisation

pytestmark = pytest.mark.django_db


def seed_demo(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def row_counts() -> dict[str, int]:
    """Rows in every table of every app, so a seeder added later is covered too."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        seed_demo()
        yield
        transaction.set_rollback(True)


def test_seed_demo_run_twice_creates_nothing_the_second_time(seeded):
    # given a seeded database
    before = row_counts()

    # when the seed runs again
    output = seed_demo()

    # then not a single row was added anywhere
    assert row_counts() == before
    assert "organisations: 0 created" in output


def test_second_run_leaves_the_open_call_dates_alone(seeded):
    call = Call.objects.get(slug="gusu-community-micro-projects")
    opens_at, closes_at = call.opens_at, call.closes_at

    seed_demo()

    call.refresh_from_db()
    assert (call.opens_at, call.closes_at) == (opens_at, closes_at)


def test_demo_has_thirty_organisations_each_with_a_valid_code_or_filed(seeded):
    organisations = list(Organisation.objects.all())

    assert len(organisations) == 30
    for organisation in organisations:
        if organisation.credit_code is None:
            assert organisation.org_type == OrganisationType.COMMUNITY_ORG, organisation.name
        else:
            try:
                validate_credit_code(organisation.credit_code)
            except ValidationError:  # pragma: no cover - the message names the culprit
                pytest.fail(
                    f"{organisation.name} has an invalid credit code {organisation.credit_code}"
                )


def test_demo_organisations_cover_every_type_and_both_current_and_expired_ratings(seeded):
    organisations = Organisation.objects.all()

    assert {o.org_type for o in organisations} == set(OrganisationType.values)
    rated = [o for o in organisations if o.rating]
    assert any(o.rating_is_current for o in rated)
    assert any(not o.rating_is_current for o in rated)
    assert all(o.contact_name and o.description for o in organisations)


def test_demo_places_are_four_districts_of_streets_and_communities(seeded):
    districts = Community.objects.filter(level=CommunityLevel.DISTRICT)

    assert {d.name for d in districts} >= {"崇川区", "南岸区", "海曙区", "姑苏区"}
    for district in districts:
        subdistricts = district.children.all()
        assert 2 <= len(subdistricts) <= 3, district.name
        for subdistrict in subdistricts:
            communities = subdistrict.children.all()
            assert 2 <= len(communities) <= 4, subdistrict.name
            assert all(c.level == CommunityLevel.COMMUNITY and c.households for c in communities)


def test_every_demo_account_logs_in_with_the_demo_password(seeded, client):
    for spec in DEMO_USERS:
        assert client.login(username=spec.username, password=DEMO_PASSWORD), spec.username
        client.logout()


def test_demo_account_signs_in_through_the_login_form_without_confirming_email(seeded, client):
    # Mandatory e-mail verification would stop an unverified account at this form.
    response = client.post(reverse("account_login"), {"login": "ngo1", "password": DEMO_PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("accounts:dashboard")
    assert EmailAddress.objects.filter(user__username="ngo1", verified=True, primary=True).exists()


def test_demo_staff_accounts_have_their_roles(seeded):
    admin = User.objects.get(username="admin")
    officer = User.objects.get(username="officer")
    community = Membership.objects.get(user__username="community")

    assert admin.is_superuser and admin.is_staff
    assert officer.is_staff and officer.has_role(Role.OFFICER)
    assert User.objects.get(username="finance").has_role(Role.FINANCE)
    assert User.objects.filter(memberships__role=Role.REVIEWER).count() == len(REVIEWERS) == 7
    assert community.role == Role.COMMUNITY
    assert community.community.level == CommunityLevel.COMMUNITY


def test_ngo1_is_an_applicant_member_of_a_neighbourhood_organisation(seeded):
    membership = Membership.objects.select_related("organisation").get(user__username="ngo1")

    assert membership.role == Role.APPLICANT
    assert membership.organisation.name == "崇川区邻里守望社会工作服务中心"
    others = Membership.objects.filter(user__username__in=["ngo2", "ngo3"], role=Role.APPLICANT)
    assert len({m.organisation_id for m in others} | {membership.organisation_id}) == 3


def test_demo_has_exactly_one_open_call_closing_in_about_three_weeks(seeded):
    now = timezone.now()

    open_calls = list(Call.objects.open_at(now))

    assert len(open_calls) == 1
    assert timedelta(days=18) < open_calls[0].closes_at - now < timedelta(days=24)
    assert Call.objects.upcoming_at(now).exists()
    assert Call.objects.closed_at(now).exists()
    assert Programme.objects.filter(
        name__endswith="年姑苏区公益创投大赛", total_budget=3_000_000
    ).exists()


def test_scale_adds_benchmark_rows_once(seeded):
    before = {m: m.objects.count() for m in (Organisation, Community, Programme, Call, User)}

    seed_demo("--scale", "2")
    after_first = {m: m.objects.count() for m in (Organisation, Community, Programme, Call, User)}
    seed_demo("--scale", "2")

    assert after_first[Organisation] == before[Organisation] + 200
    assert after_first[Community] >= before[Community] + 20
    assert after_first[Programme] == before[Programme] + 2
    assert after_first[Call] > before[Call]
    assert after_first[User] == before[User] + 20
    assert {m: m.objects.count() for m in after_first} == after_first
    for code in Organisation.objects.exclude(credit_code=None).values_list(
        "credit_code", flat=True
    ):
        validate_credit_code(code)


def test_demo_logins_lists_every_account_with_the_password_and_addresses(seeded):
    out = StringIO()

    call_command("demo_logins", stdout=out)

    text = out.getvalue()
    for spec in DEMO_USERS:
        assert spec.username in text
    assert DEMO_PASSWORD in text
    assert "崇川区邻里守望社会工作服务中心" in text
    assert "/api/v1/docs" in text and "/admin/" in text and "/me/" in text


def test_demo_logins_marks_an_account_the_seed_did_not_create(seeded):
    # Renamed rather than deleted: the demo evaluator owns evaluations, which keep their author.
    User.objects.filter(username="evaluator").update(username="evaluator-renamed")
    out = StringIO()

    call_command("demo_logins", stdout=out)

    line = next(line for line in out.getvalue().splitlines() if line.startswith("evaluator"))
    assert "make seed" in line
