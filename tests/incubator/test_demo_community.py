"""The 五社联动 / 三事分流 demo data: every proposal state, realistic figures, safe to run twice."""

from __future__ import annotations

import io

import pytest

from accounts.enums import Role
from grants.enums import ApplicationState
from incubator.demo_community import seed_community
from incubator.enums_community import ProposalState
from incubator.models import (
    Donor,
    Household,
    InKindDonation,
    MatchingPledge,
    ProposalVote,
    ResidentProposal,
    SocialWorker,
)
from incubator.selectors_community import public_proposals
from tests.factories import (
    ApplicationFactory,
    CommunityFactory,
    OrganisationFactory,
    ProgrammeFactory,
)

pytestmark = pytest.mark.django_db


def _counts():
    return [
        model.objects.count()
        for model in (
            SocialWorker,
            Donor,
            InKindDonation,
            MatchingPledge,
            ResidentProposal,
            Household,
            ProposalVote,
        )
    ]


def test_seed_community_covers_every_state_and_runs_twice_without_duplicates(officer):
    organisations = [OrganisationFactory() for _ in range(4)]
    communities = [CommunityFactory(households=3000) for _ in range(5)]
    communities.append(CommunityFactory(name="桃花桥社区", households=2950))
    applications = [
        ApplicationFactory(organisation=org, state=ApplicationState.SUBMITTED)
        for org in organisations[:3]
    ]
    arguments = {
        "organisations": organisations,
        "communities": communities,
        "applications": applications,
        "programme": ProgrammeFactory(),
        "officer": officer,
    }

    out = io.StringIO()
    seed_community(**arguments, stdout=out)
    first = _counts()
    seed_community(**arguments, stdout=out)

    assert _counts() == first
    assert set(ResidentProposal.objects.values_list("state", flat=True)) == set(ProposalState)
    parking = public_proposals().get(title="今福小区停车规划")
    assert parking.community.name == "桃花桥社区"
    assert (parking.yes_votes, parking.no_votes) == (96, 4)  # 96% approval
    assert SocialWorker.objects.exclude(certificate_level="none").exists()
    assert SocialWorker.objects.filter(certificate_level="none").exists()
    assert MatchingPledge.objects.filter(programme__isnull=False, ratio=1).exists()
    converted = ResidentProposal.objects.get(state=ProposalState.CONVERTED)
    assert converted.converted_call.resident_proposals.get() == converted
    from accounts.models import User

    staff = User.objects.get(username="community1")
    assert staff.has_role(Role.COMMUNITY) and staff.check_password("yichuang-demo")
