"""Demo programmes and calls: the 姑苏区公益创投大赛 with one open, one upcoming and one closed call,
plus two earlier programmes from the seed articles (崇川区"邻里+"公益助力计划, 南岸区"V益案").

Windows are set relative to the day the demo is first seeded, so a fresh demo always has an open
call. They are never moved afterwards: re-running ``seed_demo`` finds the calls by slug and leaves
them alone, so dates do not shift under applications made in between.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from grants.enums import CallPhase, Theme
from grants.models import Call, CallForm, Programme, RubricCriterion
from incubator.demo import DISTRICTS, demo_district

# The call every demo walkthrough uses; ``seed_demo`` warns when it is no longer open.
OPEN_CALL_SLUG = "gusu-community-micro-projects"
# The call whose projects are funded and running (agreements, tranches, reports, evaluations).
FUNDED_CALL_SLUG = "chongchuan-neighbourhood-plus-first-batch"


@dataclass(frozen=True)
class DemoCall:
    slug: str
    title: str
    summary: str
    themes: tuple[str, ...]
    budget: int
    min_grant: int
    max_grant: int
    opens_in_days: int  # relative to the first seeding day; negative: in the past
    open_days: int
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DemoProgramme:
    name: str  # "{year}" is the year the demo is first seeded
    funder: str
    district: str
    total_budget: int
    description: str
    calls: tuple[DemoCall, ...]


PROGRAMMES: tuple[DemoProgramme, ...] = (
    DemoProgramme(
        "{year}年姑苏区公益创投大赛",
        "苏州市姑苏区民政局",
        "姑苏区",
        3_000_000,
        "姑苏区在“政社互动”全覆盖的基础上连续举办区级公益创投，面向在区内开展服务的社会组织和备案社区社会组织，"
        "围绕为老服务、青少年成长、社区营造和古城文化保护征集公益项目，推动社区、社会组织、社工、"
        "志愿者和社会慈善资源“五社联动”。",
        (
            DemoCall(
                OPEN_CALL_SLUG,
                "{year}年姑苏区社区微公益创投项目征集",
                "面向社区“小事”的微项目：由社区居民提出需求、社会组织设计实施，单个项目资助不超过3万元。"
                "备案的社区社会组织可以申报；每家机构限报一个项目。请在截止时间前通过本系统提交申报书、预算表和社区推荐意见。",
                (Theme.COMMUNITY, Theme.ELDERLY, Theme.YOUTH, Theme.ENVIRONMENT),
                900_000,
                5_000,
                30_000,
                -7,
                28,
                {"allow_filed_community_orgs": True, "requires_matching": False},
            ),
            DemoCall(
                "gusu-elderly-disability-services",
                "{year}年姑苏区为老助残公益创投项目征集",
                "面向专业社会组织的重点项目：居家养老、失能照护、助残康复和社区健康服务，单个项目资助5万至20万元，"
                "须落实不低于项目总预算40%的配套资金；入围项目参加现场路演。",
                (Theme.ELDERLY, Theme.DISABILITY, Theme.HEALTH),
                1_200_000,
                50_000,
                200_000,
                30,
                25,
                {
                    "allow_filed_community_orgs": False,
                    "requires_matching": True,
                    "has_defense": True,
                },
            ),
            DemoCall(
                "gusu-youth-moral-education",
                "{year}年姑苏区青少年德育与古城文化公益创投项目征集",
                "“家、校、社”协同的青少年德育、四点半课堂和古城文化传承项目，单个项目资助不超过10万元。",
                (Theme.YOUTH, Theme.CULTURE),
                600_000,
                10_000,
                100_000,
                -120,
                30,
                {"allow_filed_community_orgs": False, "has_defense": True},
            ),
        ),
    ),
    DemoProgramme(
        "崇川区“邻里+”公益助力计划",
        "南通市崇川区民政局",
        "崇川区",
        2_000_000,
        "区财政每年安排不少于200万元实施公益助力计划，向社会组织购买邻里服务，丰富“3+X”邻里服务供给。",
        (
            DemoCall(
                "chongchuan-neighbourhood-plus",
                "崇川区“邻里+”邻里服务项目征集",
                "邻里守望、邻里议事和邻里文化项目，单个项目资助不超过5万元。",
                (Theme.COMMUNITY, Theme.ELDERLY, Theme.CULTURE),
                1_000_000,
                10_000,
                50_000,
                -200,
                30,
                {"allow_filed_community_orgs": True},
            ),
            DemoCall(
                FUNDED_CALL_SLUG,
                "崇川区“邻里+”邻里服务项目（第一批）",
                "第一批邻里服务项目已完成评审、公示和签约，正在实施：项目周期6至12个月，资金分三期拨付，"
                "实施过程接受中期评估、结项评估和群众评议。",
                (Theme.COMMUNITY, Theme.ELDERLY, Theme.CULTURE, Theme.DISABILITY),
                600_000,
                10_000,
                50_000,
                -300,
                30,
                {"allow_filed_community_orgs": True},
            ),
        ),
    ),
    DemoProgramme(
        "南岸区“V益案”社区微治理创投",
        "重庆市南岸区民政局",
        "南岸区",
        1_000_000,
        "南岸区社区治理创新中心联合13个社区公益站，征集居民为身边“小事”提出的公益方案，由社会组织与社区共同实施。",
        (
            DemoCall(
                "nanan-v-yi-an",
                "南岸区“V益案”居民公益方案征集",
                "立足周边环境、邻里关系、弱困救助等社区“小事”，单个方案资助不超过2万元。",
                (Theme.COMMUNITY, Theme.ENVIRONMENT, Theme.POVERTY),
                400_000,
                2_000,
                20_000,
                -300,
                30,
                {"allow_filed_community_orgs": True},
            ),
        ),
    ),
)


# The weighted rubric of published programme rules (need 20, design 25, capacity 20, budget 15,
# innovation 10, sustainability 10 = 100), with the guidance reviewers read.
RUBRIC = (
    ("需求分析", 20, "服务对象和需求是否清楚，是否有调研、居民议事或社区推荐作依据。"),
    ("项目设计", 25, "目标、活动、产出和成效指标是否具体可衡量，活动安排是否可行。"),
    ("执行能力", 20, "机构治理、团队（持证社工、志愿者）和以往项目经验能否保证实施。"),
    ("预算合理性", 15, "预算与活动是否匹配，人员经费和管理费是否在上限以内，配套资金是否落实。"),
    ("创新性", 10, "方法或机制有无新意，能否为其他社区借鉴。"),
    ("可持续性", 10, "资助结束后服务能否延续，是否培育了居民骨干和社区资源。"),
)

# Extra questions of the open call (grants.CallForm version 1), beyond the fixed sections.
OPEN_CALL_QUESTIONS = [
    {
        "key": "need_source",
        "label": "项目需求从哪里来？",
        "help": "例如居民议事会、楼道走访、“V益案”式的居民方案征集，请写明时间和参与人数。",
        "type": "textarea",
        "required": True,
    },
    {
        "key": "households_reached",
        "label": "预计直接受益的居民户数",
        "help": "",
        "type": "number",
        "required": True,
    },
    {
        "key": "matter_kind",
        "label": "按“三事分流”，本项目解决的是哪一类事？",
        "help": "社区微公益创投只资助社区公共事务（小事）。",
        "type": "choice",
        "required": True,
        "choices": [
            "小事：社区公共事务与公益服务",
            "大事：政府管理与基本公共服务",
            "私事：居民个人事务",
        ],
    },
    {
        "key": "community_endorsed",
        "label": "是否已取得合作社区（居委会）的推荐意见？",
        "help": "",
        "type": "yesno",
        "required": False,
    },
]


def _seed_call_details(call: Call) -> int:
    """The rubric of every demo call and the open call's extra questions; returns rows created."""
    created = 0
    for position, (label, weight, guidance) in enumerate(RUBRIC):
        _, new = RubricCriterion.objects.get_or_create(
            call=call,
            label=label,
            defaults={"position": position, "weight": weight, "guidance": guidance},
        )
        created += new
    if call.slug == OPEN_CALL_SLUG:
        _, new = CallForm.objects.get_or_create(
            call=call, version=1, defaults={"questions": OPEN_CALL_QUESTIONS}
        )
        created += new
    return created


