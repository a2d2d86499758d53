"""Milestone plans and reports: the only code that writes them (issue #6).

Every action runs in ``transaction.atomic()``, locks the report (or the application, for plans)
with ``select_for_update``, checks the actor's permission through django-rules, runs the report's
django-fsm transition with ``by=actor`` (django-fsm-log writes the audit row in the same
transaction) and writes the in-app notifications; e-mails go out on commit.

Drafts are never lost: ``save_report_draft`` stores every valid value and returns the problems with
the others; ``submit_report`` refuses with per-field messages and leaves the draft as it was.
"""

from __future__ import annotations

import os
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from grants.enums import ApplicationState
from grants.models.reports import (
    ANSWERED_REPORT_STATES,
    EDITABLE_REPORT_STATES,
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
from grants.services import files
from grants.services.errors import TransitionRefused
from grants.services.notifications_reports import notify_reminder, notify_report
from grants.services.reports_plan import (  # noqa: F401 — the plan's services, re-exported
    REPORTING_STATES,
    _lock_application,
    build_milestone_plan,
    create_default_plan,
    default_targets,
    plan_dates,
    update_milestone,
)

R = ReportState
S = ApplicationState
# Photos: JPG or PNG. Sign-in sheets: also a scanned PDF.
EVIDENCE_TYPES = {
    EvidenceKind.PHOTO: {files.JPEG, files.PNG},
    EvidenceKind.SIGN_IN_SHEET: {files.JPEG, files.PNG, files.PDF},
}
VALUE_LIMIT = Decimal("9999999999")
REMINDER_DAYS = 7


# --- Writing a report ---------------------------------------------------------------------------


def _lock_report(report: Report | int) -> Report:
    pk = report.pk if isinstance(report, Report) else report
    return (
        Report.objects.select_for_update(of=("self",))
        .select_related("milestone", "application__organisation", "application__call")
        .get(pk=pk)
    )


def _require(actor, perm: str, obj, message=None) -> None:
    if actor is None or not actor.has_perm(perm, obj):
        raise PermissionDenied(message or _("You may not do this to this report."))


def _refuse_state(report: Report, message=None):
    raise TransitionRefused(
        message
        or _("This is not possible while the report is “%(state)s”.")
        % {"state": report.get_state_display()},
        application=report.application,
    )


def start_report(*, milestone: Milestone, actor) -> Report:
    """Open the report on ``milestone`` (or return the one already open: one report per milestone)."""
    with transaction.atomic():
        application = _lock_application(milestone.application_id)
        _require(actor, "grants.write_report", application)
        existing = Report.objects.filter(milestone_id=milestone.pk).first()
        if existing is not None:
            return existing
        if application.state not in REPORTING_STATES:
            raise TransitionRefused(
                _("Reports are written while the project runs; this one is “%(state)s”.")
                % {"state": application.get_state_display()},
                application=application,
            )
        milestone = Milestone.objects.get(pk=milestone.pk)
        return Report.objects.create(
            milestone=milestone,
            application=application,
            kind=milestone.kind,
            indicator_values=[
                {**{k: row.get(k, "") for k in ("code", "name", "unit", "target")}, "reached": ""}
                for row in milestone.indicator_targets or []
            ],
            created_by=actor,
            last_saved_at=timezone.now(),
        )


def _decimal(value, *, half_units: bool = False) -> Decimal | None:
    """A non-negative decimal from what was typed, or None if blank; ValueError if malformed."""
    if value is None or str(value).strip() == "":
        return None
    try:
        number = Decimal(str(value).replace(",", "").replace("%", "").strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValueError from exc
    if not number.is_finite() or number < 0 or number > VALUE_LIMIT:
        raise ValueError
    if half_units and (number * 2) != (number * 2).to_integral_value():
        raise ValueError
    return number


def _clean_activity(index: int, row: dict, errors: dict) -> ReportActivity:
    prefix = f"activities-{index}"
    held_on = row.get("held_on")
    if isinstance(held_on, str):
        try:
            held_on = date.fromisoformat(held_on) if held_on.strip() else None
        except ValueError:
            errors[f"{prefix}-held_on"] = _("Enter a date, e.g. 2026-05-18.")
            held_on = None
    if held_on is not None and held_on > timezone.localdate():
        errors[f"{prefix}-held_on"] = _("An activity held in the future cannot be reported.")
        held_on = None
    participants = row.get("participants")
    try:
        count = int(participants) if str(participants or "").strip() else 0
        if count < 0:
            raise ValueError
    except (TypeError, ValueError):
        errors[f"{prefix}-participants"] = _("Enter a whole number of people.")
        count = 0
    return ReportActivity(
        position=index,
        held_on=held_on,
        place=str(row.get("place") or "").strip()[:200],
        description=str(row.get("description") or "").strip()[:500],
        participants=count,
    )


def _clean_volunteer(index: int, row: dict, errors: dict) -> ReportVolunteer:
    prefix = f"volunteers-{index}"
    try:
        hours = _decimal(row.get("hours"), half_units=True)
        if hours is not None and hours == 0:
            raise ValueError
    except ValueError:
        errors[f"{prefix}-hours"] = _("Enter hours in half-hour units, e.g. 2 or 3.5.")
        hours = None
    return ReportVolunteer(
        position=index, name=str(row.get("name") or "").strip()[:100], hours=hours
    )


def _blank(row: dict, names) -> bool:
    return all(str(row.get(name) or "").strip() in ("", "0") for name in names)


def save_report_draft(
    *,
    report: Report,
    actor,
    narrative: str | None = None,
    indicator_values: dict[int, str] | None = None,
    beneficiaries_reached=None,
    activities: list[dict] | None = None,
    volunteers: list[dict] | None = None,
) -> tuple[Report, dict]:
    """Autosave: store every valid value given; return the report and ``{field: message}`` for the
    values that could not be stored (those keep their previous value). ``None`` leaves a part as
    it is; ``activities`` and ``volunteers`` replace all rows (blank rows are dropped)."""
    errors: dict = {}
    with transaction.atomic():
        report = _lock_report(report)
        _require(actor, "grants.write_report", report)
        if report.state not in EDITABLE_REPORT_STATES:
            _refuse_state(
                report,
                _("The report can no longer be changed: it is “%(state)s”.")
                % {"state": report.get_state_display()},
            )
        if narrative is not None:
            report.narrative = str(narrative)
        if indicator_values is not None:
            values = [dict(row) for row in report.indicator_values or []]
            for index, raw in indicator_values.items():
                if not 0 <= int(index) < len(values):
                    continue
                try:
                    number = _decimal(raw)
                except ValueError:
                    errors[f"indicator_{index}"] = _("Enter a number, e.g. 120 or 92.5.")
                    continue
                values[int(index)]["reached"] = "" if number is None else str(number)
            report.indicator_values = values
        if beneficiaries_reached is not None:
            text = str(beneficiaries_reached).strip()
            if not text:
                report.beneficiaries_reached = None
            elif text.isdigit():
                report.beneficiaries_reached = int(text)
            else:
                errors["beneficiaries_reached"] = _("Enter a whole number of people.")
        if activities is not None:
            rows = [
                _clean_activity(index, row, errors)
                for index, row in enumerate(activities)
                if not _blank(row, ("held_on", "place", "description", "participants"))
            ]
            report.activities.all().delete()
            for row in rows:
                row.report = report
            ReportActivity.objects.bulk_create(rows)
        if volunteers is not None:
            rows = [
                _clean_volunteer(index, row, errors)
                for index, row in enumerate(volunteers)
                if not _blank(row, ("name", "hours"))
            ]
            report.volunteers.all().delete()
            for row in rows:
                row.report = report
            ReportVolunteer.objects.bulk_create(rows)
            report.volunteer_hours = sum((row.hours or Decimal("0") for row in rows), Decimal("0"))
        report.last_saved_at = timezone.now()
        report.save()
    return report, errors


def add_evidence(*, report: Report, actor, uploaded_file, kind: str) -> ReportEvidence:
    """Check the file's real type and size and store it privately. Nothing is stored if refused."""
    if kind not in EvidenceKind.values:
        raise ValidationError({"kind": _("Choose whether this is a photo or a sign-in sheet.")})
    with transaction.atomic():
        report = _lock_report(report)
        _require(actor, "grants.write_report", report)
        if report.state not in EDITABLE_REPORT_STATES:
            _refuse_state(
                report,
                _("Files can no longer be added: the report is “%(state)s”.")
                % {"state": report.get_state_display()},
            )
        checked = files.check_upload(
            uploaded_file, max_mb=report.application.call.max_attachment_mb
        )
        name = os.path.basename(uploaded_file.name or "file")[-255:]
        if checked.kind not in EVIDENCE_TYPES[kind]:
            raise ValidationError(
                {
                    "file": (
                        _("“%(name)s” is not a photo: upload a JPG or PNG picture.")
                        if kind == EvidenceKind.PHOTO
                        else _("“%(name)s” is not a sign-in sheet: upload a PDF, JPG or PNG scan.")
                    )
                    % {"name": name}
                }
            )
        evidence = ReportEvidence(
            report=report,
            kind=kind,
            original_name=name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=actor,
        )
        uploaded_file.seek(0)
        evidence.file.save(f"{uuid.uuid4().hex}{checked.extension}", uploaded_file, save=False)
        try:
            evidence.save()
        except Exception:
            evidence.file.delete(save=False)
            raise
        report.last_saved_at = timezone.now()
        report.save(update_fields=["last_saved_at"])
    return evidence


def remove_evidence(*, evidence: ReportEvidence, actor) -> None:
    with transaction.atomic():
        report = _lock_report(evidence.report_id)
        _require(actor, "grants.write_report", report)
        if report.state not in EDITABLE_REPORT_STATES:
            _refuse_state(report)
        evidence = ReportEvidence.objects.get(pk=evidence.pk, report=report)
        stored = evidence.file.name
        evidence.delete()
        transaction.on_commit(lambda: evidence.file.storage.delete(stored))


def submission_problems(report: Report) -> dict:
    """What stops ``report`` from being submitted: ``{field: message}`` (empty when complete)."""
    errors: dict = {}
    if not (report.narrative or "").strip():
        errors["narrative"] = _("Describe what the project did in this period.")
    for index, row in enumerate(report.indicator_values or []):
        if str(row.get("reached") or "").strip() == "":
            label = (
                StandardIndicator(row["code"]).label
                if row.get("code") in StandardIndicator.values
                else row.get("name")
            )
            errors[f"indicator_{index}"] = _("Enter the value reached for “%(name)s”.") % {
                "name": label
            }
    if report.beneficiaries_reached is None:
        errors["beneficiaries_reached"] = _("Enter how many people the project has reached so far.")
    activities = list(report.activities.all())
    milestone_report = report.kind in (ReportKind.MID_TERM, ReportKind.FINAL)
    if milestone_report and not activities:
        errors["activities"] = _("List at least one activity held, with its date and place.")
    for row in activities:
        prefix = f"activities-{row.position}"
        if row.held_on is None:
            errors[f"{prefix}-held_on"] = _("Give the date of this activity.")
        if not row.place:
            errors[f"{prefix}-place"] = _("Give the place of this activity.")
        if not row.description:
            errors[f"{prefix}-description"] = _("Say what happened at this activity.")
    for row in report.volunteers.all():
        prefix = f"volunteers-{row.position}"
        if not row.name:
            errors[f"{prefix}-name"] = _("Name the volunteer.")
        if row.hours is None:
            errors[f"{prefix}-hours"] = _("Give the volunteer's hours.")
    if milestone_report and not report.evidence.filter(kind=EvidenceKind.PHOTO).exists():
        errors["evidence"] = _("Upload at least one photo of the activities (JPG or PNG).")
    return errors


def submit_report(*, report: Report, actor) -> Report:
    """Submit the report for review. Incomplete: ``ValidationError`` per field, draft unchanged.

    Submitting after the due date is allowed and flags the report late. Submitting twice is a no-op.
    """
    with transaction.atomic():
        report = _lock_report(report)
        _require(actor, "grants.submit_report", report)
        if report.state == R.SUBMITTED:
            return report
        if not can_proceed(report.submit):
            _refuse_state(report)
        if report.application.state not in REPORTING_STATES:
            raise TransitionRefused(
                _("Reports are written while the project runs; this one is “%(state)s”.")
                % {"state": report.application.get_state_display()},
                application=report.application,
            )
        problems = submission_problems(report)
        if problems:
            raise ValidationError(problems)
        report.submit(by=actor, description=None)
        report.save()
        notify_report(report=report, verb="report_submitted", actor=actor)
    return report


def accept_report(*, report: Report, actor, comment: str = "") -> Report:
    with transaction.atomic():
        report = _lock_report(report)
        _require(actor, "grants.review_report", report)
        if report.state == R.ACCEPTED:
            return report
        if not can_proceed(report.accept):
            _refuse_state(report)
        report.accept(by=actor, description=(comment or "").strip() or None)
        report.save()
        notify_report(report=report, verb="report_accepted", actor=actor, comment=comment)
    return report


def return_report(*, report: Report, actor, comment: str) -> Report:
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say what needs changing; the organisation reads it.")})
    with transaction.atomic():
        report = _lock_report(report)
        _require(actor, "grants.review_report", report)
        if report.state == R.RETURNED:
            return report
        if not can_proceed(report.return_for_changes):
            _refuse_state(report)
        report.return_for_changes(by=actor, description=comment, comment=comment)
        report.save()
        notify_report(report=report, verb="report_returned", actor=actor, comment=comment)
    return report


# --- Reminders ----------------------------------------------------------------------------------


def _unanswered(queryset):
    return queryset.filter(application__state__in=REPORTING_STATES).exclude(
        report__state__in=ANSWERED_REPORT_STATES
    )


def send_report_reminders(
    *, now: datetime | None = None, days_before: int = REMINDER_DAYS
) -> dict[str, int]:
    """Remind organisations of reports due within ``days_before`` days and of overdue ones.

    Exactly once per milestone and kind of reminder: the milestone's marker is claimed with a
    conditional UPDATE (``… WHERE due_soon_reminded_at IS NULL``) before anything is written, so
    two runs (or two workers) remind once. Returns how many of each kind were sent.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    plan = {
        "due_soon": (
            _unanswered(
                Milestone.objects.filter(
                    due_on__gte=today,
                    due_on__lte=today + timedelta(days=days_before),
                    due_soon_reminded_at__isnull=True,
                )
            ),
            "due_soon_reminded_at",
        ),
        "overdue": (
            _unanswered(
                Milestone.objects.filter(due_on__lt=today, overdue_reminded_at__isnull=True)
            ),
            "overdue_reminded_at",
        ),
    }
    sent = {"due_soon": 0, "overdue": 0}
    for kind, (queryset, marker) in plan.items():
        for pk in list(queryset.order_by("due_on", "pk").values_list("pk", flat=True)):
            with transaction.atomic():
                claimed = Milestone.objects.filter(pk=pk, **{f"{marker}__isnull": True}).update(
                    **{marker: now}
                )
                if not claimed:
                    continue
                milestone = Milestone.objects.select_related(
                    "application__organisation", "application__call"
                ).get(pk=pk)
                notify_reminder(milestone=milestone, kind=kind, today=today)
                sent[kind] += 1
    return sent


__all__ = [
    "accept_report",
    "add_evidence",
    "build_milestone_plan",
    "create_default_plan",
    "remove_evidence",
    "return_report",
    "save_report_draft",
    "send_report_reminders",
    "start_report",
    "submission_problems",
    "submit_report",
    "update_milestone",
]
