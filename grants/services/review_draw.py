"""Review panels: the random draw, manual changes, the reviewer's declaration, declines, reminders.

The draw (``draw_reviewers``) for each application of a call in expert review (written round):

1. runs conflict detection first, so the register is current;
2. leaves alone an application that already has N live assignments (assigned, accepted,
   submitted) and tops up a short one — running it twice draws nobody twice;
3. never picks a reviewer in the register for the application, nor one who was on its panel
   before (declined, withdrawn, conflicted: the database allows one assignment per reviewer,
   application and round);
4. stratifies by expertise: when no one on the panel knows the application's theme and the pool
   has someone who does, the first pick comes from those experts; the rest from everyone left;
5. balances load: each pick is one of the reviewers with the fewest live assignments in this
   call so far (ties broken at random), so loads differ by at most one where conflicts allow;
6. is reproducible: the same seed on the same data draws the same panels (candidates are sorted
   by user id before the random choice); the seed used is returned to the officer;
7. runs in one transaction with the call's in-review applications locked (lock order: call →
   applications → assignments), and reports each application it could not fill (a shortfall).

A reviewer who declines (with a reason) or declares a conflict is replaced at once by the same
rules, the new assignment linked to the old one by ``replaces``.
"""

from __future__ import annotations

import random
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.enums import Role
from grants.enums import (
    LIVE_ASSIGNMENT_STATES,
    ApplicationState,
    AssignmentState,
    ConflictSource,
    ReviewRound,
    SheetStatus,
)
from grants.models import Application, Call, ConflictRecord, ReviewAssignment, ReviewerProfile
from grants.services.errors import TransitionRefused
from grants.services.review import notify_officers, notify_reviewers, require
from grants.services.review_conflicts import conflicted_pairs, detect_conflicts

S = ApplicationState
A = AssignmentState
WRITTEN = ReviewRound.WRITTEN
DEFAULT_PER_APPLICATION = 5
# Reviewer actions are possible while the application is with the panels.
REVIEW_OPEN_STATES = (S.IN_REVIEW, S.DEFENSE)


@dataclass(frozen=True)
class Shortfall:
    application: Application
    wanted: int
    live: int

    @property
    def missing(self) -> int:
        return self.wanted - self.live


@dataclass
class DrawResult:
    seed: int
    per_application: int
    created: list[ReviewAssignment] = field(default_factory=list)
    shortfalls: list[Shortfall] = field(default_factory=list)
    complete: int = 0  # applications left alone: their panel was already full


# --- The pool and the pick ---------------------------------------------------------------------


def reviewer_pool():
    """Active profiles of active users who hold an active reviewer membership, by user id."""
    return (
        ReviewerProfile.objects.filter(
            is_active=True,
            user__is_active=True,
            user__memberships__role=Role.REVIEWER,
            user__memberships__is_active=True,
        )
        .select_related("user")
        .distinct()
        .order_by("user_id")
    )


def application_theme(application: Application) -> str:
    if application.theme:
        return application.theme
    themes = application.call.themes or []
    return themes[0] if len(themes) == 1 else ""


def _least_loaded(candidates: list[ReviewerProfile], load: Counter, rng: random.Random):
    lowest = min(load[profile.user_id] for profile in candidates)
    return rng.choice([profile for profile in candidates if load[profile.user_id] == lowest])


def pick_reviewers(
    *,
    candidates: list[ReviewerProfile],
    count: int,
    theme: str,
    panel_has_expert: bool,
    load: Counter,
    rng: random.Random,
) -> list[ReviewerProfile]:
    """Choose ``count`` of ``candidates`` (sorted by user id): one theme expert first when the
    panel lacks one, then the least loaded, ties at random. Updates ``load`` as it picks."""
    pool = list(candidates)
    chosen: list[ReviewerProfile] = []
    if count > 0 and theme and not panel_has_expert:
        experts = [profile for profile in pool if theme in (profile.expertise or [])]
        if experts:
            pick = _least_loaded(experts, load, rng)
            chosen.append(pick)
            pool.remove(pick)
            load[pick.user_id] += 1
    while len(chosen) < count and pool:
        pick = _least_loaded(pool, load, rng)
        chosen.append(pick)
        pool.remove(pick)
        load[pick.user_id] += 1
    return chosen


