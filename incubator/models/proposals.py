"""三事分流: residents' proposals for their community, sorted, voted on and turned into projects.

A resident submits a proposal; community staff classify it as 大事 (for the government), 小事
(community public affairs) or 私事 (private, for the market); 小事 go to a vote of the community's
households (one household, one vote); an adopted proposal becomes a micro-call or an application
draft. The machine is declared here; ``incubator.services_community`` runs it.

    submitted ─┬─ classify_major ──→ classified_major
               ├─ classify_private → classified_private
               └─ classify_minor ──→ classified_minor ─ open_voting → voting ─┬─ adopt ──→ adopted
                                                                             └─ reject → not_adopted
    adopted ─ convert_to_call / convert_to_application → converted
"""

from __future__ import annotations

import re
import unicodedata

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from incubator.enums import CommunityLevel
from incubator.enums_community import Matter, ProposalState

__all__ = ["Household", "ProposalVote", "ResidentProposal", "normalise_household"]

P = ProposalState

# Ways people write the same flat: 3号楼 / 3幢 / 3座 → 3栋; 2单元 stays; 401室 / 401号 → 401.
_BUILDING_WORDS = re.compile(r"(号楼|幢|座|栋|号栋)")
_DASHED = re.compile(r"^(\w+?)[-－—–](\w+?)[-－—–](\w+)$")


def normalise_household(text: str) -> str:
    """The canonical form of a flat's address inside a community, e.g. ``3栋2单元401``.

    Full-width characters become ASCII, spaces go, building words are unified (号楼/幢/座 → 栋),
    a trailing 室 or 号 goes, letters are upper case, and the dashed form ``3-2-401`` reads as
    ``3栋2单元401``. Raises ``ValueError`` on an empty address.
    """
    value = unicodedata.normalize("NFKC", text or "")
    value = re.sub(r"\s+", "", value).upper()
    dashed = _DASHED.match(value)
    if dashed:
        building, unit, room = dashed.groups()
        value = f"{building}栋{unit}单元{room}"
    value = _BUILDING_WORDS.sub("栋", value)
    value = re.sub(r"(室|号)$", "", value)
    if not value:
        raise ValueError("empty household address")
    return value


def has_majority_in_favour(proposal: ResidentProposal) -> bool:
    """More households voted yes than no (and at least one voted)."""
    yes, no = proposal.count_votes()
    return yes > no


def has_no_majority_in_favour(proposal: ResidentProposal) -> bool:
    return not has_majority_in_favour(proposal)


