"""Demo milestone plans and reports on the funded projects of ``grants.demo_projects``.

Every funded project gets its default plan (from its agreement's dates). Reports were written in
the past, so they are created directly with their dates and django-fsm-log rows (as the project
history in ``demo_projects`` is): accepted reports with narratives, indicator values, activities,
named volunteers and a generated photo on the running and finished projects; on purpose, one report
is **overdue** (“邻里+”楼道长守望探访计划, ngo1's first quarterly report), one is submitted and
awaiting review (学田社区, mid-term) and one was returned with a comment (残障人士, third quarter).

Idempotent: plans are written once per project and a milestone that has a report is left alone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts.enums import Role
from accounts.models import User
from grants.demo import FUNDED_CALL_SLUG
from grants.models import Application
from grants.models.reports import (
    EvidenceKind,
    Milestone,
    Report,
    ReportActivity,
    ReportEvidence,
    ReportKind,
    ReportState,
    ReportVolunteer,
    StandardIndicator,
)
from grants.services.reports_plan import create_default_plan

R = ReportState
K = ReportKind


@dataclass(frozen=True)
class DemoReport:
    kind: str
    quarter: int  # which report of that kind (1 = the first)
    state: str
    share: Decimal  # share of each target reached so far
    narrative: str
    activities: tuple[tuple[int, str, str, int], ...]  # (days before due, place, what, people)
    volunteers: tuple[tuple[str, str], ...]  # (name, hours)
    comment: str = ""
    submitted_days_before_due: int = 3


# fmt: off
REPORTS: dict[str, tuple[DemoReport, ...]] = {
    # ngo1: the first quarterly report is overdue — nothing is written here on purpose.
    "“邻里+”楼道长守望探访计划": (),
    "学田社区长者助餐与健康管理": (
        DemoReport(K.PERIODIC, 1, R.ACCEPTED, Decimal("0.25"),
                   "第一季度长者食堂运行平稳，工作日午餐累计服务3120人次，其中为行动不便的高龄老人送餐"
                   "640人次。开展健康监测3次，建立慢病老人健康档案86份。部分老人反映菜品偏咸，已与食堂"
                   "协商推出低盐菜单。",
                   ((40, "学田社区邻里中心长者食堂", "长者助餐开餐仪式暨食品安全讲解", 65),
                    (20, "学田社区卫生服务站", "血压血糖健康监测", 92)),
                   (("周桂兰", "12"), ("钱志明", "8.5"), ("孙晓燕", "10"))),
        DemoReport(K.MID_TERM, 1, R.SUBMITTED, Decimal("0.52"),
                   "项目过半，助餐服务累计6240人次，送餐上门1320人次；健康监测累计626人次，慢病管理"
                   "讲座6场。招募助餐志愿者18名，形成“一日一值班”机制。下半年将增加糖尿病饮食指导。",
                   ((60, "学田社区邻里中心长者食堂", "重阳节长者寿宴与助餐满意度调查", 120),
                    (30, "学田社区党群服务中心", "慢病管理讲座：高血压的日常照护", 58),
                    (12, "学田社区卫生服务站", "季度健康监测", 101)),
                   (("周桂兰", "16"), ("钱志明", "12"), ("孙晓燕", "14.5"), ("吴建平", "6")),
                   submitted_days_before_due=2),
    ),
    "残障人士社区融合与辅助就业": (
        DemoReport(K.PERIODIC, 1, R.ACCEPTED, Decimal("0.3"),
                   "完成首批24名残障人士的职业能力评估，开展康复训练26次；与辖区两家企业达成辅助就业"
                   "岗位意向。首场社区融合集市售出学员手工作品120余件。",
                   ((50, "朝晖社区残疾人之家", "职业能力评估与康复训练", 24),
                    (15, "朝晖社区文化广场", "第一季度社区融合集市", 300)),
                   (("陈美华", "9"), ("郑国强", "7.5"))),
        DemoReport(K.MID_TERM, 1, R.ACCEPTED, Decimal("0.55"),
                   "中期累计开展康复训练52次，22名学员完成手工编织与烘焙技能培训，6人实现辅助就业；"
                   "举办融合集市2场，居民参与约700人次。残健共融志愿服务队已有志愿者21名。",
                   ((80, "朝晖社区残疾人之家", "烘焙技能培训结业展示", 22),
                    (45, "南通某超市朝晖店", "辅助就业岗位实地体验", 8),
                    (20, "朝晖社区文化广场", "第二季度社区融合集市", 400)),
                   (("陈美华", "18"), ("郑国强", "14"), ("冯丽娟", "11.5"))),
        DemoReport(K.PERIODIC, 2, R.RETURNED, Decimal("0.7"),
                   "第三季度继续开展康复训练和就业跟踪，新增辅助就业3人。",
                   ((20, "朝晖社区残疾人之家", "就业跟踪回访", 9),),
                   (("陈美华", "6"),),
                   comment="请补充第三季度融合集市的签到表和照片，并说明新增3名就业学员的岗位和稳定情况。"),
    ),
    "书香濠南·亲子共读与长者读报": (
        DemoReport(K.MID_TERM, 1, R.ACCEPTED, Decimal("0.5"),
                   "每周六上午亲子共读从未间断，累计24场，参与家庭平均18户；工作日长者读报52场。培育"
                   "阅读志愿者12名，其中7名为退休教师。",
                   ((60, "濠南社区书屋", "亲子共读《团圆》与剪纸", 40),
                    (25, "濠南社区老年活动室", "长者读报与时事分享", 26)),
                   (("黄秀琴", "20"), ("何立新", "16"), ("林小雨", "8"))),
        DemoReport(K.FINAL, 1, R.ACCEPTED, Decimal("1.04"),
                   "项目期内完成亲子共读50场、长者读报104场，超额完成目标；阅读志愿者队伍21人并已在"
                   "社区备案，项目结束后由社区书屋继续运营。居民满意度调查满意率96%。",
                   ((70, "濠南社区书屋", "“书香家庭”评选与分享会", 85),
                    (40, "濠南社区老年活动室", "长者读报一百场纪念活动", 45),
                    (10, "濠南社区书屋", "阅读志愿者表彰与交接", 30)),
                   (("黄秀琴", "24"), ("何立新", "22"), ("林小雨", "12.5"), ("罗文斌", "9"))),
    ),
    "邻里文化大串门巡演": (
        DemoReport(K.PERIODIC, 1, R.ACCEPTED, Decimal("0.15"),
                   "完成巡演3场，观众约900人次。因场地协调困难，原定的两场巡演推迟。",
                   ((45, "学田社区文化广场", "邻里文化大串门首场巡演", 350),),
                   (("马凤英", "6"), ("谢永康", "5"))),
        DemoReport(K.MID_TERM, 1, R.ACCEPTED, Decimal("0.3"),
                   "中期累计巡演7场，低于计划的12场；部分节目重复，居民参与度下降。",
                   ((70, "钟楼社区广场", "巡演第五场", 220), (30, "五一社区广场", "巡演第七场", 180)),
                   (("马凤英", "10"), ("谢永康", "8"))),
    ),
    "困境家庭儿童“微心愿”圆梦行动": (
        DemoReport(K.MID_TERM, 1, R.ACCEPTED, Decimal("0.55"),
                   "走访困境家庭32户，征集微心愿163个，已实现82个（书包文具、学习台灯、运动鞋等）；"
                   "与16户家庭建立结对陪伴关系，每月至少探望一次。",
                   ((60, "八仙城社区党群服务中心", "微心愿征集与认领启动仪式", 96),
                    (20, "八仙城社区", "结对家庭入户陪伴", 32)),
                   (("唐丽萍", "15"), ("韩志刚", "12"), ("曹雪梅", "10.5"))),
        DemoReport(K.FINAL, 1, R.ACCEPTED, Decimal("1.02"),
                   "项目期内共实现微心愿153个，结对陪伴家庭31户；联合4家爱心企业捐赠物资折合2.1万元。"
                   "受助家庭满意度98%，两名结对儿童期末成绩明显进步。",
                   ((90, "八仙城社区党群服务中心", "六一圆梦集中发放", 150),
                    (45, "南通博物苑", "结对家庭亲子研学", 60),
                    (12, "八仙城社区", "项目总结与爱心企业致谢会", 70)),
                   (("唐丽萍", "22"), ("韩志刚", "18.5"), ("曹雪梅", "16"), ("彭国华", "8"))),
    ),
}
# fmt: on


def demo_photo(seed: int) -> bytes:
    """A small picture of an activity (people around a table) drawn with Pillow: no external file."""
    from PIL import Image, ImageDraw

    palette = [(232, 93, 74), (66, 133, 244), (52, 168, 83), (251, 188, 5), (154, 96, 210)]
    image = Image.new("RGB", (480, 320), (246, 241, 232))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 220, 480, 320), fill=(214, 200, 178))  # floor
    draw.rectangle((40, 30, 440, 90), fill=(200, 40, 40))  # banner
    draw.rectangle((150, 180, 330, 230), fill=(150, 105, 70))  # table
    for index in range(6):
        colour = palette[(seed + index) % len(palette)]
        x = 70 + index * 65
        draw.ellipse((x, 120, x + 36, 156), fill=(240, 200, 170))  # head
        draw.rectangle((x - 4, 156, x + 40, 220), fill=colour)  # body
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _at(day, days_offset: int, hour: int = 10):
    moment = datetime.combine(day + timedelta(days=days_offset), time(hour, 0))
    return timezone.make_aware(moment)


def _values(report: Report, application: Application, spec: DemoReport, activities: int, hours):
    rows = []
    for row in report.indicator_values:
        target = Decimal(row["target"]) if row.get("target") else None
        code = row.get("code")
        if code == StandardIndicator.SATISFACTION:
            reached = Decimal("94") if spec.share >= 1 else Decimal("91")
        elif code == StandardIndicator.ACTIVITIES:
            reached = Decimal(activities)
        elif code == StandardIndicator.VOLUNTEER_HOURS:
            reached = hours
        elif target is not None:
            reached = (target * spec.share).quantize(Decimal("1"))
        else:
            reached = Decimal("0")
        rows.append({**row, "reached": str(reached)})
    return rows


def _write(milestone: Milestone, spec: DemoReport, *, member: User, officer: User, now) -> Report:
    application = milestone.application
    # A report on a milestone not yet due was handed in early: a few days ago at the latest.
    submitted_at = min(
        _at(milestone.due_on, -spec.submitted_days_before_due, 16), now - timedelta(days=3)
    )
    reviewed_at = (
        min(submitted_at + timedelta(days=4), now - timedelta(hours=2))
        if spec.state != R.SUBMITTED
        else None
    )
    last_day = timezone.localdate(submitted_at) - timedelta(days=1)
    report = Report(
        milestone=milestone,
        application=application,
        kind=milestone.kind,
        state=spec.state,
        narrative=spec.narrative,
        indicator_values=[
            {**{k: row.get(k, "") for k in ("code", "name", "unit", "target")}, "reached": ""}
            for row in milestone.indicator_targets
        ],
        submitted_at=submitted_at,
        is_late=False,
        return_comment=spec.comment,
        reviewed_by=officer if reviewed_at else None,
        reviewed_at=reviewed_at,
        created_by=member,
        created_at=submitted_at - timedelta(days=6),
        last_saved_at=submitted_at,
    )
    hours = sum((Decimal(h) for _n, h in spec.volunteers), Decimal("0"))
    report.indicator_values = _values(report, application, spec, len(spec.activities), hours)
    target = application.beneficiaries_count or 100
    report.beneficiaries_reached = int(target * spec.share)
    report.volunteer_hours = hours
    report.save()
    ReportActivity.objects.bulk_create(
        ReportActivity(
            report=report,
            position=index,
            held_on=min(milestone.due_on - timedelta(days=days), last_day - timedelta(days=index)),
            place=place,
            description=what,
            participants=people,
        )
        for index, (days, place, what, people) in enumerate(spec.activities)
    )
    ReportVolunteer.objects.bulk_create(
        ReportVolunteer(report=report, position=index, name=name, hours=Decimal(hours))
        for index, (name, hours) in enumerate(spec.volunteers)
    )
    picture = demo_photo(milestone.pk)
    import hashlib

    evidence = ReportEvidence(
        report=report,
        kind=EvidenceKind.PHOTO,
        original_name=f"{spec.activities[0][2]}.png",
        content_type="image/png",
        size=len(picture),
        sha256=hashlib.sha256(picture).hexdigest(),
        uploaded_by=member,
        uploaded_at=submitted_at - timedelta(hours=2),
    )
    evidence.file.save(f"demo-{milestone.pk}.png", ContentFile(picture), save=False)
    evidence.save()
    content_type = ContentType.objects.get_for_model(Report)
    logs = [(R.DRAFT, R.SUBMITTED, "submit", member, submitted_at, None)]
    if spec.state == R.ACCEPTED:
        logs.append((R.SUBMITTED, R.ACCEPTED, "accept", officer, reviewed_at, None))
    elif spec.state == R.RETURNED:
        logs.append(
            (R.SUBMITTED, R.RETURNED, "return_for_changes", officer, reviewed_at, spec.comment)
        )
    StateLog.objects.bulk_create(
        StateLog(
            timestamp=when,
            by=by,
            source_state=source,
            state=target,
            transition=name,
            description=description,
            content_type=content_type,
            object_id=report.pk,
        )
        for source, target, name, by, when, description in logs
    )
    return report


def seed(*, stdout) -> None:
    from grants.enums import FUNDED_STATES, ApplicationState

    officer = User.objects.filter(username="officer").first()
    applications = list(
        Application.objects.filter(
            call__slug=FUNDED_CALL_SLUG,
            state__in=[*FUNDED_STATES, ApplicationState.COMPLETED, ApplicationState.TERMINATED],
        ).select_related("organisation")
    )
    if officer is None or not applications:
        stdout.write("  报告 reports: skipped (funded demo projects or officer missing)")
        return
    now = timezone.now()
    plans = reports = 0
    for application in applications:
        with transaction.atomic():
            if not Milestone.objects.filter(application=application).exists():
                create_default_plan(application=application)
                plans += 1
            member = (
                User.objects.filter(
                    memberships__organisation=application.organisation,
                    memberships__role=Role.APPLICANT,
                    memberships__is_active=True,
                )
                .order_by("pk")
                .first()
            )
            if member is None:
                continue
            for spec in REPORTS.get(application.title, ()):
                milestone = (
                    Milestone.objects.filter(application=application, kind=spec.kind)
                    .order_by("due_on")[spec.quarter - 1 : spec.quarter]
                    .first()
                )
                if milestone is None or Report.objects.filter(milestone=milestone).exists():
                    continue
                _write(milestone, spec, member=member, officer=officer, now=now)
                reports += 1
    stdout.write(f"  报告 reports: {plans} milestone plans, {reports} reports created")
