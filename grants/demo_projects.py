"""Funded demo projects: one call's approved applications, from awaiting agreement to close-out.

The call 崇川区“邻里+”（第一批） was decided months ago, so its history is written directly with past
dates (as ``demo_lifecycle._past_application`` does): the application, its budget, the agreement
(accepted), the tranche schedule, the award and the tranches paid in the ledger, and the
django-fsm-log rows of every step. The funding, report, evaluation and feedback demos that run after
this one find these projects by title and add their own records.

Idempotent: a project is found again by call and title and left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts.demo import DEMO_PASSWORD
from accounts.models import User
from grants import eligibility
from grants.demo import FUNDED_CALL_SLUG
from grants.demo_lifecycle import _member
from grants.enums import (
    AgreementState,
    ApplicationState,
    LedgerKind,
    TrancheCondition,
    TrancheStatus,
)
from grants.models import Agreement, Application, BudgetLine, Call, Tranche
from grants.services.ledger import award_key, post_entry, tranche_paid_key
from incubator.demo import NGO1_ORGANISATION, demo_unit
from incubator.models import Organisation

S = ApplicationState


@dataclass(frozen=True)
class DemoProject:
    organisation: str
    title: str
    theme: str
    community: str
    amount: int
    state: str
    started_days_ago: int  # when the agreement was accepted (the project's first day)
    months: int  # the agreement's term
    tranches_paid: int
    summary: str
    indicators: tuple[tuple[str, str, int, str], ...]  # (name, kind, target, unit)
    activities: tuple[tuple[str, str], ...]  # (name, description)


# fmt: off
PROJECTS: tuple[DemoProject, ...] = (
    DemoProject("钟楼社区邻里互助队", "钟楼社区高龄独居老人结对守望", "elderly", "钟楼社区", 30_000,
                S.APPROVED, 0, 12, 0,
                "组织楼道志愿者与高龄独居老人结对，每周上门探访，建立紧急联络卡和邻里守望微信群。",
                (("结对老人", "output", 60, "人"), ("上门探访", "output", 1500, "次"), ("满意度", "outcome", 90, "%")),
                (("结对仪式", "志愿者与老人见面结对"), ("每周探访", "上门探访并记录"))),
    DemoProject("南通市崇川区邻里和谐促进会", "“邻里公约”议事协商能力提升", "community", "五一社区", 40_000,
                S.CONTRACTED, 6, 12, 0,
                "在五个社区培育邻里议事会，培训议事骨干，协商制定邻里公约，解决停车、噪音等邻里小事。",
                (("培训议事骨干", "output", 100, "人"), ("议事协商会", "output", 40, "场"), ("解决邻里事项", "outcome", 30, "件")),
                (("议事骨干培训", "六期培训"), ("邻里公约协商", "五个社区各自协商"))),
    DemoProject(NGO1_ORGANISATION, "“邻里+”楼道长守望探访计划", "community", "钟楼社区", 50_000,
                S.ACTIVE, 125, 12, 1,
                "在和平桥街道三个社区培育120名楼道长，建立“一楼一档”，对独居、失能老人和困境家庭定期守望探访。",
                (("培育楼道长", "output", 120, "人"), ("守望探访", "output", 3000, "次"), ("服务对象满意度", "outcome", 90, "%")),
                (("楼道长培训", "四期集中培训"), ("守望探访", "每月探访并建档"), ("邻里节", "年终邻里节展示"))),
    DemoProject("崇川区乐龄居家养老服务中心", "学田社区长者助餐与健康管理", "elderly", "学田社区", 50_000,
                S.MID_TERM, 190, 12, 1,
                "依托学田社区邻里中心长者食堂，为80岁以上老人提供助餐送餐，每月开展健康监测和慢病管理讲座。",
                (("助餐服务", "output", 12000, "人次"), ("健康监测", "output", 1200, "人次"), ("满意度", "outcome", 92, "%")),
                (("长者助餐", "工作日午餐"), ("健康监测", "每月一次"))),
    DemoProject("崇川区阳光助残服务中心", "残障人士社区融合与辅助就业", "disability", "朝晖社区", 45_000,
                S.ACTIVE, 215, 12, 2,
                "为社区残障人士提供职业康复训练和辅助就业岗位对接，举办社区融合集市，促进残健共融。",
                (("职业康复训练", "output", 40, "人"), ("辅助就业", "outcome", 12, "人"), ("融合集市", "output", 4, "场")),
                (("康复训练", "每周两次"), ("融合集市", "每季度一场"))),
    DemoProject("濠南社区悦读会", "书香濠南·亲子共读与长者读报", "culture", "濠南社区", 20_000,
                S.FINAL_EVALUATION, 200, 6, 2,
                "每周末在社区书屋开展亲子共读，工作日上午为长者读报，培育社区阅读志愿者。",
                (("亲子共读", "output", 48, "场"), ("长者读报", "output", 100, "场"), ("阅读志愿者", "output", 20, "人")),
                (("亲子共读", "每周六上午"), ("长者读报", "工作日上午"))),
    DemoProject("南通市崇川区四季风采群众文化协会", "邻里文化大串门巡演", "culture", "学田社区", 30_000,
                S.TERMINATED, 205, 12, 1,
                "组织全区文艺团队到各社区巡演，每月一场“邻里文化大串门”。",
                (("巡演场次", "output", 24, "场"), ("观众", "output", 6000, "人次")),
                (("社区巡演", "每月一场"),)),
    DemoProject("南通市邻里守望公益基金会", "困境家庭儿童“微心愿”圆梦行动", "poverty", "八仙城社区", 25_000,
                S.COMPLETED, 260, 6, 3,
                "联合社区和爱心企业，征集并实现困境家庭儿童的学习、生活“微心愿”，开展结对陪伴。",
                (("圆梦微心愿", "output", 150, "个"), ("结对陪伴家庭", "output", 30, "户"), ("满意度", "outcome", 95, "%")),
                (("心愿征集", "社区走访征集"), ("圆梦活动", "集中发放与陪伴"))),
)
# fmt: on

# Steps of the history, in order; each project stops at its own state.
REVIEW_STEPS = [
    (S.DRAFT, S.SUBMITTED, "submit"),
    (S.SUBMITTED, S.SCREENING, "start_screening"),
    (S.SCREENING, S.IN_REVIEW, "accept_for_review"),
    (S.IN_REVIEW, S.REVIEWED, "finish_review"),
    (S.REVIEWED, S.RECOMMENDED, "recommend"),
    (S.RECOMMENDED, S.PUBLIC_NOTICE, "publish_notice"),
    (S.PUBLIC_NOTICE, S.APPROVED, "approve"),
]


def _history(spec: DemoProject) -> list[tuple[str, str, str]]:
    steps = list(REVIEW_STEPS)
    if spec.state == S.APPROVED:
        return steps
    steps.append((S.APPROVED, S.CONTRACTED, "sign_agreement"))
    if spec.state == S.CONTRACTED:
        return steps
    steps.append((S.CONTRACTED, S.ACTIVE, "start_project"))
    if spec.state == S.ACTIVE and spec.tranches_paid < 2:
        return steps
    steps.append((S.ACTIVE, S.MID_TERM, "start_mid_term"))
    if spec.state == S.MID_TERM:
        return steps
    if spec.state == S.TERMINATED:
        return [*steps, (S.MID_TERM, S.TERMINATED, "fail_evaluation")]
    steps.append((S.MID_TERM, S.ACTIVE, "pass_mid_term"))
    if spec.state == S.ACTIVE:
        return steps
    steps.append((S.ACTIVE, S.FINAL_EVALUATION, "start_final_evaluation"))
    if spec.state == S.FINAL_EVALUATION:
        return steps
    return [*steps, (S.FINAL_EVALUATION, S.COMPLETED, "complete")]


def _project(call: Call, spec: DemoProject, *, officer: User, finance: User, password_hash) -> bool:
    organisation = Organisation.objects.filter(name=spec.organisation).first()
    if organisation is None:
        return False
    if Application.objects.filter(call=call, title=spec.title).exists():
        return False
    member = _member(organisation, password_hash)
    now = timezone.now()
    submitted_at = call.closes_at - timedelta(days=3)
    approved_at = call.closes_at + timedelta(days=28)
    started_at = now - timedelta(days=spec.started_days_ago) if spec.started_days_ago else None
    history = _history(spec)
    closed = spec.state in (S.COMPLETED, S.TERMINATED)
    amount = Decimal(spec.amount)
    application = Application.objects.create(
        call=call,
        organisation=organisation,
        created_by=member,
        state=spec.state,
        holds_call_slot=True,
        theme=spec.theme,
        title=spec.title,
        summary=spec.summary,
        need="社区老旧小区多、独居老人和困境家庭比例高，邻里互助的组织化程度不足。",
        objectives="；".join(
            f"{name}{target}{unit}" for name, _kind, target, unit in spec.indicators
        ),
        activities=[
            {"name": name, "start": "", "end": "", "description": text}
            for name, text in spec.activities
        ],
        indicators=[
            {"name": name, "kind": kind, "target": str(target), "unit": unit}
            for name, kind, target, unit in spec.indicators
        ],
        beneficiaries="社区居民",
        beneficiaries_count=spec.indicators[0][2],
        requested_amount=amount,
        submitted_at=submitted_at,
        created_at=submitted_at - timedelta(days=6),
        last_saved_at=submitted_at,
        mid_term_passed_at=(
            now - timedelta(days=20)
            if any(name == "pass_mid_term" for *_s, name in history)
            else None
        ),
        closed_at=now - timedelta(days=15) if closed else None,
    )
    application.partner_communities.add(demo_unit("崇川区", spec.community))
    BudgetLine.objects.bulk_create(
        [
            BudgetLine(application=application, position=0, category="activity",
                       description="活动组织与物资", amount=amount * Decimal("0.6")),
            BudgetLine(application=application, position=1, category="personnel",
                       description="社工与督导补贴", amount=amount * Decimal("0.3")),
            BudgetLine(application=application, position=2, category="publicity",
                       description="宣传与印刷", amount=amount * Decimal("0.1")),
        ]
    )  # fmt: skip
    application.eligibility = [
        r.as_dict() for r in eligibility.evaluate(application, now=submitted_at)
    ]
    application.save(update_fields=["eligibility"])
    if started_at is not None:
        _agreement(application, spec, started_at=started_at, officer=officer, member=member)
        _tranches_paid(application, spec, finance=finance)
    content_type = ContentType.objects.get_for_model(Application)
    when = [submitted_at, submitted_at + timedelta(days=2), submitted_at + timedelta(days=4),
            submitted_at + timedelta(days=15), approved_at - timedelta(days=10),
            approved_at - timedelta(days=8), approved_at]  # fmt: skip
    later = started_at or now
    StateLog.objects.bulk_create(
        StateLog(
            timestamp=when[index]
            if index < len(when)
            else later + timedelta(days=(index - 7) * 45),
            by=member if name in ("submit", "sign_agreement") else officer,
            source_state=source,
            state=target,
            transition=name,
            content_type=content_type,
            object_id=application.pk,
        )
        for index, (source, target, name) in enumerate(history)
    )
    return True


def _agreement(application, spec: DemoProject, *, started_at, officer, member) -> Agreement:
    from incubator.working_days import add_months

    starts_on = timezone.localdate(started_at)
    agreement = Agreement.objects.create(
        application=application,
        state=AgreementState.ACCEPTED,
        number=f"LLJ-2025-{application.pk:04d}",
        award_amount=application.requested_amount,
        starts_on=starts_on,
        ends_on=add_months(starts_on, spec.months),
        reporting_duties="每季度提交进度报告；中期评估前提交中期报告；项目结束后一个月内提交结项报告和财务决算。",
        account_name=application.organisation.name,
        account_bank="中国银行南通崇川支行",
        account_number=f"4786 0000 {application.pk:04d} 2025",
        issued_at=started_at - timedelta(days=3),
        issued_by=officer,
        accepted_at=started_at,
        accepted_by=member,
        accepted_ip="10.0.0.8",
        accepted_user_agent="Mozilla/5.0 (demo)",
    )
    post_entry(
        kind=LedgerKind.AWARD,
        amount=agreement.award_amount,
        programme=application.call.programme,
        application=application,
        idempotency_key=award_key(agreement),
        occurred_at=started_at,
        recorded_by=officer,
        external_reference=agreement.number,
        memo=f"{agreement.number} 资助协议",
    )
    remaining = agreement.award_amount
    schedule = application.call.tranche_schedule
    for number, row in enumerate(schedule, start=1):
        share = (agreement.award_amount * row["percent"] / 100).quantize(Decimal("0.01"))
        amount = remaining if number == len(schedule) else share
        remaining -= amount
        Tranche.objects.create(
            agreement=agreement,
            application=application,
            number=number,
            percent=row["percent"],
            amount=amount,
            condition=row["condition"],
        )
    return agreement


def _tranches_paid(application, spec: DemoProject, *, finance) -> None:
    """The tranches paid so far (in the ledger), the next one open or stopped as the state says."""
    from incubator.working_days import add_working_days

    agreement = application.agreement
    started_at = timezone.make_aware(datetime.combine(agreement.starts_on, datetime.min.time()))
    for tranche in agreement.tranches.order_by("number"):
        opened_at = started_at + timedelta(days=(tranche.number - 1) * 100)
        if tranche.number <= spec.tranches_paid:
            paid_at = opened_at + timedelta(days=9)
            tranche.status = TrancheStatus.PAID
            tranche.releasable_at = opened_at
            tranche.due_on = add_working_days(timezone.localdate(opened_at), 15)
            tranche.paid_at = paid_at
            tranche.save()
            post_entry(
                kind=LedgerKind.TRANCHE_PAID,
                amount=tranche.amount,
                programme=application.call.programme,
                application=application,
                tranche=tranche,
                idempotency_key=tranche_paid_key(tranche),
                occurred_at=paid_at,
                recorded_by=finance,
                external_reference=f"GKZF{paid_at:%Y%m%d}{tranche.pk:05d}",
                memo=f"第{tranche.number}期拨款",
            )
        elif spec.state == S.TERMINATED:
            tranche.status = TrancheStatus.BLOCKED
            tranche.blocked_at = timezone.now() - timedelta(days=15)
            tranche.blocked_reason = "中期评估不合格，项目终止，后续拨款停止。"
            tranche.save()
        elif tranche.condition == TrancheCondition.ON_SIGNING or (
            tranche.condition == TrancheCondition.MID_TERM_PASSED
            and application.mid_term_passed_at is not None
        ):
            tranche.status = TrancheStatus.RELEASABLE
            tranche.releasable_at = timezone.now() - timedelta(days=3)
            tranche.due_on = add_working_days(timezone.localdate(tranche.releasable_at), 15)
            tranche.save()


def seed(*, stdout) -> None:
    call = Call.objects.filter(slug=FUNDED_CALL_SLUG).select_related("programme").first()
    officer = User.objects.filter(username="officer").first()
    finance = User.objects.filter(username="finance").first()
    if call is None or officer is None or finance is None:
        stdout.write("  资助项目 funded projects: skipped (call or demo staff missing)")
        return
    password_hash = make_password(DEMO_PASSWORD)
    created = 0
    for spec in PROJECTS:
        with transaction.atomic():
            created += _project(
                call, spec, officer=officer, finance=finance, password_hash=password_hash
            )
    stdout.write(f"  资助项目 funded projects: {created} created")
