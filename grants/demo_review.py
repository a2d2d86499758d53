"""Demo of the expert review (专家评审): the expert pool, conflicts, a drawn panel and scores.

``ensure_reviewer_users()`` makes the demo reviewers (``reviewer1``…``reviewer7``, password
``yichuang-demo``) if they are missing; ``seed_review(*, call, reviewers, officer)`` fills one call
whose applications are in expert review:

- an expert profile for each reviewer (expertise, employer, title, communities);
- one declared relation that the detection turns into a conflict (赵晓梅 worked for the second
  application's organisation until two years ago);
- a draw of 5 reviewers per application (seed 2026) through ``draw_reviewers``;
- one conflict declared by a reviewer on the declaration page (钱文博), with its replacement;
- submitted scores for most assignments, drafts for some, and reviewer1 with one application still
  waiting for the declaration (so the demo shows every step).

Everything goes through the real services. Idempotent: profiles, relations and declarations are
found again; the draw leaves full panels alone; an assignment already acted on is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD, EMAIL_DOMAIN, REVIEWERS
from accounts.enums import Role
from accounts.models import Membership, User
from grants.enums import (
    ApplicationState,
    AssignmentState,
    ConflictSource,
    RelationKind,
    ReviewRound,
)
from grants.models import (
    Application,
    Call,
    ConflictRecord,
    ReviewAssignment,
    ReviewerProfile,
    ReviewerRelation,
    RubricCriterion,
)
from grants.services import review_draw, review_scores
from grants.services.review_conflicts import detect_conflicts, lookback_start
from grants.services.review_scores import Entry
from incubator.models import Community

A = AssignmentState
DRAW_SEED = 2026
PANEL = 5

# username → (expertise, employer, title, community lived or worked in (社区 name) or "")
PROFILES = {
    "reviewer1": (["elderly", "social_work"], "南通大学公共管理学院", "副教授", ""),
    "reviewer2": (["community", "management"], "崇川区社会组织服务中心", "主任", ""),
    "reviewer3": (["finance"], "江苏通达会计师事务所", "注册会计师", ""),
    "reviewer4": (["culture", "youth"], "南通市文化馆", "研究馆员", ""),
    "reviewer5": (["disability", "health"], "南通市残疾人联合会", "康复指导中心副主任", ""),
    "reviewer6": (["elderly", "health"], "南通市第一人民医院", "老年医学科主治医师", ""),
    "reviewer7": (["law", "community"], "江苏濠河律师事务所", "律师", ""),
}
BIO = "长期参与市、区两级公益创投评审和社会组织等级评估。"

COMMENTS = (
    "需求调研扎实，服务对象清晰。",
    "活动设计可操作，建议细化季度目标。",
    "团队有持证社工，执行有保障。",
    "预算基本合理，宣传费用可适当压缩。",
    "与社区联动的方式有新意。",
    "项目结束后的持续运营需进一步说明。",
)
LOW_COMMENT = "该项论证不足，缺少数据支撑，建议补充。"
OVERALL = (
    "项目定位清晰，社区基础好，建议资助。",
    "整体可行，需加强过程记录与成效评估。",
    "设计较完整，预算结构需优化。",
)
# Reviewer's habit (percentage points) and each application's quality (percent of each criterion).
HABIT = (-4, 3, 0, 5, -2, 1, -1)
QUALITY = (86, 78, 72, 81, 69, 75, 83)


@dataclass
class ReviewDemo:
    profiles: int = 0
    assignments: int = 0
    submitted: int = 0
    drafts: int = 0
    conflicts: int = 0


def ensure_reviewer_users() -> list[User]:
    """reviewer1…reviewer7 with the reviewer role, a verified e-mail and the demo password."""
    password_hash = None
    users = []
    for display_name, username in REVIEWERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            password_hash = password_hash or make_password(DEMO_PASSWORD)
            user = User.objects.create(
                username=username,
                display_name=display_name,
                email=f"{username}@{EMAIL_DOMAIN}",
                password=password_hash,
            )
        EmailAddress.objects.get_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        Membership.objects.get_or_create(user=user, role=Role.REVIEWER, organisation=None)
        users.append(user)
    return users


def _profiles(reviewers: list[User]) -> int:
    created = 0
    for user in reviewers:
        expertise, employer, title, community = PROFILES.get(
            user.username, (["community"], "", "", "")
        )
        profile, new = ReviewerProfile.objects.get_or_create(
            user=user,
            defaults={"expertise": expertise, "employer": employer, "title": title, "bio": BIO},
        )
        created += new
        if new and community:
            profile.communities.add(*Community.objects.filter(name=community))
    return created


def _detected_conflict(reviewers: list[User], applications: list[Application]) -> None:
    """赵晓梅 (reviewer2) worked for the second application's organisation until two years ago."""
    user = next((u for u in reviewers if u.username == "reviewer2"), None)
    if user is None or len(applications) < 2:
        return
    today = timezone.localdate()
    ReviewerRelation.objects.get_or_create(
        profile=user.reviewer_profile,
        kind=RelationKind.EMPLOYED,
        organisation=applications[1].organisation,
        defaults={
            "started_on": lookback_start(today=today, years=6),
            "ended_on": lookback_start(today=today, years=2),
            "note": "曾任该中心项目主管",
        },
    )


