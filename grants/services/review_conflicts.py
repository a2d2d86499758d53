"""Conflicts of interest (回避): detection from declared relations and communities, and the register.

A reviewer is conflicted with an application when, relative to today,

1. they (or a spouse or close relative) worked for, advised, sat on the board of, or had a dispute
   with the applicant organisation, and that relation is ongoing or ended within the call's
   look-back (``Call.conflict_lookback_years``, default 3): a relation that ended exactly
   ``years`` years ago today still counts, one day earlier does not;
2. they helped draft the call (a ``drafted_call`` relation on it): every application to it;
3. they live or work in a community that is the applicant's own community or a partner
   community of the project.

``find_conflicts`` is the rule itself, a pure function over prefetched rows; the services write
what it finds into the register (``ConflictRecord``, one row per reviewer and application, never
duplicated) and take the reviewer off any panel they are still on before scoring (the
assignment is withdrawn and a replacement drawn). A register row keeps the reviewer out of the
application, its files and its scores everywhere (``grants.rules_review``).

A reviewer who already SUBMITTED scores is not silently taken off: their sheet stays, and the
officer's reviewers page flags it, because only an officer can judge what to do with a score that
was given before the conflict came to light.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grants.enums import ApplicationState, ConflictSource, RelationKind
from grants.models import Application, Call, ConflictRecord, ReviewerProfile
from grants.services.review import require

S = ApplicationState
# Applications whose panels are (or are about to be) at work: conflicts are detected for these.
CONFLICT_CHECK_STATES = (S.IN_REVIEW, S.DEFENSE)
ORGANISATION_KINDS = frozenset(
    {RelationKind.EMPLOYED, RelationKind.ADVISED, RelationKind.BOARD, RelationKind.DISPUTE}
)


@dataclass(frozen=True)
class FoundConflict:
    reviewer_id: int
    application_id: int
    source: str
    reason: str
    relation_id: int | None = None


@dataclass
class DetectionResult:
    found: int = 0
    created: list[ConflictRecord] = field(default_factory=list)
    withdrawn: list = field(default_factory=list)  # assignments taken off a panel
    replacements: list = field(default_factory=list)


def lookback_start(*, today: date, years: int) -> date:
    """The first day still inside the look-back: the same date ``years`` years ago."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February in a year that has none
        return today.replace(year=today.year - years, day=28)


def _period(relation) -> str:
    started = relation.started_on.isoformat() if relation.started_on else ""
    if relation.ended_on is None:
        return _("since %(date)s, ongoing") % {"date": started} if started else _("ongoing")
    ended = relation.ended_on.isoformat()
    if started:
        return f"{started} – {ended}"
    return _("until %(date)s") % {"date": ended}


def _relative(relation) -> str:
    return _(" (through a spouse or close relative)") if relation.through_relative else ""


def find_conflicts(
    *, profiles: Iterable[ReviewerProfile], applications: Iterable[Application], today: date
) -> list[FoundConflict]:
    """Every (reviewer, application) conflict, with its reasons in plain words; no queries.

    ``profiles`` carry prefetched ``relations`` and ``communities`` and their ``user``;
    ``applications`` carry ``call``, ``organisation`` and prefetched ``partner_communities``.
    Several reasons for one pair are joined into one finding: the register has one row per pair.
    """
    applications = list(applications)
    found = []
    for profile in profiles:
        name = str(profile.user)
        relations = list(profile.relations.all())
        communities = {community.pk: community for community in profile.communities.all()}
        for application in applications:
            call = application.call
            start = lookback_start(today=today, years=call.conflict_lookback_years)
            reasons: list[str] = []
            relation_id = None
            for relation in relations:
                if (
                    relation.kind in ORGANISATION_KINDS
                    and relation.organisation_id == application.organisation_id
                    and (relation.ended_on is None or relation.ended_on >= start)
                ):
                    reasons.append(
                        _(
                            "%(reviewer)s declared: %(kind)s %(organisation)s%(relative)s, "
                            "%(period)s — within the %(years)d-year look-back."
                        )
                        % {
                            "reviewer": name,
                            "kind": relation.get_kind_display(),
                            "organisation": application.organisation.name,
                            "relative": _relative(relation),
                            "period": _period(relation),
                            "years": call.conflict_lookback_years,
                        }
                    )
                    relation_id = relation_id or relation.pk
                elif relation.kind == RelationKind.DRAFTED_CALL and relation.call_id == call.pk:
                    reasons.append(
                        _("%(reviewer)s helped draft this call%(relative)s.")
                        % {"reviewer": name, "relative": _relative(relation)}
                    )
                    relation_id = relation_id or relation.pk
            source = ConflictSource.DETECTED if reasons else ConflictSource.COMMUNITY
            places = {community.pk for community in application.partner_communities.all()} | (
                {application.organisation.community_id} - {None}
            )
            for community_id in sorted(places & set(communities)):
                reasons.append(
                    _(
                        "%(reviewer)s lives or works in %(community)s, the applicant's community "
                        "or a partner community of the project."
                    )
                    % {"reviewer": name, "community": communities[community_id].name}
                )
            if reasons:
                found.append(
                    FoundConflict(
                        reviewer_id=profile.user_id,
                        application_id=application.pk,
                        source=source,
                        reason="；".join(reasons) if len(reasons) > 1 else reasons[0],
                        relation_id=relation_id,
                    )
                )
    return found


