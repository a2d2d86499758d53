"""City-scale benchmark data, part 1: places, organisations, people and volunteers (PostgreSQL only).

``grants.demo_city.seed_city`` drives the whole build; this module holds the rows that belong to the
incubator and accounts apps, and the two bulk helpers every part uses. Rows are written with
PostgreSQL ``COPY`` (tens of times faster than INSERT) after their primary keys were taken from
the table's own sequence, so foreign keys can be filled in before anything is written and the
sequences stay right. Every constraint and trigger stays on: COPY fires them like INSERT does.
"""

from __future__ import annotations

import hashlib
import random
from base64 import urlsafe_b64encode
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.utils import timezone

from accounts.enums import Role
from accounts.models import Membership, User
from incubator.credit_code import make_credit_code
from incubator.demo import AREA_BY_DISTRICT, DISTRICTS, KIND_BY_TYPE, SCALE_SUFFIX
from incubator.enums import CommunityLevel, OrganisationType
from incubator.enums_volunteers import HoursSource, HoursState
from incubator.models import (
    Community,
    HoursRecord,
    Organisation,
    Volunteer,
    VolunteerActivity,
)

# --- bulk helpers ----------------------------------------------------------------------------------


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys from the table's own sequence (safe beside other writers)."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_objects(model: type[models.Model], objects: Sequence[models.Model]) -> int:
    """Write unsaved instances with COPY, giving each a primary key first; returns the count.

    Values go through each field's ``pre_save`` and ``get_db_prep_save``, as ``save()`` would, so
    defaults, ``auto_now`` and JSON are handled the ORM's way. No signals are sent (as with
    ``bulk_create``).
    """
    if not objects:
        return 0
    # Objects may hold a key taken earlier (rows that point at each other, e.g. expense ↔ ledger).
    fresh = [obj for obj in objects if obj.pk is None]
    for obj, pk in zip(fresh, allocate_ids(model, len(fresh)), strict=True):
        obj.pk = pk
    # The real connection, not the thread-local proxy: looking it up per value costs more than COPY.
    db = connections[DEFAULT_DB_ALIAS]
    fields = model._meta.concrete_fields
    table = db.ops.quote_name(model._meta.db_table)
    columns = ", ".join(db.ops.quote_name(field.column) for field in fields)
    with db.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for obj in objects:
            copy.write_row(
                [field.get_db_prep_save(field.pre_save(obj, True), db) for field in fields]
            )
    return len(objects)


def copy_rows(model: type[models.Model], attnames: Sequence[str], rows: Iterable[tuple]) -> int:
    """COPY plain tuples into ``model``'s table (ids from the column default); returns the count.

    For the biggest tables only, where building model instances would cost most of the time: the
    caller gives every NOT NULL column and values already in database form.
    """
    db = connections[DEFAULT_DB_ALIAS]
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    columns = ", ".join(db.ops.quote_name(by_attname[name].column) for name in attnames)
    table = db.ops.quote_name(model._meta.db_table)
    count = 0
    with db.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def analyze(tables: Iterable[type[models.Model] | str]) -> None:
    """Fresh planner statistics: without them PostgreSQL plans the first queries for empty tables."""
    with connection.cursor() as cursor:
        for table in tables:
            name = table if isinstance(table, str) else table._meta.db_table
            cursor.execute(f"ANALYZE {connection.ops.quote_name(name)}")


def scaled(count: int, factor: float, *, minimum: int = 1) -> int:
    return max(minimum, round(count * factor))


# --- Chinese names ---------------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志海燕晓梅春林文斌宇浩凯佳欣怡雪琳婷雨轩子涵梓睿思远嘉俊博晨阳"  # noqa: E501
PLACE_WORDS = ("和平", "长青", "阳光", "同心", "益家", "春晖", "乐邻", "暖阳", "向阳", "彩虹",
               "融合", "守望", "红枫", "翠竹", "金桂", "银杏", "明德", "善行", "惠民", "安康",
               "和睦", "幸福", "新桥", "东湖", "南山", "西城", "北塘", "青石", "白鹭", "紫薇",
               "嘉禾", "如意", "同济", "启明", "长乐", "永安", "兴隆", "锦华", "朝阳", "清泉")  # fmt: skip