def _declared_conflict(call: Call, reviewers: list[User]) -> None:
    """钱文博 (reviewer4) declares a conflict on his first assignment: a replacement is drawn."""
    user = next((u for u in reviewers if u.username == "reviewer4"), None)
    if user is None:
        return
    if ConflictRecord.objects.filter(
        reviewer=user, application__call=call, source=ConflictSource.DECLARED
    ).exists():
        return
    assignment = (
        ReviewAssignment.objects.filter(
            reviewer=user, application__call=call, state=A.ASSIGNED, round=ReviewRound.WRITTEN
        )
        .order_by("application_id")
        .first()
    )
    if assignment is not None:
        review_draw.declare_conflict(
            assignment=assignment, actor=user, note="本人配偶现任该机构理事，申请回避。"
        )


def _half(value: Decimal) -> Decimal:
    return (value * 2).quantize(Decimal("1")) / 2


def _entries(criteria, percent: int, percent_required: int) -> dict[int, Entry]:
    entries = {}
    for index, criterion in enumerate(criteria):
        share = min(max(percent + (index % 3) * 2 - 2, 40), 98)
        span = criterion.top_score - criterion.min_score
        score = _half(Decimal(criterion.min_score) + Decimal(span) * share / 100)
        low = score < review_scores.comment_threshold(criterion, percent_required)
        entries[criterion.pk] = Entry(score, LOW_COMMENT if low else COMMENTS[index % 6])
    return entries


def _score(call: Call, reviewers: list[User], applications: list[Application]) -> tuple[int, int]:
    """Declare and score the fresh assignments; some stay drafts, one waits for its declaration."""
    criteria = list(RubricCriterion.objects.filter(call=call).order_by("position", "pk"))
    if not criteria:
        return 0, 0
    order = {user.pk: index for index, user in enumerate(reviewers)}
    place = {application.pk: index for index, application in enumerate(applications)}
    submitted = drafts = 0
    fresh = ReviewAssignment.objects.filter(
        application__call=call, state=A.ASSIGNED, round=ReviewRound.WRITTEN
    ).select_related("reviewer", "application__call")
    waiting_left = {"reviewer1"}  # reviewer1 keeps their first fresh assignment undeclared
    for assignment in fresh.order_by("application_id", "pk"):
        username = assignment.reviewer.username
        if username in waiting_left:
            waiting_left.discard(username)
            continue
        r, a = order.get(assignment.reviewer_id, 0), place.get(assignment.application_id, 0)
        percent = QUALITY[a % len(QUALITY)] + HABIT[r % len(HABIT)]
        with transaction.atomic():
            assignment = review_draw.declare_no_conflict(
                assignment=assignment, actor=assignment.reviewer
            )
            review_scores.save_scores(
                assignment=assignment,
                actor=assignment.reviewer,
                entries=_entries(criteria, percent, call.comment_required_below_percent),
                comment=OVERALL[(r + a) % len(OVERALL)],
            )
            # reviewer5 and every fourth sheet stay drafts: the review is still running.
            if username == "reviewer5" or (r + a) % 4 == 3:
                drafts += 1
                continue
            review_scores.submit_scores(assignment=assignment, actor=assignment.reviewer)
            submitted += 1
    return submitted, drafts


def seed_review(*, call: Call, reviewers: list[User], officer: User) -> ReviewDemo:
    """Fill ``call`` (applications in expert review) with the review demo; see the module doc."""
    result = ReviewDemo()
    applications = list(
        # In review or already sent on to the 路演 (a second run must see the same applications).
        Application.objects.filter(
            call=call, state__in=(ApplicationState.IN_REVIEW, ApplicationState.DEFENSE)
        )
        .select_related("organisation")
        .order_by("pk")
    )
    if not applications or not reviewers:
        return result
    if call.review_deadline is None:
        Call.objects.filter(pk=call.pk).update(review_deadline=timezone.now() + timedelta(days=10))
        call.refresh_from_db()
    with transaction.atomic():
        result.profiles = _profiles(reviewers)
        _detected_conflict(reviewers, applications)
        detect_conflicts(call=call, actor=officer)
        review_draw.draw_reviewers(call=call, actor=officer, per_application=PANEL, seed=DRAW_SEED)
        _declared_conflict(call, reviewers)
    result.submitted, result.drafts = _score(call, reviewers, applications)
    result.assignments = ReviewAssignment.objects.filter(
        application__call=call, round=ReviewRound.WRITTEN
    ).count()
    result.conflicts = ConflictRecord.objects.filter(application__call=call).count()
    return result
