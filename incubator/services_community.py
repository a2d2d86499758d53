"""Writes for social workers, charitable resources, 五社联动 links and resident proposals (三事分流).

One function per user action, keyword-only, taking ``actor``. Each runs in ``transaction.atomic()``,
locks the row it changes (``select_for_update``), asks the actor's permission again (views are not
trusted), runs the django-fsm transition with ``by=actor`` so django-fsm-log writes the audit row in
the same transaction, and writes in-app notifications whose e-mails are queued on commit.
Repeating an action that is already done changes nothing.

Lock order, where one action locks several rows: proposal → organisation → call/application.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from accounts.enums import EmailFrequency, Role
from accounts.models import User
from grants.enums import Theme
from grants.models import Application, Call, CallForm, Notification, Programme
from incubator.enums import CommunityLevel
from incubator.enums_community import MATTER_TARGET, PledgeState, ProposalState
from incubator.models import (
    Community,
    Household,
    InKindDonation,
    MatchingPledge,
    Organisation,
    ProposalVote,
    ResidentProposal,
    SocialWorker,
    matching_due,
    normalise_household,
)
from incubator.selectors_community import volunteer_team_model, volunteer_teams_for

P = ProposalState


class ActionRefused(Exception):  # noqa: N818 — it reads as what happened to the request
    """The action is not possible now (wrong state, closed call, a vote already cast…)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class AlreadyVoted(ActionRefused):
    """One household, one vote: this household (or this person) has voted on the proposal."""


# --- Shared helpers --------------------------------------------------------------------------------


def _require(actor, perm: str, obj=None) -> None:
    if actor is None or not actor.has_perm(perm, obj):
        raise PermissionDenied(_("You may not do this."))


def _transition_permission(method) -> str:
    (permission,) = {t.permission for t in method._django_fsm.transitions.values()}
    return permission


def _run_transition(obj: Model, *, name: str, actor, description: str = "", **kwargs) -> bool:
    """Check the permission the transition declares, run it and save; False if it cannot run."""
    method = getattr(obj, name)
    _require(actor, _transition_permission(method), obj)
    if not can_proceed(method):
        return False
    method(by=actor, description=description or None, **kwargs)
    obj.save()
    return True


def _wrong_state(obj) -> ActionRefused:
    return ActionRefused(
        _("This is not possible while it is “%(state)s”.") % {"state": obj.get_state_display()}
    )


def _notify(*, users: Iterable[User], verb: str, render, url: str) -> None:
    """In-app notifications, ``render() -> (title, body)`` run in each recipient's language;
    e-mails are queued when the work commits, so a rolled-back action mails nobody."""
    rows = []
    for user in users:
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            title, body = render()
            rows.append(
                Notification(
                    recipient=user, verb=verb, title=str(title)[:300], body=str(body), url=url
                )
            )
    rows = Notification.objects.bulk_create(rows)
    immediate = [
        row.pk
        for row in rows
        if row.recipient.email_frequency == EmailFrequency.IMMEDIATELY and row.recipient.email
    ]
    if immediate:
        from grants.tasks import send_notification_emails

        transaction.on_commit(lambda: send_notification_emails.enqueue(immediate))


# --- Social workers --------------------------------------------------------------------------------

SOCIAL_WORKER_FIELDS = frozenset(
    {"name", "user", "certificate_level", "certificate_number", "certificate_date",
     "training_hours", "is_active"}
)  # fmt: skip


def _save_social_worker(worker: SocialWorker, data: dict[str, Any]) -> SocialWorker:
    unknown = set(data) - SOCIAL_WORKER_FIELDS
    if unknown:
        raise ValueError(f"not social worker fields: {sorted(unknown)}")
    for field, value in data.items():
        setattr(worker, field, value)
    if (
        worker.user_id
        and not worker.user.memberships.filter(
            is_active=True, organisation_id=worker.organisation_id
        ).exists()
    ):
        raise ValidationError({"user": _("This person is not a member of the organisation.")})
    worker.full_clean()
    try:
        with transaction.atomic():  # a savepoint: losing the race on a unique number stays usable
            worker.save()
    except IntegrityError:
        number = worker.certificate_number
        if (
            number
            and SocialWorker.objects.filter(certificate_number=number)
            .exclude(pk=worker.pk)
            .exists()
        ):
            raise ValidationError(
                {
                    "certificate_number": _(
                        "A social worker with this certificate number is already registered."
                    )
                }
            ) from None
        raise
    return worker