@dataclass
class _Panels:
    """What the draw needs to know about the panels of some applications (three queries)."""

    pool: list[ReviewerProfile]
    by_user: dict[int, ReviewerProfile]
    on_panel: dict[int, set[int]]  # application id → every reviewer ever on its written panel
    live: dict[int, list[int]]  # application id → reviewers on the panel now
    conflicts: set[tuple[int, int]]
    load: Counter  # reviewer id → live written assignments in the call

    @classmethod
    def load_for(cls, call: Call, application_ids: list[int]) -> _Panels:
        pool = list(reviewer_pool())
        on_panel: dict[int, set[int]] = defaultdict(set)
        live: dict[int, list[int]] = defaultdict(list)
        load: Counter = Counter()
        rows = ReviewAssignment.objects.filter(application__call=call, round=WRITTEN).values_list(
            "application_id", "reviewer_id", "state"
        )
        wanted = set(application_ids)
        for application_id, reviewer_id, state in rows:
            if state in LIVE_ASSIGNMENT_STATES:
                load[reviewer_id] += 1
            if application_id in wanted:
                on_panel[application_id].add(reviewer_id)
                if state in LIVE_ASSIGNMENT_STATES:
                    live[application_id].append(reviewer_id)
        return cls(
            pool=pool,
            by_user={profile.user_id: profile for profile in pool},
            on_panel=on_panel,
            live=live,
            conflicts=conflicted_pairs(application_ids=application_ids),
            load=load,
        )

    def candidates(self, application_id: int) -> list[ReviewerProfile]:
        return [
            profile
            for profile in self.pool
            if profile.user_id not in self.on_panel[application_id]
            and (profile.user_id, application_id) not in self.conflicts
        ]

    def has_expert(self, application_id: int, theme: str) -> bool:
        return bool(theme) and any(
            theme in (self.by_user[reviewer_id].expertise or [])
            for reviewer_id in self.live[application_id]
            if reviewer_id in self.by_user
        )

    def fill(
        self, application: Application, count: int, rng: random.Random
    ) -> list[ReviewerProfile]:
        theme = application_theme(application)
        picks = pick_reviewers(
            candidates=self.candidates(application.pk),
            count=count,
            theme=theme,
            panel_has_expert=self.has_expert(application.pk, theme),
            load=self.load,
            rng=rng,
        )
        for profile in picks:
            self.on_panel[application.pk].add(profile.user_id)
            self.live[application.pk].append(profile.user_id)
        return picks


def _new_assignment(
    application: Application, profile: ReviewerProfile, *, actor, drawn: bool, replaces=None
) -> ReviewAssignment:
    assignment = ReviewAssignment.objects.create(
        application=application,
        reviewer=profile.user,
        round=WRITTEN,
        assigned_by=actor,
        drawn=drawn,
        replaces=replaces,
        due_at=application.call.review_deadline,
    )
    assignment.application = application
    return assignment


# --- The draw ----------------------------------------------------------------------------------


