"""List views cost the same number of queries for 1 and for 30 rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.enums import Role
from tests.factories import CommunityFactory, MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _count(client, url) -> int:
    client.get(url)  # warm per-process caches (site, settings) before counting
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _member_of(n: int):
    user = UserFactory()
    for _ in range(n):
        community = CommunityFactory()
        organisation = OrganisationFactory(
            district=community.parent.parent,
            community=community,
            rating="3A",
            rating_expires_on="2030-01-01",
        )
        MembershipFactory(user=user, organisation=organisation, role=Role.APPLICANT)
    return user


@pytest.mark.parametrize("url_name", ["accounts:dashboard", "incubator:organisation_list"])
def test_member_lists_cost_the_same_for_1_and_30_organisations(
    client, django_assert_num_queries, url_name
):
    url = reverse(url_name)
    client.force_login(_member_of(1))
    one = _count(client, url)
    client.force_login(_member_of(30))
    with django_assert_num_queries(one):
        client.get(url)


def test_officer_list_costs_the_same_for_1_and_30_organisations(
    client, officer, django_assert_num_queries
):
    client.force_login(officer)
    url = reverse("incubator:organisation_list")
    OrganisationFactory(community=None)
    one = _count(client, url)
    for _ in range(29):
        community = CommunityFactory()
        OrganisationFactory(district=community.parent.parent, community=community)
    with django_assert_num_queries(one):
        client.get(url)


def test_registration_form_options_cost_the_same_for_1_and_30_communities(
    client, applicant, django_assert_num_queries
):
    client.force_login(applicant)
    url = reverse("incubator:organisation_create")
    CommunityFactory()
    one = _count(client, url)
    for _ in range(29):
        CommunityFactory()
    with django_assert_num_queries(one):
        client.get(url)
