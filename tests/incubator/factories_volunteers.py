"""factory_boy factories for volunteering (set-up only: tests act through the services)."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.enums import Role
from incubator.enums_volunteers import CONSENT_VERSION, HoursSource, HoursState
from incubator.models import (
    HoursRecord,
    RewardItem,
    Volunteer,
    VolunteerActivity,
    VolunteerSignup,
    VolunteerTeam,
)
from incubator.personal_data import blind_index, make_id_number
from tests.factories import (
    CommunityFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)

# A valid ID number (checksum right) for a person born 1990-03-07 in 南通市崇川区 (320602).
VALID_ID = make_id_number("32060219900307123")


def id_number_for(n: int) -> str:
    """The n-th distinct valid ID number (birth dates from 1970 on)."""
    day = date(1970, 1, 1) + timedelta(days=n * 37)
    return make_id_number(f"320602{day:%Y%m%d}{n % 1000:03d}")


class VolunteerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Volunteer

    user = factory.SubFactory(UserFactory)
    real_name = factory.Sequence(lambda n: f"志愿者{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    community = factory.SubFactory(CommunityFactory)
    consent_at = factory.LazyFunction(timezone.now)
    consent_version = CONSENT_VERSION
    id_number = ""
    id_number_index = factory.LazyAttribute(lambda v: blind_index(v.id_number))


class OrganiserFactory(MembershipFactory):
    """An applicant member of an organisation: runs its volunteer activities."""

    role = Role.APPLICANT


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VolunteerActivity

    title = factory.Sequence(lambda n: f"敬老院探访活动{n}")
    description = "陪伴老人聊天、读报，协助整理房间。"
    organisation = factory.SubFactory(OrganisationFactory)
    community = factory.SubFactory(CommunityFactory)
    place = "钮家巷社区活动中心二楼"
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=2))
    ends_at = factory.LazyAttribute(lambda a: a.starts_at + timedelta(hours=3))
    slots = 10
    published = True
    checkin_token = factory.LazyFunction(lambda: secrets.token_urlsafe(24))


class SignupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VolunteerSignup

    activity = factory.SubFactory(ActivityFactory)
    volunteer = factory.SubFactory(VolunteerFactory)


class HoursRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HoursRecord

    volunteer = factory.SubFactory(VolunteerFactory)
    activity = factory.SubFactory(ActivityFactory)
    hours = Decimal("2.0")
    source = HoursSource.ENTERED
    state = HoursState.PENDING
    service_date = factory.LazyAttribute(lambda r: timezone.localdate(r.activity.starts_at))


class RewardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RewardItem

    name = factory.Sequence(lambda n: f"爱心早餐券{n}")
    points_cost = Decimal("10")
    stock = 5
    provider = "钮家巷早餐店"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VolunteerTeam

    name = factory.Sequence(lambda n: f"邻里守望志愿服务队{n}")
    organisation = factory.SubFactory(OrganisationFactory)


def in_english(value) -> str:
    """The text of a (lazily translated) message or exception, in English."""
    from django.utils import translation

    with translation.override("en"):
        return str(value)