FOCUS_WORDS = ("为老", "青少年", "助残", "邻里", "环保", "文化", "健康", "扶困", "家庭", "社区营造")
SUBDISTRICT_WORDS = ("城东", "城西", "城南", "城北", "江滨", "湖滨", "桥北", "新城", "老城", "河西",
                     "高新", "滨江", "临湖", "望江", "花园", "工业", "开发", "港口", "文昌", "大学城")  # fmt: skip
COMMUNITY_WORDS = ("幸福里", "和美", "绿园", "丰收", "建设", "胜利", "团结", "育才", "光明", "新民",
                   "友谊", "长征", "红星", "新风", "康乐", "天宁", "五福", "德胜", "景福", "文苑")  # fmt: skip


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def _token(*parts: object) -> str:
    """A deterministic 43-character URL-safe token (the size of ``secrets.token_urlsafe(32)``)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return urlsafe_b64encode(digest).decode().rstrip("=")


# --- places and organisations ----------------------------------------------------------------------

CITY_PREFIX = "城"  # city-scale 街道 are "城东01街道" …; their 社区 "城东01幸福里社区" …


def seed_places(*, factor: float, stdout) -> list[Community]:
    """20 街道 of 10 社区 per demo district (scaled): the 社区 the city data lives in."""
    districts = list(
        Community.objects.filter(
            level=CommunityLevel.DISTRICT, parent=None, name__in=AREA_BY_DISTRICT
        ).order_by("pk")
    )
    if len(districts) < len(DISTRICTS):
        raise RuntimeError("City data needs the demo districts: run incubator.demo.seed() first.")
    per_district = scaled(20, factor, minimum=2)
    subdistricts = [
        Community(
            name=f"{SUBDISTRICT_WORDS[k % len(SUBDISTRICT_WORDS)]}{k + 1:02d}街道",
            level=CommunityLevel.SUBDISTRICT,
            parent=district,
            city=district.city,
        )
        for district in districts
        for k in range(per_district)
    ]
    copy_objects(Community, subdistricts)
    communities = [
        Community(
            name=f"{sub.name.removesuffix('街道')}{COMMUNITY_WORDS[j]}社区",
            level=CommunityLevel.COMMUNITY,
            parent=sub,
            city=sub.city,
            households=1_200 + 131 * j + 7 * (index % 50),
            population=3_100 + 337 * j + 19 * (index % 50),
        )
        for index, sub in enumerate(subdistricts)
        for j in range(10)
    ]
    copy_objects(Community, communities)
    stdout.write(f"  城市社区 city 街道 {len(subdistricts)}, 社区 {len(communities)}")
    return communities


ORG_TYPES = (
    OrganisationType.SOCIAL_SERVICE,
    OrganisationType.SOCIAL_SERVICE,
    OrganisationType.SOCIAL_GROUP,
    OrganisationType.COMMUNITY_ORG,
    OrganisationType.SOCIAL_SERVICE,
    OrganisationType.SOCIAL_GROUP,
    OrganisationType.FOUNDATION,
    OrganisationType.COMMUNITY_ORG,
    OrganisationType.SOCIAL_SERVICE,
    OrganisationType.COMMUNITY_ORG,
)


def seed_organisations(
    *, count: int, communities: list[Community], rng: random.Random, stdout
) -> list[Organisation]:
    """``count`` organisations spread over the city 社区, most with a valid credit code."""
    today = timezone.localdate()
    districts = {c.parent.parent_id: c.parent.parent for c in communities[::10]}
    used: set[str] = set()
    organisations = []
    for i in range(1, count + 1):
        community = communities[rng.randrange(len(communities))]
        subdistrict = community.parent
        district = districts[subdistrict.parent_id]
        org_type = ORG_TYPES[i % len(ORG_TYPES)]
        focus = FOCUS_WORDS[rng.randrange(len(FOCUS_WORDS))]
        place = PLACE_WORDS[rng.randrange(len(PLACE_WORDS))]
        if org_type == OrganisationType.COMMUNITY_ORG:
            name = f"{community.name}{place}{focus}{SCALE_SUFFIX[org_type]}"
        else:
            name = f"{district.name}{place}{focus}{SCALE_SUFFIX[org_type]}"
        if name in used:  # same words drawn twice: name it after its 街道 as people do
            name = f"{district.name}{subdistrict.name}{place}{focus}{SCALE_SUFFIX[org_type]}"
        if name in used:
            name = f"{name[:-2]}{i:04d}{name[-2:]}"
        used.add(name)
        kind = KIND_BY_TYPE.get(org_type)
        rated = bool(kind) and rng.random() < 0.6
        contact = person_name(rng)
        organisations.append(
            Organisation(
                name=name,
                org_type=org_type,
                # "MC" keeps city serials apart from the demo's "MJ" and --scale N's "MB".
                credit_code=make_credit_code(
                    authority="5",
                    kind=kind,
                    area=AREA_BY_DISTRICT[district.name],
                    serial=f"MC{i:07d}",
                )
                if kind
                else None,
                district=district,
                community=community,
                registration_date=date(2008 + i % 17, 1 + i % 12, 1 + i % 28),
                registration_authority=(
                    f"{district.city}{district.name}民政局"
                    if kind
                    else f"{subdistrict.name}办事处（备案）"
                ),
                rating=rng.choice(("3A", "4A", "4A", "5A", "2A")) if rated else "",
                rating_expires_on=today + timedelta(days=rng.randint(-400, 1500))
                if rated
                else None,
                address=f"{district.city}{district.name}{subdistrict.name}{community.name}"
                f"{rng.randint(1, 300)}号",
                contact_name=contact,
                contact_phone=f"13{rng.randint(0, 9)}{i:08d}",
                description=f"扎根{community.name}的{SCALE_SUFFIX[org_type]}，"
                f"开展{focus}服务，年均服务居民{rng.randint(3, 90) * 100}人次。",
                created_at=timezone.now() - timedelta(days=rng.randint(30, 2_500)),
            )
        )
    copy_objects(Organisation, organisations)
    stdout.write(f"  城市社会组织 city organisations: {len(organisations)}")
    return organisations


# --- people ----------------------------------------------------------------------------------------

CITY_APPLICANT = "city{i:05d}"
CITY_REVIEWER = "cityrev{i:04d}"
EMAIL_DOMAIN = "demo.yichuang.example"


def _users(usernames: list[str], names: list[str], password_hash: str) -> list[User]:
    now = timezone.now()
    users = [
        User(
            username=username,
            email=f"{username}@{EMAIL_DOMAIN}",
            display_name=name,
            password=password_hash,
            date_joined=now,
        )
        for username, name in zip(usernames, names, strict=True)
    ]
    copy_objects(User, users)
    copy_objects(
        EmailAddress,
        [EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users],
    )
    return users


def seed_people(
    *, organisations: list[Organisation], reviewers: int, rng: random.Random, stdout
) -> tuple[dict[int, User], list[User]]:
    """One applicant account per organisation (its member) and a pool of expert reviewers.

    Returns ({organisation id: member}, reviewers). All share the demo password.
    """
    from accounts.demo import DEMO_PASSWORD

    password_hash = make_password(DEMO_PASSWORD)
    members = _users(
        [CITY_APPLICANT.format(i=i) for i in range(1, len(organisations) + 1)],
        [org.contact_name for org in organisations],
        password_hash,
    )
    copy_objects(
        Membership,
        [
            Membership(user=user, role=Role.APPLICANT, organisation=org)
            for user, org in zip(members, organisations, strict=True)
        ],
    )
    experts = _users(
        [CITY_REVIEWER.format(i=i) for i in range(1, reviewers + 1)],
        [person_name(rng) for _ in range(reviewers)],
        password_hash,
    )
    copy_objects(Membership, [Membership(user=user, role=Role.REVIEWER) for user in experts])
    stdout.write(f"  城市账号 city accounts: {len(members)} applicants, {len(experts)} reviewers")
    return {org.pk: user for org, user in zip(organisations, members, strict=True)}, experts


# --- volunteers ------------------------------------------------------------------------------------

SKILLS = (
    "陪伴探访",
    "文艺",
    "摄影",
    "医疗护理",
    "法律咨询",
    "心理疏导",
    "维修",
    "教学辅导",
    "驾驶",
)
ACTIVITY_WORDS = ("独居老人探访", "社区环境清洁", "四点半课堂", "垃圾分类宣传", "义诊", "助餐送餐",
                  "邻里节", "防诈骗宣传", "政策咨询", "助残康复陪护", "图书整理", "文明劝导")  # fmt: skip


def seed_volunteers(
    *,
    volunteers: int,
    activities: int,
    hours_per_volunteer: int,
    organisations: list[Organisation],
    project_ids: list[int],
    rng: random.Random,
    stdout,
) -> dict[str, int]:
    """Offline volunteers (registered by an organisation), activities, and entered hours.

    Each volunteer has ``hours_per_volunteer`` records at distinct activities (the model allows one
    live record per volunteer and activity): mostly approved, some pending, a few rejected.
    """
    now = timezone.now()
    organisers = [org for org in organisations if org.community_id]
    people = []
    for i in range(volunteers):
        org = organisers[rng.randrange(len(organisers))]
        people.append(
            Volunteer(
                real_name=person_name(rng),
                phone=f"1{rng.choice('3589')}{rng.randint(0, 9)}{i:08d}",
                id_number="",  # not collected for paper registrations here: no blind index needed
                skills=rng.sample(SKILLS, rng.randint(0, 3)),
                community_id=org.community_id,
                consent_at=now - timedelta(days=rng.randint(10, 1_800)),
                consent_version="2024-1",
                consent_note="纸质登记表，本人签字同意",
                registered_by_organisation=org,
            )
        )
    copy_objects(Volunteer, people)
    events = []
    for k in range(activities):
        org = organisers[rng.randrange(len(organisers))]
        starts = now - timedelta(days=rng.randint(1, 1_400), hours=rng.randint(0, 8))
        events.append(
            VolunteerActivity(
                title=f"{org.community.name if org.community_id else ''}"
                f"{ACTIVITY_WORDS[k % len(ACTIVITY_WORDS)]}（第{k // len(ACTIVITY_WORDS) + 1}场）",
                description="社区志愿服务活动。",
                organisation=org,
                application_id=project_ids[k % len(project_ids)]
                if project_ids and k % 3 == 0
                else None,
                community_id=org.community_id,
                place=f"{org.community.name}党群服务中心" if org.community_id else "社区活动室",
                starts_at=starts,
                ends_at=starts + timedelta(hours=rng.choice((2, 3, 4))),
                slots=rng.choice((10, 20, 30, 50)),
                points_per_hour=Decimal("1.0"),
                published=True,
                checkin_token=_token("city-activity", k),
            )
        )
    copy_objects(VolunteerActivity, events)
    picks = min(hours_per_volunteer, len(events))
    service_dates = {event.pk: timezone.localdate(event.starts_at) for event in events}

    def hours_rows():
        for person in people:
            for event in rng.sample(events, picks):
                roll = rng.random()
                state = (
                    HoursState.APPROVED
                    if roll < 0.9
                    else HoursState.PENDING
                    if roll < 0.98
                    else HoursState.REJECTED
                )
                decided = state != HoursState.PENDING
                yield (
                    person.pk,
                    event.pk,
                    Decimal(rng.choice((1, 2, 2, 3, 3, 4))) / (2 if roll < 0.05 else 1),
                    HoursSource.ENTERED.value,
                    state.value,
                    service_dates[event.pk],
                    "",
                    event.ends_at + timedelta(days=2) if decided else None,
                    "签到表与活动照片不符" if state == HoursState.REJECTED else "",
                    event.ends_at + timedelta(hours=6),
                )

    hours_total = copy_rows(
        HoursRecord,
        ("volunteer_id", "activity_id", "hours", "source", "state", "service_date", "note",
         "decided_at", "decision_note", "created_at"),
        hours_rows(),
    )  # fmt: skip
    stdout.write(
        f"  城市志愿者 city volunteers: {len(people)}, activities {len(events)}, "
        f"hours records {hours_total}"
    )
    return {"volunteers": len(people), "activities": len(events), "hours": hours_total}