@transaction.atomic
def create_social_worker(
    *, actor: User, organisation: Organisation, data: dict[str, Any]
) -> SocialWorker:
    """Add a social worker to ``organisation``; its applicant members and officers may."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    _require(actor, "incubator.manage_social_workers", organisation)
    return _save_social_worker(SocialWorker(organisation=organisation), data)


@transaction.atomic
def update_social_worker(
    *, actor: User, social_worker: SocialWorker, data: dict[str, Any]
) -> SocialWorker:
    worker = (
        SocialWorker.objects.select_for_update()
        .select_related("organisation")
        .get(pk=social_worker.pk)
    )
    _require(actor, "incubator.change_social_worker", worker)
    return _save_social_worker(worker, data)


# --- Matching pledges ------------------------------------------------------------------------------

PLEDGE_ACTIONS = {
    "activate": PledgeState.ACTIVE,
    "fulfil": PledgeState.FULFILLED,
    "cancel": PledgeState.CANCELLED,
}


@transaction.atomic
def change_pledge_state(
    *, actor: User, pledge: MatchingPledge, action: str, note: str = ""
) -> MatchingPledge:
    """Activate, fulfil or cancel a pledge (officers). Asking for the state it is in is a no-op."""
    if action not in PLEDGE_ACTIONS:
        raise ValueError(f"unknown pledge action {action!r}")
    pledge = MatchingPledge.objects.select_for_update().get(pk=pledge.pk)
    _require(actor, "incubator.manage_pledge", pledge)
    if pledge.state == PLEDGE_ACTIONS[action]:
        return pledge
    if not _run_transition(pledge, name=action, actor=actor, description=note):
        raise _wrong_state(pledge)
    return pledge


@transaction.atomic
def record_match(*, pledge: MatchingPledge, donated_amount: Decimal) -> Decimal:
    """Honour ``pledge`` for one donation: add ``matching_due`` to what it has matched; return it.

    For the funding ledger, which calls it inside its own transaction after checking its own
    permission. The pledge row is locked, so two donations at once never match past the cap; a
    pledge that reaches its cap becomes fulfilled (logged as done by the system).
    """
    pledge = MatchingPledge.objects.select_for_update().get(pk=pledge.pk)
    due = matching_due(pledge, donated_amount)
    if due <= 0:
        return Decimal("0.00")
    pledge.matched_amount += due
    if pledge.matched_amount >= pledge.cap_amount:
        pledge.fulfil(by=None, description=gettext_now("The cap has been reached."))
    pledge.save()
    return due


# --- 五社联动 links of an application --------------------------------------------------------------


@transaction.atomic
def set_application_partners(
    *,
    actor: User,
    application: Application,
    social_worker_ids: Iterable[int],
    volunteer_team_ids: Iterable[int] = (),
    donation_ids: Iterable[int] = (),
) -> Application:
    """Name the social workers, volunteer teams and in-kind donations a project works with.

    Only the organisation's own social workers and its own donations (given to the organisation or
    to this project) may be picked; anything else is refused as a whole. A donation left out goes
    back to the organisation.
    """
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=application.pk)
    )
    _require(actor, "grants.edit_application", application)
    organisation = application.organisation
    workers = set(social_worker_ids)
    allowed_workers = set(
        SocialWorker.objects.filter(organisation=organisation, pk__in=workers).values_list(
            "pk", flat=True
        )
    )
    if workers - allowed_workers:
        raise ValidationError({"social_workers": _("Pick social workers of your organisation.")})
    application.social_workers.set(allowed_workers)

    teams = set(volunteer_team_ids)
    team_model = volunteer_team_model()
    if team_model is not None:
        allowed_teams = set(
            volunteer_teams_for(organisation=organisation)
            .filter(pk__in=teams)
            .values_list("pk", flat=True)
        )
        if teams - allowed_teams:
            raise ValidationError({"volunteer_teams": _("Pick volunteer teams you work with.")})
        application.volunteer_teams.set(allowed_teams)
    elif teams:
        raise ValidationError({"volunteer_teams": _("Volunteer teams are not available yet.")})

    chosen = set(donation_ids)
    pool_ids = set(
        InKindDonation.objects.select_for_update()
        .filter(Q(organisation=organisation) | Q(application=application))
        .values_list("pk", flat=True)
    )
    if chosen - pool_ids:
        raise ValidationError({"donations": _("Pick donations given to your organisation.")})
    InKindDonation.objects.filter(pk__in=chosen).update(application=application, organisation=None)
    InKindDonation.objects.filter(application=application).exclude(pk__in=chosen).update(
        application=None, organisation=organisation
    )
    return application


# --- Resident proposals ----------------------------------------------------------------------------


def _lock_proposal(proposal: ResidentProposal | int) -> ResidentProposal:
    pk = proposal.pk if isinstance(proposal, ResidentProposal) else proposal
    return (
        ResidentProposal.objects.select_for_update(of=("self",))
        .select_related("community__parent", "submitted_by")
        .get(pk=pk)
    )


def _proposal_url(proposal: ResidentProposal) -> str:
    return reverse("community:proposal_detail", args=[proposal.pk])


def _tell_proposer(proposal: ResidentProposal, *, verb: str, actor) -> None:
    if proposal.submitted_by_id == getattr(actor, "pk", None):
        return

    def render():
        title = gettext_now("Your proposal “%(title)s”: %(state)s") % {
            "title": proposal.title,
            "state": proposal.get_state_display(),
        }
        return title, proposal.classification_note if verb.startswith("classify") else ""

    _notify(
        users=[proposal.submitted_by],
        verb=f"proposal_{verb}",
        render=render,
        url=_proposal_url(proposal),
    )


@transaction.atomic
def submit_proposal(
    *, actor: User, community: Community, title: str, description: str
) -> ResidentProposal:
    """A resident's proposal for their 社区 (any signed-in person may submit one)."""
    _require(actor, "incubator.submit_proposal")
    errors = {}
    title, description = (title or "").strip(), (description or "").strip()
    if community is None or community.level != CommunityLevel.COMMUNITY:
        errors["community"] = _("Choose your 社区 (community), not a district or sub-district.")
    if not title:
        errors["title"] = _("Give your proposal a short title.")
    if not description:
        errors["description"] = _("Say what should change, and why.")
    if errors:
        raise ValidationError(errors)
    proposal = ResidentProposal(
        community=community, title=title, description=description, submitted_by=actor
    )
    proposal.full_clean(exclude=["state"])  # protected FSM field: never set from input
    proposal.save()
    return proposal