def draw_reviewers(
    *, call: Call, actor, per_application: int | None = None, seed: int | None = None
) -> DrawResult:
    """Draw the written-review panels of ``call`` (see the module's docstring for the rules)."""
    require(actor, "grants.assign_reviewers", call)
    wanted = per_application or call.reviewers_per_application or DEFAULT_PER_APPLICATION
    if wanted < 1 or wanted > 50:
        raise ValidationError({"per_application": _("Draw between 1 and 50 reviewers.")})
    if seed is None:
        seed = secrets.randbelow(2**31)
    rng = random.Random(seed)
    result = DrawResult(seed=seed, per_application=wanted)
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call.pk)
        applications = list(
            Application.objects.select_for_update(of=("self",))
            .filter(call=call, state=S.IN_REVIEW)
            .select_related("call", "organisation")
            .order_by("pk")
        )
        if not applications:
            raise TransitionRefused(
                _("No application of this call is in expert review: accept some for review first.")
            )
        detect_conflicts(call=call, actor=None, replace=False)
        panels = _Panels.load_for(call, [application.pk for application in applications])
        for application in applications:
            missing = wanted - len(panels.live[application.pk])
            if missing <= 0:
                result.complete += 1
                continue
            for profile in panels.fill(application, missing, rng):
                result.created.append(
                    _new_assignment(application, profile, actor=actor, drawn=True)
                )
            if len(panels.live[application.pk]) < wanted:
                result.shortfalls.append(
                    Shortfall(application, wanted, len(panels.live[application.pk]))
                )
        notify_reviewers(assignments=result.created, verb="review_assigned")
    return result


def _draw_replacement(replaced: ReviewAssignment, *, actor) -> ReviewAssignment | None:
    """One reviewer in place of ``replaced`` (same rules as the draw); None if the pool is dry.

    Called with the application locked. Only the written round of an application in review is
    replaced; the panel is not topped up beyond the call's size.
    """
    application = replaced.application
    if replaced.round != WRITTEN or application.state != S.IN_REVIEW:
        return None
    panels = _Panels.load_for(application.call, [application.pk])
    wanted = application.call.reviewers_per_application or DEFAULT_PER_APPLICATION
    if len(panels.live[application.pk]) >= wanted:
        return None
    picks = panels.fill(application, 1, random.Random(secrets.randbelow(2**31)))
    if not picks:
        return None
    replacement = _new_assignment(application, picks[0], actor=None, drawn=True, replaces=replaced)
    notify_reviewers(assignments=[replacement], verb="review_assigned")
    return replacement


# --- Locks -------------------------------------------------------------------------------------


def _lock(assignment: ReviewAssignment | int) -> ReviewAssignment:
    """Lock the application, then the assignment (the draw's order), and return the assignment."""
    pk = assignment.pk if isinstance(assignment, ReviewAssignment) else assignment
    application_id = (
        ReviewAssignment.objects.filter(pk=pk).values_list("application_id", flat=True).first()
    )
    if application_id is None:
        raise ReviewAssignment.DoesNotExist
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("call", "organisation")
        .get(pk=application_id)
    )
    locked = (
        ReviewAssignment.objects.select_for_update(of=("self",))
        .select_related("reviewer")
        .get(pk=pk)
    )
    locked.application = application
    return locked


# --- Manual changes by the officer -------------------------------------------------------------


def add_reviewer(*, application: Application, reviewer, actor) -> ReviewAssignment:
    """Put a named reviewer on the written panel; refused with the reason if they are conflicted."""
    require(actor, "grants.assign_reviewers", application)
    with transaction.atomic():
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("call", "organisation")
            .get(pk=application.pk)
        )
        if application.state != S.IN_REVIEW:
            raise TransitionRefused(
                _("Reviewers can be added only while the application is in expert review."),
                application=application,
            )
        profile = reviewer_pool().filter(user=reviewer).first()
        if profile is None:
            raise ValidationError(
                {
                    "reviewer": _("%(name)s is not an active reviewer in the pool.")
                    % {"name": reviewer}
                }
            )
        # The register first: the pair may be conflicted by a relation declared a minute ago.
        from grants.services.review_conflicts import detect_conflicts_for_reviewer

        detect_conflicts_for_reviewer(user=reviewer, actor=None)
        record = ConflictRecord.objects.filter(reviewer=reviewer, application=application).first()
        if record is not None:
            raise ValidationError(
                {
                    "reviewer": _(
                        "%(name)s has a conflict of interest with this application and cannot "
                        "review it: %(reason)s"
                    )
                    % {"name": reviewer, "reason": record.reason}
                }
            )
        previous = ReviewAssignment.objects.filter(
            application=application, reviewer=reviewer, round=WRITTEN
        ).first()
        if previous is not None:
            raise ValidationError(
                {
                    "reviewer": _("%(name)s is or was already on this panel (%(state)s).")
                    % {"name": reviewer, "state": previous.get_state_display()}
                }
            )
        assignment = _new_assignment(application, profile, actor=actor, drawn=False)
        notify_reviewers(assignments=[assignment], verb="review_assigned")
    return assignment