class ResidentProposal(ConcurrentTransitionMixin, models.Model):
    """A resident's proposal (居民提案) for their 社区."""

    community = models.ForeignKey(
        "incubator.Community",
        on_delete=models.PROTECT,
        related_name="resident_proposals",
        limit_choices_to={"level": CommunityLevel.COMMUNITY},
        verbose_name=_("community"),
    )
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("what should change, and why"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="resident_proposals",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    state = FSMField(
        _("state"),
        default=P.SUBMITTED,
        choices=P.choices,
        protected=True,
        max_length=32,
        db_index=True,
    )
    matter = models.CharField(
        _("kind of matter"), max_length=16, choices=Matter.choices, blank=True
    )
    classification_note = models.TextField(_("classification note"), blank=True)
    classified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("classified by"),
    )
    classified_at = models.DateTimeField(_("classified"), null=True, blank=True)
    voting_opened_at = models.DateTimeField(_("voting opened"), null=True, blank=True)
    voting_closed_at = models.DateTimeField(_("voting closed"), null=True, blank=True)
    converted_call = models.ForeignKey(
        "grants.Call",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resident_proposals",
        verbose_name=_("micro-call"),
    )
    converted_application = models.ForeignKey(
        "grants.Application",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resident_proposals",
        verbose_name=_("application draft"),
    )
    converted_at = models.DateTimeField(_("turned into a project"), null=True, blank=True)

    class Meta:
        verbose_name = _("resident proposal")
        verbose_name_plural = _("resident proposals")
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["community", "state"], name="proposal_community_state"),
        ]
        constraints = [
            # A proposal turns into one thing: a micro-call or an application draft.
            models.CheckConstraint(
                condition=Q(converted_call__isnull=True) | Q(converted_application__isnull=True),
                name="proposal_converted_once",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def count_votes(self) -> tuple[int, int]:
        """(yes, no): from annotations when the selector added them, else one query."""
        if hasattr(self, "yes_votes") and hasattr(self, "no_votes"):
            return self.yes_votes, self.no_votes
        counts = self.votes.aggregate(
            yes=models.Count("pk", filter=Q(in_favour=True)),
            no=models.Count("pk", filter=Q(in_favour=False)),
        )
        return counts["yes"], counts["no"]

    # --- The state machine -------------------------------------------------------------------

    def _classify(self, matter: str, by, note: str) -> None:
        self.matter = matter
        self.classification_note = note or ""
        self.classified_by = by
        self.classified_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=P.SUBMITTED,
        target=P.CLASSIFIED_MAJOR,
        permission="incubator.classify_proposal",
    )
    def classify_major(self, *, by=None, description=None) -> None:
        self._classify(Matter.MAJOR, by, description)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=P.SUBMITTED,
        target=P.CLASSIFIED_MINOR,
        permission="incubator.classify_proposal",
    )
    def classify_minor(self, *, by=None, description=None) -> None:
        self._classify(Matter.MINOR, by, description)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=P.SUBMITTED,
        target=P.CLASSIFIED_PRIVATE,
        permission="incubator.classify_proposal",
    )
    def classify_private(self, *, by=None, description=None) -> None:
        self._classify(Matter.PRIVATE, by, description)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=P.CLASSIFIED_MINOR,
        target=P.VOTING,
        permission="incubator.run_proposal_vote",
    )
    def open_voting(self, *, by=None, description=None) -> None:
        self.voting_opened_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=P.VOTING,
        target=P.ADOPTED,
        conditions=[has_majority_in_favour],
        permission="incubator.run_proposal_vote",
    )
    def adopt(self, *, by=None, description=None) -> None:
        self.voting_closed_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=P.VOTING,
        target=P.NOT_ADOPTED,
        conditions=[has_no_majority_in_favour],
        permission="incubator.run_proposal_vote",
    )
    def reject(self, *, by=None, description=None) -> None:
        self.voting_closed_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=P.ADOPTED,
        target=P.CONVERTED,
        permission="incubator.convert_proposal_to_call",
    )
    def convert_to_call(self, *, call, by=None, description=None) -> None:
        self.converted_call = call
        self.converted_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=P.ADOPTED,
        target=P.CONVERTED,
        permission="incubator.convert_proposal_to_application",
    )
    def convert_to_application(self, *, application, by=None, description=None) -> None:
        self.converted_application = application
        self.converted_at = timezone.now()


class Household(models.Model):
    """One flat (户) of a community, the unit that votes: ``address`` is normalised (3栋2单元401)."""

    community = models.ForeignKey(
        "incubator.Community",
        on_delete=models.PROTECT,
        related_name="households_registered",
        verbose_name=_("community"),
    )
    address = models.CharField(_("building, unit and room"), max_length=60)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["community", "address"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "address"], name="household_unique_address_in_community"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.community} {self.address}"

    def save(self, *args, **kwargs) -> None:
        self.address = normalise_household(self.address)
        super().save(*args, **kwargs)


class ProposalVote(models.Model):
    """One household's vote on a 小事 proposal, cast by a signed-in resident of that household."""

    proposal = models.ForeignKey(
        ResidentProposal,
        on_delete=models.CASCADE,
        related_name="votes",
        verbose_name=_("proposal"),
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="votes", verbose_name=_("household")
    )
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="proposal_votes",
        verbose_name=_("voter"),
    )
    in_favour = models.BooleanField(_("in favour"))
    cast_at = models.DateTimeField(_("cast"), default=timezone.now)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["proposal", "cast_at", "pk"]
        constraints = [
            # One household, one vote: the database is the last word, whatever races the pages.
            models.UniqueConstraint(
                fields=["proposal", "household"],
                name="proposalvote_one_per_household",
                violation_error_message=_("This household has already voted on this proposal."),
            ),
            # And one person may not vote for several flats.
            models.UniqueConstraint(
                fields=["proposal", "voter"],
                name="proposalvote_one_per_voter",
                violation_error_message=_("You have already voted on this proposal."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.proposal} · {self.household.address}"
