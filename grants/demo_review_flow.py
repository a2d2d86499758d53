"""Demo of the review stages (issue #4), called from ``seed_demo`` after the lifecycle demo.

Two past calls carry it:
- 崇川区"邻里+" (``REVIEW_CALL``): applications in expert review with a panel of 5 drawn per
  application, conflicts (one declared, one detected), submitted and draft scores, and a 路演 session;
- 南岸区"V益案" (``NOTICE_CALL``): reviewed, ranked and recommended within budget, its 公示 published,
  with one open objection and one answered.

The applications are written directly in ``in_review`` with past dates (a demo-only path, like the
lifecycle demo's closed call: the services rightly refuse submissions to a closed call); everything
after that goes through the real services of each area. Idempotent: a second run creates nothing.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts.demo import DEMO_PASSWORD
from accounts.models import User
from grants import eligibility
from grants.demo_decisions import seed_decisions
from grants.demo_lifecycle import _member
from grants.demo_pitch import seed_pitch
from grants.demo_review import _entries, ensure_reviewer_users, seed_review
from grants.enums import ApplicationState, AssignmentState, ReviewRound
from grants.models import Application, BudgetLine, Call, PublicNotice, ReviewAssignment
from grants.services import ranking, review_draw, review_scores, review_transitions
from incubator.models import Community, Organisation

S = ApplicationState
REVIEW_CALL = "chongchuan-neighbourhood-plus"
NOTICE_CALL = "nanan-v-yi-an"

# (organisation, theme, title, summary, amount, partner 社区)
REVIEW_APPLICATIONS = [
    ("南通市崇川区邻里和谐促进会", "community", "楼道议事厅·邻里公约共建",
     "在钟楼、五一社区推动楼道议事厅和邻里公约，建立“三单一册”服务清单。", 48000, "钟楼社区"),
    ("崇川区乐龄居家养老服务中心", "elderly", "乐龄食堂·助餐送餐志愿服务",
     "培育助餐志愿者队伍，为失能半失能老人送餐上门并开展营养讲座。", 50000, "学田社区"),
    ("钟楼社区邻里互助队", "elderly", "高龄老人代购代办互助",
     "互助队队员为高龄独居老人代购生活用品、代办缴费和就医预约。", 20000, "钟楼社区"),
    ("南通市崇川区四季风采群众文化协会", "culture", "邻里文化节·楼道才艺秀",
     "以社区文化节和楼道才艺展示促进邻里交往，培育群众文艺骨干。", 30000, "五一社区"),
    ("濠南社区悦读会", "culture", "濠南悦读·亲子共读空间",
     "在社区书屋开展亲子共读、故事妈妈培训和读书分享会。", 18000, "濠南社区"),
    ("崇川区阳光助残服务中心", "disability", "阳光工坊·残障人士社区融合",
     "为残障人士开设手工与烘焙工坊，组织与居民共同参与的社区集市。", 45000, "观音山社区"),
    ("南通市邻里守望公益基金会", "community", "邻里守望·应急互助网络",
     "以楼栋为单位建立应急联络员和互助小组，开展应急演练。", 40000, "八仙城社区"),
]  # fmt: skip

NOTICE_APPLICATIONS = [
    ("南岸区V益志愿服务协会", "environment", "桃花桥社区垃圾分类积分兑换",
     "以志愿服务积分激励居民参与垃圾分类，积分可兑换生活用品。", 18000, "桃花桥社区"),
    ("南岸区社创营社会工作服务中心", "community", "惠工社区楼栋长议事会",
     "培育楼栋长骨干，按“一户一票”议事推动楼道微改造。", 20000, "惠工社区"),
    ("桃花桥社区睦邻议事会", "community", "停车规划居民议事",
     "通过居民议事和表决形成小区停车方案，同意率达96%后实施。", 15000, "桃花桥社区"),
    ("南岸区青创营青年公益发展中心", "youth", "青年志愿者四点半课堂",
     "组织大学生志愿者为双职工家庭子女提供课后辅导。", 16000, "南坪东路社区"),
    ("土庙子片区长者互助会", "elderly", "土庙子长者互助餐桌",
     "依托片区长者互助会开展互助午餐和上门探访。", 12000, "土庙子社区"),
    ("重庆南岸益行公益基金会", "poverty", "困境家庭微心愿",
     "为困境家庭儿童征集和实现微心愿，链接爱心企业资源。", 19000, "珊瑚村社区"),
]  # fmt: skip


def _in_review_application(call: Call, spec, *, officer, password_hash) -> Application | None:
    """DEMO-ONLY: an application to a past call, already through screening, with its audit rows."""
    name, theme, title, summary, amount, community_name = spec
    organisation = Organisation.objects.filter(name=name).first()
    if organisation is None:
        return None
    existing = Application.objects.filter(call=call, organisation=organisation, title=title).first()
    if existing is not None:
        return existing
    member = _member(organisation, password_hash)
    submitted_at = call.closes_at - timedelta(days=2)
    amount = Decimal(amount)
    application = Application.objects.create(
        call=call,
        organisation=organisation,
        created_by=member,
        state=S.IN_REVIEW,
        holds_call_slot=True,
        theme=theme,
        title=title,
        summary=summary,
        need="社区走访和居民议事会上反映最集中的需求之一，现有服务覆盖不足。",
        objectives="一年内开展活动24场，服务居民不少于600人次，满意度90%以上。",
        activities=[
            {"name": "需求调研与方案公示", "start": "", "end": "", "description": "第1-2个月"},
            {"name": "主体服务", "start": "", "end": "", "description": "第3-10个月，每月两场"},
            {"name": "总结与居民评议", "start": "", "end": "", "description": "第11-12个月"},
        ],
        indicators=[
            {"name": "服务人次", "kind": "output", "target": "600", "unit": "人次"},
            {"name": "居民满意度", "kind": "outcome", "target": "90", "unit": "%"},
        ],
        beneficiaries="社区居民",
        beneficiaries_count=600,
        requested_amount=amount,
        submitted_at=submitted_at,
        created_at=submitted_at - timedelta(days=6),
        last_saved_at=submitted_at,
    )
    community = Community.objects.filter(name=community_name).first()
    if community is not None:
        application.partner_communities.add(community)
    activity = (amount * Decimal("0.7")).quantize(Decimal("1"))
    BudgetLine.objects.bulk_create(
        [
            BudgetLine(application=application, position=0, category="activity", description="活动与物资", amount=activity),
            BudgetLine(application=application, position=1, category="personnel", description="社工与讲师补贴", amount=amount - activity),
        ]
    )  # fmt: skip
    application.eligibility = [
        r.as_dict() for r in eligibility.evaluate(application, now=submitted_at)
    ]
    application.save()
    content_type = ContentType.objects.get_for_model(Application)
    steps = [
        (S.DRAFT, S.SUBMITTED, "submit", member),
        (S.SUBMITTED, S.SCREENING, "start_screening", officer),
        (S.SCREENING, S.IN_REVIEW, "accept_for_review", officer),
    ]
    StateLog.objects.bulk_create(
        StateLog(
            timestamp=submitted_at + timedelta(days=index * 2),
            by=by,
            source_state=source,
            state=target,
            transition=name,
            content_type=content_type,
            object_id=application.pk,
        )
        for index, (source, target, name, by) in enumerate(steps)
    )
    return application


def _applications(call: Call, specs, *, officer) -> list[Application]:
    password_hash = make_password(DEMO_PASSWORD)
    found = []
    for spec in specs:
        with transaction.atomic():
            application = _in_review_application(
                call, spec, officer=officer, password_hash=password_hash
            )
        if application is not None:
            found.append(application)
    return found


# Quality of each 公示-call application as the panel saw it (percent of the range), in list order.
NOTICE_QUALITY = (91, 84, 88, 72, 79, 63)


def _complete_review(call: Call, reviewers, *, officer) -> None:
    """The whole panel scores every application of ``call``; the officer closes and ranks it."""
    review_draw.draw_reviewers(call=call, actor=officer, per_application=5, seed=2027)
    criteria = list(call.rubric.order_by("position", "pk"))
    place = {
        pk: index
        for index, pk in enumerate(
            Application.objects.filter(call=call).order_by("pk").values_list("pk", flat=True)
        )
    }
    waiting = ReviewAssignment.objects.filter(
        application__call=call, round=ReviewRound.WRITTEN, state=AssignmentState.ASSIGNED
    ).select_related("reviewer")
    for number, assignment in enumerate(waiting.order_by("pk")):
        percent = NOTICE_QUALITY[place[assignment.application_id] % len(NOTICE_QUALITY)]
        percent += (number % 5) * 2 - 4  # each expert a little stricter or kinder
        with transaction.atomic():
            assignment = review_draw.declare_no_conflict(
                assignment=assignment, actor=assignment.reviewer
            )
            review_scores.save_scores(
                assignment=assignment,
                actor=assignment.reviewer,
                entries=_entries(criteria, percent, call.comment_required_below_percent),
                comment="方案扎根社区需求，预算基本合理。",
            )
            review_scores.submit_scores(assignment=assignment, actor=assignment.reviewer)
    for application in Application.objects.filter(call=call, state=S.IN_REVIEW).order_by("pk"):
        review_transitions.finish_review(application=application, actor=officer)
    lowest = (
        Application.objects.filter(call=call, state=S.REVIEWED).order_by("-requested_amount").last()
    )
    if lowest is not None:
        ranking.override_recommendation(
            application=lowest,
            actor=officer,
            recommended=False,
            reason="与区民政局已资助的同类项目服务对象重叠，建议整合后明年再报。",
        )
    ranking.recommend_call(call=call, actor=officer)


def seed(*, stdout) -> None:
    officer = User.objects.filter(username="officer").first()
    review_call = Call.objects.filter(slug=REVIEW_CALL).first()
    notice_call = Call.objects.filter(slug=NOTICE_CALL).first()
    if officer is None or review_call is None or notice_call is None:
        stdout.write("  评审 review: skipped (demo officer or calls missing)")
        return
    now = timezone.now()
    if review_call.review_deadline is None:
        # The demo's review round runs now, with a 路演 for the shortlisted projects.
        Call.objects.filter(pk=review_call.pk).update(
            review_deadline=now + timedelta(days=10), has_defense=True
        )
        review_call.refresh_from_db()
    in_review = _applications(review_call, REVIEW_APPLICATIONS, officer=officer)
    noticed = _applications(notice_call, NOTICE_APPLICATIONS, officer=officer)
    reviewers = ensure_reviewer_users()
    result = seed_review(call=review_call, reviewers=reviewers, officer=officer)
    session = seed_pitch(call=review_call, judges=reviewers[:5], officer=officer)
    if not PublicNotice.objects.filter(call=notice_call).exists() and noticed:
        _complete_review(notice_call, reviewers, officer=officer)
        seed_decisions(call=notice_call, officer=officer)
    stdout.write(
        f"  评审 review: {len(in_review)} applications in review ({REVIEW_CALL}) with "
        f"{result.assignments} assignments, {result.conflicts} conflicts, "
        f"{result.submitted} score sheets submitted; 路演 {'scheduled' if session else 'none'}; "
        f"{len(noticed)} applications on 公示 ({NOTICE_CALL})"
    )