def remove_reviewer(*, assignment: ReviewAssignment, actor, reason: str = "") -> ReviewAssignment:
    """Take a reviewer off a panel before they submit (``unassign``); no replacement is drawn —
    the officer adds someone or runs the draw again to top the panel up."""
    with transaction.atomic():
        assignment = _lock(assignment)
        require(actor, "grants.assign_reviewers", assignment.application)
        if assignment.state == A.WITHDRAWN:
            return assignment
        if assignment.state not in (A.ASSIGNED, A.ACCEPTED):
            raise TransitionRefused(
                _("A reviewer can be removed only before they submit (now “%(state)s”).")
                % {"state": assignment.get_state_display()}
            )
        assignment.unassign(by=actor, description=(reason or "").strip() or None)
        assignment.save()
    return assignment


def withdraw_conflicted(
    *, pairs: Iterable[tuple[int, int]], actor, replace: bool
) -> tuple[list[ReviewAssignment], list[ReviewAssignment]]:
    """Take reviewers off the panels of applications they are conflicted with (not yet submitted)."""
    pairs = set(pairs)
    if not pairs:
        return [], []
    condition = Q()
    for reviewer_id, application_id in pairs:
        condition |= Q(reviewer_id=reviewer_id, application_id=application_id)
    ids = list(
        ReviewAssignment.objects.filter(condition, state__in=[A.ASSIGNED, A.ACCEPTED])
        .order_by("application_id", "pk")
        .values_list("pk", flat=True)
    )
    withdrawn, replacements = [], []
    for pk in ids:
        assignment = _lock(pk)
        if assignment.state not in (A.ASSIGNED, A.ACCEPTED):
            continue
        assignment.unassign(
            by=actor, description=_("Conflict of interest found; taken off the panel.")
        )
        assignment.save()
        withdrawn.append(assignment)
        if replace and (replacement := _draw_replacement(assignment, actor=actor)):
            replacements.append(replacement)
    return withdrawn, replacements


# --- The reviewer's own actions ----------------------------------------------------------------


def _require_reviewer(actor, assignment: ReviewAssignment) -> None:
    require(
        actor,
        "grants.view_assignment",
        assignment,
        gettext_lazy("This review is not yours or you may no longer act on it."),
    )


def _require_open(assignment: ReviewAssignment) -> None:
    if assignment.application.state not in REVIEW_OPEN_STATES:
        raise TransitionRefused(
            _("The review of this application is closed (it is “%(state)s”).")
            % {"state": assignment.application.get_state_display()}
        )


def declaration_text() -> str:
    """The conflict-of-interest rules the reviewer signs (stored with their declaration)."""
    return _(
        "I declare that neither I nor my spouse or close relatives have, within the past "
        "%(years)s years, worked for, advised, sat on the board of, or had a dispute with the "
        "applicant organisation; that I did not help draft this call; and that I do not live or "
        "work in the applicant's community or a partner community of the project. I will keep "
        "the application and the scores confidential and will not contact the applicant."
    )


def declare_no_conflict(*, assignment: ReviewAssignment, actor) -> ReviewAssignment:
    """The reviewer signs the no-conflict declaration; only then can they open the application."""
    with transaction.atomic():
        assignment = _lock(assignment)
        _require_reviewer(actor, assignment)
        if assignment.state in (A.ACCEPTED, A.SUBMITTED):
            return assignment
        _require_open(assignment)
        text = declaration_text() % {"years": assignment.application.call.conflict_lookback_years}
        assignment.declare_no_conflict(by=actor, text=text)
        assignment.save()
    return assignment