@transaction.atomic
def classify_proposal(
    *, actor: User, proposal: ResidentProposal, matter: str, note: str = ""
) -> ResidentProposal:
    """Sort a submitted proposal into 大事 / 小事 / 私事, with a note the resident reads."""
    if matter not in MATTER_TARGET:
        raise ValidationError({"matter": _("Choose 大事, 小事 or 私事.")})
    proposal = _lock_proposal(proposal)
    name = f"classify_{matter}"
    if proposal.state == MATTER_TARGET[matter]:
        _require(actor, "incubator.classify_proposal", proposal)
        return proposal
    if not _run_transition(proposal, name=name, actor=actor, description=(note or "").strip()):
        raise _wrong_state(proposal)
    _tell_proposer(proposal, verb=name, actor=actor)
    return proposal


@transaction.atomic
def open_voting(*, actor: User, proposal: ResidentProposal) -> ResidentProposal:
    """Put a 小事 proposal to the community's households."""
    proposal = _lock_proposal(proposal)
    if proposal.state == P.VOTING:
        _require(actor, "incubator.run_proposal_vote", proposal)
        return proposal
    if not _run_transition(proposal, name="open_voting", actor=actor):
        raise _wrong_state(proposal)
    _tell_proposer(proposal, verb="open_voting", actor=actor)
    return proposal


