"""The pages of 三事分流: public list and tallies, submitting, voting, staff actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.enums import Role
from grants.models import Application, Call
from incubator.enums_community import ProposalState as P
from incubator.models import ProposalVote, ResidentProposal
from tests.factories import (
    CallFactory,
    CommunityFactory,
    MembershipFactory,
    OrganisationFactory,
    ProgrammeFactory,
    UserFactory,
)
from tests.incubator.factories_community import (
    HouseholdFactory,
    ProposalVoteFactory,
    ResidentProposalFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    user = UserFactory(username="community1")
    MembershipFactory(user=user, role=Role.COMMUNITY, organisation=None)
    return user


@pytest.fixture
def resident(db):
    return UserFactory(username="resident")


def _url(name, *args):
    return reverse(f"community:{name}", args=args)


def test_public_list_shows_classification_and_tally_but_no_voters(client):
    community = CommunityFactory(name="桃花桥社区", households=25)
    proposal = ResidentProposalFactory(community=community, title="停车规划", state=P.ADOPTED)
    voter = UserFactory(display_name="投票人甲")
    for index in range(24):
        ProposalVoteFactory(
            proposal=proposal,
            household=HouseholdFactory(community=community, address=f"8栋{index + 1}01"),
            in_favour=True,
            voter=voter if index == 0 else UserFactory(),
        )
    ProposalVoteFactory(proposal=proposal, household__community=community, in_favour=False)

    listing = client.get(_url("proposal_list") + f"?community={community.pk}")
    detail = client.get(_url("proposal_detail", proposal.pk))

    assert listing.status_code == detail.status_code == 200
    for response in (listing, detail):
        body = response.content.decode()
        assert "停车规划" in body
        assert "投票人甲" not in body and "8栋101" not in body
    assert "24" in detail.content.decode() and "100.0%" in detail.content.decode()  # 25 of 25


def test_resident_submits_a_proposal_and_anonymous_is_asked_to_log_in(client, resident):
    community = CommunityFactory()
    url = _url("proposal_create")
    assert client.get(url).status_code == 302

    client.force_login(resident)
    response = client.post(
        url, {"community": community.pk, "title": "加装电梯", "description": "六层老楼没有电梯。"}
    )

    proposal = ResidentProposal.objects.get()
    assert response.status_code == 302 and response["Location"] == _url(
        "proposal_detail", proposal.pk
    )
    assert proposal.submitted_by == resident and proposal.state == P.SUBMITTED


def test_household_votes_once_and_a_second_vote_shows_a_clear_error(client, resident):
    proposal = ResidentProposalFactory(state=P.VOTING)
    client.force_login(resident)
    client.cookies["django_language"] = "en"

    first = client.post(
        _url("proposal_vote", proposal.pk), {"household": "3-2-401", "in_favour": "yes"}
    )
    assert first.status_code == 302
    page = client.get(_url("proposal_detail", proposal.pk)).content.decode()
    assert "Your household 3栋2单元401 has voted." in page

    spouse = UserFactory()
    client.force_login(spouse)
    second = client.post(
        _url("proposal_vote", proposal.pk),
        {"household": "3栋2单元401", "in_favour": "no"},
        follow=True,
    )
    assert (
        "Household 3栋2单元401 has already voted on this proposal: one household, one vote."
        in second.content.decode()
    )
    assert ProposalVote.objects.filter(proposal=proposal).count() == 1


def test_anonymous_vote_goes_to_log_in(client):
    proposal = ResidentProposalFactory(state=P.VOTING)
    response = client.post(
        _url("proposal_vote", proposal.pk), {"household": "1栋1", "in_favour": "yes"}
    )
    assert response.status_code == 302 and "login" in response["Location"]
    assert not ProposalVote.objects.exists()


def test_staff_classify_open_and_close_the_vote_through_the_pages(client, staff):
    proposal = ResidentProposalFactory()
    client.force_login(staff)

    page = client.get(_url("proposal_detail", proposal.pk)).content.decode()
    assert _url("proposal_classify", proposal.pk) in page
    client.post(_url("proposal_classify", proposal.pk), {"matter": "minor", "note": "社区协商"})
    client.post(_url("proposal_open_voting", proposal.pk))
    ProposalVoteFactory(proposal=proposal, household__community=proposal.community)
    client.post(_url("proposal_close_voting", proposal.pk))

    assert ResidentProposal.objects.get(pk=proposal.pk).state == P.ADOPTED


@pytest.mark.parametrize(
    ("name", "state"),
    [
        ("proposal_classify", P.SUBMITTED),
        ("proposal_open_voting", P.CLASSIFIED_MINOR),
        ("proposal_close_voting", P.VOTING),
    ],
)
def test_outsider_and_resident_get_403_on_staff_actions(client, outsider, resident, name, state):
    proposal = ResidentProposalFactory(state=state)
    url = _url(name, proposal.pk)
    assert client.post(url, {"matter": "minor"}).status_code == 302  # anonymous: log in
    for person in (outsider, resident):
        client.force_login(person)
        assert client.post(url, {"matter": "minor"}).status_code == 403
    assert ResidentProposal.objects.get(pk=proposal.pk).state == state


@pytest.mark.parametrize("name", ["proposal_micro_call", "proposal_application_draft"])
def test_conversion_pages_are_for_staff(client, outsider, name):
    proposal = ResidentProposalFactory(state=P.ADOPTED)
    url = _url(name, proposal.pk)
    assert client.get(url).status_code == 302
    client.force_login(outsider)
    assert client.get(url).status_code == 403


def test_micro_call_page_is_for_officers_only(client, staff, officer):
    proposal = ResidentProposalFactory(state=P.ADOPTED)
    client.force_login(staff)
    assert client.get(_url("proposal_micro_call", proposal.pk)).status_code == 403
    client.force_login(officer)
    assert client.get(_url("proposal_micro_call", proposal.pk)).status_code == 200


def test_officer_creates_a_micro_call_from_the_page(client, officer):
    proposal = ResidentProposalFactory(state=P.ADOPTED, title="楼道堆物清理")
    programme = ProgrammeFactory()
    opens = timezone.localtime() + timedelta(days=3)
    client.force_login(officer)

    response = client.post(
        _url("proposal_micro_call", proposal.pk),
        {
            "programme": programme.pk,
            "title": "楼道堆物清理微创投",
            "budget": "20000",
            "max_grant": "10000",
            "opens_at": opens.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (opens + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M"),
        },
    )

    assert response.status_code == 302
    call = Call.objects.get()
    assert call.title == "楼道堆物清理微创投" and call.programme == programme
    assert ResidentProposal.objects.get(pk=proposal.pk).converted_call == call


def test_staff_start_an_application_draft_from_the_page(client, staff):
    proposal = ResidentProposalFactory(state=P.ADOPTED)
    call = CallFactory()
    organisation = OrganisationFactory()
    client.force_login(staff)

    response = client.post(
        _url("proposal_application_draft", proposal.pk),
        {"call": call.pk, "organisation": organisation.pk},
    )

    assert response.status_code == 302
    application = Application.objects.get()
    assert application.organisation == organisation and application.created_by == staff


def test_staff_queue_is_for_community_staff(client, staff, applicant):
    url = _url("proposal_manage")
    ResidentProposalFactory(title="待分类的提案")
    assert client.get(url).status_code == 302
    client.force_login(applicant)
    assert client.get(url).status_code == 403
    client.force_login(staff)
    response = client.get(url)
    assert response.status_code == 200 and "待分类的提案" in response.content.decode()


def test_detail_of_a_missing_proposal_is_404(client):
    assert client.get(_url("proposal_detail", 999999)).status_code == 404


# --- Query counts ------------------------------------------------------------------------------


def _count(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _proposal_with_votes(community):
    proposal = ResidentProposalFactory(community=community, state=P.VOTING)
    ProposalVoteFactory(proposal=proposal, household__community=community)
    return proposal


@pytest.mark.parametrize("signed_in", [False, True])
def test_public_list_costs_the_same_for_1_and_30_proposals(
    client, resident, signed_in, django_assert_max_num_queries
):
    if signed_in:
        client.force_login(resident)
    community = CommunityFactory()
    url = _url("proposal_list")
    _proposal_with_votes(community)
    one = _count(client, url)
    for _ in range(29):
        _proposal_with_votes(CommunityFactory())
    with django_assert_max_num_queries(one):
        assert client.get(url).status_code == 200


def test_staff_queue_costs_the_same_for_1_and_30_proposals(
    client, staff, django_assert_max_num_queries
):
    client.force_login(staff)
    url = _url("proposal_manage")
    _proposal_with_votes(CommunityFactory())
    one = _count(client, url)
    for index in range(29):
        if index % 2:
            _proposal_with_votes(CommunityFactory())
        else:
            ResidentProposalFactory()
    with django_assert_max_num_queries(one):
        assert client.get(url).status_code == 200


def test_a_vote_without_a_household_shows_the_field_error(client, resident):
    proposal = ResidentProposalFactory(state=P.VOTING)
    client.force_login(resident)
    response = client.post(
        _url("proposal_vote", proposal.pk), {"household": "", "in_favour": "yes"}
    )
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert not ProposalVote.objects.exists()


def test_staff_see_the_application_draft_form_with_open_calls_only(client, staff):
    proposal = ResidentProposalFactory(state=P.ADOPTED)
    open_call = CallFactory(title="正在征集的微创投")
    CallFactory(
        title="已截止的创投",
        opens_at=timezone.now() - timedelta(days=40),
        closes_at=timezone.now() - timedelta(days=2),
    )
    client.force_login(staff)
    body = client.get(_url("proposal_application_draft", proposal.pk)).content.decode()
    assert open_call.title in body and "已截止的创投" not in body
