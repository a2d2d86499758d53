"""Reads of the grant lifecycle, each carrying the joins its callers need (no N+1 in lists)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q, QuerySet
from django_fsm_log.models import StateLog

from accounts.enums import Role
from grants.enums import ApplicationState, CommentVisibility
from grants.models import Application, ApplicationComment, Attachment, Call, Notification


def open_calls(*, now):
    """Calls accepting applications at ``now``, soonest deadline first."""
    return Call.objects.open_at(now).select_related("programme").order_by("closes_at", "pk")


# --- Applications ------------------------------------------------------------------------------


def applications_for_officer(
    *,
    call: Call,
    states: list[str] | None = None,
    theme: str = "",
    district_id: int | None = None,
    hard_failures: bool | None = None,
    soft_flags: bool | None = None,
    search: str = "",
    include_drafts: bool = False,
    order_by: tuple = ("-submitted_at", "-pk"),
) -> QuerySet[Application]:
    """The applications of ``call`` an officer works on, filtered; one query however many rows.

    Drafts are the applicant's own business and left out unless ``include_drafts``. ``search``
    matches Chinese text anywhere in the title, summary, organisation name or reference number.
    """
    queryset = Application.objects.filter(call=call).select_related(
        "organisation__district", "call"
    )
    if not include_drafts:
        queryset = queryset.exclude(state=ApplicationState.DRAFT)
    if states:
        queryset = queryset.filter(state__in=states)
    if theme:
        queryset = queryset.filter(theme=theme)
    if district_id:
        queryset = queryset.filter(organisation__district_id=district_id)
    if hard_failures is not None:
        queryset = (
            queryset.filter(eligibility_hard_failures__gt=0)
            if hard_failures
            else queryset.filter(eligibility_hard_failures=0)
        )
    if soft_flags is not None:
        queryset = (
            queryset.filter(eligibility_soft_flags__gt=0)
            if soft_flags
            else queryset.filter(eligibility_soft_flags=0)
        )
    search = (search or "").strip()
    if search:
        # icontains is a plain substring match, which is what Chinese text needs (no word breaks).
        condition = (
            Q(title__icontains=search)
            | Q(summary__icontains=search)
            | Q(organisation__name__icontains=search)
        )
        reference = search.upper().removeprefix("YC-").split("-")[-1]
        if reference.isdigit():
            condition |= Q(pk=int(reference))
        queryset = queryset.filter(condition)
    return queryset.order_by(*order_by)


def applications_of_user(*, user) -> QuerySet[Application]:
    """Applications of every organisation the user is an applicant member of, newest first."""
    if not (user and user.is_authenticated):
        return Application.objects.none()
    return (
        Application.objects.filter(
            organisation__memberships__user=user,
            organisation__memberships__role=Role.APPLICANT,
            organisation__memberships__is_active=True,
        )
        .select_related("call__programme", "organisation")
        .distinct()
        .order_by("-created_at", "-pk")
    )


def application_for_viewer(*, pk: int, user) -> Application | None:
    """The application if ``user`` may see it, else None (the caller answers 404)."""
    application = (
        Application.objects.select_related("call__programme", "organisation", "form")
        .prefetch_related(
            "budget_lines",
            "partner_communities",
            Prefetch("attachments", queryset=Attachment.objects.select_related("uploaded_by")),
        )
        .filter(pk=pk)
        .first()
    )
    if application is None or not user.has_perm("grants.view_application", application):
        return None
    return application


@dataclass(frozen=True)
class TimelineEntry:
    """One line of an application's history: a transition, a comment or a file."""

    kind: str  # "transition" | "comment" | "attachment"
    at: datetime
    actor: object | None
    source_state: str = ""
    target_state: str = ""
    transition: str = ""
    text: str = ""
    visibility: str = ""
    attachment: Attachment | None = None
    comment: ApplicationComment | None = None

    @property
    def target_label(self) -> str:
        return ApplicationState(self.target_state).label if self.target_state else ""

    @property
    def source_label(self) -> str:
        return ApplicationState(self.source_state).label if self.source_state else ""


def application_timeline(*, application: Application, viewer) -> list[TimelineEntry]:
    """Every transition, comment and file of ``application`` with who and when, oldest first.

    Staff-only comments appear only for viewers allowed to read them. Three queries.
    """
    logs = StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Application), object_id=application.pk
    ).select_related("by")
    comments = ApplicationComment.objects.filter(application=application).select_related("author")
    if not viewer.has_perm("grants.view_staff_comments", application):
        comments = comments.exclude(visibility=CommentVisibility.STAFF)
    attachments = Attachment.objects.filter(application=application).select_related("uploaded_by")
    entries = [
        TimelineEntry(
            kind="transition",
            at=log.timestamp,
            actor=log.by,
            source_state=log.source_state or "",
            target_state=log.state,
            transition=log.transition,
            text=log.description or "",
        )
        for log in logs
    ]
    entries += [
        TimelineEntry(
            kind="comment",
            at=comment.created_at,
            actor=comment.author,
            text=comment.body,
            visibility=comment.visibility,
            comment=comment,
        )
        for comment in comments
    ]
    entries += [
        TimelineEntry(
            kind="attachment",
            at=attachment.uploaded_at,
            actor=attachment.uploaded_by,
            text=attachment.original_name,
            attachment=attachment,
        )
        for attachment in attachments
    ]
    return sorted(entries, key=lambda entry: entry.at)


def available_transitions(*, application: Application, user) -> list[str]:
    """Codes of the transitions ``user`` may run now (state, conditions and permission all met)."""
    return [t.name for t in application.get_available_user_state_transitions(user)]


# --- Notifications -----------------------------------------------------------------------------


def unread_notifications(*, user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).select_related(
        "application"
    )


def notifications_of_user(*, user) -> QuerySet[Notification]:
    """The whole inbox, newest first (read and unread)."""
    return Notification.objects.filter(recipient=user).select_related("application")


def unread_count(*, user) -> int:
    if not (user and user.is_authenticated):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