def _profiles():
    return (
        ReviewerProfile.objects.filter(user__is_active=True)
        .select_related("user")
        .prefetch_related("relations", "communities")
        .order_by("user_id")
    )


def _applications():
    return (
        Application.objects.filter(state__in=CONFLICT_CHECK_STATES)
        .select_related("call", "organisation")
        .prefetch_related("partner_communities")
        .order_by("pk")
    )


def _write(found: list[FoundConflict], *, actor) -> list[ConflictRecord]:
    """Add the new findings to the register; pairs already in it are left as they are."""
    if not found:
        return []
    existing = set(
        ConflictRecord.objects.filter(
            application_id__in={f.application_id for f in found},
            reviewer_id__in={f.reviewer_id for f in found},
        ).values_list("reviewer_id", "application_id")
    )
    rows = [
        ConflictRecord(
            reviewer_id=f.reviewer_id,
            application_id=f.application_id,
            source=f.source,
            relation_id=f.relation_id,
            reason=f.reason,
            recorded_by=actor,
        )
        for f in found
        if (f.reviewer_id, f.application_id) not in existing
    ]
    # ignore_conflicts: a reviewer declaring the same conflict at this moment wins, quietly.
    ConflictRecord.objects.bulk_create(rows, ignore_conflicts=True)
    return rows


def _apply(found: list[FoundConflict], *, actor, replace: bool) -> DetectionResult:
    from grants.services.review_draw import withdraw_conflicted

    result = DetectionResult(found=len(found))
    # The register is written in the site's language: it is one official record for everyone.
    result.created = _write(found, actor=actor)
    withdrawn, replacements = withdraw_conflicted(
        pairs={(f.reviewer_id, f.application_id) for f in found}, actor=actor, replace=replace
    )
    result.withdrawn, result.replacements = withdrawn, replacements
    return result


def detect_conflicts(*, call: Call, actor=None, replace: bool = True) -> DetectionResult:
    """Check every reviewer of the pool against every application of ``call`` in review.

    Idempotent: pairs already in the register are not written again. Live assignments of
    conflicted pairs that have not been submitted are withdrawn and (``replace``) replaced.
    ``actor`` None is the system (the draw runs this first); otherwise it must be an officer.
    """
    if actor is not None:
        require(actor, "grants.view_conflict_register", call)
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        applications = list(_applications().filter(call=call))
        found = find_conflicts(
            profiles=_profiles(), applications=applications, today=timezone.localdate()
        )
        return _apply(found, actor=actor, replace=replace)


def detect_conflicts_for_reviewer(*, user, actor=None) -> DetectionResult:
    """Check one reviewer against every application in review (after they changed their profile)."""
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        profiles = list(_profiles().filter(user=user))
        if not profiles:
            return DetectionResult()
        found = find_conflicts(
            profiles=profiles, applications=_applications(), today=timezone.localdate()
        )
        return _apply(found, actor=actor, replace=True)


def record_conflict(*, application: Application, reviewer, actor, reason: str) -> ConflictRecord:
    """An officer writes a conflict into the register by hand (e.g. told by phone).

    A pair already in the register is returned as it is. The reviewer is taken off the panel
    (with a replacement) if they had not submitted yet.
    """
    require(actor, "grants.record_conflict", application)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the reviewer is conflicted.")})
    with transaction.atomic():
        record, created = ConflictRecord.objects.get_or_create(
            reviewer=reviewer,
            application=application,
            defaults={"source": ConflictSource.OFFICER, "reason": reason, "recorded_by": actor},
        )
        if created:
            from grants.services.review_draw import withdraw_conflicted

            withdraw_conflicted(pairs={(reviewer.pk, application.pk)}, actor=actor, replace=True)
    return record


def conflicted_pairs(*, application_ids: Iterable[int]) -> set[tuple[int, int]]:
    """{(reviewer id, application id)} in the register for these applications (one query)."""
    return set(
        ConflictRecord.objects.filter(application_id__in=list(application_ids)).values_list(
            "reviewer_id", "application_id"
        )
    )
