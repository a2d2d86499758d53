"""Demo expenses, clawbacks, dashboards on the funded projects of ``grants.demo_projects``.

Running projects report their expenses through ``grants.services.expenses`` (as the organisation's
member would), so the tolerance rule decides: on “邻里+”楼道长守望探访计划 a reprint of the
handbook goes over the publicity line's tolerance and waits for the officer. Closed projects
(completed, terminated) had theirs accepted while they ran: they are written as accepted with
their ledger rows. 邻里文化大串门巡演 (terminated) owes the unspent part of tranche 1: a clawback
opened by the officer. Receipts are small PNG images drawn with the CJK font.

Idempotent: an expense is looked up by (project, payee, date, amount), a clawback by project.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.enums import Role
from accounts.models import Membership, User
from grants.demo import FUNDED_CALL_SLUG
from grants.enums import ApplicationState
from grants.models import Application
from grants.models.expenses import Clawback, Expense, ExpenseReceipt, ExpenseState
from grants.rules_finance import SPENDING_STATES
from grants.selectors_finance import line_ceiling, project_money
from grants.services import clawbacks as clawback_svc
from grants.services import expenses as expense_svc

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


@dataclass(frozen=True)
class DemoExpense:
    line: int  # budget line position: 0 活动组织与物资, 1 社工与督导补贴, 2 宣传与印刷
    day: int  # days after the agreement starts
    amount: str
    payee: str
    description: str


# fmt: off
EXPENSES: dict[str, tuple[DemoExpense, ...]] = {
    "“邻里+”楼道长守望探访计划": (
        DemoExpense(0, 12, "2860.00", "崇川区和平桥街道社区服务中心", "场地租金：楼道长集中培训4期"),
        DemoExpense(0, 20, "1980.00", "中国人寿财险南通中心支公司", "志愿者保险：120名楼道长意外险"),
        DemoExpense(2, 18, "3200.00", "南通彩印有限公司", "印刷费：“一楼一档”登记册与宣传折页"),
        DemoExpense(1, 35, "6000.00", "社工 陈晓燕 等3人", "社工补贴：第一季度探访督导"),
        DemoExpense(0, 80, "4350.00", "崇川区惠民超市", "慰问品：独居老人中秋慰问品80份"),
        # 3,200 + 2,680 = 5,880 > 5,000 × 1.1: waits for the officer.
        DemoExpense(2, 100, "2680.00", "南通彩印有限公司", "印刷费：楼道长工作手册加印300册"),
    ),
    "学田社区长者助餐与健康管理": (
        DemoExpense(0, 15, "8600.00", "学田邻里中心长者食堂", "助餐补贴：第一季度80岁以上老人午餐"),
        DemoExpense(2, 25, "980.00", "南通彩印有限公司", "印刷费：健康档案与宣传海报"),
        DemoExpense(1, 40, "4500.00", "南通市第一人民医院社区健康服务站", "健康监测：慢病讲座专家劳务"),
        DemoExpense(0, 100, "7800.00", "学田邻里中心长者食堂", "助餐补贴：第二季度80岁以上老人午餐"),
    ),
    "残障人士社区融合与辅助就业": (
        DemoExpense(0, 30, "6200.00", "崇川区阳光助残服务中心康复基地", "职业康复训练耗材"),
        DemoExpense(1, 90, "9000.00", "社工 刘敏 等2人", "就业辅导员补贴"),
        DemoExpense(0, 120, "5400.00", "崇川区朝晖社区居委会", "场地租金：社区融合集市两场"),
        DemoExpense(2, 150, "1200.00", "南通彩印有限公司", "印刷费：融合集市宣传单"),
    ),
    "书香濠南·亲子共读与长者读报": (
        DemoExpense(0, 10, "3600.00", "南通新华书店崇川门市", "亲子绘本采购120册"),
        DemoExpense(2, 30, "860.00", "南通彩印有限公司", "印刷费：共读打卡手册"),
        DemoExpense(0, 70, "2400.00", "南通日报社发行站", "长者读报：报刊订阅半年"),
        DemoExpense(1, 120, "4800.00", "阅读推广人 张敏", "亲子共读带领人补贴"),
    ),
    "邻里文化大串门巡演": (
        DemoExpense(0, 20, "3800.00", "南通市崇川区文化馆", "场地租金：首场巡演舞台与音响"),
        DemoExpense(2, 25, "560.00", "南通彩印有限公司", "印刷费：巡演海报"),
        DemoExpense(1, 40, "1500.00", "文艺骨干 周红 等5人", "排练指导补贴"),
        DemoExpense(0, 50, "2600.00", "南通旭日演出服务部", "演出服装租赁"),
    ),
    "困境家庭儿童“微心愿”圆梦行动": (
        DemoExpense(0, 20, "6800.00", "南通文峰大世界", "微心愿礼物：学习用品与书包"),
        DemoExpense(2, 30, "2300.00", "南通彩印有限公司", "印刷费：心愿卡与宣传展板"),
        DemoExpense(1, 60, "6900.00", "社工 吴静 等3人", "结对陪伴社工补贴"),
        DemoExpense(0, 90, "7600.00", "南通文峰大世界", "微心愿礼物：冬衣与体育用品"),
    ),
}
# fmt: on
CLAWBACK_PROJECT = "邻里文化大串门巡演"
CLAWBACK_REASON = "中期评估不合格，项目终止；追回第一期拨款中未使用的部分。"


def _receipt(spec: DemoExpense, spent_on) -> SimpleUploadedFile:
    """A small receipt image (收据) with the payee, item, amount and date."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (520, 240), "white")
    draw = ImageDraw.Draw(image)
    try:
        title, body = ImageFont.truetype(FONT, 28), ImageFont.truetype(FONT, 18)
    except OSError:  # no CJK font on this machine: still a valid receipt image
        title = body = ImageFont.load_default()
    draw.rectangle((6, 6, 513, 233), outline="#b22222", width=3)
    draw.text((220, 16), "收  据", fill="#b22222", font=title)
    lines = [
        f"收款单位：{spec.payee}",
        f"事由：{spec.description}",
        f"金额：¥{Decimal(spec.amount):,.2f}",
        f"日期：{spent_on:%Y年%m月%d日}",
    ]
    for index, text in enumerate(lines):
        draw.text((24, 70 + index * 38), text[:26], fill="black", font=body)
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile("收据.png", buffer.getvalue(), content_type="image/png")


