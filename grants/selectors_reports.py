"""Reads of milestone plans and reports, each in a constant number of queries (issue #6).

Contract for the other areas (evaluations, impact dashboards):
- ``indicator_progress(application_ids)`` → {id: [{"name", "code", "unit", "target", "reached"}]}: the plan's
  targets with the value of the latest ACCEPTED report (values are cumulative); 0 if none yet.
- ``beneficiaries_reached(application_ids)`` → {id: int} (latest accepted report, cumulative).
- ``volunteer_hours(application_ids)`` → {id: Decimal} (sum over accepted reports' volunteers).
- ``overdue_reports(application_ids=, organisation_ids=)`` → queryset of overdue ``Milestone`` rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.enums import Role
from grants.enums import FUNDED_STATES
from grants.models import Programme
from grants.models.reports import (
    ANSWERED_REPORT_STATES,
    Milestone,
    Report,
    ReportEvidence,
    ReportState,
    ReportVolunteer,
    StandardIndicator,
)

R = ReportState


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def indicator_label(row: dict) -> str:
    """A standard indicator's label in the active language; the application's own as written."""
    code = row.get("code")
    if code in StandardIndicator.values:
        return str(StandardIndicator(code).label)
    return str(row.get("name") or "")


def indicator_unit(row: dict) -> str:
    """The unit as written, or a standard indicator's unit in the active language."""
    if row.get("unit"):
        return str(row["unit"])
    code = row.get("code")
    if code == StandardIndicator.BENEFICIARIES:
        return str(_("people"))
    if code == StandardIndicator.VOLUNTEER_HOURS:
        return str(_("hours"))
    if code == StandardIndicator.SATISFACTION:
        return "%"
    return ""


def _key(row: dict) -> str:
    return row.get("code") or f"name:{row.get('name')}"


def indicator_progress(application_ids: Iterable[int]) -> dict[int, list[dict]]:
    ids = list(application_ids)
    result: dict[int, list[dict]] = {pk: [] for pk in ids}
    # The plan's targets: those of each project's last milestone (the whole-project targets).
    targets: dict[int, list[dict]] = {}
    for milestone in Milestone.objects.filter(application_id__in=ids).order_by(
        "application_id", "due_on", "position"
    ):
        targets[milestone.application_id] = milestone.indicator_targets or []
    latest: dict[int, dict[str, Decimal]] = {}
    # values_list, not model instances: a Report loads its state on init (ConcurrentTransitionMixin).
    for application_id, rows in (
        Report.objects.filter(application_id__in=ids, state=R.ACCEPTED)
        .order_by("application_id", "milestone__due_on", "milestone__position")
        .values_list("application_id", "indicator_values")
    ):
        values = latest.setdefault(application_id, {})
        for row in rows or []:
            number = _decimal(row.get("reached"))
            if number is not None:
                values[_key(row)] = number
    for pk in ids:
        reached = latest.get(pk, {})
        result[pk] = [
            {
                "name": indicator_label(row),
                # Extra to the contract: the standard indicator's code ("" for the project's own).
                "code": row.get("code") or "",
                "unit": indicator_unit(row),
                "target": _decimal(row.get("target")),
                "reached": reached.get(_key(row), Decimal("0")),
            }
            for row in targets.get(pk, [])
        ]
    return result


def beneficiaries_reached(application_ids: Iterable[int]) -> dict[int, int]:
    ids = list(application_ids)
    result = dict.fromkeys(ids, 0)
    for application_id, count in (
        Report.objects.filter(
            application_id__in=ids, state=R.ACCEPTED, beneficiaries_reached__isnull=False
        )
        .order_by("application_id", "milestone__due_on", "milestone__position")
        .values_list("application_id", "beneficiaries_reached")
    ):
        result[application_id] = count  # the latest accepted report wins (cumulative)
    return result


def volunteer_hours(application_ids: Iterable[int]) -> dict[int, Decimal]:
    ids = list(application_ids)
    result = dict.fromkeys(ids, Decimal("0"))
    for row in (
        ReportVolunteer.objects.filter(
            report__application_id__in=ids, report__state=R.ACCEPTED, hours__isnull=False
        )
        .values("report__application_id")
        .annotate(total=Sum("hours"))
        .order_by()
    ):
        result[row["report__application_id"]] = row["total"] or Decimal("0")
    return result


def _unanswered() -> QuerySet[Milestone]:
    answered = Report.objects.filter(milestone=OuterRef("pk"), state__in=ANSWERED_REPORT_STATES)
    return Milestone.objects.filter(application__state__in=FUNDED_STATES).exclude(Exists(answered))


