"""Reads of the decision step: the 公示 (public notice) of a call, its objections, decision reasons.

Every list runs a fixed number of queries whatever its length (tests compare 1 and 30 rows).
What the public may see is decided here, in one place: ``public_projects`` and
``public_answers`` select the rows and the public templates show only the fields listed there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Case,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django_fsm_log.models import StateLog

from grants.enums import ApplicationState, ObjectionState
from grants.models import Application, Call, Objection, PublicNotice

S = ApplicationState
O = ObjectionState  # noqa: E741

# Not decided yet: publishing the 公示 waits for these (a returned application only while the
# applicant may still resubmit it; after its deadline it can never come back).
UNDECIDED_STATES = (S.SUBMITTED, S.SCREENING, S.RETURNED, S.IN_REVIEW, S.DEFENSE, S.REVIEWED)
# On the 公示 now: objections may be lodged against these.
NOTICE_STATES = (S.PUBLIC_NOTICE, S.OBJECTION_REVIEW)
ANSWERED_STATES = (O.UPHELD, O.DISMISSED)


# --- Before publishing ---------------------------------------------------------------------------


def undecided_applications(*, call: Call, now: datetime | None = None) -> list[Application]:
    """The call's applications still in screening or review (they block the 公示), in pk order."""
    now = now or timezone.now()
    rows = (
        Application.objects.filter(call=call, state__in=UNDECIDED_STATES)
        .select_related("call", "organisation")
        .order_by("pk")
    )
    return [row for row in rows if row.state != S.RETURNED or row.resubmission_deadline > now]


def decided_applications(*, call: Call) -> QuerySet[Application]:
    """Recommended and not recommended applications of the call, best rank first (one query)."""
    return (
        Application.objects.filter(call=call, state__in=(S.RECOMMENDED, S.NOT_RECOMMENDED))
        .select_related("organisation", "review_summary")
        .order_by("review_summary__rank", "pk")
    )


# --- The public 公示 ------------------------------------------------------------------------------


def public_notices() -> QuerySet[PublicNotice]:
    """Every published notice, newest first, with its call and programme (the /gongshi/ index)."""
    return PublicNotice.objects.select_related("call__programme").order_by("-published_at", "pk")


def public_notice_for_slug(slug: str) -> PublicNotice | None:
    return PublicNotice.objects.select_related("call__programme").filter(call__slug=slug).first()


def _published_on_notice():
    """True for an application that went through ``publish_notice`` (its log says so).

    The state alone cannot tell: a project rejected after an upheld objection was on the 公示, a
    not-recommended project rejected at publication never was.
    """
    return Exists(
        StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Application),
            object_id=OuterRef("pk"),
            transition="publish_notice",
        )
    )


def public_answers() -> Prefetch:
    """Answered objections, oldest answer first, for ``application.public_answers``."""
    return Prefetch(
        "objections",
        queryset=Objection.objects.filter(state__in=ANSWERED_STATES).order_by("answered_at", "pk"),
        to_attr="public_answers",
    )


def public_projects(*, notice: PublicNotice) -> QuerySet[Application]:
    """The projects published on ``notice``, by rank: two queries however many there are.

    Only these fields are shown publicly: rank, organisation name, project title, theme, amount,
    final score, state, and the answers to objections (with the objector's name masked). Never
    contacts, reviewers, individual scores or the application's content.
    """
    return (
        Application.objects.filter(call_id=notice.call_id)
        .filter(_published_on_notice())
        .select_related("organisation", "review_summary")
        .prefetch_related(public_answers())
        .order_by("review_summary__rank", "pk")
    )


def public_project(*, notice: PublicNotice, pk: int) -> Application | None:
    return public_projects(notice=notice).filter(pk=pk).first()


# --- The officer's side --------------------------------------------------------------------------


def objections_for_officer(*, call: Call) -> QuerySet[Objection]:
    """All objections to the call's 公示: open ones first, then unverified, then answered (one query)."""
    order = Case(
        When(state=O.OPEN, then=Value(0)),
        When(state=O.UNVERIFIED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        Objection.objects.filter(notice__call=call)
        .select_related("application__organisation", "answered_by")
        .annotate(order=order)
        .order_by("order", "-created_at", "-pk")
    )


def objection_for_officer(*, call: Call, pk: int) -> Objection | None:
    return (
        Objection.objects.filter(notice__call=call, pk=pk)
        .select_related("application__organisation", "application__call", "notice", "answered_by")
        .first()
    )


@dataclass(frozen=True)
class NoticeCounts:
    on_notice: int
    objection_review: int
    approved: int
    rejected: int
    open_objections: int


def notice_counts(*, call: Call) -> NoticeCounts:
    """Numbers for the officer's 公示 page (two queries)."""
    states = dict.fromkeys((S.PUBLIC_NOTICE, S.OBJECTION_REVIEW, S.APPROVED, S.REJECTED), 0)
    for state in Application.objects.filter(call=call, state__in=list(states)).values_list(
        "state", flat=True
    ):
        states[state] += 1
    return NoticeCounts(
        on_notice=states[S.PUBLIC_NOTICE],
        objection_review=states[S.OBJECTION_REVIEW],
        approved=states[S.APPROVED],
        rejected=states[S.REJECTED],
        open_objections=Objection.objects.filter(notice__call=call, state=O.OPEN).count(),
    )


# Decided or on the notice: the officer's overview of a call after publication.
OUTCOME_STATES = (
    S.RECOMMENDED, S.NOT_RECOMMENDED, S.PUBLIC_NOTICE, S.OBJECTION_REVIEW, S.APPROVED,
    S.REJECTED, S.CONTRACTED, S.ACTIVE, S.MID_TERM, S.FINAL_EVALUATION, S.COMPLETED,
)  # fmt: skip


def decision_overview(*, call: Call) -> QuerySet[Application]:
    """The call's applications from the recommendation on, best rank first (one query)."""
    return (
        Application.objects.filter(call=call, state__in=OUTCOME_STATES)
        .select_related("organisation", "review_summary")
        .order_by("review_summary__rank", "pk")
    )


# --- Decision reasons ----------------------------------------------------------------------------


def decision_log(application: Application) -> StateLog | None:
    """The log row of the application's final decision (approve or reject), if any."""
    return (
        StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Application),
            object_id=application.pk,
            transition__in=("approve", "reject"),
        )
        .order_by("-timestamp", "-pk")
        .first()
    )


def decision_reason(application: Application) -> str:
    """The reason written for the applicant on the review summary ("" when there is none)."""
    # A missing summary raises RelatedObjectDoesNotExist, an AttributeError: getattr's default.
    summary = getattr(application, "review_summary", None)
    return (summary.decision_reason if summary else "").strip()