def declare_conflict(*, assignment: ReviewAssignment, actor, note: str = "") -> ReviewAssignment:
    """The reviewer declares a conflict: it goes into the register and a replacement is drawn."""
    note = (note or "").strip()
    with transaction.atomic():
        assignment = _lock(assignment)
        if assignment.state == A.CONFLICTED and assignment.reviewer_id == actor.pk:
            return assignment
        _require_reviewer(actor, assignment)
        if assignment.state not in (A.ASSIGNED, A.ACCEPTED):
            raise TransitionRefused(
                _("You have already submitted your scores; ask the officer to record the conflict.")
            )
        assignment.declare_conflict(by=actor, description=note or None, text=note)
        assignment.save()
        ConflictRecord.objects.get_or_create(
            reviewer=actor,
            application=assignment.application,
            defaults={
                "source": ConflictSource.DECLARED,
                "reason": note or _("Declared by the reviewer."),
                "recorded_by": actor,
            },
        )
        replacement = _draw_replacement(assignment, actor=actor)
        notify_officers(
            application=assignment.application,
            verb="review_conflict_declared",
            actor=actor,
            reason=note,
            replacement=replacement,
        )
    return assignment


def decline_assignment(*, assignment: ReviewAssignment, actor, reason: str) -> ReviewAssignment:
    """The reviewer declines (a reason is required); a replacement is drawn at once."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Please say why you decline.")})
    with transaction.atomic():
        assignment = _lock(assignment)
        if assignment.state == A.DECLINED and assignment.reviewer_id == actor.pk:
            return assignment
        _require_reviewer(actor, assignment)
        if (
            assignment.state not in (A.ASSIGNED, A.ACCEPTED)
            or assignment.sheets.filter(status=SheetStatus.SUBMITTED).exists()
        ):
            # Once scores were submitted the panel relies on them: a correction, not a decline.
            raise TransitionRefused(_("You have already submitted your scores."))
        assignment.decline(by=actor, description=reason)
        assignment.save()
        replacement = _draw_replacement(assignment, actor=actor)
        notify_officers(
            application=assignment.application,
            verb="review_declined",
            actor=actor,
            reason=reason,
            replacement=replacement,
        )
    return assignment


# --- Reminders ---------------------------------------------------------------------------------


def send_review_reminders(*, now: datetime | None = None, days_before: int | None = None) -> int:
    """Remind reviewers of unsubmitted reviews due within ``days_before`` days (default 2).

    At most once per day per assignment: ``reminded_at`` is claimed with a conditional UPDATE
    (``… WHERE reminded_at IS NULL OR reminded_at < today's midnight``) before the message is
    written, so two runs on one day (or two workers) remind once. Returns how many were sent.
    """
    now = now or timezone.now()
    days = days_before if days_before is not None else getattr(settings, "REVIEW_REMINDER_DAYS", 2)
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    due = (
        ReviewAssignment.objects.filter(
            state__in=[A.ASSIGNED, A.ACCEPTED],
            application__state__in=REVIEW_OPEN_STATES,
            due_at__gt=now,
            due_at__lte=now + timedelta(days=days),
        )
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lt=midnight))
        .exclude(
            Exists(
                ConflictRecord.objects.filter(
                    reviewer_id=OuterRef("reviewer_id"), application_id=OuterRef("application_id")
                )
            )
        )
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)
    )
    sent = 0
    for pk in list(due):
        with transaction.atomic():
            claimed = (
                ReviewAssignment.objects.filter(pk=pk)
                .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lt=midnight))
                .update(reminded_at=now)
            )
            if not claimed:
                continue
            assignment = ReviewAssignment.objects.select_related(
                "reviewer", "application__call"
            ).get(pk=pk)
            notify_reviewers(assignments=[assignment], verb="review_reminder")
            sent += 1
    return sent
