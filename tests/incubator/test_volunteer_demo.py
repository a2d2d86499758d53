"""The volunteering demo: 200 volunteers and volunteer1 with hours, stars and points; idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.db.models import Sum

from accounts.demo import DEMO_PASSWORD
from incubator.demo_volunteers import OPEN_ACTIVITY_TITLE, seed_volunteers
from incubator.enums_volunteers import HoursSource, HoursState
from incubator.models import (
    HoursRecord,
    PointsEntry,
    Redemption,
    RewardItem,
    Volunteer,
    VolunteerActivity,
    VolunteerSignup,
    VolunteerTeam,
)
from incubator.selectors_volunteers import star_level, volunteer_summary
from tests.factories import ApplicationFactory, CommunityFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

MODELS = (Volunteer, VolunteerTeam, VolunteerActivity, VolunteerSignup, HoursRecord, PointsEntry,
          RewardItem, Redemption)  # fmt: skip


def _counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_the_demo_seeds_volunteers_with_hours_points_and_rewards_and_runs_twice_safely():
    # given organisations, communities and projects
    communities = [CommunityFactory() for _ in range(4)]
    organisations = [OrganisationFactory(community=c) for c in communities[:3]]
    applications = [ApplicationFactory(organisation=o) for o in organisations]
    out = StringIO()

    # when the demo is seeded twice
    seed_volunteers(
        organisations=organisations, communities=communities, applications=applications, stdout=out
    )
    first = _counts()
    seed_volunteers(organisations=organisations, communities=communities, applications=applications)

    # then the second run created nothing
    assert _counts() == first
    assert first["Volunteer"] == 201 and first["RewardItem"] == 6
    assert first["Redemption"] > 0 and first["VolunteerTeam"] == 3
    assert "志愿者" in out.getvalue()
    # hours of every kind exist, some still pending
    assert HoursRecord.objects.filter(source=HoursSource.CHECKIN).exists()
    assert HoursRecord.objects.filter(
        source=HoursSource.ENTERED, state=HoursState.APPROVED
    ).exists()
    assert HoursRecord.objects.filter(state=HoursState.PENDING).exists()
    # every star level is on show
    totals = (
        HoursRecord.objects.filter(state=HoursState.APPROVED)
        .values("volunteer")
        .annotate(h=Sum("hours"))
    )
    assert {star_level(row["h"]) for row in totals} >= {0, 1, 2, 3, 4, 5}
    # the ledger adds up for every volunteer
    for volunteer in Volunteer.objects.all():
        entries = list(PointsEntry.objects.filter(volunteer=volunteer).order_by("sequence"))
        if entries:
            assert entries[-1].balance_after == sum(e.amount for e in entries)
            assert [e.sequence for e in entries] == list(range(1, len(entries) + 1))
    # teams name the projects they work on
    assert VolunteerTeam.objects.filter(applications__isnull=False).exists()


def test_volunteer1_logs_in_with_the_demo_password_and_has_hours_a_star_and_points():
    communities = [CommunityFactory()]
    organisations = [OrganisationFactory()]
    seed_volunteers(organisations=organisations, communities=communities, applications=[])
    user = authenticate(username="volunteer1", password=DEMO_PASSWORD)
    assert user is not None
    summary = volunteer_summary(user.volunteer)
    assert summary.approved_hours >= 100 and summary.stars == 1
    assert summary.points > 0 and summary.pending_hours > 0
    open_activity = VolunteerActivity.objects.get(title=OPEN_ACTIVITY_TITLE)
    assert open_activity.published
    assert not VolunteerSignup.objects.filter(
        activity=open_activity, volunteer=user.volunteer
    ).exists()
