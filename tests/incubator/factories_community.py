"""Factories for social workers, charitable resources and resident proposals.

Pass ``state=...`` to start a pledge or a proposal in another state (set-up only: the services are
the one way to change state afterwards).
"""

from __future__ import annotations

from decimal import Decimal

import factory

from incubator.enums_community import CertificateLevel, DonorKind
from incubator.models import (
    Donor,
    Household,
    InKindDonation,
    MatchingPledge,
    ProposalVote,
    ResidentProposal,
    SocialWorker,
)
from tests.factories import (
    CommunityFactory,
    OrganisationFactory,
    ProgrammeFactory,
    UserFactory,
)


class SocialWorkerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SocialWorker

    name = factory.Sequence(lambda n: f"社工{n}")
    organisation = factory.SubFactory(OrganisationFactory)
    certificate_level = CertificateLevel.NONE
    certificate_number = factory.LazyAttributeSequence(
        lambda o, n: None if o.certificate_level == CertificateLevel.NONE else f"SW2024{n:06d}"
    )
    training_hours = Decimal("12.0")


class DonorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Donor

    name = factory.Sequence(lambda n: f"爱心企业{n}")
    kind = DonorKind.COMPANY
    contact_name = "刘经理"
    contact_phone = "13900000000"


class InKindDonationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InKindDonation

    donor = factory.SubFactory(DonorFactory)
    description = "爱心米面油"
    quantity = 10
    estimated_value = Decimal("1000.00")
    organisation = factory.SubFactory(OrganisationFactory)
    application = None


class MatchingPledgeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MatchingPledge

    donor = factory.SubFactory(DonorFactory)
    programme = factory.SubFactory(ProgrammeFactory)
    application = None
    ratio = Decimal("1.00")
    cap_amount = Decimal("50000.00")


class ResidentProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResidentProposal

    community = factory.SubFactory(CommunityFactory)
    title = factory.Sequence(lambda n: f"加装电梯提案{n}")
    description = "老小区六层无电梯，老人上下楼困难，建议加装电梯。"
    submitted_by = factory.SubFactory(UserFactory)


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    community = factory.SubFactory(CommunityFactory)
    address = factory.Sequence(lambda n: f"{n % 20 + 1}栋{n % 4 + 1}单元{100 + n}")


class ProposalVoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProposalVote

    proposal = factory.SubFactory(ResidentProposalFactory)
    household = factory.SubFactory(
        HouseholdFactory, community=factory.SelfAttribute("..proposal.community")
    )
    voter = factory.SubFactory(UserFactory)
    in_favour = True
