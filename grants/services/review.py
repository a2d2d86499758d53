"""The expert pool (专家库): reviewer profiles, declared relations, conduct ratings, and the in-app
messages of the review.

The review's services are split by subject, each keyword-only and taking ``actor``:

- ``grants.services.review`` (this module): profiles, relations, conduct ratings, notifications;
- ``grants.services.review_conflicts``: conflict detection (回避) and the conflict register;
- ``grants.services.review_draw``: drawing panels, manual changes, declarations, declines, reminders;
- ``grants.services.review_scores``: score sheets, submission and corrections.

A reviewer's profile and relations can be edited by the reviewer themself or by an officer. A new
relation, or a change of the communities a reviewer lives or works in, is checked against every
application in review at once, so a conflict is in the register before the reviewer can open
anything (see ``review_conflicts.detect_conflicts_for_reviewer``).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.enums import Role
from grants.enums import Expertise, RelationKind
from grants.models import (
    Application,
    Call,
    ConductRating,
    Notification,
    ReviewAssignment,
    ReviewerProfile,
    ReviewerRelation,
)
from grants.services import notifications
from incubator.models import Community, Organisation

PROFILE_FIELDS = ("employer", "title", "bio")


# --- Checks ------------------------------------------------------------------------------------


def require(actor, perm: str, obj=None, message=None) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` holds ``perm`` (on ``obj``)."""
    if actor is None or not actor.has_perm(perm, obj):
        raise PermissionDenied(message or gettext_lazy("You may not do this."))


def _may_edit_profile(actor, user) -> None:
    """A reviewer edits their own profile; an officer edits anyone's in the pool."""
    if actor is not None and actor.pk == user.pk:
        require(actor, "grants.edit_own_reviewer_profile")
    else:
        require(actor, "grants.manage_reviewer_pool")


# --- Profiles ----------------------------------------------------------------------------------


def ensure_profile(*, user) -> ReviewerProfile:
    """The user's reviewer profile, created empty the first time (reviewers only)."""
    if not user.has_role(Role.REVIEWER):
        raise ValidationError(_("Only people with the reviewer role can be in the expert pool."))
    profile, _created = ReviewerProfile.objects.get_or_create(user=user)
    return profile


def update_profile(
    *,
    user,
    actor,
    expertise: list[str],
    employer: str = "",
    title: str = "",
    bio: str = "",
    community_ids: list[int] | None = None,
    district_ids: list[int] | None = None,
    is_active: bool | None = None,
) -> ReviewerProfile:
    """Save the profile; a change of communities is checked for conflicts at once.

    ``is_active`` (available for review) is changed only by an officer; ``None`` leaves it.
    """
    _may_edit_profile(actor, user)
    unknown = [code for code in expertise if code not in Expertise.values]
    if unknown:
        raise ValidationError({"expertise": _("Choose fields of expertise from the list.")})
    if is_active is not None and not actor.has_perm("grants.manage_reviewer_pool"):
        raise PermissionDenied(_("Only an officer can take a reviewer in or out of the pool."))
    with transaction.atomic():
        profile = ensure_profile(user=user)
        profile = ReviewerProfile.objects.select_for_update().get(pk=profile.pk)
        profile.expertise = [code for code in Expertise.values if code in set(expertise)]
        profile.employer = (employer or "").strip()[:200]
        profile.title = (title or "").strip()[:100]
        profile.bio = (bio or "").strip()
        if is_active is not None:
            profile.is_active = is_active
        profile.save()
        communities_changed = False
        if community_ids is not None:
            wanted = set(
                Community.objects.filter(pk__in=community_ids).values_list("pk", flat=True)
            )
            before = set(profile.communities.values_list("pk", flat=True))
            if wanted != before:
                profile.communities.set(wanted)
                communities_changed = True
        if district_ids is not None:
            profile.districts.set(Community.objects.filter(pk__in=district_ids))
        if communities_changed:
            from grants.services.review_conflicts import detect_conflicts_for_reviewer

            detect_conflicts_for_reviewer(user=user, actor=actor)
    return profile