def overdue_reports(
    *,
    application_ids: Iterable[int] | None = None,
    organisation_ids: Iterable[int] | None = None,
    programme_ids: Iterable[int] | None = None,
    today: date | None = None,
) -> QuerySet[Milestone]:
    """Milestones past their due date without a submitted or accepted report, on running projects."""
    today = today or timezone.localdate()
    queryset = _unanswered().filter(due_on__lt=today)
    if application_ids is not None:
        queryset = queryset.filter(application_id__in=list(application_ids))
    if organisation_ids is not None:
        queryset = queryset.filter(application__organisation_id__in=list(organisation_ids))
    if programme_ids is not None:
        queryset = queryset.filter(application__call__programme_id__in=list(programme_ids))
    return queryset.select_related("application__organisation", "application__call").order_by(
        "due_on", "pk"
    )


def officer_programme_ids(user) -> list[int] | None:
    """The programmes an officer runs, or None for all (an officer named on none sees everything,
    as in ``grants.services.notifications.programme_officers``)."""
    ids = list(Programme.objects.filter(officers=user).values_list("pk", flat=True))
    return ids or None


def overdue_count_for(user) -> int:
    """How many overdue reports concern ``user``: an officer's programmes, a member's organisations."""
    if not (user and user.is_authenticated):
        return 0
    if user.has_role(Role.OFFICER):
        return overdue_reports(programme_ids=officer_programme_ids(user)).count()
    organisations = user.organisation_ids(Role.APPLICANT)
    if organisations:
        return overdue_reports(organisation_ids=organisations).count()
    return 0


# --- Lists ------------------------------------------------------------------------------------

WORKSPACE_FILTERS = ("overdue", "due_soon", "awaiting_review", "returned", "accepted", "all")
DUE_SOON_DAYS = 30


def workspace_milestones(
    *,
    status: str = "overdue",
    programme_ids: Iterable[int] | None = None,
    call_id: int | None = None,
    search: str = "",
    today: date | None = None,
) -> QuerySet[Milestone]:
    """The officer's list: milestones of funded projects by status, with project and report."""
    today = today or timezone.localdate()
    queryset = Milestone.objects.filter(
        Q(application__state__in=FUNDED_STATES) | Q(report__isnull=False)
    )
    unanswered = ~Q(report__state__in=ANSWERED_REPORT_STATES) | Q(report__isnull=True)
    if status == "overdue":
        queryset = queryset.filter(
            unanswered, due_on__lt=today, application__state__in=FUNDED_STATES
        )
    elif status == "due_soon":
        queryset = queryset.filter(
            unanswered,
            due_on__gte=today,
            due_on__lte=today + timedelta(days=DUE_SOON_DAYS),
            application__state__in=FUNDED_STATES,
        )
    elif status == "awaiting_review":
        queryset = queryset.filter(report__state=R.SUBMITTED)
    elif status == "returned":
        queryset = queryset.filter(report__state=R.RETURNED)
    elif status == "accepted":
        queryset = queryset.filter(report__state=R.ACCEPTED)
    if programme_ids is not None:
        queryset = queryset.filter(application__call__programme_id__in=list(programme_ids))
    if call_id:
        queryset = queryset.filter(application__call_id=call_id)
    if search:
        queryset = queryset.filter(
            Q(application__title__icontains=search)
            | Q(application__organisation__name__icontains=search)
        )
    return (
        queryset.select_related("application__organisation", "application__call", "report")
        .distinct()
        .order_by("due_on", "pk")
    )


def project_milestones(application) -> list[Milestone]:
    """A project's plan with each milestone's report and its evidence (three queries)."""
    milestones = list(
        Milestone.objects.filter(application=application)
        .select_related("report")
        .order_by("due_on", "position")
    )
    reports = [m.report for m in milestones if getattr(m, "report", None) is not None]
    evidence: dict[int, list] = {}
    for row in ReportEvidence.objects.filter(report__in=reports).order_by("uploaded_at", "pk"):
        evidence.setdefault(row.report_id, []).append(row)
    for report in reports:
        report.evidence_list = evidence.get(report.pk, [])
    return milestones


def report_with_rows(pk: int) -> Report | None:
    """One report with everything its page shows."""
    return (
        Report.objects.select_related(
            "milestone", "application__organisation", "application__call", "reviewed_by"
        )
        .prefetch_related("activities", "volunteers", "evidence")
        .filter(pk=pk)
        .first()
    )
