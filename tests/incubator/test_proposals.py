"""三事分流: resident proposals through their state machine, one household one vote, conversion."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django_fsm_log.models import StateLog

from accounts.enums import Role
from grants.enums import ApplicationState
from grants.models import Application, Call, Notification
from incubator import services_community as services
from incubator.enums_community import Matter
from incubator.enums_community import ProposalState as P
from incubator.models import ProposalVote, ResidentProposal, normalise_household
from tests.factories import (
    ApplicationFactory,
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
    """黄秀英, a community worker whose membership names no unit: she covers every community."""
    user = UserFactory(username="community1", display_name="黄秀英")
    MembershipFactory(user=user, role=Role.COMMUNITY, organisation=None)
    return user


@pytest.fixture
def resident(db):
    return UserFactory(username="resident", display_name="张阿姨")


def _logs(proposal) -> list[str]:
    return list(
        StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(ResidentProposal), object_id=proposal.pk
        )
        .order_by("pk")
        .values_list("transition", flat=True)
    )


def _fresh(proposal) -> ResidentProposal:
    return ResidentProposal.objects.get(pk=proposal.pk)


# --- Household addresses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("3栋2单元401", "3栋2单元401"),
        ("3号楼2单元401室", "3栋2单元401"),
        ("３幢２单元４０１", "3栋2单元401"),
        (" 3 栋 2 单元 401 号", "3栋2单元401"),
        ("3-2-401", "3栋2单元401"),
        ("b座1201", "B栋1201"),
    ],
)
def test_household_addresses_are_normalised(written, normalised):
    assert normalise_household(written) == normalised


def test_an_empty_household_address_is_refused():
    with pytest.raises(ValueError):
        normalise_household("  ")


# --- Submitting ---------------------------------------------------------------------------------


def test_any_signed_in_resident_submits_a_proposal_for_their_community(resident):
    community = CommunityFactory(name="桃花桥社区")

    proposal = services.submit_proposal(
        actor=resident, community=community, title="停车规划", description="小区停车难，建议划线。"
    )

    assert (proposal.state, proposal.submitted_by, proposal.community) == (
        P.SUBMITTED,
        resident,
        community,
    )


def test_a_proposal_is_for_a_community_not_a_subdistrict(resident):
    subdistrict = CommunityFactory().parent
    with translation.override("en"), pytest.raises(ValidationError) as error:
        services.submit_proposal(actor=resident, community=subdistrict, title="x", description="y")
    assert "community" in error.value.message_dict


# --- Classification ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("matter", "state"),
    [
        (Matter.MAJOR, P.CLASSIFIED_MAJOR),
        (Matter.MINOR, P.CLASSIFIED_MINOR),
        (Matter.PRIVATE, P.CLASSIFIED_PRIVATE),
    ],
)
def test_community_staff_classify_and_the_resident_is_told(staff, matter, state):
    proposal = ResidentProposalFactory()

    services.classify_proposal(actor=staff, proposal=proposal, matter=matter, note="转交街道办理")

    proposal = _fresh(proposal)
    assert (proposal.state, proposal.matter, proposal.classified_by) == (state, matter, staff)
    assert proposal.classification_note == "转交街道办理"
    assert _logs(proposal) == [f"classify_{matter}"]
    notice = Notification.objects.get(recipient=proposal.submitted_by)
    assert notice.body == "转交街道办理" and proposal.title in notice.title


def test_classifying_twice_the_same_way_changes_nothing(staff):
    proposal = ResidentProposalFactory()
    services.classify_proposal(actor=staff, proposal=proposal, matter=Matter.MINOR)
    services.classify_proposal(actor=staff, proposal=proposal, matter=Matter.MINOR)
    assert _logs(proposal) == ["classify_minor"]


def test_a_classified_proposal_cannot_be_reclassified(staff):
    proposal = ResidentProposalFactory(state=P.CLASSIFIED_MAJOR)
    with pytest.raises(services.ActionRefused):
        services.classify_proposal(actor=staff, proposal=proposal, matter=Matter.MINOR)
    assert _fresh(proposal).state == P.CLASSIFIED_MAJOR


def test_residents_and_applicants_cannot_classify(resident, applicant):
    proposal = ResidentProposalFactory()
    for person in (resident, applicant):
        with pytest.raises(PermissionDenied):
            services.classify_proposal(actor=person, proposal=proposal, matter=Matter.MINOR)
    assert _fresh(proposal).state == P.SUBMITTED


def test_a_community_worker_handles_only_the_communities_of_their_area():
    mine = CommunityFactory()
    other = CommunityFactory()
    worker = UserFactory()
    # the membership names the 街道 above "mine"
    MembershipFactory(user=worker, role=Role.COMMUNITY, organisation=None, community=mine.parent)

    services.classify_proposal(
        actor=worker, proposal=ResidentProposalFactory(community=mine), matter=Matter.MINOR
    )
    with pytest.raises(PermissionDenied):
        services.classify_proposal(
            actor=worker, proposal=ResidentProposalFactory(community=other), matter=Matter.MINOR
        )


def test_officers_may_do_what_community_staff_do(officer):
    proposal = ResidentProposalFactory()
    services.classify_proposal(actor=officer, proposal=proposal, matter=Matter.MINOR)
    services.open_voting(actor=officer, proposal=proposal)
    assert _fresh(proposal).state == P.VOTING


# --- Voting ------------------------------------------------------------------------------------


@pytest.mark.parametrize("start", [P.SUBMITTED, P.CLASSIFIED_MAJOR, P.CLASSIFIED_PRIVATE])
def test_only_a_minor_matter_goes_to_a_vote(staff, start):
    proposal = ResidentProposalFactory(state=start)
    with pytest.raises(services.ActionRefused):
        services.open_voting(actor=staff, proposal=proposal)
    assert _fresh(proposal).state == start


def test_opening_the_vote_twice_changes_nothing(staff):
    proposal = ResidentProposalFactory(state=P.CLASSIFIED_MINOR)
    services.open_voting(actor=staff, proposal=proposal)
    services.open_voting(actor=staff, proposal=proposal)
    assert _logs(proposal) == ["open_voting"]


def test_one_household_one_vote(resident):
    proposal = ResidentProposalFactory(state=P.VOTING)
    services.cast_vote(
        actor=resident, proposal=proposal, household_address="3栋2单元401", in_favour=True
    )
    spouse = UserFactory()

    # the same flat written differently by another member of the household
    with translation.override("en"), pytest.raises(services.AlreadyVoted) as refused:
        services.cast_vote(
            actor=spouse, proposal=proposal, household_address="3号楼2单元401室", in_favour=False
        )

    assert str(refused.value) == (
        "Household 3栋2单元401 has already voted on this proposal: one household, one vote."
    )
    assert ProposalVote.objects.filter(proposal=proposal).count() == 1


def test_one_person_cannot_vote_for_two_flats(resident):
    proposal = ResidentProposalFactory(state=P.VOTING)
    services.cast_vote(
        actor=resident, proposal=proposal, household_address="1-1-101", in_favour=True
    )
    with pytest.raises(services.AlreadyVoted):
        services.cast_vote(
            actor=resident, proposal=proposal, household_address="1-1-102", in_favour=True
        )


def test_the_database_holds_one_vote_per_household():
    vote = ProposalVoteFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ProposalVote.objects.create(
            proposal=vote.proposal, household=vote.household, voter=UserFactory(), in_favour=False
        )


def test_the_same_flat_votes_again_on_another_proposal(resident):
    community = CommunityFactory()
    first = ResidentProposalFactory(community=community, state=P.VOTING)
    second = ResidentProposalFactory(community=community, state=P.VOTING)
    for proposal in (first, second):
        services.cast_vote(
            actor=resident, proposal=proposal, household_address="5栋1单元202", in_favour=True
        )
    assert ProposalVote.objects.filter(voter=resident).count() == 2


@pytest.mark.parametrize("state", [P.CLASSIFIED_MINOR, P.ADOPTED, P.NOT_ADOPTED, P.SUBMITTED])
def test_no_vote_outside_the_voting_period(resident, state):
    proposal = ResidentProposalFactory(state=state)
    with pytest.raises(services.ActionRefused):
        services.cast_vote(
            actor=resident, proposal=proposal, household_address="1栋101", in_favour=True
        )


def test_anonymous_cannot_vote():
    from django.contrib.auth.models import AnonymousUser

    proposal = ResidentProposalFactory(state=P.VOTING)
    with pytest.raises(PermissionDenied):
        services.cast_vote(
            actor=AnonymousUser(), proposal=proposal, household_address="1栋101", in_favour=True
        )


def _votes(proposal, yes: int, no: int) -> None:
    for index in range(yes + no):
        ProposalVoteFactory(
            proposal=proposal,
            household=HouseholdFactory(community=proposal.community, address=f"1栋{index + 1}"),
            in_favour=index < yes,
        )


@pytest.mark.parametrize(
    ("yes", "no", "state", "transition"),
    [
        (24, 1, P.ADOPTED, "adopt"),  # 96%, the parking plan of 今福小区
        (3, 3, P.NOT_ADOPTED, "reject"),  # a tie is not a majority
        (0, 0, P.NOT_ADOPTED, "reject"),  # nobody voted
        (1, 2, P.NOT_ADOPTED, "reject"),
    ],
)
def test_closing_the_vote_counts_households(staff, yes, no, state, transition):
    proposal = ResidentProposalFactory(state=P.VOTING)
    _votes(proposal, yes, no)

    with translation.override("en"):
        services.close_voting(actor=staff, proposal=proposal)

    proposal = _fresh(proposal)
    assert proposal.state == state and proposal.voting_closed_at is not None
    assert _logs(proposal) == [transition]
    assert StateLog.objects.get(object_id=proposal.pk).description == f"{yes} yes, {no} no"


def test_closing_a_vote_that_never_opened_is_refused(staff):
    proposal = ResidentProposalFactory(state=P.CLASSIFIED_MINOR)
    with pytest.raises(services.ActionRefused):
        services.close_voting(actor=staff, proposal=proposal)


def test_residents_cannot_close_the_vote(resident):
    proposal = ResidentProposalFactory(state=P.VOTING)
    with pytest.raises(PermissionDenied):
        services.close_voting(actor=resident, proposal=proposal)


def test_a_closed_vote_accepts_no_more_votes(staff, resident):
    proposal = ResidentProposalFactory(state=P.VOTING)
    _votes(proposal, 2, 0)
    services.close_voting(actor=staff, proposal=proposal)
    with pytest.raises(services.ActionRefused):
        services.cast_vote(
            actor=resident, proposal=proposal, household_address="9栋901", in_favour=False
        )


# --- Conversion --------------------------------------------------------------------------------


def _micro_call(officer, proposal, **overrides):
    values = {
        "actor": officer,
        "proposal": proposal,
        "programme": ProgrammeFactory(),
        "title": "今福小区停车规划微创投",
        "budget": Decimal("30000"),
        "max_grant": Decimal("30000"),
        "opens_at": timezone.now() + timedelta(days=7),
        "closes_at": timezone.now() + timedelta(days=30),
    }
    values.update(overrides)
    return services.convert_to_micro_call(**values)


def test_officer_turns_an_adopted_proposal_into_a_micro_call(officer):
    proposal = ResidentProposalFactory(state=P.ADOPTED)

    call = _micro_call(officer, proposal)

    call = Call.objects.get(pk=call.pk)
    assert call.opens_at > timezone.now() and call.created_by == officer
    assert (call.budget, call.max_grant, call.themes) == (
        Decimal("30000.00"),
        Decimal("30000.00"),
        ["community"],
    )
    assert list(call.resident_proposals.all()) == [proposal]
    proposal = _fresh(proposal)
    assert proposal.state == P.CONVERTED and proposal.converted_call == call
    assert _logs(proposal) == ["convert_to_call"]


def test_a_micro_call_must_open_in_the_future(officer):
    proposal = ResidentProposalFactory(state=P.ADOPTED)
    with pytest.raises(ValidationError) as error:
        _micro_call(officer, proposal, opens_at=timezone.now() - timedelta(hours=1))
    assert "opens_at" in error.value.message_dict
    assert _fresh(proposal).state == P.ADOPTED and not Call.objects.exists()


def test_a_micro_call_grant_cannot_exceed_its_budget(officer):
    proposal = ResidentProposalFactory(state=P.ADOPTED)
    with pytest.raises(ValidationError):
        _micro_call(officer, proposal, max_grant=Decimal("50000"))
    assert not Call.objects.exists()


def test_community_staff_cannot_create_a_micro_call(staff):
    with pytest.raises(PermissionDenied):
        _micro_call(staff, ResidentProposalFactory(state=P.ADOPTED))


@pytest.mark.parametrize("state", [P.VOTING, P.NOT_ADOPTED, P.CLASSIFIED_MINOR, P.CONVERTED])
def test_only_an_adopted_proposal_is_converted(officer, state):
    proposal = ResidentProposalFactory(state=state)
    with pytest.raises(services.ActionRefused):
        _micro_call(officer, proposal)
    assert not Call.objects.exists()


def test_converting_twice_makes_one_call(officer):
    proposal = ResidentProposalFactory(state=P.ADOPTED)
    _micro_call(officer, proposal)
    with pytest.raises(services.ActionRefused):
        _micro_call(officer, proposal)
    assert Call.objects.count() == 1


def test_staff_start_an_application_draft_for_an_organisation(staff):
    proposal = ResidentProposalFactory(state=P.ADOPTED, title="楼道堆物清理")
    organisation = OrganisationFactory()
    member = MembershipFactory(organisation=organisation, role=Role.APPLICANT).user
    call = CallFactory()

    application = services.convert_to_application_draft(
        actor=staff, proposal=proposal, call=call, organisation=organisation
    )

    application = Application.objects.get(pk=application.pk)
    assert application.state == ApplicationState.DRAFT
    assert (application.created_by, application.organisation, application.call) == (
        staff,
        organisation,
        call,
    )
    assert application.title == "楼道堆物清理" and application.holds_call_slot
    assert list(application.partner_communities.all()) == [proposal.community]
    assert _fresh(proposal).converted_application == application
    assert member.has_perm("grants.edit_application", application)
    assert Notification.objects.filter(recipient=member, verb="proposal_draft").exists()


def test_no_draft_on_a_closed_call(staff):
    proposal = ResidentProposalFactory(state=P.ADOPTED)
    closed = CallFactory(
        opens_at=timezone.now() - timedelta(days=40), closes_at=timezone.now() - timedelta(days=1)
    )
    with pytest.raises(services.ActionRefused):
        services.convert_to_application_draft(
            actor=staff, proposal=proposal, call=closed, organisation=OrganisationFactory()
        )
    assert _fresh(proposal).state == P.ADOPTED


def test_no_second_application_for_the_organisation_on_the_call(staff):
    existing = ApplicationFactory()
    proposal = ResidentProposalFactory(state=P.ADOPTED)
    with pytest.raises(services.ActionRefused):
        services.convert_to_application_draft(
            actor=staff, proposal=proposal, call=existing.call, organisation=existing.organisation
        )
    assert Application.objects.count() == 1


def test_residents_cannot_convert(resident):
    with pytest.raises(PermissionDenied):
        services.convert_to_application_draft(
            actor=resident,
            proposal=ResidentProposalFactory(state=P.ADOPTED),
            call=CallFactory(),
            organisation=OrganisationFactory(),
        )


def test_a_proposal_becomes_one_thing_only():
    proposal = ResidentProposalFactory(state=P.CONVERTED)
    with pytest.raises(IntegrityError), transaction.atomic():
        ResidentProposal.objects.filter(pk=proposal.pk).update(
            converted_call=CallFactory(), converted_application=ApplicationFactory()
        )
