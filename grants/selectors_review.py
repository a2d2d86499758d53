"""Reads of the expert review, each with the joins its page needs (a fixed number of queries).

The reviewer's reads leave out, in the query itself, everything the conflict rule hides: an
assignment that was conflicted, declined or withdrawn, and any application the reviewer has a row
in the conflict register for. Fetch-and-check helpers return None for what the user may not see,
and the views answer 404, exactly as for an id that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from string import ascii_uppercase

from django.core.paginator import Page, Paginator
from django.db.models import (
    Avg,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.enums import Role
from accounts.models import User
from grants.enums import (
    LIVE_ASSIGNMENT_STATES,
    ApplicationState,
    AssignmentState,
    PeerScoreVisibility,
    ReviewRound,
    SheetStatus,
)
from grants.models import (
    Application,
    Attachment,
    Call,
    ConductRating,
    ConflictRecord,
    CriterionScore,
    ReviewAssignment,
    ReviewerProfile,
    RubricCriterion,
    ScoreSheet,
)
from grants.rules_review import CLOSED_ASSIGNMENT_STATES
from incubator.models import Community

S = ApplicationState
A = AssignmentState
WRITTEN = ReviewRound.WRITTEN


def _conflict_exists():
    return Exists(
        ConflictRecord.objects.filter(
            reviewer_id=OuterRef("reviewer_id"), application_id=OuterRef("application_id")
        )
    )


def with_progress(queryset: QuerySet[ReviewAssignment]) -> QuerySet[ReviewAssignment]:
    """Annotate each assignment with its current sheet's status, total and how many criteria of
    the call's rubric it has scored (subqueries: no extra query per row).

    The subqueries are unordered: an assignment has at most one current sheet
    (``score_sheet_one_current``), and ScoreSheet's default ordering would join the assignment and
    the application again inside each of them, which on a busy reviewer's thousand rows pushed
    the plan's cost over PostgreSQL's JIT threshold (170 ms of compiling for a 40 ms query)."""
    scored = (
        CriterionScore.objects.filter(sheet__assignment=OuterRef("pk"), sheet__is_current=True)
        .order_by()
        .values("sheet__assignment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    criteria = (
        RubricCriterion.objects.filter(call_id=OuterRef("application__call_id"))
        .order_by()
        .values("call_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    current = ScoreSheet.objects.filter(assignment=OuterRef("pk"), is_current=True).order_by()
    return queryset.annotate(
        scored_count=Coalesce(Subquery(scored, output_field=IntegerField()), 0),
        criteria_count=Coalesce(Subquery(criteria, output_field=IntegerField()), 0),
        sheet_status=Subquery(current.values("status")[:1]),
        sheet_total=Subquery(current.values("total")[:1]),
        sheet_version=Subquery(current.values("version")[:1]),
    )


# --- The reviewer's side -----------------------------------------------------------------------


DASHBOARD_FIELDS = (
    "id",
    "application_id",
    "reviewer_id",
    "round",
    "state",
    "due_at",
    "application__id",
    "application__call_id",
    "application__state",
    "application__title",
    "application__call__id",
    "application__call__title",
    "application__call__review_deadline",
)


def _reviewer_assignments(*, user) -> QuerySet[ReviewAssignment]:
    if not (user and user.is_authenticated):
        return ReviewAssignment.objects.none()
    return ReviewAssignment.objects.filter(
        reviewer=user, round=WRITTEN, state__in=LIVE_ASSIGNMENT_STATES
    ).exclude(_conflict_exists())


def assignments_of_reviewer(*, user) -> QuerySet[ReviewAssignment]:
    """The reviewer's written-review assignments they may still see, soonest deadline first."""
    return with_progress(
        _reviewer_assignments(user=user)
        .select_related("application__call")
        # Only what the dashboard shows (a busy reviewer has a thousand rows; the application's
        # answers and the call's page fields would be read and built for nothing). The state
        # fields stay: django-fsm reads them when it builds each instance.
        .only(*DASHBOARD_FIELDS)
    ).order_by("application__call__review_deadline", "due_at", "application_id", "pk")


# Assignments per page of the reviewer's dashboard: a busy expert has hundreds.
DASHBOARD_PAGE_SIZE = 50


@dataclass
class Dashboard:
    assignments: list[ReviewAssignment]
    page: Page | None = None
    to_declare: int = 0
    in_progress: int = 0
    submitted: int = 0

    @property
    def open_count(self) -> int:
        return self.to_declare + self.in_progress