@transaction.atomic
def cast_vote(
    *, actor: User, proposal: ResidentProposal, household_address: str, in_favour: bool
) -> ProposalVote:
    """One household, one vote: the signed-in resident states their flat and votes yes or no.

    The proposal row is locked, so a vote never lands after voting closed; the unique constraint
    on (proposal, household) is the last word if two members of one household press at once.
    """
    proposal = _lock_proposal(proposal)
    _require(actor, "incubator.vote_on_proposal", proposal)
    if proposal.state != P.VOTING:
        raise ActionRefused(_("Voting on this proposal is not open."))
    try:
        address = normalise_household(household_address)
    except ValueError:
        raise ValidationError(
            {"household": _("Give your building, unit and room, e.g. 3栋2单元401.")}
        ) from None
    if len(address) > Household._meta.get_field("address").max_length:
        raise ValidationError({"household": _("This address is too long.")})
    household = _household(proposal.community, address)
    if ProposalVote.objects.filter(proposal=proposal, household=household).exists():
        raise _household_voted(address)
    if ProposalVote.objects.filter(proposal=proposal, voter=actor).exists():
        raise AlreadyVoted(_("You have already voted on this proposal."))
    try:
        with transaction.atomic():
            return ProposalVote.objects.create(
                proposal=proposal, household=household, voter=actor, in_favour=bool(in_favour)
            )
    except IntegrityError:
        raise _household_voted(address) from None


def _household_voted(address: str) -> AlreadyVoted:
    return AlreadyVoted(
        _("Household %(household)s has already voted on this proposal: one household, one vote.")
        % {"household": address}
    )


def _household(community: Community, address: str) -> Household:
    """The household row, created on its first vote; safe when two first votes race."""
    household = Household.objects.filter(community=community, address=address).first()
    if household is not None:
        return household
    try:
        with transaction.atomic():
            return Household.objects.create(community=community, address=address)
    except IntegrityError:
        return Household.objects.get(community=community, address=address)


@transaction.atomic
def close_voting(*, actor: User, proposal: ResidentProposal) -> ResidentProposal:
    """Count the votes: adopted when more households said yes than no, else not adopted."""
    proposal = _lock_proposal(proposal)
    if proposal.state in (P.ADOPTED, P.NOT_ADOPTED):
        _require(actor, "incubator.run_proposal_vote", proposal)
        return proposal
    if proposal.state != P.VOTING:
        _require(actor, "incubator.run_proposal_vote", proposal)
        raise _wrong_state(proposal)
    name = "adopt" if can_proceed(proposal.adopt) else "reject"
    yes, no = proposal.count_votes()
    _run_transition(
        proposal,
        name=name,
        actor=actor,
        description=gettext_now("%(yes)d yes, %(no)d no") % {"yes": yes, "no": no},
    )
    _tell_proposer(proposal, verb=name, actor=actor)
    return proposal


def _refuse_if_converted(proposal: ResidentProposal) -> None:
    if proposal.state == P.CONVERTED:
        raise ActionRefused(_("This proposal has already been turned into a project."))
    if proposal.state != P.ADOPTED:
        raise ActionRefused(_("Only a proposal the residents adopted can become a project."))