def _member(application: Application) -> User | None:
    membership = (
        Membership.objects.filter(
            organisation=application.organisation, role=Role.APPLICANT, is_active=True
        )
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def _spent_on(application: Application, spec: DemoExpense):
    agreement = application.agreement
    last = min(timezone.localdate() - timedelta(days=1), agreement.ends_on)
    if application.closed_at:
        last = min(last, timezone.localdate(application.closed_at) - timedelta(days=1))
    return min(agreement.starts_on + timedelta(days=spec.day), last)


def _record_closed(application: Application, spec: DemoExpense, *, spent_on, member) -> None:
    """An expense accepted while the (now closed) project ran: written as it was then."""
    line = application.budget_lines.get(position=spec.line)
    expense = Expense(
        application=application,
        budget_line=line,
        spent_on=spent_on,
        amount=Decimal(spec.amount),
        payee=spec.payee,
        description=spec.description,
        line_spent_before=expense_svc.counted_on_line(line),
        line_ceiling=line_ceiling(line, application.call.expense_tolerance_percent),
        submitted_by=member,
    )
    expense.save()
    upload = _receipt(spec, spent_on)
    receipt = ExpenseReceipt(
        expense=expense,
        original_name=upload.name,
        content_type="image/png",
        size=upload.size,
        sha256=hashlib.sha256(upload.read()).hexdigest(),
    )
    upload.seek(0)
    receipt.file.save(f"demo-{expense.pk}.png", upload, save=False)
    receipt.save()
    expense.accept(by=member, description="Within the budget line and its tolerance.")
    expense_svc._post(expense, actor=member)
    expense.save()


def _expenses(application: Application, specs, *, officer) -> int:
    member = _member(application)
    if member is None:
        return 0
    created = 0
    for spec in specs:
        spent_on = _spent_on(application, spec)
        if Expense.objects.filter(
            application=application, payee=spec.payee, spent_on=spent_on, amount=spec.amount
        ).exists():
            continue
        with transaction.atomic():
            if application.state in SPENDING_STATES:
                expense_svc.submit_expense(
                    application=application,
                    budget_line=application.budget_lines.get(position=spec.line),
                    spent_on=spent_on,
                    amount=spec.amount,
                    payee=spec.payee,
                    description=spec.description,
                    receipts=[_receipt(spec, spent_on)],
                    actor=member,
                )
            else:
                _record_closed(application, spec, spent_on=spent_on, member=member)
        created += 1
    return created


def seed(*, stdout) -> None:
    officer = User.objects.filter(username="officer").first()
    applications = {
        application.title: application
        for application in Application.objects.filter(
            call__slug=FUNDED_CALL_SLUG, title__in=list(EXPENSES), agreement__isnull=False
        ).select_related("call__programme", "organisation", "agreement")
    }
    if officer is None or not applications:
        stdout.write("  支出 expenses: skipped (funded demo projects or officer missing)")
        return
    created = 0
    for title, specs in EXPENSES.items():
        if title in applications:
            created += _expenses(applications[title], specs, officer=officer)
    clawbacks = 0
    project = applications.get(CLAWBACK_PROJECT)
    if (
        project is not None
        and project.state == ApplicationState.TERMINATED
        and not Clawback.objects.filter(application=project).exists()
    ):
        unspent = project_money([project.pk])[project.pk]["clawable"]
        if unspent > 0:
            clawback_svc.open_clawback(
                application=project, amount=unspent, reason=CLAWBACK_REASON, actor=officer
            )
            clawbacks += 1
    awaiting = Expense.objects.filter(
        application__call__slug=FUNDED_CALL_SLUG, state=ExpenseState.NEEDS_APPROVAL
    ).count()
    stdout.write(
        f"  支出与追回 expenses: {created} created ({awaiting} awaiting approval), "
        f"clawbacks: {clawbacks} created"
    )