def reviewer_dashboard(*, user, page_number=None) -> Dashboard:
    """The counts by state and one page of assignments, soonest deadline first: two queries."""
    counts = dict.fromkeys(A.values, 0)
    counts.update(
        _reviewer_assignments(user=user).order_by().values_list("state").annotate(Count("pk"))
    )
    paginator = Paginator(assignments_of_reviewer(user=user), DASHBOARD_PAGE_SIZE)
    paginator.count = sum(counts.values())  # known already: no COUNT over the annotated rows
    page = paginator.get_page(page_number)
    return Dashboard(
        assignments=list(page.object_list),
        page=page,
        to_declare=counts[A.ASSIGNED],
        in_progress=counts[A.ACCEPTED],
        submitted=counts[A.SUBMITTED],
    )


def assignment_for_reviewer(
    *, pk: int, user, perm: str = "grants.view_assignment"
) -> ReviewAssignment | None:
    """The assignment if it is ``user``'s and ``perm`` allows it (conflict rule included), else None."""
    assignment = (
        ReviewAssignment.objects.select_related(
            "application__call__programme", "application__organisation", "reviewer"
        )
        .filter(pk=pk, reviewer_id=getattr(user, "pk", None))
        .exclude(state__in=CLOSED_ASSIGNMENT_STATES)
        .first()
    )
    if assignment is None or not user.has_perm(perm, assignment):
        return None
    return assignment


def application_for_review(*, assignment: ReviewAssignment) -> Application:
    """The assignment's application with what the review page shows (three more queries)."""
    return (
        Application.objects.select_related("call__programme", "organisation", "form")
        .prefetch_related(
            "budget_lines",
            Prefetch("partner_communities", queryset=Community.objects.select_related("parent")),
            Prefetch("attachments", queryset=Attachment.objects.order_by("uploaded_at", "pk")),
        )
        .get(pk=assignment.application_id)
    )


def rubric(*, call: Call) -> list[RubricCriterion]:
    return list(RubricCriterion.objects.filter(call=call).order_by("position", "pk"))


def current_sheet_with_scores(*, assignment: ReviewAssignment) -> ScoreSheet | None:
    return (
        ScoreSheet.objects.filter(assignment=assignment, is_current=True)
        .prefetch_related("scores")
        .first()
    )


def sheet_history(*, assignment: ReviewAssignment) -> list[ScoreSheet]:
    """Every version of the assignment's scores, newest first, with their scores (two queries)."""
    return list(
        ScoreSheet.objects.filter(assignment=assignment)
        .prefetch_related(
            Prefetch(
                "scores",
                queryset=CriterionScore.objects.select_related("criterion").order_by(
                    "criterion__position", "criterion__pk"
                ),
            )
        )
        .order_by("-version")
    )


@dataclass
class PeerScores:
    """The other reviewers' totals, anonymised (Reviewer A, B, …), when the call allows it."""

    visible: bool
    rows: list[tuple[str, Decimal]] = field(default_factory=list)
    panel_size: int = 0
    explanation: str = ""


def peer_scores(*, assignment: ReviewAssignment) -> PeerScores:
    """Never names: the letters follow the order of assignment, the viewer's own row left out."""
    call = assignment.application.call
    if call.peer_scores_visible != PeerScoreVisibility.AFTER_OWN:
        return PeerScores(
            False, explanation=_("This call does not show reviewers each other's scores.")
        )
    if assignment.state != A.SUBMITTED:
        return PeerScores(
            False,
            explanation=_("The other reviewers' totals are shown once you have submitted yours."),
        )
    others = list(
        ReviewAssignment.objects.filter(
            application_id=assignment.application_id,
            round=assignment.round,
            state__in=LIVE_ASSIGNMENT_STATES,
        )
        .exclude(pk=assignment.pk)
        .annotate(
            total=Subquery(
                ScoreSheet.objects.filter(
                    assignment=OuterRef("pk"), is_current=True, status=SheetStatus.SUBMITTED
                ).values("total")[:1]
            )
        )
        .order_by("pk")
        .values_list("state", "total")
    )
    rows = [
        (_("Reviewer %(letter)s") % {"letter": ascii_uppercase[index % 26]}, total)
        for index, (state, total) in enumerate(others)
        if state == A.SUBMITTED and total is not None
    ]
    return PeerScores(True, rows=rows, panel_size=len(others))


# --- The officer's side ------------------------------------------------------------------------


