"""Demo data of 五社联动 and 三事分流: social workers, donors, gifts, matching pledges, resident
proposals in every state with their households' votes, and the community worker ``community1``.

``seed_community`` takes the rows it builds on; ``seed`` finds them in the demo data set (for
``seed_demo``'s SEEDERS, after ``grants.demo_lifecycle``). Rows are looked up by natural key
(organisation + name, donor name, community + title …) and only what is missing is created, so
running it again creates nothing and leaves rows edited in the demo alone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import cycle

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD, EMAIL_DOMAIN
from accounts.enums import Role
from accounts.models import Membership, User
from grants.enums import Theme
from grants.models import Application, Call, Programme
from incubator.enums import CommunityLevel
from incubator.enums_community import CertificateLevel as L
from incubator.enums_community import DonorKind, Matter, PledgeState
from incubator.enums_community import ProposalState as P
from incubator.models import (
    Community,
    Donor,
    Household,
    InKindDonation,
    MatchingPledge,
    Organisation,
    ProposalVote,
    ResidentProposal,
    SocialWorker,
)

COMMUNITY_LOGIN = ("community1", "刘晓红")
RESIDENT_LOGIN = "resident{i:03d}"
RESIDENTS = 120

# fmt: off
SOCIAL_WORKER_NAMES = (
    "周静", "陈晨", "李敏", "王芳", "张磊", "刘洋", "杨雪", "赵倩", "黄婷", "吴昊", "徐丽", "孙杰",
    "胡蓉", "朱琳", "高翔", "林娜", "何瑶", "郭佳", "马骏", "罗丹", "梁爽", "宋雨", "郑凯", "谢琪",
    "韩冰", "唐宁", "冯悦", "于洁", "董浩", "萧然", "程雯", "曹颖", "袁野", "邓超", "许蕾", "傅思",
    "沈蕾", "曾宇", "彭欣", "吕娟", "苏畅", "卢静", "蒋涛", "蔡琼", "贾楠", "丁玲", "魏巍", "薛莹",
)
# One organisation's team: the certificate mix repeats so that 持证率 differs by organisation.
LEVEL_PATTERNS = (
    (L.INTERMEDIATE, L.ASSISTANT, L.ASSISTANT, L.NONE, L.SENIOR),
    (L.ASSISTANT, L.NONE, L.NONE),
    (L.INTERMEDIATE, L.ASSISTANT, L.NONE, L.ASSISTANT),
    (L.NONE, L.NONE),
    (L.SENIOR, L.INTERMEDIATE, L.INTERMEDIATE, L.ASSISTANT, L.NONE, L.ASSISTANT),
)
# fmt: on


@dataclass(frozen=True)
class DonorSpec:
    name: str
    kind: str
    contact: tuple[str, str]
    note: str = ""


DONORS = (
    DonorSpec("南岸区爱心企业商会", DonorKind.COMPANY, ("冉国强", "13883062215"),
              "由南岸区40余家企业组成，设立公益创投配套资金池。"),
    DonorSpec("苏州平江文旅发展有限公司", DonorKind.COMPANY, ("沈佳", "13962117830")),
    DonorSpec("南通和平桥超市有限公司", DonorKind.COMPANY, ("顾卫东", "13806283391")),
    DonorSpec("重庆南坪物业服务有限公司", DonorKind.COMPANY, ("谭明", "13594120867")),
    DonorSpec("宁波月湖食品有限公司", DonorKind.COMPANY, ("毛海波", "13780027461")),
    DonorSpec("陈建华", DonorKind.PERSON, ("陈建华", "13913570246"), "退休教师，长期资助社区助老。"),
    DonorSpec("刘淑芬", DonorKind.PERSON, ("刘淑芬", "13584301975")),
)  # fmt: skip


@dataclass(frozen=True)
class ProposalSpec:
    title: str
    community: str  # preferred 社区 name; another demo community if it is not given
    state: str
    description: str
    matter: str = ""
    note: str = ""
    yes: int = 0
    no: int = 0


# fmt: off
PROPOSALS = (
    ProposalSpec("今福小区停车规划", "桃花桥社区", P.ADOPTED,
        "今福小区车位不足，夜间车辆乱停堵住消防通道。建议重新划定车位、设置临时停车区并错时共享周边单位车位。",
        Matter.MINOR, "属于社区公共事务，由睦邻议事会组织院坝会协商方案后交居民表决。", yes=96, no=4),
    ProposalSpec("楼道堆物清理", "钮家巷社区", P.CONVERTED,
        "老旧楼道里堆满杂物和电动车，存在消防隐患。希望组织一次集中清理，并建立楼道长轮值制度。",
        Matter.MINOR, "社区公共事务，拟以社区微创投方式引入社会组织实施。", yes=40, no=3),
    ProposalSpec("老旧楼栋加装电梯", "惠工社区", P.VOTING,
        "6号楼、7号楼是1990年代的六层楼，住着很多七八十岁的老人，上下楼十分困难，希望加装电梯。",
        Matter.MINOR, "加装电梯涉及全体业主意见，先由居民一户一票表决意向。", yes=18, no=5),
    ProposalSpec("学田路主干道路面修缮", "学田社区", P.CLASSIFIED_MAJOR,
        "学田路路面坑洼多，雨天积水严重，老人和孩子出行不安全。",
        Matter.MAJOR, "市政道路属政府职责，已转交区住建局纳入年度维修计划。"),
    ProposalSpec("家中水管漏水维修", "钟楼社区", P.CLASSIFIED_PRIVATE,
        "我家卫生间水管老化漏水，影响楼下住户，想请社区帮忙找人维修。",
        Matter.PRIVATE, "属居民家庭私事，已推荐社区便民服务站的家政维修服务。"),
    ProposalSpec("广场舞音量和时段协调", "孝闻社区", P.CLASSIFIED_MINOR,
        "晚上广场舞音乐声太大，影响高考学生和上夜班的居民休息，希望商量一个时段和音量规则。",
        Matter.MINOR, "社区公共事务，拟提交居民表决。"),
    ProposalSpec("楼顶加装太阳能板", "平江路社区", P.NOT_ADOPTED,
        "建议在小区楼顶统一加装太阳能板，发电收益用于楼道照明。",
        Matter.MINOR, "涉及古城风貌和全体业主权益，交居民表决。", yes=9, no=14),
    ProposalSpec("增设儿童游乐设施", "郡庙社区", P.SUBMITTED,
        "小区里没有儿童游乐场地，孩子们只能在停车场玩耍，希望在中心绿地增设一些游乐设施。"),
    ProposalSpec("开设社区老年助餐点", "大儒社区", P.SUBMITTED,
        "社区独居老人多，做饭不便，希望在社区活动中心开设老年助餐点。"),
)
# fmt: on


def _residents(password_hash: str) -> list[User]:
    """resident001 … resident120: the people who submit and vote (resident001 is a demo login)."""
    names = [RESIDENT_LOGIN.format(i=i) for i in range(1, RESIDENTS + 1)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    missing = [
        User(
            username=name,
            email=f"{name}@{EMAIL_DOMAIN}",
            display_name=f"居民{name[-3:]}",
            password=password_hash,
        )
        for name in names
        if name not in existing
    ]
    if missing:
        User.objects.bulk_create(missing, batch_size=500)
        EmailAddress.objects.bulk_create(
            [
                EmailAddress(user=user, email=user.email, verified=True, primary=True)
                for user in User.objects.filter(username__in=[u.username for u in missing])
            ],
            batch_size=500,
        )
    return list(User.objects.filter(username__in=names).order_by("username"))


def _community_worker(password_hash: str) -> User:
    username, name = COMMUNITY_LOGIN
    user, new = User.objects.get_or_create(
        username=username,
        defaults={
            "email": f"{username}@{EMAIL_DOMAIN}",
            "display_name": name,
            "password": password_hash,
        },
    )
    if new:
        EmailAddress.objects.get_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
    # No unit named: she handles the proposals of every demo community.
    Membership.objects.get_or_create(user=user, role=Role.COMMUNITY, organisation=None)
    return user


def _social_workers(organisations: list[Organisation], applications: list[Application]) -> int:
    created = 0
    names = cycle(SOCIAL_WORKER_NAMES)
    for index, organisation in enumerate(organisations):
        levels = LEVEL_PATTERNS[index % len(LEVEL_PATTERNS)]
        for position, level in enumerate(levels):
            name = next(names)
            certified = level != L.NONE
            year = 2015 + (index + position) % 9
            _, new = SocialWorker.objects.get_or_create(
                organisation=organisation,
                name=name,
                defaults={
                    "certificate_level": level,
                    "certificate_number": (
                        f"{year}{organisation.pk:05d}{position:02d}" if certified else None
                    ),
                    "certificate_date": date(year, 6, 1 + position) if certified else None,
                    "training_hours": Decimal(str(12 + 8 * ((index + position) % 7))),
                    # one of every seven has left: kept on record, out of the 持证率
                    "is_active": (index + position) % 7 != 6,
                },
            )
            created += new
    for application in applications:
        if not application.social_workers.exists():
            workers = SocialWorker.objects.filter(
                organisation_id=application.organisation_id, is_active=True
            ).order_by("pk")[:2]
            application.social_workers.add(*workers)
    return created


def _resources(
    organisations: list[Organisation], applications: list[Application], programme: Programme
) -> tuple[int, int, int]:
    donors = {}
    created_donors = 0
    for spec in DONORS:
        donor, new = Donor.objects.get_or_create(
            name=spec.name,
            defaults={
                "kind": spec.kind,
                "contact_name": spec.contact[0],
                "contact_phone": spec.contact[1],
                "note": spec.note,
            },
        )
        donors[spec.name] = donor
        created_donors += new
    first_app = applications[0] if applications else None
    second_app = applications[1] if len(applications) > 1 else first_app
    third_app = applications[2] if len(applications) > 2 else first_app
    org = organisations[0]
    gifts = [
        ("宁波月湖食品有限公司", "中秋爱心月饼", 200, "6000", None, org),
        ("重庆南坪物业服务有限公司", "社区活动室桌椅", 30, "9000", first_app, None),
        ("刘淑芬", "老年人助行器", 12, "2400", None, organisations[-1]),
        ("南岸区爱心企业商会", "助老爱心包", 100, "15000", second_app, None),
    ]
    created_gifts = 0
    for donor, description, quantity, value, application, organisation in gifts:
        if application is None and organisation is None:
            continue
        _, new = InKindDonation.objects.get_or_create(
            donor=donors[donor],
            description=description,
            defaults={
                "quantity": quantity,
                "estimated_value": Decimal(value),
                "application": application,
                "organisation": None if application else organisation,
                "received_on": timezone.localdate() - timedelta(days=30 + quantity % 40),
            },
        )
        created_gifts += new
    pledges = [
        # (donor, application, programme, ratio, cap, matched, state)
        ("南岸区爱心企业商会", None, programme, "1", "200000", "36000", PledgeState.ACTIVE),
        ("苏州平江文旅发展有限公司", first_app, None, "0.5", "20000", "0", PledgeState.PLEDGED),
        ("南通和平桥超市有限公司", second_app, None, "1", "10000", "10000", PledgeState.FULFILLED),
        ("陈建华", third_app, None, "1", "5000", "0", PledgeState.CANCELLED),
    ]
    created_pledges = 0
    for donor, application, pool, ratio, cap, matched, state in pledges:
        if application is None and pool is None:
            continue
        _, new = MatchingPledge.objects.get_or_create(
            donor=donors[donor],
            application=application,
            programme=pool,
            defaults={
                "ratio": Decimal(ratio),
                "cap_amount": Decimal(cap),
                "matched_amount": Decimal(matched),
                "state": state,
                "note": "",
            },
        )
        created_pledges += new
    return created_donors, created_gifts, created_pledges


def _pick_community(name: str, communities: list[Community], fallback) -> Community:
    for community in communities:
        if community.name == name:
            return community
    return next(fallback)


def _proposals(
    communities: list[Community],
    residents: list[User],
    staff: User,
    programme: Programme,
) -> tuple[int, int]:
    fallback = cycle(communities)
    created = votes = 0
    now = timezone.now()
    for index, spec in enumerate(PROPOSALS):
        community = _pick_community(spec.community, communities, fallback)
        if ResidentProposal.objects.filter(community=community, title=spec.title).exists():
            continue
        submitted_at = now - timedelta(days=60 - index * 5)
        proposal = ResidentProposal(
            community=community,
            title=spec.title,
            description=spec.description,
            submitted_by=residents[index],
            submitted_at=submitted_at,
            state=spec.state,
            matter=spec.matter,
            classification_note=spec.note,
            classified_by=staff if spec.matter else None,
            classified_at=submitted_at + timedelta(days=2) if spec.matter else None,
        )
        if spec.state in (P.VOTING, P.ADOPTED, P.NOT_ADOPTED, P.CONVERTED):
            proposal.voting_opened_at = submitted_at + timedelta(days=4)
        if spec.state in (P.ADOPTED, P.NOT_ADOPTED, P.CONVERTED):
            proposal.voting_closed_at = submitted_at + timedelta(days=18)
        if spec.state == P.CONVERTED:
            proposal.converted_call = _micro_call(spec, community, programme, staff)
            proposal.converted_at = submitted_at + timedelta(days=20)
        proposal.save()
        created += 1
        votes += _votes(proposal, spec, residents)
    return created, votes


def _micro_call(spec: ProposalSpec, community: Community, programme: Programme, actor) -> Call:
    opens = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    call, _ = Call.objects.get_or_create(
        slug=f"proposal-demo-{community.pk}",
        defaults={
            "programme": programme,
            "title": f"{community.name}{spec.title}微创投",
            "summary": spec.description,
            "themes": [Theme.COMMUNITY],
            "budget": Decimal("30000"),
            "min_grant": Decimal("0"),
            "max_grant": Decimal("10000"),
            "opens_at": opens + timedelta(days=10),
            "closes_at": opens + timedelta(days=40),
            "created_by": actor,
        },
    )
    return call


def _votes(proposal: ResidentProposal, spec: ProposalSpec, residents: list[User]) -> int:
    total = spec.yes + spec.no
    if not total:
        return 0
    addresses = [
        f"{1 + i // 24}栋{1 + (i // 6) % 4}单元{1 + i % 6}0{1 + (i // 3) % 2}" for i in range(total)
    ]
    Household.objects.bulk_create(
        [Household(community=proposal.community, address=address) for address in addresses],
        ignore_conflicts=True,
    )
    households = dict(
        Household.objects.filter(community=proposal.community, address__in=addresses).values_list(
            "address", "pk"
        )
    )
    start = proposal.voting_opened_at or proposal.submitted_at
    ProposalVote.objects.bulk_create(
        [
            ProposalVote(
                proposal=proposal,
                household_id=households[address],
                voter=residents[i % len(residents)],
                in_favour=i < spec.yes,
                cast_at=start + timedelta(hours=1 + i),
            )
            for i, address in enumerate(addresses)
        ]
    )
    return total


def seed_community(
    *,
    organisations: list[Organisation],
    communities: list[Community],
    applications: list[Application],
    programme: Programme,
    officer: User | None = None,
    stdout=None,
) -> None:
    """Seed 五社联动 and 三事分流 demo rows on top of the given organisations, 社区 (community
    level), applications and programme (its matching pool). ``officer`` is not needed by any row
    today; it is accepted so callers pass the same set of demo rows to every seeder."""
    stdout = stdout or io.StringIO()
    organisations = list(organisations)
    communities = [c for c in communities if c.level == CommunityLevel.COMMUNITY]
    applications = list(applications)
    if not organisations or not communities:
        stdout.write("  五社联动 community data: skipped (no organisations or communities)")
        return
    password_hash = make_password(DEMO_PASSWORD)
    staff = _community_worker(password_hash)
    residents = _residents(password_hash)
    workers = _social_workers(organisations, applications)
    donors, gifts, pledges = _resources(organisations, applications, programme)
    proposals, votes = _proposals(communities, residents, staff, programme)
    stdout.write(
        f"  五社联动 social workers: {workers} created; donors {donors}, in-kind {gifts}, "
        f"pledges {pledges}; 三事分流 proposals: {proposals} created with {votes} votes"
    )


def seed(*, stdout) -> None:
    """For ``seed_demo``: the demo organisations, 社区, applications and the 姑苏区 programme."""
    from grants.demo import OPEN_CALL_SLUG
    from incubator.demo import DISTRICTS, ORGANISATIONS

    call = Call.objects.filter(slug=OPEN_CALL_SLUG).select_related("programme").first()
    if call is None:
        stdout.write("  五社联动 community data: skipped (the demo programme is missing)")
        return
    district_names = [district.name for district in DISTRICTS]
    seed_community(
        organisations=list(
            Organisation.objects.filter(name__in=[org.name for org in ORGANISATIONS]).order_by("pk")
        ),
        communities=list(
            Community.objects.filter(
                level=CommunityLevel.COMMUNITY, parent__parent__name__in=district_names
            ).order_by("pk")
        ),
        applications=list(
            Application.objects.filter(organisation__name__in=[org.name for org in ORGANISATIONS])
            .exclude(state="draft")
            .order_by("pk")
        ),
        programme=call.programme,
        officer=User.objects.filter(username="officer").first(),
        stdout=stdout,
    )
