"""Every volunteering list costs the same number of queries for 1 row and for 30."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incubator import services_volunteer_points as points
from incubator.enums_volunteers import HoursState
from incubator.models import Redemption
from tests.factories import ApplicationFactory, CommunityFactory, OrganisationFactory
from tests.incubator.factories_volunteers import (
    VALID_ID,
    ActivityFactory,
    HoursRecordFactory,
    OrganiserFactory,
    RewardFactory,
    SignupFactory,
    TeamFactory,
    VolunteerFactory,
    id_number_for,
)

pytestmark = pytest.mark.django_db


def _count(client, url) -> int:
    client.get(url)  # warm per-process caches (site, settings) before counting
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def _same_for_1_and_30(client, url, add_row, django_assert_num_queries):
    add_row(0)
    one = _count(client, url)
    for index in range(1, 30):
        add_row(index)
    with django_assert_num_queries(one):
        response = client.get(url)
    assert response.status_code == 200
    return response


def _org(index):
    return OrganisationFactory()


def _past_activity(organisation, index=0):
    starts = timezone.now() - timedelta(days=40 - index)
    return ActivityFactory(
        organisation=organisation, starts_at=starts, ends_at=starts + timedelta(hours=4)
    )


def test_the_public_activity_list(client, django_assert_num_queries):
    community = CommunityFactory()

    def add(index):
        activity = ActivityFactory(community=community)
        SignupFactory(activity=activity)

    response = _same_for_1_and_30(
        client, reverse("volunteering:activity_list"), add, django_assert_num_queries
    )
    assert response.content.decode().count('class="card"') == 20  # one page


def test_the_reward_catalogue(client, django_assert_num_queries):
    client.force_login(VolunteerFactory().user)
    _same_for_1_and_30(
        client,
        reverse("volunteering:rewards"),
        lambda i: RewardFactory(),
        django_assert_num_queries,
    )


def test_the_volunteers_profile(client, organisation, django_assert_num_queries):
    volunteer = VolunteerFactory(id_number=VALID_ID)
    client.force_login(volunteer.user)
    reward = RewardFactory(points_cost=Decimal("0.5"), stock=100)

    def add(index):
        activity = _past_activity(organisation if index % 2 else _org(index), index)
        SignupFactory(activity=activity, volunteer=volunteer)
        record = HoursRecordFactory(
            volunteer=volunteer, activity=activity, hours=Decimal("2"), state=HoursState.APPROVED
        )
        points.award_points_for_hours(record=record, actor=None)
        points.redeem_reward(actor=volunteer.user, reward=reward)
        TeamFactory(organisation=activity.organisation).members.add(volunteer)

    _same_for_1_and_30(client, reverse("volunteering:profile"), add, django_assert_num_queries)


def test_the_organisers_activity_list(client, organisation, django_assert_num_queries):
    client.force_login(OrganiserFactory(organisation=organisation).user)

    def add(index):
        activity = _past_activity(organisation, index)
        HoursRecordFactory(activity=activity)
        SignupFactory(activity=activity)

    _same_for_1_and_30(client, reverse("volunteering:manage"), add, django_assert_num_queries)


def test_the_roster_of_an_activity(client, organisation, django_assert_num_queries):
    client.force_login(OrganiserFactory(organisation=organisation).user)
    activity = _past_activity(organisation)

    def add(index):
        volunteer = VolunteerFactory(id_number=id_number_for(index))
        SignupFactory(activity=activity, volunteer=volunteer)
        HoursRecordFactory(activity=activity, volunteer=volunteer)  # pending: listed twice

    response = _same_for_1_and_30(
        client,
        reverse("volunteering:manage_activity", args=[activity.pk]),
        add,
        django_assert_num_queries,
    )
    assert response.content.decode().count("approve-button") == 30


def test_the_pending_hours_list(client, officer, django_assert_num_queries):
    client.force_login(officer)
    _same_for_1_and_30(
        client,
        reverse("volunteering:hours_pending"),
        lambda i: HoursRecordFactory(activity=_past_activity(_org(i), i)),
        django_assert_num_queries,
    )


def test_the_team_list(client, organisation, django_assert_num_queries):
    client.force_login(OrganiserFactory(organisation=organisation).user)

    def add(index):
        team = TeamFactory(organisation=organisation, community=CommunityFactory())
        team.members.add(VolunteerFactory())
        team.applications.add(ApplicationFactory(organisation=organisation))

    _same_for_1_and_30(client, reverse("volunteering:teams"), add, django_assert_num_queries)


def test_the_officers_redemption_desk(client, officer, django_assert_num_queries):
    client.force_login(officer)

    def add(index):
        Redemption.objects.create(
            volunteer=VolunteerFactory(), reward=RewardFactory(), points=Decimal("1")
        )

    _same_for_1_and_30(
        client, reverse("volunteering:rewards_manage"), add, django_assert_num_queries
    )


def test_the_csv_export(client, officer, organisation, django_assert_num_queries):
    client.force_login(officer)

    def add(index):
        HoursRecordFactory(
            activity=_past_activity(organisation, index),
            volunteer=VolunteerFactory(id_number=id_number_for(index)),
            state=HoursState.APPROVED,
        )

    response = _same_for_1_and_30(
        client, reverse("volunteering:export_csv"), add, django_assert_num_queries
    )
    assert response.content.decode("utf-8-sig").count("\n") == 31