PANEL_STATES = (S.IN_REVIEW, S.DEFENSE)


def call_panels(*, call: Call) -> list[Application]:
    """The applications of ``call`` in review or with a panel, each with ``panel`` (its written
    assignments with reviewer, profile and progress) and ``conflict_ids`` (reviewers in the
    register). Three queries whatever the number of applications."""
    applications = list(
        Application.objects.filter(call=call)
        .filter(Q(state__in=PANEL_STATES) | Q(assignments__round=WRITTEN))
        .distinct()
        .select_related("organisation")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=with_progress(
                    ReviewAssignment.objects.filter(round=WRITTEN).select_related(
                        "reviewer__reviewer_profile", "replaces__reviewer"
                    )
                ).order_by("created_at", "pk"),
                to_attr="panel",
            ),
            Prefetch(
                "conflicts",
                queryset=ConflictRecord.objects.only("pk", "reviewer_id", "application_id"),
                to_attr="conflict_rows",
            ),
        )
        .order_by("pk")
    )
    for application in applications:
        application.conflict_ids = {row.reviewer_id for row in application.conflict_rows}
        application.live = [a for a in application.panel if a.state in LIVE_ASSIGNMENT_STATES]
        application.short_by = max(call.reviewers_per_application - len(application.live), 0)
        for assignment in application.panel:
            assignment.conflicted = assignment.reviewer_id in application.conflict_ids
    return applications


def conflict_register(*, call: Call) -> QuerySet[ConflictRecord]:
    return (
        ConflictRecord.objects.filter(application__call=call)
        .select_related("reviewer", "application__organisation", "recorded_by", "relation")
        .order_by("application_id", "reviewer__display_name", "pk")
    )


def reviewer_users() -> QuerySet[User]:
    """Everyone with an active reviewer membership (the pool, with or without a profile)."""
    return (
        User.objects.filter(
            is_active=True, memberships__role=Role.REVIEWER, memberships__is_active=True
        )
        .distinct()
        .order_by("display_name", "username", "pk")
    )


def pool_overview() -> list[User]:
    """The expert pool for the officer: profile, live load, conduct (two queries in all)."""
    live_load = (
        ReviewAssignment.objects.filter(reviewer=OuterRef("pk"), state__in=LIVE_ASSIGNMENT_STATES)
        .exclude(state=A.SUBMITTED)
        .order_by()
        .values("reviewer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    ratings = (
        ConductRating.objects.filter(profile__user=OuterRef("pk"))
        .order_by()
        .values("profile")
        .annotate(avg=Avg("stars"))
        .values("avg")
    )
    return list(
        reviewer_users()
        .select_related("reviewer_profile")
        .prefetch_related(
            Prefetch("reviewer_profile__communities"),
        )
        .annotate(
            open_reviews=Coalesce(Subquery(live_load, output_field=IntegerField()), 0),
            conduct_average=Subquery(ratings),
        )
    )


def profile_page(*, user) -> tuple[ReviewerProfile | None, list]:
    """A reviewer's profile and relations (for their own page or the officer's)."""
    profile = (
        ReviewerProfile.objects.filter(user=user)
        .prefetch_related("communities", "districts")
        .first()
    )
    if profile is None:
        return None, []
    relations = list(
        profile.relations.select_related("organisation", "call").order_by("-declared_at", "-pk")
    )
    cited = set(
        ConflictRecord.objects.filter(relation__in=relations).values_list("relation_id", flat=True)
    )
    for relation in relations:
        relation.cited = relation.pk in cited
    return profile, relations


def conduct_rows(*, call: Call) -> list[ReviewerProfile]:
    """The reviewers who worked on ``call`` with their counts and this call's rating, if any."""
    submitted = Count(
        "user__review_assignments",
        filter=Q(
            user__review_assignments__application__call=call,
            user__review_assignments__state=A.SUBMITTED,
        ),
        distinct=True,
    )
    total = Count(
        "user__review_assignments",
        filter=Q(user__review_assignments__application__call=call),
        distinct=True,
    )
    return list(
        ReviewerProfile.objects.filter(user__review_assignments__application__call=call)
        .distinct()
        .select_related("user")
        .annotate(assignment_count=total, submitted_count=submitted)
        .prefetch_related(
            Prefetch(
                "ratings", queryset=ConductRating.objects.filter(call=call), to_attr="call_ratings"
            )
        )
        .order_by("user__display_name", "user__username")
    )