def _at(day, hour: int) -> datetime:
    """A wall-clock time in the site's time zone (Asia/Shanghai): deadlines are announced that way."""
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _programme(spec: DemoProgramme, *, year: int, officer: User | None) -> tuple[Programme, bool]:
    # A programme has no natural key of its own; its first call's slug is one. Finding it that way
    # keeps a programme seeded last December from being duplicated in January.
    call = Call.objects.filter(slug=spec.calls[0].slug).select_related("programme").first()
    if call is not None:
        return call.programme, False
    name = spec.name.format(year=year)
    today = timezone.localdate()
    first_open = today + timedelta(days=min(c.opens_in_days for c in spec.calls))
    last_close = today + timedelta(days=max(c.opens_in_days + c.open_days for c in spec.calls))
    programme, created = Programme.objects.get_or_create(
        name=name,
        defaults={
            "funder": spec.funder,
            "district": demo_district(spec.district),
            "total_budget": Decimal(spec.total_budget),
            "description": spec.description,
            "start_year": min(first_open.year, year),
            "end_year": max(last_close.year, year),
        },
    )
    if created and officer is not None:
        programme.officers.add(officer)
    return programme, created


def seed(*, stdout) -> None:
    today = timezone.localdate()
    officer = User.objects.filter(username="officer").first()
    created_programmes = created_calls = created_details = 0
    for spec in PROGRAMMES:
        programme, new = _programme(spec, year=today.year, officer=officer)
        created_programmes += new
        for call_spec in spec.calls:
            opens = today + timedelta(days=call_spec.opens_in_days)
            closes = opens + timedelta(days=call_spec.open_days)
            call, new = Call.objects.get_or_create(
                slug=call_spec.slug,
                defaults={
                    "programme": programme,
                    "title": call_spec.title.format(year=today.year),
                    "summary": call_spec.summary,
                    "themes": [str(theme) for theme in call_spec.themes],
                    "budget": Decimal(call_spec.budget),
                    "min_grant": Decimal(call_spec.min_grant),
                    "max_grant": Decimal(call_spec.max_grant),
                    # Calls open at 9:00 and close at 17:00 Beijing time, as published calls do.
                    "opens_at": _at(opens, 9),
                    "closes_at": _at(closes, 17),
                    "created_by": officer,
                    **call_spec.options,
                },
            )
            created_calls += new
            created_details += _seed_call_details(call)
    stdout.write(
        f"  项目与公告 programmes: {created_programmes} created, calls: {created_calls} created, "
        f"rubric criteria and forms: {created_details} created"
    )
    open_call = Call.objects.filter(slug=OPEN_CALL_SLUG).first()
    if open_call is not None and open_call.phase() != CallPhase.OPEN:
        stdout.write(
            f"  注意 Note: the demo call {OPEN_CALL_SLUG!r} closed on {open_call.closes_at:%Y-%m-%d}; "
            "this demo database is older than its open call. For a fresh demo with an open call, "
            "delete var/yichuang.sqlite3 and run `make run` again."
        )


