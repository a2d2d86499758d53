"""One household, one vote under real concurrency: PostgreSQL threads, real row locks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from incubator import services_community as services
from incubator.enums_community import ProposalState as P
from incubator.models import Household, ProposalVote, ResidentProposal
from tests.factories import UserFactory
from tests.incubator.factories_community import ResidentProposalFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def in_thread(function):
    """Run ``function`` with its own connection, closed afterwards (threads never share one)."""

    def run(*args):
        try:
            return function(*args)
        finally:
            connection.close()

    return run


@in_thread
def vote(args):
    proposal_id, user_id, address, in_favour = args
    from accounts.models import User

    try:
        services.cast_vote(
            actor=User.objects.get(pk=user_id),
            proposal=ResidentProposal.objects.get(pk=proposal_id),
            household_address=address,
            in_favour=in_favour,
        )
    except services.AlreadyVoted:
        return "refused"
    return "counted"


def test_twelve_members_of_one_household_pressing_at_once_cast_one_vote():
    # given a proposal open for voting and twelve people who all live in 3栋2单元401
    proposal = ResidentProposalFactory(state=P.VOTING)
    people = [UserFactory().pk for _ in range(12)]
    spellings = ["3栋2单元401", "3号楼2单元401室", "3-2-401", "３栋２单元４０１"]

    # when they all vote at the same moment, writing the flat in different ways
    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(
            pool.map(
                vote,
                [
                    (proposal.pk, user, spellings[i % 4], i % 2 == 0)
                    for i, user in enumerate(people)
                ],
            )
        )

    # then exactly one vote counts, one household row exists, and everyone else is told why
    assert sorted(outcomes) == ["counted"] + ["refused"] * 11
    assert ProposalVote.objects.filter(proposal=proposal).count() == 1
    assert Household.objects.filter(community=proposal.community).count() == 1


def test_forty_households_voting_at_once_are_all_counted():
    # given forty different flats
    proposal = ResidentProposalFactory(state=P.VOTING)
    ballots = [
        (proposal.pk, UserFactory().pk, f"{i // 10 + 1}栋{i % 10 + 1}01", i < 30) for i in range(40)
    ]

    # when they vote at once
    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(vote, ballots))

    # then every one counts, and the tally is 30 : 10
    assert outcomes == ["counted"] * 40
    assert ProposalVote.objects.filter(proposal=proposal, in_favour=True).count() == 30
    assert ProposalVote.objects.filter(proposal=proposal, in_favour=False).count() == 10
