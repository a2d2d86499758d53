"""``seed_demo --scale city``: a city's worth of data for the benchmarks (PostgreSQL only).

At ``factor=1``: 5,000 organisations, 200 calls (one, ``city-big-call``, with 5,000 applications),
50,000 applications over every stage of the cycle, about 250,000 review scores, 100,000 ledger
rows, 20,000 volunteers and 500,000 volunteer-hour records, plus what the pages need around them
(communities, applicant and reviewer accounts, rubrics, assignments, score sheets, review
summaries, budget lines, agreements, tranches, expenses, volunteer activities, public call pages).

A "review score" here is a ``CriterionScore`` row: one reviewer's score on one rubric criterion,
the row score sheets total and the ranking aggregates. Every reviewed application has three
reviewers scoring five criteria.

Rows are consistent with what the services would have written: a funded project has an accepted
agreement, a 50/30/20 tranche schedule, an ``award`` ledger row posted before its ``tranche_paid``
rows (paid never exceeds the award: the PostgreSQL trigger checks every row), and approved
expenses each with its ledger row. Random choices come from a seeded generator, so two builds on
the same day are identical. Tests build the same data at a small ``factor``.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from accounts.models import User
from grants.demo_city_projects import (
    AGREEMENT_STATES,
    NOT_SUBMITTED,
    REVIEWERS_PER_APPLICATION,
    local_time,
    seed_funding,
    seed_review,
    yuan,
)
from grants.enums import ApplicationState, BudgetCategory, Expertise, Theme
from grants.models import (
    Application,
    BudgetLine,
    Call,
    Programme,
    ReviewerProfile,
    RubricCriterion,
)
from incubator import demo_city as people
from incubator.demo_city import analyze, copy_objects, scaled

S = ApplicationState
BIG_CALL_SLUG = "city-big-call"
CALL_SLUG = "city-{k:03d}"
SEED = 20_261_207

# The city's targets at factor 1 (the figures).
ORGANISATIONS = 5_000
CALLS = 200
APPLICATIONS = 50_000
BIG_CALL_APPLICATIONS = 5_000
LEDGER_ROWS = 100_000
VOLUNTEERS = 20_000
HOURS_PER_VOLUNTEER = 25
REVIEWERS = 300

# A five-criterion rubric (weights add up to 100; each criterion is scored out of its weight).
CITY_RUBRIC = (
    ("需求分析", 20, "服务对象和需求是否清楚，是否有调研或社区推荐作依据。"),
    ("项目设计", 30, "目标、活动、产出和成效指标是否具体可衡量。"),
    ("执行能力", 20, "机构治理、团队和以往项目经验能否保证实施。"),
    ("预算合理性", 15, "预算与活动是否匹配，人员经费和管理费是否在上限以内。"),
    ("创新与可持续", 15, "方法有无新意，资助结束后服务能否延续。"),
)

# Where each kind of call is in the cycle decides how its applications are spread over the states.
# fmt: off
STATE_WEIGHTS = {
    "open": {S.DRAFT: 45, S.SUBMITTED: 38, S.SCREENING: 7, S.RETURNED: 5, S.WITHDRAWN: 5},
    "reviewing": {S.DRAFT: 20, S.SUBMITTED: 4, S.SCREENING: 6, S.INELIGIBLE: 12, S.WITHDRAWN: 4,
                  S.IN_REVIEW: 30, S.REVIEWED: 12, S.RECOMMENDED: 7, S.NOT_RECOMMENDED: 5},
    "funded": {S.DRAFT: 35, S.INELIGIBLE: 20, S.WITHDRAWN: 5, S.NOT_RECOMMENDED: 16, S.REJECTED: 2,
               S.APPROVED: 2, S.CONTRACTED: 3, S.ACTIVE: 10, S.MID_TERM: 4, S.FINAL_EVALUATION: 3},
    "done": {S.DRAFT: 36, S.INELIGIBLE: 20, S.WITHDRAWN: 5, S.NOT_RECOMMENDED: 18, S.REJECTED: 2,
             S.COMPLETED: 17, S.TERMINATED: 2},
    # The big call shows every state at once, for the officer list filters and the export.
    "big": {S.DRAFT: 8, S.SUBMITTED: 8, S.SCREENING: 6, S.RETURNED: 2, S.WITHDRAWN: 3,
            S.INELIGIBLE: 8, S.IN_REVIEW: 20, S.REVIEWED: 8, S.RECOMMENDED: 6,
            S.NOT_RECOMMENDED: 10, S.REJECTED: 3, S.APPROVED: 3, S.CONTRACTED: 3, S.ACTIVE: 6,
            S.MID_TERM: 2, S.FINAL_EVALUATION: 1, S.COMPLETED: 2, S.TERMINATED: 1},
}
# fmt: on

THEME_TITLES = {
    Theme.ELDERLY: (
        "“银龄守望”独居老人关爱计划",
        "长者助餐与居家照护服务项目",
        "“时间银行”互助养老项目",
    ),
    Theme.YOUTH: ("“四点半课堂”青少年成长陪伴项目", "流动儿童暑期托管项目", "青少年心理支持小组"),
    Theme.DISABILITY: (
        "残障人士社区康复支持项目",
        "“融爱同行”助残就业项目",
        "心智障碍家庭喘息服务",
    ),
    Theme.COMMUNITY: ("邻里议事会培育项目", "楼道微治理行动", "社区公共空间共建计划"),
    Theme.ENVIRONMENT: ("垃圾分类“绿色账户”推广项目", "社区微花园营造计划", "旧物循环邻里集市"),
    Theme.CULTURE: ("非遗进社区传承项目", "邻里文化节", "“书香社区”全民阅读推广"),
    Theme.POVERTY: ("困境家庭精准帮扶项目", "低保边缘户支持计划", "“微心愿”结对帮扶行动"),
    Theme.HEALTH: ("慢病居民健康自我管理项目", "家庭医生签约服务宣传", "社区心理健康驿站"),
}
THEMES = list(THEME_TITLES)


def city_data_exists() -> bool:
    return Call.objects.filter(slug=BIG_CALL_SLUG).exists()


# --- programmes and calls --------------------------------------------------------------------------


def _seed_calls(*, factor: float, districts, officer: User | None, rng: random.Random, stdout):
    """Programmes of 10 calls each; calls from five years ago to next month. Returns
    [(call, stage, applications wanted)]."""
    today = timezone.localdate()
    n_calls = scaled(CALLS, factor, minimum=6)
    n_programmes = max(1, n_calls // 10)
    programmes = []
    for k in range(n_programmes):
        district = districts[k % len(districts)]
        year = today.year - 4 + k * 5 // n_programmes
        programmes.append(
            Programme(
                name=f"{year}年{district.name}公益创投计划（第{k + 1}期）",
                funder=f"{district.city}{district.name}民政局",
                district=district,
                total_budget=Decimal(5_000_000 + 500_000 * (k % 7)),
                description="城市规模基准数据：区级公益创投计划，每期面向社会组织征集多批项目。",
                start_year=year,
                end_year=today.year + 1,
            )
        )
    copy_objects(Programme, programmes)
    if officer is not None:
        through = Programme.officers.through
        through.objects.bulk_create(
            [through(programme_id=p.pk, user_id=officer.pk) for p in programmes]
        )
    n_open, n_upcoming = scaled(8, factor, minimum=2), scaled(4, factor, minimum=1)
    n_apps = scaled(APPLICATIONS, factor, minimum=60)
    n_big = scaled(BIG_CALL_APPLICATIONS, factor, minimum=10)
    plan = []
    # Call 0 is the big call; the next ones are open, then upcoming, then closed, newest first.
    for k in range(n_calls):
        if k == 0:
            stage, closes = "big", today - timedelta(days=45)
        elif k <= n_open:
            stage, closes = "open", today + timedelta(days=5 + 3 * k)
        elif k <= n_open + n_upcoming:
            stage, closes = "upcoming", today + timedelta(days=60 + 5 * k)
        else:
            age = 20 + (k - n_open - n_upcoming) * 1_800 // max(1, n_calls - n_open - n_upcoming)
            closes = today - timedelta(days=age)
            stage = "reviewing" if age < 90 else "funded" if age < 600 else "done"
        opens = closes - timedelta(days=30)
        plan.append((k, stage, opens, closes))
    regular = [k for k, stage, *_ in plan if stage not in ("big", "upcoming")]
    weights = [rng.uniform(0.5, 1.5) for _ in regular]
    share = (n_apps - n_big) / sum(weights)
    wanted = {k: round(w * share) for k, w in zip(regular, weights, strict=True)}
    wanted[regular[-1]] += n_apps - n_big - sum(wanted.values())
    wanted[0] = n_big
    calls, stages = [], []
    for k, stage, opens, closes in plan:
        programme = programmes[min(k * n_programmes // n_calls, n_programmes - 1)]
        themes = rng.sample(THEMES, 3)
        max_grant = rng.choice((30_000, 50_000, 100_000, 200_000))
        count = wanted.get(k, 0)
        calls.append(
            Call(
                programme=programme,
                slug=BIG_CALL_SLUG if k == 0 else CALL_SLUG.format(k=k),
                title=(
                    f"{programme.district.name}社区公益创投项目集中征集（大批次）"
                    if k == 0
                    else f"{closes.year}年{programme.district.name}"
                    f"{Theme(themes[0]).label}公益创投项目征集（第{k}批）"
                ),
                summary="面向在区内开展服务的社会组织征集公益项目。"
                f"单个项目资助不超过{max_grant // 10_000}万元；请在截止时间前通过本系统提交申报书和预算表。",
                themes=[str(t) for t in themes],
                budget=Decimal(max(max_grant * 4, max_grant * count // 3)),
                min_grant=Decimal(max_grant // 10),
                max_grant=Decimal(max_grant),
                opens_at=local_time(opens, 9),
                closes_at=local_time(closes, 17),
                has_defense=False,
                has_public_notice=False,
                reviewers_per_application=REVIEWERS_PER_APPLICATION,
                review_deadline=local_time(closes + timedelta(days=30), 17),
                allow_filed_community_orgs=True,
                created_by=officer,
                created_at=local_time(opens - timedelta(days=10), 10),
            )
        )
        stages.append(stage)
    copy_objects(Call, calls)
    copy_objects(
        RubricCriterion,
        [
            RubricCriterion(call=call, position=p, label=label, weight=weight, guidance=guidance)
            for call in calls
            for p, (label, weight, guidance) in enumerate(CITY_RUBRIC)
        ],
    )
    stdout.write(
        f"  城市公告 city programmes {len(programmes)}, calls {len(calls)} "
        f"({Counter(stages)}); big call {BIG_CALL_SLUG!r}"
    )
    return [
        (call, stage, wanted.get(k, 0))
        for k, (call, stage) in enumerate(zip(calls, stages, strict=True))
    ]


def _seed_call_pages(calls: list[Call], stdout) -> int:
    """A public zh-hans page per city call (the public call page reads the call through it)."""
    try:
        from cms.demo import _ensure_call_page
        from cms.models import CallIndexPage
    except ImportError:
        return 0
    from wagtail.models import Locale

    index = CallIndexPage.objects.filter(locale__language_code="zh-hans").first()
    locale = Locale.objects.filter(language_code="zh-hans").first()
    if index is None or locale is None:
        stdout.write("  城市公告页面 city call pages: skipped (no call index page)")
        return 0
    for call in calls:
        _ensure_call_page(index, call, locale=locale)
    return len(calls)


# --- applications ----------------------------------------------------------------------------------


def _application(call: Call, org, member, state: str, *, first: bool, rng, now) -> Application:
    theme = rng.choice(call.themes)
    title = f"{org.community.name}{rng.choice(THEME_TITLES[Theme(theme)])}"
    submitted = state not in NOT_SUBMITTED
    window = max(1, int((min(call.closes_at, now) - call.opens_at).total_seconds() // 60))
    submitted_at = call.opens_at + timedelta(minutes=rng.randrange(window)) if submitted else None
    created_at = (submitted_at or call.opens_at + timedelta(minutes=rng.randrange(window))) - (
        timedelta(days=rng.randint(1, 10))
    )
    step = 1_000 if call.max_grant <= 50_000 else 5_000
    requested = Decimal(rng.randrange(int(call.min_grant), int(call.max_grant) + 1, step))
    count = rng.randint(3, 60) * 10
    flagged = submitted and rng.random() < 0.12
    passed_mid_term = state in (S.FINAL_EVALUATION, S.COMPLETED) or (
        state == S.ACTIVE and rng.random() < 0.5
    )
    return Application(
        call=call,
        organisation=org,
        created_by=member,
        state=state,
        holds_call_slot=first and state not in (S.WITHDRAWN, S.INELIGIBLE),
        title=title,
        summary=f"项目立足{org.community.name}，围绕{Theme(theme).label}开展服务，"
        f"预计直接服务居民{count}人，培育社区骨干{count // 20}名。",
        need=f"{org.community.name}共有居民{org.community.population or 3000}人，"
        "前期走访和居民议事会反映出服务需求集中、现有资源不足。",
        objectives="建立常态化服务机制；培育居民骨干；形成可复制的服务模式。",
        activities=[
            {
                "name": "需求调研与居民议事",
                "start": "",
                "end": "",
                "description": "入户走访、议事会",
            },
            {"name": "主题服务活动", "start": "", "end": "", "description": "每月两次小组活动"},
            {"name": "总结评估与成果展示", "start": "", "end": "", "description": "居民评议"},
        ],
        indicators=[
            {"name": "服务居民", "kind": "output", "target": str(count), "unit": "人次"},
            {"name": "居民满意度", "kind": "outcome", "target": "90", "unit": "%"},
        ],
        beneficiaries="社区居民",
        beneficiaries_count=count,
        theme=theme,
        requested_amount=requested,
        matching_amount=yuan(requested * Decimal("0.2")) if rng.random() < 0.4 else Decimal(0),
        eligibility=[
            {
                "code": "partner_community",
                "passed": False,
                "severity": "soft",
                "reason": "No partner community is named.",
            }
        ]
        if flagged
        else [],
        eligibility_soft_flags=1 if flagged else 0,
        submitted_at=submitted_at,
        mid_term_passed_at=now - timedelta(days=rng.randint(20, 200)) if passed_mid_term else None,
        closed_at=now - timedelta(days=rng.randint(5, 300))
        if state in (S.COMPLETED, S.TERMINATED)
        else None,
        last_saved_at=submitted_at or created_at,
        created_at=created_at,
    )


def _seed_applications(*, plan, organisations, members, rng, stdout) -> list[Application]:
    now = timezone.now()
    applications: list[Application] = []
    for call, stage, count in plan:
        if not count:
            continue
        weights = STATE_WEIGHTS[stage]
        states = rng.choices(list(weights), weights=list(weights.values()), k=count)
        # Each organisation applies once per call; a call with more applications than there are
        # organisations (only at tiny test factors) gets second applications that hold no slot.
        seen: set[int] = set()
        orgs = []
        while len(orgs) < count:
            orgs.extend(rng.sample(organisations, min(count - len(orgs), len(organisations))))
        for org, state in zip(orgs, states, strict=True):
            applications.append(
                _application(
                    call, org, members[org.pk], state, first=org.pk not in seen, rng=rng, now=now
                )
            )
            seen.add(org.pk)
    copy_objects(Application, applications)
    lines = []
    for app in applications:
        parts = ((BudgetCategory.ACTIVITY, "活动组织与物资", Decimal("0.65")),
                 (BudgetCategory.PERSONNEL, "社工与督导补贴", Decimal("0.25")),
                 (BudgetCategory.PUBLICITY, "宣传与印刷", None))  # fmt: skip
        left, matching_left = app.requested_amount, app.matching_amount
        for position, (category, text, share) in enumerate(parts):
            amount = yuan(app.requested_amount * share) if share else left
            matching = yuan(app.matching_amount * share) if share else matching_left
            left, matching_left = left - amount, matching_left - matching
            lines.append(
                BudgetLine(
                    application=app,
                    position=position,
                    category=category,
                    description=text,
                    amount=amount,
                    matching_amount=matching,
                )
            )
    copy_objects(BudgetLine, lines)
    stdout.write(
        f"  城市申报 city applications: {len(applications)} "
        f"({', '.join(f'{k} {v}' for k, v in sorted(Counter(a.state for a in applications).items()))}),"
        f" budget lines {len(lines)}"
    )
    return applications


# --- the whole build -------------------------------------------------------------------------------

FILLED_TABLES = (
    "incubator_community", "incubator_organisation", "accounts_user", "account_emailaddress",
    "accounts_membership", "grants_programme", "grants_programme_officers", "grants_call",
    "grants_rubriccriterion", "grants_application", "grants_budgetline", "grants_reviewerprofile",
    "grants_reviewassignment", "grants_scoresheet", "grants_criterionscore", "grants_reviewsummary", "grants_agreement", "grants_tranche", "grants_ledgerentry",
    "grants_expense", "incubator_volunteer", "incubator_volunteeractivity",
    "incubator_hoursrecord", "wagtailcore_page",
)  # fmt: skip


def seed_city(*, factor: float = 1.0, stdout) -> dict[str, int]:
    """Build the city data set once; {what: rows created} (empty when it was already there).

    Needs PostgreSQL (COPY, sequences, the ledger triggers) and the base demo (districts, the
    officer, the public site), which ``seed_demo`` builds first.
    """
    if connection.vendor != "postgresql":
        raise RuntimeError("City-scale data needs PostgreSQL.")
    if city_data_exists():
        stdout.write(
            f"  城市数据 city data: already present (call {BIG_CALL_SLUG!r}); nothing added"
        )
        return {}
    from incubator.demo import DISTRICTS, demo_district

    started = time.monotonic()
    rng = random.Random(SEED)

    def step(label: str) -> None:
        stdout.write(f"  … {label} ({time.monotonic() - started:.1f} s)")

    officer = User.objects.filter(username="officer").first()
    communities = people.seed_places(factor=factor, stdout=stdout)
    organisations = people.seed_organisations(
        count=scaled(ORGANISATIONS, factor, minimum=20),
        communities=communities,
        rng=rng,
        stdout=stdout,
    )
    members, reviewers = people.seed_people(
        organisations=organisations,
        reviewers=scaled(REVIEWERS, factor, minimum=REVIEWERS_PER_APPLICATION * 2),
        rng=rng,
        stdout=stdout,
    )
    expertise = list(Expertise.values)
    copy_objects(
        ReviewerProfile,
        [
            ReviewerProfile(
                user=user,
                expertise=rng.sample(expertise, 3),
                employer=rng.choice(
                    ("高校社会工作系", "会计师事务所", "律师事务所", "区社会组织服务中心")
                ),
                title=rng.choice(("副教授", "高级社工师", "注册会计师", "主任")),
            )
            for user in reviewers
        ],
    )
    step("organisations and accounts")
    districts = [demo_district(d.name) for d in DISTRICTS]
    plan = _seed_calls(factor=factor, districts=districts, officer=officer, rng=rng, stdout=stdout)
    pages = _seed_call_pages([call for call, _stage, _count in plan], stdout)
    step(f"calls and {pages} public call pages")
    applications = _seed_applications(
        plan=plan, organisations=organisations, members=members, rng=rng, stdout=stdout
    )
    step("applications")
    criteria: dict[int, list[RubricCriterion]] = {}
    for criterion in RubricCriterion.objects.filter(
        call__in=[call.pk for call, *_ in plan]
    ).order_by("position"):
        criteria.setdefault(criterion.call_id, []).append(criterion)
    review = seed_review(
        applications=applications,
        criteria=criteria,
        reviewers=reviewers,
        officer=officer,
        rng=rng,
        stdout=stdout,
    )
    step("review")
    funding = seed_funding(
        applications=applications,
        members=members,
        officer=officer,
        ledger_rows=scaled(LEDGER_ROWS, factor, minimum=10),
        rng=rng,
        stdout=stdout,
    )
    step("funding")
    project_ids = [app.pk for app in applications if app.state in AGREEMENT_STATES]
    volunteers = people.seed_volunteers(
        volunteers=scaled(VOLUNTEERS, factor, minimum=10),
        activities=scaled(VOLUNTEERS // 4, factor, minimum=HOURS_PER_VOLUNTEER * 2),
        hours_per_volunteer=HOURS_PER_VOLUNTEER,
        organisations=organisations,
        project_ids=project_ids,
        rng=rng,
        stdout=stdout,
    )
    step("volunteers")
    analyze(FILLED_TABLES)
    step("ANALYZE")
    big = next(call for call, stage, _ in plan if stage == "big")
    stdout.write(
        f"  城市数据 city data: big call {BIG_CALL_SLUG!r} (id {big.pk}, "
        f"{sum(1 for a in applications if a.call_id == big.pk)} applications); open calls: "
        + ", ".join(f"{call.slug} (id {call.pk})" for call, stage, _ in plan if stage == "open")
    )
    return {
        "organisations": len(organisations),
        "calls": len(plan),
        "applications": len(applications),
        **review,
        **funding,
        **volunteers,
    }