# --- benchmark data --------------------------------------------------------------------------------

SCALE_PROGRAMME = "基准公益创投计划{k:04d}"
SCALE_THEMES = list(Theme.values)


def seed_scale(*, n: int, stdout) -> None:
    """N programmes, each with a closed, an open and an upcoming call (bulk inserts)."""
    today = timezone.localdate()
    districts = [demo_district(d.name) for d in DISTRICTS]
    names = [SCALE_PROGRAMME.format(k=k) for k in range(1, n + 1)]
    existing = set(Programme.objects.filter(name__in=names).values_list("name", flat=True))
    Programme.objects.bulk_create(
        [
            Programme(
                name=name,
                funder=f"{districts[k % len(districts)].name}民政局",
                district=districts[k % len(districts)],
                total_budget=Decimal(1_000_000 + 100_000 * (k % 10)),
                description="基准测试数据：用于性能测试的公益创投项目。",
                start_year=today.year,
                end_year=today.year,
            )
            for k, name in enumerate(names, start=1)
            if name not in existing
        ],
        batch_size=500,
    )
    programmes = dict(Programme.objects.filter(name__in=names).values_list("name", "pk"))
    windows = {"closed": (-90, 30), "open": (-5, 21), "upcoming": (20, 30)}
    phase_names = {"closed": "已截止", "open": "征集中", "upcoming": "即将开始"}
    calls = []
    for k, name in enumerate(names, start=1):
        for phase, (offset, days) in windows.items():
            opens = today + timedelta(days=offset + k % 5)
            calls.append(
                Call(
                    programme_id=programmes[name],
                    slug=f"bench-{k:04d}-{phase}",
                    title=f"基准公益创投项目征集{k:04d}（{phase_names[phase]}）",
                    summary="基准测试数据。",
                    themes=[
                        SCALE_THEMES[k % len(SCALE_THEMES)],
                        SCALE_THEMES[(k + 3) % len(SCALE_THEMES)],
                    ],
                    budget=Decimal(300_000),
                    min_grant=Decimal(5_000),
                    max_grant=Decimal(30_000),
                    opens_at=_at(opens, 9),
                    closes_at=_at(opens + timedelta(days=days), 17),
                )
            )
    existing_slugs = set(
        Call.objects.filter(slug__in=[c.slug for c in calls]).values_list("slug", flat=True)
    )
    missing = [call for call in calls if call.slug not in existing_slugs]
    Call.objects.bulk_create(missing, batch_size=500)
    stdout.write(
        f"  基准项目 benchmark programmes: {len(names) - len(existing)} created, calls: {len(missing)} created"
    )
