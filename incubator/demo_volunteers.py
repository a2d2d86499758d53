"""Demo data of volunteering: 200 volunteers with Chinese names, teams, past and upcoming
activities, hours (checked in, entered, some awaiting approval), points, a reward catalogue and
redemptions, and the demo login ``volunteer1`` (林小雨) with hours, a star and points.

``seed_volunteers`` only creates what is missing, looked up by natural key (volunteer phone number,
team and activity name within their organisation, reward name), so running it again creates
nothing. Randomness is seeded per row (``_rng``): every run makes the same choices.

Rows are written directly rather than through the services, because the demo records the past
(check-ins weeks ago); the points ledger still goes through ``award_points_for_hours`` and the
same ledger writer, so balances and sequences are right.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.enums import Role
from accounts.models import Membership, User
from incubator.enums import CommunityLevel
from incubator.enums_volunteers import (
    CONSENT_VERSION,
    OFFLINE_CONSENT_NOTE,
    HoursSource,
    HoursState,
    PointsKind,
    RedemptionState,
    SignupState,
    Skill,
)
from incubator.models import (
    HoursRecord,
    Organisation,
    PointsEntry,
    Redemption,
    RewardItem,
    Volunteer,
    VolunteerActivity,
    VolunteerSignup,
    VolunteerTeam,
)
from incubator.personal_data import blind_index, make_id_number
from incubator.services_volunteer_points import _append_entry, award_points_for_hours

VOLUNTEER_COUNT = 200
MAX_ORGANISATIONS = 8
DEMO_USERNAME = "volunteer1"
DEMO_NAME = "林小雨"
DEMO_PHONE = "13962800001"
# The upcoming activity volunteer1 has not signed up to yet (the browser test signs her up).
OPEN_ACTIVITY_TITLE = "重阳敬老：陪老人包饺子"
ANNUAL_ACTIVITY_TITLE = "2025年度社区常态化志愿服务（补录）"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
GIVEN = (
    "秀英", "桂英", "建华", "志强", "晓燕", "丽娟", "文博", "海燕", "佳怡", "子涵", "雨桐", "浩然",
    "欣怡", "俊杰", "梓萱", "宇航", "思远", "美玲", "国平", "玉兰", "淑珍", "明辉", "慧敏", "嘉懿",
    "一诺", "晨曦", "振华", "红梅", "春生", "静怡", "天佑", "若曦", "立新", "凤英", "家豪", "梦琪",
)  # fmt: skip

PAST_ACTIVITIES = (
    ("独居老人入户探访", "两人一组上门探访独居老人，聊天陪伴、检查燃气和用电安全，记录需求。"),
    ("社区环境清洁日", "清理楼道堆物、绿化带垃圾，张贴垃圾分类指引。"),
    ("四点半课堂作业辅导", "放学后陪伴双职工家庭的孩子完成作业，开展阅读活动。"),
    ("爱心义剪进社区", "为社区高龄老人和行动不便居民免费理发。"),
    ("智能手机使用教学", "一对一教老人使用健康码、视频通话和防范电信诈骗。"),
)
UPCOMING_ACTIVITIES = (
    (OPEN_ACTIVITY_TITLE, "和社区长者一起包饺子、聊家常，活动后清理场地。"),
    ("邻里议事会会务志愿者", "协助签到、记录和引导，维持议事会秩序。"),
)
REWARDS = (
    ("爱心早餐", "合作早餐店一份早餐（豆浆、包子各一）。", "钮家巷社区早餐店", "5", 200),
    ("理发服务", "社区理发室单次理发。", "社区爱心理发室", "20", 60),
    ("家电小修", "上门维修小家电一次（不含配件）。", "邻里维修志愿队", "30", 30),
    ("电影票", "合作影院2D电影票一张。", "平江影城", "40", 40),
    ("超市购物券", "50元超市购物券一张。", "社区惠民超市", "50", 50),
    ("健康体检套餐", "社区卫生服务中心基础体检一次。", "社区卫生服务中心", "200", 10),
)


def _rng(*key) -> random.Random:
    """A random source fixed by ``key``: the same choices on every run, whatever ran before."""
    return random.Random("|".join(map(str, key)))  # noqa: S311 — demo data, not secrets


def _local(day, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _name(index: int) -> str:
    return SURNAMES[index % len(SURNAMES)] + GIVEN[(index * 7) % len(GIVEN)]


def _phone(index: int) -> str:
    return f"1{'3578'[index % 4]}9{(6280000 + index * 37) % 10**8:08d}"


def _id_number(rng: random.Random, index: int) -> str:
    born = datetime(1950, 1, 1) + timedelta(days=rng.randrange(0, 55 * 365))
    return make_id_number(f"320508{born:%Y%m%d}{index % 1000:03d}")


def _communities(communities: Iterable) -> list:
    units = [c for c in communities if c.level == CommunityLevel.COMMUNITY]
    return units or [c for c in communities if c.level != CommunityLevel.DISTRICT]


def _short(organisation: Organisation) -> str:
    name = organisation.name
    for suffix in (
        "社会工作服务中心",
        "社会工作服务社",
        "公益发展中心",
        "服务中心",
        "基金会",
        "促进会",
        "协会",
    ):
        name = name.removesuffix(suffix)
    return name[-6:]


# --- Volunteers -------------------------------------------------------------------------------------


def _seed_volunteers(organisations, communities, stdout) -> list[Volunteer]:
    existing = {
        v.phone: v
        for v in Volunteer.objects.filter(phone__in=[_phone(i) for i in range(VOLUNTEER_COUNT)])
    }
    created = 0
    volunteers = []
    for index in range(VOLUNTEER_COUNT):
        phone = _phone(index)
        volunteer = existing.get(phone)
        if volunteer is None:
            rng = _rng("volunteer", index)
            id_number = _id_number(rng, index) if rng.random() < 0.6 else ""
            organisation = organisations[index % len(organisations)]
            volunteer = Volunteer(
                real_name=_name(index),
                phone=phone,
                id_number=id_number,
                id_number_index=blind_index(id_number),
                skills=rng.sample(Skill.values, k=rng.randint(1, 3)),
                community=rng.choice(communities),
                consent_at=timezone.now() - timedelta(days=rng.randint(30, 700)),
                consent_version=CONSENT_VERSION,
                consent_note=str(OFFLINE_CONSENT_NOTE),
                registered_by_organisation=organisation,
            )
            volunteer.save()
            created += 1
        volunteers.append(volunteer)
    stdout.write(f"  志愿者 volunteers: {created} created ({VOLUNTEER_COUNT} in the demo)")
    return volunteers


def _seed_demo_volunteer(communities) -> Volunteer:
    from accounts.demo import DEMO_PASSWORD, EMAIL_DOMAIN

    user, _ = User.objects.get_or_create(
        username=DEMO_USERNAME,
        defaults={
            "email": f"{DEMO_USERNAME}@{EMAIL_DOMAIN}",
            "display_name": DEMO_NAME,
            "password": make_password(DEMO_PASSWORD),
        },
    )
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    Membership.objects.get_or_create(user=user, role=Role.VOLUNTEER, organisation=None)
    volunteer = Volunteer.objects.filter(user=user).first()
    if volunteer is None:
        id_number = make_id_number("32050819980612402")
        volunteer = Volunteer.objects.create(
            user=user,
            real_name=DEMO_NAME,
            phone=DEMO_PHONE,
            id_number=id_number,
            id_number_index=blind_index(id_number),
            skills=[Skill.VISITING, Skill.IT, Skill.PHOTOGRAPHY],
            community=communities[0],
            consent_at=timezone.now() - timedelta(days=400),
            consent_version=CONSENT_VERSION,
            registered_by=user,
        )
    return volunteer


# --- Teams and activities -------------------------------------------------------------------------


def _seed_teams(organisations, volunteers, applications_by_org, stdout) -> None:
    created = 0
    for organisation in organisations:
        team, new = VolunteerTeam.objects.get_or_create(
            organisation=organisation,
            name=f"{_short(organisation)}志愿服务队",
            defaults={
                "community": organisation.community,
                "description": "常态化开展社区志愿服务。",
            },
        )
        if new:
            created += 1
            members = [v for v in volunteers if v.registered_by_organisation_id == organisation.pk]
            team.members.set(members[:40])
            team.applications.set(applications_by_org.get(organisation.pk, [])[:2])
    stdout.write(f"  志愿服务队 volunteer teams: {created} created")


def _activity(
    organisation,
    title,
    description,
    *,
    starts,
    hours,
    community,
    application,
    slots,
    published=True,
):
    activity, new = VolunteerActivity.objects.get_or_create(
        organisation=organisation,
        title=title,
        defaults={
            "description": description,
            "community": community,
            "application": application,
            "place": f"{community.name}党群服务中心",
            "starts_at": starts,
            "ends_at": starts + timedelta(hours=hours),
            "slots": slots,
            "published": published,
            "checkin_token": secrets.token_urlsafe(24),
        },
    )
    return activity, new


def _seed_activities(organisations, communities, applications_by_org, stdout):
    today = timezone.localdate()
    past, upcoming, created = [], [], 0
    for o_index, organisation in enumerate(organisations):
        community = (
            organisation.community
            if organisation.community and organisation.community.level == CommunityLevel.COMMUNITY
            else communities[o_index % len(communities)]
        )
        application = (applications_by_org.get(organisation.pk) or [None])[0]
        rng = _rng("activities", organisation.pk)
        for a_index, (title, description) in enumerate(PAST_ACTIVITIES):
            day = today - timedelta(days=7 * (a_index + 1) + o_index)
            activity, new = _activity(
                organisation, title, description, starts=_local(day, 9), hours=3,
                community=community, application=application, slots=rng.randint(8, 15),
            )  # fmt: skip
            past.append(activity)
            created += new
        for a_index, (title, description) in enumerate(UPCOMING_ACTIVITIES):
            if title == OPEN_ACTIVITY_TITLE and o_index:
                continue  # one such activity, at the first organisation
            day = today + timedelta(days=3 + a_index * 4 + o_index)
            activity, new = _activity(
                organisation, title, description, starts=_local(day, 14), hours=2.5,
                community=community, application=application, slots=rng.randint(10, 20),
            )  # fmt: skip
            upcoming.append(activity)
            created += new
    annual_start = _local(today.replace(month=1, day=1) - timedelta(days=365), 0)
    annual, new = _activity(
        organisations[0], ANNUAL_ACTIVITY_TITLE,
        "往年参与社区常态化志愿服务的时长，按服务记录补录，经机构审核。",
        starts=annual_start, hours=24 * 364, community=communities[0], application=None,
        slots=50, published=False,
    )  # fmt: skip
    created += new
    stdout.write(f"  志愿活动 volunteer activities: {created} created")
    return past, upcoming, annual


# --- Hours, points, rewards -------------------------------------------------------------------------


def _record(volunteer, activity, signup, *, hours, source, state, note=""):
    if (
        HoursRecord.objects.filter(volunteer=volunteer, activity=activity)
        .exclude(state=HoursState.REJECTED)
        .exists()
    ):
        return None
    record = HoursRecord.objects.create(
        volunteer=volunteer,
        activity=activity,
        signup=signup if source == HoursSource.CHECKIN else None,
        hours=Decimal(hours),
        source=source,
        state=state,
        service_date=timezone.localdate(activity.starts_at),
        note=note,
        decided_at=activity.ends_at + timedelta(days=1) if state == HoursState.APPROVED else None,
    )
    if state == HoursState.APPROVED:
        award_points_for_hours(record=record, actor=None)
    return record


def _serve(volunteer, activity, *, kind: str):
    rng = _rng("serve", volunteer.pk, activity.pk)
    signup, _ = VolunteerSignup.objects.get_or_create(
        activity=activity,
        volunteer=volunteer,
        defaults={"signed_up_at": activity.starts_at - timedelta(days=5)},
    )
    if kind == "checkin":
        if signup.checked_in_at is None:
            arrived = activity.starts_at + timedelta(minutes=rng.randint(-20, 15))
            left = arrived + timedelta(minutes=rng.randint(80, 200))
            VolunteerSignup.objects.filter(pk=signup.pk).update(
                checked_in_at=arrived, checked_out_at=left
            )
            hours = min(
                Decimal(int((left - arrived).total_seconds() // 1800)) / 2, activity.length_hours
            )
            if hours > 0:
                _record(
                    volunteer,
                    activity,
                    signup,
                    hours=hours,
                    source=HoursSource.CHECKIN,
                    state=HoursState.APPROVED,
                )
    else:
        state = HoursState.PENDING if kind == "pending" else HoursState.APPROVED
        _record(
            volunteer, activity, signup, hours=rng.choice(["1.5", "2", "2.5", "3"]),
            source=HoursSource.ENTERED, state=state, note="现场未扫码，补录时长",
        )  # fmt: skip


def _seed_hours(volunteers, past, annual, stdout) -> None:
    before = HoursRecord.objects.count()
    for activity in past:
        rng = _rng("team", activity.pk)
        team = rng.sample(volunteers, k=min(activity.slots - 2, len(volunteers)))
        for volunteer in team:
            roll = rng.random()
            kind = "checkin" if roll < 0.7 else ("entered" if roll < 0.9 else "pending")
            _serve(volunteer, activity, kind=kind)
    # Veterans: earlier years' service, entered and approved, so the demo shows every star level.
    for volunteer, hours in zip(
        volunteers[:6], ("120", "350", "650", "1100", "1600", "60"), strict=True
    ):
        signup, _ = VolunteerSignup.objects.get_or_create(activity=annual, volunteer=volunteer)
        _record(
            volunteer,
            annual,
            signup,
            hours=hours,
            source=HoursSource.ENTERED,
            state=HoursState.APPROVED,
        )
    stdout.write(f"  志愿时长 hours records: {HoursRecord.objects.count() - before} created")


def _seed_rewards(stdout) -> list[RewardItem]:
    rewards, created = [], 0
    for name, description, provider, cost, stock in REWARDS:
        reward, new = RewardItem.objects.get_or_create(
            name=name,
            defaults={
                "description": description,
                "provider": provider,
                "points_cost": Decimal(cost),
                "stock": stock,
            },
        )
        rewards.append(reward)
        created += new
    stdout.write(f"  积分商品 rewards: {created} created")
    return rewards


def _redeem(volunteer, reward, *, fulfilled: bool) -> None:
    """One demo redemption (volunteers on paper have no account to act with)."""
    if Redemption.objects.filter(volunteer=volunteer, reward=reward).exists():
        return
    balance = (
        PointsEntry.objects.filter(volunteer=volunteer)
        .order_by("-sequence")
        .values_list("balance_after", flat=True)
        .first()
    )
    if not balance or balance < reward.points_cost or reward.stock < 1:
        return
    redemption = Redemption.objects.create(
        volunteer=volunteer,
        reward=reward,
        points=reward.points_cost,
        state=RedemptionState.FULFILLED if fulfilled else RedemptionState.REQUESTED,
        decided_at=timezone.now() if fulfilled else None,
    )
    _append_entry(
        volunteer_id=volunteer.pk, kind=PointsKind.REDEEMED, amount=-reward.points_cost,
        actor=None, redemption=redemption,
    )  # fmt: skip
    RewardItem.objects.filter(pk=reward.pk).update(stock=reward.stock - 1)
    reward.stock -= 1


def _seed_redemptions(volunteers, rewards, stdout) -> None:
    before = Redemption.objects.count()
    for index, volunteer in enumerate(volunteers[:60]):
        _redeem(volunteer, rewards[index % 3], fulfilled=index % 4 != 0)
    stdout.write(f"  积分兑换 redemptions: {Redemption.objects.count() - before} created")


def _seed_volunteer1(volunteer, past, annual, rewards) -> None:
    for activity in past[:2]:
        _serve(volunteer, activity, kind="checkin")
    if len(past) > 2:
        _serve(volunteer, past[2], kind="pending")
    signup, _ = VolunteerSignup.objects.get_or_create(activity=annual, volunteer=volunteer)
    _record(
        volunteer,
        annual,
        signup,
        hours="104",
        source=HoursSource.ENTERED,
        state=HoursState.APPROVED,
    )
    _redeem(volunteer, rewards[0], fulfilled=True)  # 爱心早餐


def seed_volunteers(*, organisations, communities, applications, stdout=None) -> None:
    """Seed volunteering on top of existing organisations, communities (社区 preferred) and
    applications (projects: teams name them, activities link to them). Lists or querysets."""
    stdout = stdout or _Silent()
    organisations = list(organisations)[:MAX_ORGANISATIONS]
    communities = _communities(list(communities))
    if not organisations or not communities:
        raise ValueError("seed_volunteers needs at least one organisation and one community.")
    applications_by_org: dict[int, list] = {}
    for application in applications:
        applications_by_org.setdefault(application.organisation_id, []).append(application)
    volunteers = _seed_volunteers(organisations, communities, stdout)
    demo = _seed_demo_volunteer(communities)
    _seed_teams(organisations, volunteers, applications_by_org, stdout)
    past, upcoming, annual = _seed_activities(
        organisations, communities, applications_by_org, stdout
    )
    _seed_hours(volunteers, past, annual, stdout)
    rewards = _seed_rewards(stdout)
    _seed_redemptions(volunteers, rewards, stdout)
    _seed_volunteer1(demo, past, annual, rewards)
    # Some upcoming sign-ups, so the public list shows places filling up.
    for activity in upcoming:
        if activity.title == OPEN_ACTIVITY_TITLE:
            continue
        for volunteer in volunteers[: activity.slots // 2]:
            VolunteerSignup.objects.get_or_create(
                activity=activity, volunteer=volunteer, defaults={"state": SignupState.SIGNED_UP}
            )


def seed(*, stdout) -> None:
    """For ``seed_demo``'s SEEDERS: the demo organisations, their communities and applications."""
    from grants.models import Application
    from incubator.models import Community

    organisations = (
        Organisation.objects.exclude(org_type="community_org")
        .select_related("community")
        .order_by("pk")
    )
    communities = Community.objects.filter(level=CommunityLevel.COMMUNITY).order_by("pk")
    applications = Application.objects.filter(
        organisation__in=organisations[:MAX_ORGANISATIONS]
    ).order_by("pk")
    if not organisations.exists() or not communities.exists():
        stdout.write("  志愿者 volunteers: skipped (no organisations or communities yet)")
        return
    seed_volunteers(
        organisations=organisations,
        communities=communities,
        applications=applications,
        stdout=stdout,
    )


class _Silent:
    def write(self, *_args, **_kwargs) -> None:
        pass
