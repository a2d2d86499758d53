"""Demo evaluations and track record on the funded projects of ``grants.demo_projects``.

The projects' states are already set by ``demo_projects`` (passed mid-terms, a failed one, a
completed project); this writes the evaluations that explain them, with past dates, as the evaluator
``evaluator`` (徐立新) recorded them: two passed mid-terms at 良好, a completed project with its
mid-term and a 优秀 final, a failed mid-term (不合格), a mid-term in progress and a final just
assigned.

Idempotent: a project's evaluation of a kind is looked up and left alone if it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from grants.demo import FUNDED_CALL_SLUG
from grants.enums_evaluations import EvaluationMethod, EvaluationState, grade_for
from grants.models import (
    Application,
    Call,
    Evaluation,
    EvaluationActivity,
    EvaluationDimension,
    EvaluationScore,
    EvaluationTemplate,
)

E = EvaluationState
M = EvaluationMethod

# The call's templates, in Chinese (the demo's language): 执行情况 30, 投入与管理 20, 财务管理 20,
# 项目成效 30 — the usual 民政 evaluation sheet.
DIMENSIONS = (
    (
        "执行情况",
        30,
        "活动是否按计划开展（场次、时间、地点）；产出指标完成情况；活动记录和签到表是否完整。",
    ),
    ("投入与管理", 20, "社工和人员是否按承诺到位；志愿者组织；合作社区参与；项目管理和档案。"),
    ("财务管理", 20, "专户管理；按预算科目支出；票据凭证齐全；无挪用。"),
    ("项目成效", 30, "成效指标达成；服务对象和居民满意度；在社区的持续影响。"),
)
BONUS = "媒体报道、获奖、创新做法被推广等，最多加5分。"
PENALTY = "报告迟交或缺报、未经批准变更活动等，最多扣5分。"


@dataclass(frozen=True)
class DemoEvaluation:
    title: str
    kind: str
    state: str
    scores: tuple[Decimal | int | None, ...]
    days_ago: int  # submitted (or, when open, assigned) this many days ago
    comments: str
    bonus: int = 0
    bonus_reason: str = ""
    penalty: int = 0
    penalty_reason: str = ""
    staff_notes: str = ""


EVALUATIONS = (
    DemoEvaluation(
        "残障人士社区融合与辅助就业", "mid_term", E.SUBMITTED, (25, 16, 16, 25), 20,
        "康复训练每周两次按时开展，已有6名学员实现辅助就业；融合集市居民参与度高。"
        "建议：加强与辖区企业的岗位对接，完善学员就业后的跟踪记录。",
    ),
    DemoEvaluation(
        "书香濠南·亲子共读与长者读报", "mid_term", E.SUBMITTED, (25, 17, 16, 24), 60,
        "亲子共读场次完成过半，阅读志愿者队伍稳定；长者读报覆盖面有待扩大。"
        "建议：增加工作日下午场次，吸引更多长者参与。",
    ),
    DemoEvaluation(
        "书香濠南·亲子共读与长者读报", "final", E.ASSIGNED, (None, None, None, None), 3,
        "",
    ),
    DemoEvaluation(
        "困境家庭儿童“微心愿”圆梦行动", "mid_term", E.SUBMITTED, (26, 17, 17, 24), 90,
        "心愿征集规范，结对陪伴家庭数达到目标的一半以上；票据凭证齐全。",
    ),
    DemoEvaluation(
        "困境家庭儿童“微心愿”圆梦行动", "final", E.SUBMITTED, (28, 18, 18, 27), 15,
        "圆梦微心愿162个，超额完成目标；结对陪伴30户全部完成，家长满意度96%。"
        "财务管理规范，建议作为优秀项目推广。",
        bonus=1, bonus_reason="《南通日报》两次报道项目成效。",
    ),
    DemoEvaluation(
        "邻里文化大串门巡演", "mid_term", E.SUBMITTED, (15, 10, 12, 15), 15,
        "计划24场巡演仅完成5场，观众签到表缺失；第二季度起活动基本停滞，"
        "部分支出无对应活动记录。评估不合格。",
        staff_notes="建议财务核查已拨付的第一期资金使用情况。",
    ),
    DemoEvaluation(
        "学田社区长者助餐与健康管理", "mid_term", E.IN_PROGRESS, (26, 17, None, None), 4,
        "助餐服务运行平稳，送餐记录完整。",
    ),
)  # fmt: skip

ACTIVITIES = (
    (M.DESK_REVIEW, 12, "", "项目负责人", "查阅季度报告、活动台账、签到表和财务凭证。"),
    (M.PHONE_CHECK, 9, "", "随机抽取8名服务对象", "电话回访服务对象，了解服务频次和满意度。"),
    (M.SITE_VISIT, 7, "项目活动现场", "项目负责人、两名志愿者", "现场查看活动开展情况并访谈工作人员。"),
)  # fmt: skip


def _template(call: Call, kind: str) -> EvaluationTemplate:
    template, created = EvaluationTemplate.objects.get_or_create(
        call=call, kind=kind, defaults={"bonus_guidance": BONUS, "penalty_guidance": PENALTY}
    )
    if created:
        EvaluationDimension.objects.bulk_create(
            EvaluationDimension(
                template=template, position=position, label=label, weight=weight, indicators=text
            )
            for position, (label, weight, text) in enumerate(DIMENSIONS)
        )
    return template


def _evaluation(call: Call, spec: DemoEvaluation, *, evaluator: User, officer: User) -> bool:
    application = Application.objects.filter(call=call, title=spec.title).first()
    if application is None:
        return False
    if Evaluation.objects.filter(application=application, kind=spec.kind).exists():
        return False
    template = _template(call, spec.kind)
    dimensions = list(template.dimensions.order_by("position"))
    now = timezone.now()
    moment = now - timedelta(days=spec.days_ago)
    sealed = spec.state == E.SUBMITTED
    total = None
    if sealed:
        total = Decimal(sum(spec.scores)) + spec.bonus - spec.penalty
    evaluation = Evaluation.objects.create(
        application=application,
        kind=spec.kind,
        state=spec.state,  # written directly: the demo's history happened before today
        evaluator=evaluator,
        assigned_by=officer,
        template=template,
        pass_mark=template.pass_mark,
        bonus_max=template.bonus_max,
        bonus_guidance=template.bonus_guidance,
        penalty_max=template.penalty_max,
        penalty_guidance=template.penalty_guidance,
        bonus=spec.bonus,
        bonus_reason=spec.bonus_reason,
        penalty=spec.penalty,
        penalty_reason=spec.penalty_reason,
        comments=spec.comments,
        staff_notes=spec.staff_notes,
        total=total,
        grade=grade_for(total, template.pass_mark) if sealed else "",
        passed=(total >= template.pass_mark) if sealed else None,
        created_at=moment - timedelta(days=21) if sealed else moment,
        submitted_at=moment if sealed else None,
        due_on=timezone.localdate(moment + timedelta(days=14)) if not sealed else None,
    )
    EvaluationScore.objects.bulk_create(
        EvaluationScore(
            evaluation=evaluation,
            position=position,
            label=dimension.label,
            weight=dimension.weight,
            indicators=dimension.indicators,
            score=None if score is None else Decimal(score),
        )
        for position, (dimension, score) in enumerate(zip(dimensions, spec.scores, strict=True))
    )
    if spec.state != E.ASSIGNED:
        activities = ACTIVITIES if sealed else ACTIVITIES[:1]
        community = ", ".join(c.name for c in application.partner_communities.all())
        EvaluationActivity.objects.bulk_create(
            EvaluationActivity(
                evaluation=evaluation,
                method=method,
                occurred_on=timezone.localdate(moment - timedelta(days=days_before)),
                place=f"{community}{place}" if place else "",
                people_contacted=people,
                notes=notes,
                recorded_by=evaluator,
                recorded_at=moment - timedelta(days=days_before),
            )
            for method, days_before, place, people, notes in activities
        )
    return True


def seed(*, stdout) -> None:
    call = Call.objects.filter(slug=FUNDED_CALL_SLUG).first()
    evaluator = User.objects.filter(username="evaluator").first()
    officer = User.objects.filter(username="officer").first()
    if call is None or evaluator is None or officer is None:
        stdout.write("  评估 evaluations: skipped (call or demo users missing)")
        return
    created = 0
    for spec in EVALUATIONS:
        with transaction.atomic():
            created += _evaluation(call, spec, evaluator=evaluator, officer=officer)
    stdout.write(f"  评估 evaluations: {created} created")
