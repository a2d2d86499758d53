"""Milestone plans (issue #6): the default plan of a funded project and the officer's edits.

``create_default_plan`` runs without an actor when the agreement is signed (see the receiver in
``grants.models.reports``); ``build_milestone_plan`` and ``update_milestone`` are the officer's.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from grants.enums import FUNDED_STATES
from grants.models import Application
from grants.models.reports import Milestone, Report, ReportKind, ReportState, StandardIndicator
from grants.services.errors import TransitionRefused
from incubator.working_days import add_months

R = ReportState
# Reports are written while the project runs (and its evaluations are under way).
REPORTING_STATES = tuple(FUNDED_STATES)


# --- The plan -----------------------------------------------------------------------------------


def plan_dates(starts_on: date, ends_on: date) -> list[tuple[str, date]]:
    """(kind, due date) of the default plan: quarterly progress reports, a mid-term report at the
    agreement's middle and a final report at its end. A quarter falling within a month of the
    mid-term or final report is left out (that report covers it)."""
    middle = starts_on + (ends_on - starts_on) / 2
    dates = [(ReportKind.MID_TERM, middle), (ReportKind.FINAL, ends_on)]
    quarter = 1
    while (due := add_months(starts_on, 3 * quarter)) < ends_on:
        if all(abs((due - other).days) > 31 for _kind, other in dates[:2]):
            dates.append((ReportKind.PERIODIC, due))
        quarter += 1
    return sorted(dates, key=lambda item: item[1])


def _is_satisfaction(name: str) -> bool:
    lowered = (name or "").lower()
    return "满意" in lowered or "satisf" in lowered


def default_targets(application: Application) -> list[dict]:
    """The application's indicators, then the standard ones it does not already carry."""
    targets = []
    has_satisfaction = False
    for row in application.indicators or []:
        if not isinstance(row, dict) or not str(row.get("name") or "").strip():
            continue
        code = ""
        if _is_satisfaction(row["name"]) and not has_satisfaction:
            code, has_satisfaction = StandardIndicator.SATISFACTION, True
        targets.append(
            {
                "code": code,
                "name": str(row["name"]).strip(),
                "kind": row.get("kind") or "output",
                "target": str(row.get("target") or "").strip(),
                "unit": str(row.get("unit") or "").strip(),
            }
        )
    # Standard indicators store no unit: it is shown in the reader's language (``indicator_unit``).
    standard = [
        (StandardIndicator.BENEFICIARIES, "output", application.beneficiaries_count),
        (StandardIndicator.ACTIVITIES, "output", None),
        (StandardIndicator.VOLUNTEER_HOURS, "output", None),
    ]
    if not has_satisfaction:
        standard.append((StandardIndicator.SATISFACTION, "outcome", None))
    for code, kind, target in standard:
        targets.append(
            {
                "code": code,
                "name": str(StandardIndicator(code).label),
                "kind": kind,
                "target": "" if target is None else str(target),
                "unit": "",
            }
        )
    return targets


def _activity_names(application: Application) -> str:
    names = [
        str(row.get("name")).strip()
        for row in application.activities or []
        if isinstance(row, dict) and row.get("name")
    ]
    return "、".join(names)


def _title(kind: str, number: int) -> str:
    if kind == ReportKind.MID_TERM:
        return str(_("Mid-term report"))
    if kind == ReportKind.FINAL:
        return str(_("Final report"))
    return str(_("Progress report, quarter %(number)s") % {"number": number})


def _deliverables(kind: str, activities: str) -> str:
    if kind == ReportKind.MID_TERM:
        text = _(
            "Progress against every indicator at half-term, activity records with photos and "
            "sign-in sheets, named volunteers and their hours, spending so far."
        )
    elif kind == ReportKind.FINAL:
        text = _(
            "What the project achieved against every indicator, activity records with photos and "
            "sign-in sheets, named volunteers and their hours, final accounts."
        )
    else:
        text = _("Activities held this quarter, indicator values so far, volunteers and hours.")
    if activities:
        text = str(text) + "\n" + str(_("Planned activities: %(names)s") % {"names": activities})
    return str(text)


def create_default_plan(*, application: Application, today: date | None = None) -> list[Milestone]:
    """Write the default plan of a funded project unless it has one; returns its milestones.

    Dates come from the agreement (``starts_on``/``ends_on``); without one, 12 months from today.
    Called by ``build_milestone_plan`` and when the agreement is signed (no actor: the system).
    """
    existing = list(Milestone.objects.filter(application=application).order_by("position"))
    if existing:
        return existing
    from grants.models import Agreement

    agreement = Agreement.objects.filter(application_id=application.pk).first()
    if agreement is not None:
        starts_on, ends_on = agreement.starts_on, agreement.ends_on
    else:
        starts_on = today or timezone.localdate()
        ends_on = add_months(starts_on, 12)
    # Titles and deliverables are the plan's text, shared by the organisation and the officers:
    # written in the site's language (Chinese), whoever's request signed the agreement.
    with translation.override(settings.LANGUAGE_CODE):
        targets = default_targets(application)
        activities = _activity_names(application)
        milestones = []
        quarter = 0
        for position, (kind, due_on) in enumerate(plan_dates(starts_on, ends_on), start=1):
            if kind == ReportKind.PERIODIC:
                quarter += 1
            milestones.append(
                Milestone(
                    application=application,
                    position=position,
                    kind=kind,
                    title=_title(kind, quarter),
                    due_on=due_on,
                    deliverables=_deliverables(kind, activities),
                    indicator_targets=targets,
                )
            )
    return Milestone.objects.bulk_create(milestones)


def _lock_application(pk: int) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("call", "organisation")
        .get(pk=pk)
    )


def build_milestone_plan(*, application: Application, actor) -> list[Milestone]:
    """The officer generates the default plan of a funded project (a no-op if it has one)."""
    with transaction.atomic():
        application = _lock_application(application.pk)
        if actor is None or not actor.has_perm("grants.manage_milestones", application):
            raise PermissionDenied(_("You may not plan this project's milestones."))
        if application.state not in REPORTING_STATES:
            raise TransitionRefused(
                _("A milestone plan is made for a funded project; this one is “%(state)s”.")
                % {"state": application.get_state_display()},
                application=application,
            )
        return create_default_plan(application=application)


def update_milestone(
    *, milestone: Milestone, actor, title: str, due_on: date, deliverables: str
) -> Milestone:
    """The officer edits a milestone. A new due date re-arms its reminders."""
    with transaction.atomic():
        milestone = (
            Milestone.objects.select_for_update(of=("self",))
            .select_related("application")
            .get(pk=milestone.pk)
        )
        if actor is None or not actor.has_perm("grants.manage_milestones", milestone.application):
            raise PermissionDenied(_("You may not plan this project's milestones."))
        errors = {}
        title = (title or "").strip()
        if not title:
            errors["title"] = _("Give the milestone a title.")
        if due_on is None:
            errors["due_on"] = _("Give the date the report is due.")
        report = Report.objects.filter(milestone=milestone).first()
        if report is not None and report.state == R.ACCEPTED and due_on != milestone.due_on:
            errors["due_on"] = _("The report on this milestone is accepted; its date stays.")
        if errors:
            raise ValidationError(errors)
        if due_on != milestone.due_on:
            milestone.due_soon_reminded_at = None
            milestone.overdue_reminded_at = None
        milestone.title = title[:200]
        milestone.due_on = due_on
        milestone.deliverables = deliverables or ""
        milestone.save()
    return milestone