@transaction.atomic
def convert_to_micro_call(
    *,
    actor: User,
    proposal: ResidentProposal,
    programme: Programme,
    title: str,
    budget: Decimal,
    max_grant: Decimal,
    opens_at: datetime,
    closes_at: datetime,
) -> Call:
    """Turn an adopted proposal into a community micro-call (微创投) of ``programme``.

    The call opens in the future and has no public page yet: the officer reviews it in the
    Wagtail admin and publishes its page. The call links back to the proposal
    (``call.resident_proposals``).
    """
    proposal = _lock_proposal(proposal)
    _require(actor, "incubator.convert_proposal_to_call", proposal)
    _refuse_if_converted(proposal)
    errors = {}
    if opens_at is None or opens_at <= timezone.now():
        errors["opens_at"] = _("The micro-call must open in the future.")
    if budget is None or budget <= 0:
        errors["budget"] = _("The budget must be more than zero.")
    if max_grant is None or max_grant <= 0:
        errors["max_grant"] = _("The maximum grant must be more than zero.")
    if errors:
        raise ValidationError(errors)
    call = Call(
        programme=programme,
        title=(title or "").strip() or proposal.title,
        slug=_free_slug(f"proposal-{proposal.pk}"),
        summary=proposal.description,
        themes=[Theme.COMMUNITY],
        budget=budget,
        min_grant=Decimal("0"),
        max_grant=max_grant,
        opens_at=opens_at,
        closes_at=closes_at,
        created_by=actor,
    )
    call.full_clean()
    call.save()
    _run_transition(proposal, name="convert_to_call", actor=actor, call=call)
    _tell_proposer(proposal, verb="convert", actor=actor)
    return call


def _free_slug(base: str) -> str:
    taken = set(Call.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def convert_to_application_draft(
    *, actor: User, proposal: ResidentProposal, call: Call, organisation: Organisation
) -> Application:
    """Start an application draft for ``organisation`` on an open ``call`` from an adopted proposal.

    The draft carries the proposal's title and text and names its 社区 as partner community; the
    organisation's applicant members are told and finish it in their workspace.
    """
    proposal = _lock_proposal(proposal)
    _require(actor, "incubator.convert_proposal_to_application", proposal)
    _refuse_if_converted(proposal)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    call = Call.objects.get(pk=call.pk)
    now = timezone.now()
    if not (call.opens_at <= now <= call.submission_deadline):
        raise ActionRefused(_("This call is not open for applications."))
    if (
        call.one_application_per_organisation
        and Application.objects.filter(
            call=call, organisation=organisation, holds_call_slot=True
        ).exists()
    ):
        raise ActionRefused(
            _("%(organisation)s already has an application on this call.")
            % {"organisation": organisation.name}
        )
    themes = call.themes or []
    try:
        with transaction.atomic():
            application = Application.objects.create(
                call=call,
                organisation=organisation,
                created_by=actor,
                form=CallForm.objects.filter(call=call).order_by("-version").first(),
                holds_call_slot=call.one_application_per_organisation,
                title=proposal.title[:200],
                summary=proposal.description,
                need=proposal.description,
                theme=Theme.COMMUNITY
                if Theme.COMMUNITY in themes
                else (themes[0] if len(themes) == 1 else ""),
                last_saved_at=now,
            )
    except IntegrityError:  # another draft won the organisation's slot in the meantime
        raise ActionRefused(
            _("%(organisation)s already has an application on this call.")
            % {"organisation": organisation.name}
        ) from None
    application.partner_communities.add(proposal.community)
    _run_transition(proposal, name="convert_to_application", actor=actor, application=application)
    _tell_proposer(proposal, verb="convert", actor=actor)
    members = User.objects.filter(
        is_active=True,
        memberships__is_active=True,
        memberships__role=Role.APPLICANT,
        memberships__organisation=organisation,
    ).distinct()
    _notify(
        users=list(members),
        verb="proposal_draft",
        render=lambda: (
            gettext_now("A draft from a resident proposal: %(title)s") % {"title": proposal.title},
            gettext_now(
                "Residents of %(community)s adopted this proposal. Please complete the draft."
            )
            % {"community": proposal.community.name},
        ),
        url=reverse("grants:application_edit", args=[application.pk]),
    )
    return application
