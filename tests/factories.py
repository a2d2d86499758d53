"""factory_boy factories shared by the whole suite."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.enums import Role
from accounts.models import Membership, User
from grants.models import Application, BlacklistEntry, BudgetLine, Call, Programme
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


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A complete application (every required section, a budget within the caps), a draft by default.

    Pass ``state=...`` to start in another state (test set-up only: the services are the one way
    to change state afterwards). ``budget=False`` leaves out the budget lines.
    """

    class Meta:
        model = Application
        skip_postgeneration_save = True

    call = factory.SubFactory(CallFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    created_by = factory.SubFactory(UserFactory)
    holds_call_slot = factory.LazyAttribute(lambda a: a.call.one_application_per_organisation)
    title = factory.Sequence(lambda n: f"邻里守望·独居老人探访项目{n}")
    summary = "组织志愿者每周探访社区独居老人，提供陪伴、安全检查与应急联络。"
    need = "社区60岁以上独居老人120名，缺少日常照看，去年发生两起跌倒无人发现的事件。"
    objectives = "一年内每位独居老人每周至少被探访一次；建立应急联络网络。"
    activities = factory.LazyFunction(
        lambda: [
            {
                "name": "志愿者培训",
                "start": "2026-03-01",
                "end": "2026-03-15",
                "description": "探访技巧与安全",
            }
        ]
    )
    indicators = factory.LazyFunction(
        lambda: [{"name": "探访人次", "kind": "output", "target": "2400", "unit": "人次"}]
    )
    beneficiaries = "社区独居老人"
    beneficiaries_count = 120

    @factory.post_generation
    def budget(application, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        lines = [
            BudgetLine(
                application=application,
                position=0,
                category="activity",
                description="探访活动物资",
                amount=Decimal("16000"),
            ),
            BudgetLine(
                application=application,
                position=1,
                category="personnel",
                description="社工补贴",
                amount=Decimal("4000"),
            ),
        ]
        BudgetLine.objects.bulk_create(lines)
        Application.objects.filter(pk=application.pk).update(requested_amount=Decimal("20000"))
        application.requested_amount = Decimal("20000")


class BlacklistEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BlacklistEntry

    organisation = factory.SubFactory(OrganisationFactory)
    kind = "abnormal_activity"
    listed_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    source = "民政局公告"
