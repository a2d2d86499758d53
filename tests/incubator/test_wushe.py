"""五社联动: each application's partners, and the five forces counted per district."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.enums import Role
from grants.enums import ApplicationState
from incubator import selectors_community as selectors
from incubator import services_community as services
from incubator.enums_community import CertificateLevel as L
from incubator.enums_community import PledgeState
from incubator.models import InKindDonation
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    CommunityFactory,
    DistrictFactory,
    MembershipFactory,
    OrganisationFactory,
    ProgrammeFactory,
)
from tests.incubator.factories_community import (
    DonorFactory,
    InKindDonationFactory,
    MatchingPledgeFactory,
    SocialWorkerFactory,
)
from tests.incubator.factories_volunteers import TeamFactory, VolunteerFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def nanan():
    """A worked district, 南岸区, with every force once or more (expected figures in the test)."""
    district = DistrictFactory(name="南岸区")
    taohua = CommunityFactory(name="桃花桥社区", parent__parent=district)
    chayuan = CommunityFactory(name="茶园社区", parent=taohua.parent)
    org = OrganisationFactory(name="益友公益发展中心", district=district)
    OrganisationFactory(name="V益志愿服务协会", district=district)
    submitted = ApplicationFactory(organisation=org, state=ApplicationState.SUBMITTED)
    submitted.partner_communities.add(taohua, chayuan, taohua.parent)  # 街道 counts as a unit too
    draft = ApplicationFactory(organisation=org, call=CallFactory())
    draft.partner_communities.add(CommunityFactory(parent=taohua.parent))  # drafts do not count
    for level in (L.ASSISTANT, L.SENIOR, L.NONE):
        SocialWorkerFactory(organisation=org, certificate_level=level)
    SocialWorkerFactory(organisation=org, certificate_level=L.SENIOR, is_active=False)
    shared = VolunteerFactory()
    TeamFactory(organisation=org).members.add(shared, VolunteerFactory(), VolunteerFactory())
    TeamFactory(organisation=org).members.add(shared, VolunteerFactory())  # shared counted once
    company = DonorFactory(name="南岸区爱心企业")
    MatchingPledgeFactory(
        donor=company, application=submitted, programme=None, cap_amount=D("20000")
    )
    MatchingPledgeFactory(
        donor=company,
        programme=ProgrammeFactory(district=district),
        cap_amount=D("100000"),
        state=PledgeState.ACTIVE,
    )
    MatchingPledgeFactory(
        application=submitted, programme=None, cap_amount=D("5000"), state=PledgeState.CANCELLED
    )
    InKindDonationFactory(donor=company, organisation=org, estimated_value=D("3000"))
    InKindDonationFactory(application=submitted, organisation=None, estimated_value=D("1500.50"))
    return district


def test_five_forces_of_a_worked_district(nanan):
    other = DistrictFactory(name="渝中区")

    rows = {row.district.name: row for row in selectors.wushe_by_district()}

    row = rows["南岸区"]
    assert row.communities == 3  # 桃花桥社区, 茶园社区 and their 街道
    assert row.organisations == 2
    assert (row.social_workers, row.certified_social_workers) == (3, 2)
    assert row.volunteers == 4
    assert row.donors == 2  # the company (two pledges, one gift) and the other gift's donor
    assert row.pledged == D("120000.00")  # the cancelled pledge is left out
    assert row.in_kind == D("4500.50")
    empty = rows[other.name]
    assert (empty.communities, empty.organisations, empty.volunteers, empty.pledged) == (
        0,
        0,
        0,
        D("0"),
    )


def test_one_district_can_be_picked(nanan):
    DistrictFactory(name="渝中区")
    rows = selectors.wushe_by_district(district_id=nanan.pk)
    assert [row.district.name for row in rows] == ["南岸区"]


def test_wushe_page_is_public_and_filters_by_district(client, nanan):
    response = client.get(reverse("community:wushe") + f"?district={nanan.pk}")

    assert response.status_code == 200
    body = response.content.decode().replace(",", "")  # grouping depends on the language
    assert "南岸区" in body and "120000.00" in body and "4500.50" in body


def _count(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_wushe_costs_the_same_for_1_and_30_districts(client, nanan, django_assert_max_num_queries):
    url = reverse("community:wushe")
    one = _count(client, url)
    for _ in range(29):
        district = DistrictFactory()
        org = OrganisationFactory(district=district)
        application = ApplicationFactory(organisation=org, state=ApplicationState.SUBMITTED)
        application.partner_communities.add(CommunityFactory(parent__parent=district))
        SocialWorkerFactory(organisation=org, certificate_level=L.ASSISTANT)
        TeamFactory(organisation=org).members.add(VolunteerFactory())
        MatchingPledgeFactory(application=application, programme=None)
        InKindDonationFactory(organisation=org)
    with django_assert_max_num_queries(one):
        assert client.get(url).status_code == 200


# --- Partners of one application --------------------------------------------------------------


@pytest.fixture
def project(applicant, organisation):
    application = ApplicationFactory(organisation=organisation, created_by=applicant)
    application.partner_communities.add(CommunityFactory(name="钮家巷社区"))
    return application


def test_applicant_names_social_workers_teams_and_donations(
    client, applicant, organisation, project
):
    worker = SocialWorkerFactory(
        organisation=organisation, name="周静", certificate_level=L.ASSISTANT
    )
    SocialWorkerFactory(organisation=organisation, name="陈晨")
    team = TeamFactory(organisation=organisation, name="平江志愿服务队")
    gift = InKindDonationFactory(organisation=organisation, description="助老爱心包")
    MatchingPledgeFactory(application=project, programme=None, donor__name="苏州爱心企业")
    client.force_login(applicant)
    url = reverse("community:application_partners", args=[project.pk])

    page = client.get(url).content.decode()
    assert "周静" in page and "平江志愿服务队" in page and "助老爱心包" in page
    assert "苏州爱心企业" in page and "钮家巷社区" in page
    response = client.post(
        url, {"social_workers": [worker.pk], "volunteer_teams": [team.pk], "donations": [gift.pk]}
    )

    assert response.status_code == 302
    assert list(project.social_workers.all()) == [worker]
    assert list(project.volunteer_teams.all()) == [team]
    gift = InKindDonation.objects.get(pk=gift.pk)
    assert (gift.application, gift.organisation) == (project, None)

    # unticking the donation gives it back to the organisation
    client.post(url, {"social_workers": [worker.pk]})
    gift = InKindDonation.objects.get(pk=gift.pk)
    assert (gift.application, gift.organisation) == (None, organisation)
    assert not project.volunteer_teams.exists()


def test_another_organisations_social_worker_cannot_be_named(applicant, project):
    stranger = SocialWorkerFactory()
    with pytest.raises(Exception) as error:
        services.set_application_partners(
            actor=applicant, application=project, social_worker_ids=[stranger.pk]
        )
    assert "social_workers" in error.value.message_dict
    assert not project.social_workers.exists()


def test_another_organisations_donation_cannot_be_taken(applicant, project):
    gift = InKindDonationFactory()
    with pytest.raises(Exception) as error:
        services.set_application_partners(
            actor=applicant, application=project, social_worker_ids=[], donation_ids=[gift.pk]
        )
    assert "donations" in error.value.message_dict


def test_the_page_refuses_a_foreign_choice_with_a_form_error(client, applicant, project):
    stranger = SocialWorkerFactory()
    client.force_login(applicant)
    response = client.post(
        reverse("community:application_partners", args=[project.pk]),
        {"social_workers": [stranger.pk]},
    )
    assert response.status_code == 200
    assert not project.social_workers.exists()


def test_officer_sees_the_partners_but_cannot_change_them(client, officer, project):
    client.force_login(officer)
    url = reverse("community:application_partners", args=[project.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"social_workers": []}).status_code == 403


def test_outsider_gets_404_and_anonymous_logs_in(client, outsider, project):
    url = reverse("community:application_partners", args=[project.pk])
    assert client.get(url).status_code == 302
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404


def test_a_social_worker_member_may_not_change_partners(client, organisation, project):
    member = MembershipFactory(organisation=organisation, role=Role.SOCIAL_WORKER).user
    client.force_login(member)
    url = reverse("community:application_partners", args=[project.pk])
    assert client.get(url).status_code == 404  # grants.view_application: applicant members


def test_partners_page_costs_the_same_for_1_and_30_choices(
    client, applicant, organisation, project, django_assert_max_num_queries
):
    client.force_login(applicant)
    url = reverse("community:application_partners", args=[project.pk])

    def add():
        SocialWorkerFactory(organisation=organisation, certificate_level=L.INTERMEDIATE)
        TeamFactory(organisation=organisation)
        InKindDonationFactory(organisation=organisation)
        MatchingPledgeFactory(programme=project.call.programme)

    add()
    one = _count(client, url)
    for _ in range(29):
        add()
    with django_assert_max_num_queries(one):
        assert client.get(url).status_code == 200
