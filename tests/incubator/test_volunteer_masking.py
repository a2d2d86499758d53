"""Personal data of volunteers is masked for every role that must not see it.

The rule (``PersonalDataPolicy``): the volunteer and officers see everything; organisers of the
organisation whose activity the volunteer is listed under see the full phone and a masked ID
number; everyone else sees both masked. Checked on the policy, the roster page and the CSV export.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone

from accounts.enums import Role
from incubator.enums_volunteers import HoursState
from incubator.selectors_volunteers import personal_data_policy
from tests.factories import CommunityFactory, MembershipFactory, UserFactory
from tests.incubator.factories_volunteers import (
    VALID_ID,
    ActivityFactory,
    HoursRecordFactory,
    OrganiserFactory,
    SignupFactory,
    VolunteerFactory,
)

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
MASKED_PHONE = "139****5678"
MASKED_ID = VALID_ID[:4] + "*" * 10 + VALID_ID[-4:]


@pytest.fixture
def scene(db):
    """A volunteer signed up to (and with approved hours at) an activity of organisation A."""
    now = timezone.now()
    activity = ActivityFactory(
        starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=2) + timedelta(hours=3)
    )
    volunteer = VolunteerFactory(real_name="林小雨", phone=PHONE, id_number=VALID_ID)
    SignupFactory(activity=activity, volunteer=volunteer)
    HoursRecordFactory(
        volunteer=volunteer, activity=activity, hours=Decimal("3"), state=HoursState.APPROVED
    )
    return activity, volunteer


def _role_users(activity, officer, outsider):
    social_worker = UserFactory()
    MembershipFactory(
        user=social_worker, organisation=activity.organisation, role=Role.SOCIAL_WORKER
    )
    community_worker = UserFactory()
    MembershipFactory(
        user=community_worker, organisation=None, role=Role.COMMUNITY, community=CommunityFactory()
    )
    reviewer = UserFactory()
    MembershipFactory(user=reviewer, organisation=None, role=Role.REVIEWER)
    return {
        "officer": (officer, PHONE, VALID_ID),
        "organiser of the activity": (
            OrganiserFactory(organisation=activity.organisation).user, PHONE, MASKED_ID,
        ),
        "social worker of the activity's organisation": (social_worker, PHONE, MASKED_ID),
        "organiser of another organisation": (OrganiserFactory().user, MASKED_PHONE, MASKED_ID),
        "community worker": (community_worker, MASKED_PHONE, MASKED_ID),
        "reviewer": (reviewer, MASKED_PHONE, MASKED_ID),
        "another volunteer": (VolunteerFactory().user, MASKED_PHONE, MASKED_ID),
        "outsider": (outsider, MASKED_PHONE, MASKED_ID),
        "anonymous": (AnonymousUser(), MASKED_PHONE, MASKED_ID),
    }  # fmt: skip


def test_each_role_sees_what_the_rule_allows_and_no_more(scene, officer, outsider):
    activity, volunteer = scene
    roles = _role_users(activity, officer, outsider)
    roles["the volunteer themself"] = (volunteer.user, PHONE, VALID_ID)
    for role, (user, phone, id_number) in roles.items():
        contact = personal_data_policy(user).contact(
            volunteer, organisation_id=activity.organisation_id
        )
        assert (contact.phone, contact.id_number) == (phone, id_number), role
        assert contact.name == "林小雨"


def test_an_organiser_cannot_unmask_by_naming_another_organisation_as_context(scene):
    activity, volunteer = scene
    other_organiser = OrganiserFactory().user
    contact = personal_data_policy(other_organiser).contact(
        volunteer, organisation_id=activity.organisation_id
    )
    assert contact.phone == MASKED_PHONE


def test_the_organisation_that_registered_a_volunteer_on_paper_sees_their_phone(scene):
    activity, _ = scene
    paper = VolunteerFactory(
        user=None, registered_by_organisation=activity.organisation, phone=PHONE
    )
    organiser = OrganiserFactory(organisation=activity.organisation).user
    assert personal_data_policy(organiser).contact(paper).phone == PHONE
    assert personal_data_policy(OrganiserFactory().user).contact(paper).phone == MASKED_PHONE


def test_the_roster_page_shows_the_organiser_the_phone_and_a_masked_id(client, scene):
    activity, _ = scene
    client.force_login(OrganiserFactory(organisation=activity.organisation).user)
    html = client.get(reverse("volunteering:manage_activity", args=[activity.pk])).content.decode()
    assert PHONE in html and MASKED_ID in html and VALID_ID not in html


def test_the_roster_page_shows_the_officer_the_full_id(client, scene, officer):
    activity, _ = scene
    client.force_login(officer)
    html = client.get(reverse("volunteering:manage_activity", args=[activity.pk])).content.decode()
    assert VALID_ID in html


def test_the_volunteer_sees_their_own_full_data_on_their_profile(client, scene):
    _, volunteer = scene
    client.force_login(volunteer.user)
    html = client.get(reverse("volunteering:profile")).content.decode()
    assert PHONE in html and VALID_ID in html


def _export(client, user) -> list[list[str]]:
    client.force_login(user)
    response = client.get(reverse("volunteering:export_csv"))
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_export_gives_officers_full_id_numbers_and_organisers_masked_ones(
    client, scene, officer
):
    activity, _ = scene
    officer_rows = _export(client, officer)
    organiser_rows = _export(client, OrganiserFactory(organisation=activity.organisation).user)
    assert officer_rows[1][2] == VALID_ID and officer_rows[1][3] == PHONE
    assert organiser_rows[1][2] == MASKED_ID and organiser_rows[1][3] == PHONE


def test_the_certificate_prints_a_masked_id_even_for_an_officer(scene, officer):
    from incubator import services_volunteer_points as points
    from incubator.certificates_volunteers import render_certificate_pdf
    from incubator.selectors_volunteers import certificate_rows

    activity, volunteer = scene
    certificate = points.issue_certificate(
        actor=officer, volunteer=volunteer, organisation=activity.organisation
    )
    pdf = render_certificate_pdf(
        certificate,
        contact=personal_data_policy(None).contact(volunteer),
        rows=certificate_rows(volunteer, activity.organisation),
    )
    assert pdf.startswith(b"%PDF")
