"""City-scale benchmark data, part 3: expert review and the money of funded projects.

Called by ``grants.demo_city.seed_city``; see there for what is built and why. Score sheets and
criterion scores are what a panel of three reviewers would have submitted; agreements, tranches,
ledger rows and expenses are what the funding services would have written, in the order the
PostgreSQL ledger trigger demands (a project's award before any of its payments).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from accounts.models import User
from grants.enums import (
    AgreementState,
    ApplicationState,
    AssignmentState,
    LedgerKind,
    SheetStatus,
    TrancheCondition,
    TrancheStatus,
)
from grants.models import (
    Agreement,
    BudgetLine,
    CriterionScore,
    LedgerEntry,
    ReviewAssignment,
    ReviewSummary,
    ScoreSheet,
    Tranche,
)
from grants.models.expenses import Expense, ExpenseState
from incubator import demo_city as people
from incubator.demo_city import copy_objects

S = ApplicationState
REVIEWERS_PER_APPLICATION = 3

REVIEWED_STATES = {
    S.IN_REVIEW,
    S.REVIEWED,
    S.RECOMMENDED,
    S.NOT_RECOMMENDED,
    S.REJECTED,
    S.APPROVED,
    S.CONTRACTED,
    S.ACTIVE,
    S.MID_TERM,
    S.FINAL_EVALUATION,
    S.COMPLETED,
    S.TERMINATED,
}  # fmt: skip
SUMMARY_STATES = REVIEWED_STATES - {S.IN_REVIEW}
AGREEMENT_STATES = {S.CONTRACTED, S.ACTIVE, S.MID_TERM, S.FINAL_EVALUATION, S.COMPLETED,
                    S.TERMINATED}  # fmt: skip
NOT_SUBMITTED = {S.DRAFT}


def local_time(day, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time().replace(hour=hour)))


def yuan(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def application_quality(state: str, rng: random.Random) -> float:
    """How good an application is (0–1): funded ones scored higher than those turned down."""
    if state in AGREEMENT_STATES or state in (S.RECOMMENDED, S.APPROVED):
        return rng.uniform(0.75, 0.95)
    if state in (S.NOT_RECOMMENDED, S.REJECTED):
        return rng.uniform(0.40, 0.74)
    return rng.uniform(0.45, 0.95)


# --- review ----------------------------------------------------------------------------------------


def seed_review(*, applications, criteria, reviewers, officer, rng, stdout) -> dict[str, int]:
    """Three reviewers per reviewed application; submitted sheets with five criterion scores."""
    panels: dict[int, list[User]] = {}
    assignments, sheets, scores, summaries = [], [], [], []
    totals: dict[int, list[Decimal]] = {}
    for app in applications:
        if app.state not in REVIEWED_STATES:
            continue
        call = app.call
        panel = panels.setdefault(call.pk, rng.sample(reviewers, min(12, len(reviewers))))
        quality = application_quality(app.state, rng)
        assigned_at = call.closes_at + timedelta(days=3)
        for reviewer in rng.sample(panel, min(REVIEWERS_PER_APPLICATION, len(panel))):
            if app.state == S.IN_REVIEW:
                roll = rng.random()
                state = (
                    AssignmentState.SUBMITTED
                    if roll < 0.6
                    else AssignmentState.ACCEPTED
                    if roll < 0.9
                    else AssignmentState.ASSIGNED
                )
            else:
                state = AssignmentState.SUBMITTED
            assignment = ReviewAssignment(
                application=app,
                reviewer=reviewer,
                state=state,
                assigned_by=officer,
                drawn=True,
                due_at=call.review_deadline,
                declared_at=assigned_at + timedelta(days=1)
                if state != AssignmentState.ASSIGNED
                else None,
                declaration_text="本人与该申报机构不存在利益关系。"
                if state != AssignmentState.ASSIGNED
                else "",
                created_at=assigned_at,
            )
            assignments.append(assignment)
            if state != AssignmentState.SUBMITTED:
                continue
            own = []
            for criterion in criteria[call.pk]:
                mark = min(1.0, max(0.0, quality + rng.uniform(-0.12, 0.12)))
                own.append(Decimal(round(criterion.weight * mark * 2) / 2).quantize(Decimal("0.1")))
            total = sum(own, Decimal(0)).quantize(Decimal("0.01"))
            sheet = ScoreSheet(
                assignment=assignment,
                status=SheetStatus.SUBMITTED,
                comment="项目需求清楚，设计基本可行。"
                if total >= 75
                else "需求论证不足，预算需细化。",
                total=total,
                submitted_at=assigned_at + timedelta(days=rng.randint(2, 20)),
                created_at=assigned_at + timedelta(days=1),
            )
            sheets.append(sheet)
            totals.setdefault(app.pk, []).append(total)
            scores.extend(
                (sheet, criterion.pk, score)
                for criterion, score in zip(criteria[call.pk], own, strict=True)
            )
    copy_objects(ReviewAssignment, assignments)
    for sheet in sheets:
        sheet.assignment_id = sheet.assignment.pk
    copy_objects(ScoreSheet, sheets)
    people.copy_rows(
        CriterionScore,
        ("sheet_id", "criterion_id", "score", "comment"),
        ((sheet.pk, criterion_id, score, "") for sheet, criterion_id, score in scores),
    )
    now = timezone.now()
    by_call: dict[int, list[ReviewSummary]] = {}
    for app in applications:
        if app.state in SUMMARY_STATES and totals.get(app.pk):
            expert = (sum(totals[app.pk]) / len(totals[app.pk])).quantize(Decimal("0.01"))
            summary = ReviewSummary(
                application=app, expert_score=expert, final_score=expert, computed_at=now
            )
            by_call.setdefault(app.call_id, []).append(summary)
    for rows in by_call.values():
        rows.sort(key=lambda row: row.final_score, reverse=True)
        for rank, row in enumerate(rows, start=1):
            row.rank = rank
            summaries.append(row)
    copy_objects(ReviewSummary, summaries)
    stdout.write(
        f"  城市评审 city review: assignments {len(assignments)}, score sheets {len(sheets)}, "
        f"criterion scores {len(scores)}, summaries {len(summaries)}"
    )
    return {"assignments": len(assignments), "sheets": len(sheets), "scores": len(scores)}


# --- funding ---------------------------------------------------------------------------------------

PAID_TRANCHES = {S.CONTRACTED: 0, S.ACTIVE: 1, S.MID_TERM: 1, S.FINAL_EVALUATION: 2,
                 S.COMPLETED: 3, S.TERMINATED: 1}  # fmt: skip
SCHEDULE = ((50, TrancheCondition.ON_SIGNING), (30, TrancheCondition.MID_TERM_PASSED),
            (20, TrancheCondition.FINAL_PASSED))  # fmt: skip


def seed_funding(*, applications, members, officer, ledger_rows: int, rng, stdout):
    """Agreements, tranches, the ledger (award → tranches paid → expenses) of funded projects."""
    now = timezone.now()
    today = timezone.localdate()
    projects = [app for app in applications if app.state in AGREEMENT_STATES]
    agreements, tranches, ledger = [], [], []
    paid_by_app: dict[int, Decimal] = {}
    starts: dict[int, datetime] = {}
    for app in projects:
        start = min(app.call.closes_at + timedelta(days=40), now - timedelta(days=10))
        starts[app.pk] = start
        agreement = Agreement(
            application=app,
            state=AgreementState.ACCEPTED,
            number=f"CITY-{app.call_id}-{len(agreements) + 1:06d}",
            award_amount=app.requested_amount,
            starts_on=timezone.localdate(start),
            ends_on=timezone.localdate(start) + timedelta(days=365),
            reporting_duties="每季度提交进度报告；中期评估前提交中期报告；结束后一个月内提交结项报告。",
            account_name=app.organisation.name,
            account_bank="中国工商银行",
            account_number=f"6222 0000 {len(agreements) + 1:06d}",
            issued_at=start - timedelta(days=3),
            issued_by=officer,
            accepted_at=start,
            accepted_by=members[app.organisation_id],
            accepted_ip="10.0.0.8",
            accepted_user_agent="Mozilla/5.0 (city benchmark)",
            accepted_version=1,
            created_at=start - timedelta(days=5),
        )
        agreements.append(agreement)
    copy_objects(Agreement, agreements)
    awards = [
        LedgerEntry(
            kind=LedgerKind.AWARD,
            amount=agreement.award_amount,
            programme_id=agreement.application.call.programme_id,
            call_id=agreement.application.call_id,
            application=agreement.application,
            idempotency_key=f"award:{agreement.pk}",
            occurred_at=agreement.accepted_at,
            recorded_at=agreement.accepted_at,
            recorded_by=officer,
            external_reference=agreement.number,
            memo=f"{agreement.number} 资助协议",
        )
        for agreement in agreements
    ]
    paid_rows = []
    for agreement in agreements:
        app = agreement.application
        paid = PAID_TRANCHES[app.state]
        left = agreement.award_amount
        for number, (percent, condition) in enumerate(SCHEDULE, start=1):
            amount = yuan(agreement.award_amount * percent / 100) if number < 3 else left
            left -= amount
            when = agreement.accepted_at + timedelta(days=(number - 1) * 150 + 5)
            if number <= paid:
                status = TrancheStatus.PAID
            elif app.state == S.TERMINATED:
                status = TrancheStatus.BLOCKED
            elif number == paid + 1 and (number == 1 or app.mid_term_passed_at):
                status = TrancheStatus.RELEASABLE
            else:
                status = TrancheStatus.SCHEDULED
            tranche = Tranche(
                agreement=agreement,
                application=app,
                number=number,
                percent=percent,
                amount=amount,
                condition=condition,
                status=status,
                releasable_at=when - timedelta(days=2)
                if status in (TrancheStatus.PAID, TrancheStatus.RELEASABLE)
                else None,
                due_on=timezone.localdate(when) + timedelta(days=10),
                paid_at=min(when, now) if status == TrancheStatus.PAID else None,
                blocked_at=now - timedelta(days=3) if status == TrancheStatus.BLOCKED else None,
                blocked_reason="中期评估不合格，项目终止。"
                if status == TrancheStatus.BLOCKED
                else "",
            )
            tranches.append(tranche)
            if status == TrancheStatus.PAID:
                paid_by_app[app.pk] = paid_by_app.get(app.pk, Decimal(0)) + amount
                paid_rows.append(tranche)
    copy_objects(Tranche, tranches)
    ledger.extend(awards)
    ledger.extend(
        LedgerEntry(
            kind=LedgerKind.TRANCHE_PAID,
            amount=tranche.amount,
            programme_id=tranche.application.call.programme_id,
            call_id=tranche.application.call_id,
            application=tranche.application,
            tranche=tranche,
            idempotency_key=f"tranche-paid:{tranche.pk}",
            occurred_at=tranche.paid_at,
            recorded_at=tranche.paid_at,
            recorded_by=officer,
            external_reference=f"{tranche.agreement.number}-{tranche.number}",
            memo=f"{tranche.agreement.number} 第{tranche.number}期拨款",
        )
        for tranche in paid_rows
    )
    # Expenses fill the ledger up to its target: spread over the projects that received money,
    # each project spending at most 85% of what it was paid.
    spenders = [app for app in projects if app.pk in paid_by_app]
    room = max(0, ledger_rows - len(ledger))
    lines = {}
    for line in BudgetLine.objects.filter(application__in=[a.pk for a in spenders]).order_by(
        "position"
    ):
        lines.setdefault(line.application_id, []).append(line)
    expenses = []
    for index, app in enumerate(spenders):
        count = room // len(spenders) + (1 if index < room % len(spenders) else 0)
        if not count:
            continue
        each = yuan(paid_by_app[app.pk] * Decimal("0.85") / count)
        if each <= 0:
            continue
        start = starts[app.pk]
        span = max(1, (min(now, start + timedelta(days=365)) - start).days)
        for k in range(count):
            spent = timezone.localdate(start) + timedelta(days=min(span - 1, (k * span) // count))
            spent = min(spent, today)
            line = lines[app.pk][k % len(lines[app.pk])]
            expense = Expense(
                application=app,
                budget_line=line,
                spent_on=spent,
                amount=each,
                payee=f"{app.organisation.community.name}便民服务部",
                description=f"{line.description}（第{k + 1}笔）",
                state=ExpenseState.APPROVED,
                submitted_by=members[app.organisation_id],
                submitted_at=local_time(spent, 15),
                decided_by=officer,
                decided_at=local_time(spent, 15) + timedelta(days=2),
            )
            entry = LedgerEntry(
                kind=LedgerKind.EXPENSE,
                amount=each,
                programme_id=app.call.programme_id,
                call_id=app.call_id,
                application=app,
                occurred_at=local_time(spent, 12),
                recorded_at=local_time(spent, 15) + timedelta(days=2),
                recorded_by=officer,
                external_reference=expense.payee[:120],
                memo=f"{line.description}：{expense.description}"[:300],
            )
            expenses.append((expense, entry))
    expense_ids = people.allocate_ids(Expense, len(expenses))
    for (expense, entry), pk in zip(expenses, expense_ids, strict=True):
        expense.pk = pk
        entry.idempotency_key = f"expense:{pk}"
        ledger.append(entry)
    # In this order: every award is in before a tranche of its project is paid (the trigger's rule).
    copy_objects(LedgerEntry, ledger)
    for expense, entry in expenses:
        expense.ledger_entry_id = entry.pk
    copy_objects(Expense, [expense for expense, _ in expenses])
    stdout.write(
        f"  城市资金 city funding: agreements {len(agreements)}, tranches {len(tranches)}, "
        f"expenses {len(expenses)}, ledger rows {len(ledger)}"
    )
    return {"agreements": len(agreements), "ledger": len(ledger)}