def add_relation(
    *,
    user,
    actor,
    kind: str,
    organisation: Organisation | None = None,
    call: Call | None = None,
    through_relative: bool = False,
    started_on: date | None = None,
    ended_on: date | None = None,
    note: str = "",
) -> ReviewerRelation:
    """Declare a relation (worked for, advised, board, dispute — or helped draft a call).

    Conflicts it causes with applications in review are written to the register at once.
    """
    _may_edit_profile(actor, user)
    errors = {}
    if kind not in RelationKind.values:
        errors["kind"] = _("Choose the kind of relation.")
    elif kind == RelationKind.DRAFTED_CALL:
        if call is None:
            errors["call"] = _("Choose the call you helped draft.")
        organisation = None
    elif organisation is None:
        errors["organisation"] = _("Name the organisation.")
    else:
        call = None
    if started_on and ended_on and ended_on < started_on:
        errors["ended_on"] = _("A relation cannot end before it starts.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        profile = ensure_profile(user=user)
        relation = ReviewerRelation.objects.create(
            profile=profile,
            kind=kind,
            organisation=organisation,
            call=call,
            through_relative=through_relative,
            started_on=started_on,
            ended_on=ended_on,
            note=(note or "").strip()[:200],
        )
        from grants.services.review_conflicts import detect_conflicts_for_reviewer

        detect_conflicts_for_reviewer(user=user, actor=actor)
    return relation


def remove_relation(*, relation: ReviewerRelation, actor) -> None:
    """Remove a relation declared by mistake; one the conflict register cites stays.

    The register is the record of why a reviewer was kept out: removing the relation it cites
    would make the record unexplainable, so that relation can only be ended (by an officer).
    """
    from grants.models import ConflictRecord

    _may_edit_profile(actor, relation.profile.user)
    with transaction.atomic():
        relation = ReviewerRelation.objects.select_for_update().filter(pk=relation.pk).first()
        if relation is None:
            return
        if ConflictRecord.objects.filter(relation=relation).exists():
            raise ValidationError(
                _(
                    "This relation is cited in the conflict register and cannot be removed. "
                    "Ask the programme officer if it is wrong."
                )
            )
        relation.delete()


# --- Conduct -----------------------------------------------------------------------------------


def rate_conduct(
    *, call: Call, profile: ReviewerProfile, actor, stars: int, note: str = ""
) -> ConductRating:
    """The officer's rating (1–5) of how a reviewer worked on a call; one per call, may be revised."""
    require(actor, "grants.rate_reviewer_conduct", call)
    try:
        stars = int(stars)
    except (TypeError, ValueError):
        stars = 0
    if not 1 <= stars <= 5:
        raise ValidationError({"stars": _("Give 1 to 5 stars.")})
    if not ReviewAssignment.objects.filter(
        application__call=call, reviewer_id=profile.user_id
    ).exists():
        raise ValidationError(_("This reviewer had no assignment in this call."))
    with transaction.atomic():
        rating, _created = ConductRating.objects.update_or_create(
            profile=profile,
            call=call,
            defaults={
                "stars": stars,
                "note": (note or "").strip(),
                "rated_by": actor,
                "rated_at": timezone.now(),
            },
        )
    return rating


# --- Notifications -----------------------------------------------------------------------------


def _assignment_url(assignment: ReviewAssignment) -> str:
    return reverse("grants:review_declaration", args=[assignment.pk])


REVIEWER_TEXTS = {
    # verb: (title, body); values: reference, title, call, due
    "review_assigned": (
        gettext_lazy("New review: %(reference)s"),
        gettext_lazy(
            "You have been asked to review “%(title)s” (%(call)s). Sign the conflict-of-interest "
            "declaration before you open it. Due: %(due)s."
        ),
    ),
    "review_reminder": (
        gettext_lazy("Reminder: review %(reference)s is due %(due)s"),
        gettext_lazy(
            "Your review of “%(title)s” (%(call)s) is due %(due)s and has not been submitted yet."
        ),
    ),
}

OFFICER_TEXTS = {
    "review_declined": (
        gettext_lazy("%(reviewer)s declined to review %(reference)s"),
        gettext_lazy("Reason: %(reason)s"),
    ),
    "review_conflict_declared": (
        gettext_lazy("%(reviewer)s declared a conflict on %(reference)s"),
        gettext_lazy("Note: %(reason)s"),
    ),
}


def _due(assignment: ReviewAssignment) -> str:
    due = assignment.due_at or assignment.application.call.review_deadline
    return timezone.localtime(due).strftime("%Y-%m-%d %H:%M") if due else _("no deadline set")


def _send(rows: list[Notification]) -> list[Notification]:
    return notifications.deliver(rows)


def notify_reviewers(*, assignments: list[ReviewAssignment], verb: str) -> list[Notification]:
    """Tell each assignment's reviewer, in their language (title and call only: blind-safe)."""
    title_text, body_text = REVIEWER_TEXTS[verb]
    rows = []
    for assignment in assignments:
        application = assignment.application
        user = assignment.reviewer
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            values = {
                "reference": application.reference,
                "title": application.title or application.reference,
                "call": application.call.title,
                "due": _due(assignment),
            }
            title, body = str(title_text) % values, str(body_text) % values
        rows.append(
            Notification(
                recipient=user,
                application=application,
                verb=verb,
                title=title[:300],
                body=body,
                url=_assignment_url(assignment),
            )
        )
    return _send(rows)


def notify_officers(
    *,
    application: Application,
    verb: str,
    actor,
    reason: str,
    replacement: ReviewAssignment | None,
) -> list[Notification]:
    """Tell the programme's officers that a panel lost a reviewer, and whether one replaced them."""
    title_text, body_text = OFFICER_TEXTS[verb]
    rows = []
    for user in notifications.programme_officers(application):
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            values = {
                "reviewer": str(actor),
                "reference": application.reference,
                "reason": reason or "—",
            }
            body = str(body_text) % values
            if replacement is not None:
                body += "\n" + _("%(reviewer)s was drawn as a replacement.") % {
                    "reviewer": str(replacement.reviewer)
                }
            else:
                body += "\n" + _(
                    "No replacement could be drawn: the pool has no other reviewer without a "
                    "conflict. Add one on the reviewers page."
                )
            title = str(title_text) % values
        rows.append(
            Notification(
                recipient=user,
                application=application,
                verb=verb,
                title=title[:300],
                body=body,
                url=reverse("grants:review_panels", args=[application.call_id]),
            )
        )
    return _send(rows)
