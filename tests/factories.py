"""factory_boy factories shared by the whole suite."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.enums import Role
from accounts.models import Membership, User
from grants.models import Call, Programme
from incubator.credit_code import make_credit_code
from incubator.enums import CommunityLevel, OrganisationType
from incubator.models import Community, Organisation

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    display_name = factory.Sequence(lambda n: f"测试用户{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(user, create, extracted, **kwargs):
        """Users made by tests have a verified primary address, as after sign-up."""
        if create:
            from allauth.account.models import EmailAddress

            user.save()
            EmailAddress.objects.get_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    name = factory.Sequence(lambda n: f"测试区{n}")
    level = CommunityLevel.DISTRICT
    city = "南通市"


class SubdistrictFactory(DistrictFactory):
    name = factory.Sequence(lambda n: f"测试街道{n}")
    level = CommunityLevel.SUBDISTRICT
    parent = factory.SubFactory(DistrictFactory)


class CommunityFactory(DistrictFactory):
    name = factory.Sequence(lambda n: f"测试社区{n}")
    level = CommunityLevel.COMMUNITY
    parent = factory.SubFactory(SubdistrictFactory)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"测试社会工作服务中心{n}")
    org_type = OrganisationType.SOCIAL_SERVICE
    credit_code = factory.Sequence(
        lambda n: make_credit_code(authority="5", kind="2", area="320602", serial=f"{n:09d}")
    )
    district = factory.SubFactory(DistrictFactory)
    contact_name = "张老师"
    contact_phone = "13800000000"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.APPLICANT
    organisation = factory.SubFactory(OrganisationFactory)


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    name = factory.Sequence(lambda n: f"2026年测试公益创投大赛{n}")
    funder = "测试区民政局"
    total_budget = Decimal("1000000.00")
    start_year = 2026
    end_year = 2026


class CallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Call

    programme = factory.SubFactory(ProgrammeFactory)
    title = factory.Sequence(lambda n: f"社区微创投项目征集{n}")
    slug = factory.Sequence(lambda n: f"call-{n}")
    themes = ["elderly"]
    budget = Decimal("300000.00")
    min_grant = Decimal("5000.00")
    max_grant = Decimal("30000.00")
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=5))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=20))
