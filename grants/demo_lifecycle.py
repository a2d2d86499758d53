"""Demo applications spread over the lifecycle states built so far (called from ``seed_demo``).

Applications to the OPEN call go through the real services (start, autosave, submit, screen,
return, mark ineligible, withdraw), by the demo users, so the demo shows exactly what people can do.
Applications to the CLOSED call are history: the services rightly refuse late submissions, so they
are written directly with dates in the past (see ``_past_application``, a demo-only path that
writes the state, the eligibility results and the django-fsm-log rows itself).

Idempotent: an application is found again by call, organisation and title and left alone.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts.demo import DEMO_PASSWORD, EMAIL_DOMAIN
from accounts.enums import Role
from accounts.models import Membership, User
from grants import eligibility
from grants.enums import ApplicationState
from grants.models import Application, BudgetLine, Call
from grants.services import applications as svc
from incubator.demo import NGO1_ORGANISATION, NGO2_ORGANISATION, NGO3_ORGANISATION, demo_unit
from incubator.models import Organisation

S = ApplicationState
OPEN_CALL = "gusu-community-micro-projects"
CLOSED_CALL = "gusu-youth-moral-education"

ANSWERS = {
    "need_source": "2025年11月居民议事会（38户参加）和楼道走访（126户）提出。",
    "households_reached": "120",
    "matter_kind": "小事：社区公共事务与公益服务",
    "community_endorsed": "yes",
}

# (organisation, final state, theme, title, summary, need, objectives, budget lines, partner 社区)
OPEN = [
    (NGO1_ORGANISATION, S.RETURNED, "elderly", "邻里守望·独居老人结对探访",
     "组织楼道志愿者与独居老人结对，每周上门探访，配合社工开展安全隐患排查和应急联络。",
     "钮家巷社区60岁以上独居老人126人，其中高龄老人41人；去年发生两起老人跌倒后多小时无人发现的事件。",
     "一年内实现独居老人每周探访全覆盖，建立“一人一档”和三级应急联络网络，培育楼道志愿者30名。",
     [("activity", "探访物资与安全检查工具", "14000", "2000"), ("personnel", "社工督导补贴", "6000", "0"),
      ("publicity", "宣传折页与结对手册", "2000", "0")], "钮家巷社区"),
    (NGO2_ORGANISATION, S.SUBMITTED, "community", "楼道停车难·居民议事微治理",
     "以“一户一票”居民议事推动小区停车方案落地，划线、错时停车和非机动车棚改造同步实施。",
     "大儒社区老旧小区车位不足，楼道口乱停车阻塞消防通道，居民投诉一年超过60件。",
     "召开议事会6场，形成并公示停车方案，居民表决同意率不低于90%，消防通道全年畅通。",
     [("activity", "议事会与方案公示", "8000", "0"), ("materials", "划线与标识牌", "12000", "3000"),
      ("management", "项目管理费", "2000", "0")], "大儒社区"),
    (NGO3_ORGANISATION, S.DRAFT, "youth", "平江路四点半课堂",
     "为双职工家庭和随迁子女提供放学后的作业辅导、阅读和古城文化体验。", "", "", [], "平江路社区"),
    ("崇川区乐龄居家养老服务中心", S.SCREENING, "elderly", "乐龄助餐·社区长者食堂志愿服务",
     "在社区长者食堂培育助餐志愿者队伍，为失能半失能老人送餐上门并开展营养讲座。",
     "学田社区80岁以上老人中有37人行动不便，无法到食堂就餐。",
     "全年送餐不少于8000份，培育助餐志愿者25名，开展营养讲座10场。",
     [("activity", "送餐保温箱与交通", "15000", "5000"), ("personnel", "厨师与社工补贴", "6000", "0")],
     "锦帆路社区"),
    ("南通市崇川区邻里和谐促进会", S.IN_REVIEW, "community", "邻里公约共建·楼道议事会",
     "在12个楼道推动邻里公约制定，建立楼道议事会和“三单一册”服务清单。",
     "楼道矛盾多靠社区居委会调解，居民自治参与度低。",
     "12个楼道完成公约制定，议事会每月例会，邻里纠纷调解成功率达到85%。",
     [("activity", "议事会与公约印制", "16000", "0"), ("personnel", "社工指导", "5000", "0")], "滚绣坊社区"),
    ("南岸区V益志愿服务协会", S.INELIGIBLE, "environment", "社区垃圾分类积分兑换",
     "以志愿服务积分激励居民参与垃圾分类，积分可兑换生活用品。",
     "定慧寺社区垃圾分类准确率不足40%。", "垃圾分类准确率提升到80%。",
     [("materials", "兑换物资", "18000", "0"), ("activity", "宣传活动", "6000", "0")], "定慧寺社区"),
    ("钟楼社区邻里互助队", S.WITHDRAWN, "elderly", "高龄老人代购代办互助",
     "互助队队员为高龄独居老人代购生活用品、代办缴费和就医预约。", "", "", [], ""),
    ("崇川区阳光助残服务中心", S.SUBMITTED, "community", "残障人士社区融合工作坊",
     "为社区残障人士开设手工、烘焙技能工作坊，组织与居民共同参与的社区集市。",
     "观音山街道登记残障人士312人，社区活动参与率低。",
     "开设工作坊24期，举办社区融合集市4场，60名残障人士稳定参与。",
     [("activity", "工作坊材料", "12000", "0"), ("venue", "集市场地", "4000", "0"),
      ("personnel", "康复师补贴", "4000", "0")], "虎丘社区"),
]  # fmt: skip

# Closed call: (organisation, state, title, submitted days ago, reason)
CLOSED = [
    (NGO1_ORGANISATION, S.IN_REVIEW, "“小小守望者”青少年邻里志愿服务", 95, ""),
    (NGO2_ORGANISATION, S.SUBMITTED, "古城里的德育课·社区研学路线", 92, ""),
    ("南通市崇川区四季风采群众文化协会", S.INELIGIBLE, "非遗评弹进社区少儿班", 91,
     "等级评估已过期且合作社区推荐意见缺失，经复核不符合本期申报条件。"),
    ("南通市邻里守望公益基金会", S.WITHDRAWN, "困境青少年成长陪伴计划", 93, "机构本年度资金安排调整，主动撤回。"),
]  # fmt: skip


def _member(organisation: Organisation, password_hash: str) -> User:
    """A member of the organisation (the demo's ngo1–ngo3, or one created here)."""
    membership = (
        Membership.objects.filter(organisation=organisation, role=Role.APPLICANT, is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if membership:
        return membership.user
    username = f"org{organisation.pk}"
    user, _ = User.objects.get_or_create(
        username=username,
        defaults={
            "email": f"{username}@{EMAIL_DOMAIN}",
            "display_name": organisation.contact_name or organisation.name[:20],
            "password": password_hash,
        },
    )
    Membership.objects.get_or_create(user=user, role=Role.APPLICANT, organisation=organisation)
    return user


def _lines(rows):
    return [
        {"category": c, "description": d, "amount": a, "matching_amount": m} for c, d, a, m in rows
    ]


def _open_application(call, spec, *, officer, password_hash) -> bool:
    name, state, theme, title, summary, need, objectives, budget, community = spec
    organisation = Organisation.objects.filter(name=name).first()
    if organisation is None:
        return False
    if Application.objects.filter(call=call, organisation=organisation, title=title).exists():
        return False
    member = _member(organisation, password_hash)
    application = svc.start_application(call=call, organisation=organisation, actor=member)
    partner = [demo_unit("姑苏区", community).pk] if community else []
    complete = bool(budget)
    application = svc.save_draft(
        application=application,
        actor=member,
        fields={
            "title": title,
            "summary": summary,
            "need": need,
            "objectives": objectives,
            "theme": theme,
            "beneficiaries": "社区居民" if complete else "",
            "beneficiaries_count": 120 if complete else None,
            "activities": [
                {
                    "name": "前期调研与居民议事",
                    "start": "2026-03-01",
                    "end": "2026-03-31",
                    "description": "走访与议事会",
                },
                {
                    "name": "服务实施",
                    "start": "2026-04-01",
                    "end": "2026-12-31",
                    "description": "按月开展",
                },
            ]
            if complete
            else [],
            "indicators": [
                {"name": "服务人次", "kind": "output", "target": "2400", "unit": "人次"},
                {"name": "居民满意度", "kind": "outcome", "target": "90", "unit": "%"},
            ]
            if complete
            else [],
        },
        budget_lines=_lines(budget),
        extra_answers=ANSWERS if complete else {},
        partner_community_ids=partner,
    )
    if state in (S.DRAFT,):
        return True
    if state == S.WITHDRAWN:
        svc.withdraw_application(
            application=application, actor=member, reason="队伍人手调整，下一期再申报。"
        )
        return True
    application = svc.submit_application(application=application, actor=member)
    if state == S.SUBMITTED:
        return True
    application = svc.start_screening(application=application, actor=officer)
    if state == S.RETURNED:
        svc.return_for_revision(
            application=application,
            actor=officer,
            reason="请补充合作社区（居委会）盖章的推荐意见，并说明探访志愿者的培训安排。",
            revision_due_at=min(call.closes_at, timezone.now() + timedelta(days=7)),
        )
    elif state == S.INELIGIBLE:
        svc.mark_ineligible(
            application=application,
            actor=officer,
            reason="该项目已获街道同类资助，属于重复资助，不符合本期申报条件。",
        )
    elif state == S.IN_REVIEW:
        svc.accept_for_review(application=application, actor=officer)
    return True


def _past_application(call, spec, *, officer, password_hash) -> bool:
    """DEMO-ONLY: an application to a closed call, written with past dates (services refuse late
    submissions, as they must). State, eligibility and the audit rows are written here directly."""
    name, state, title, days_ago, reason = spec
    organisation = Organisation.objects.filter(name=name).first()
    if organisation is None:
        return False
    if Application.objects.filter(call=call, organisation=organisation, title=title).exists():
        return False
    member = _member(organisation, password_hash)
    submitted_at = timezone.now() - timedelta(days=days_ago)
    with transaction.atomic():
        # The state is given at construction: the protected FSM field only forbids changing it later.
        application = Application.objects.create(
            call=call,
            organisation=organisation,
            created_by=member,
            state=state,
            holds_call_slot=state not in (S.WITHDRAWN, S.INELIGIBLE),
            theme="youth",
            title=title,
            summary="依托社区与学校“家、校、社”协同，面向辖区中小学生开展德育实践与古城文化体验。",
            need="辖区双职工家庭多，课后看护和德育实践资源不足。",
            objectives="全年开展活动40场，服务青少年300人次，家长满意度90%以上。",
            activities=[
                {
                    "name": "古城研学",
                    "start": "2025-07-01",
                    "end": "2025-12-31",
                    "description": "每月两场",
                }
            ],
            indicators=[{"name": "服务人次", "kind": "output", "target": "300", "unit": "人次"}],
            beneficiaries="辖区中小学生",
            beneficiaries_count=300,
            requested_amount=Decimal("60000"),
            submitted_at=submitted_at,
            created_at=submitted_at - timedelta(days=5),
            last_saved_at=submitted_at,
        )
        BudgetLine.objects.bulk_create(
            [
                BudgetLine(application=application, position=0, category="activity", description="研学活动", amount=Decimal("45000")),
                BudgetLine(application=application, position=1, category="personnel", description="讲师与社工", amount=Decimal("15000")),
            ]
        )  # fmt: skip
        application.eligibility = [
            r.as_dict() for r in eligibility.evaluate(application, now=submitted_at)
        ]
        application.save()
        content_type = ContentType.objects.get_for_model(Application)
        steps = [(S.DRAFT, S.SUBMITTED, "submit", member, "")]
        if state == S.IN_REVIEW:
            steps += [
                (S.SUBMITTED, S.SCREENING, "start_screening", officer, ""),
                (S.SCREENING, S.IN_REVIEW, "accept_for_review", officer, ""),
            ]
        elif state == S.INELIGIBLE:
            steps += [
                (S.SUBMITTED, S.SCREENING, "start_screening", officer, ""),
                (S.SCREENING, S.INELIGIBLE, "mark_ineligible", officer, reason),
            ]
        elif state == S.WITHDRAWN:
            steps += [(S.SUBMITTED, S.WITHDRAWN, "withdraw", member, reason)]
        StateLog.objects.bulk_create(
            StateLog(
                timestamp=submitted_at + timedelta(days=index * 3),
                by=by,
                source_state=source,
                state=target,
                transition=name,
                content_type=content_type,
                object_id=application.pk,
                description=text or None,
            )
            for index, (source, target, name, by, text) in enumerate(steps)
        )
    return True


def seed(*, stdout) -> None:
    officer = User.objects.filter(username="officer").first()
    open_call = Call.objects.filter(slug=OPEN_CALL).first()
    closed_call = Call.objects.filter(slug=CLOSED_CALL).first()
    if officer is None or open_call is None:
        stdout.write("  申报 applications: skipped (demo officer or open call missing)")
        return
    password_hash = make_password(DEMO_PASSWORD)
    created = 0
    if open_call.phase() == "open":
        for spec in OPEN:
            with transaction.atomic():  # all or nothing per application, so a re-run can finish it
                created += _open_application(
                    open_call, spec, officer=officer, password_hash=password_hash
                )
    else:
        stdout.write(
            f"  申报 applications: {OPEN_CALL} is no longer open; its applications were not added"
        )
    if closed_call is not None:
        for spec in CLOSED:
            created += _past_application(
                closed_call, spec, officer=officer, password_hash=password_hash
            )
    stdout.write(f"  申报 applications: {created} created")
