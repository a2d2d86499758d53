"""Charitable resources (社会慈善资源): donors, in-kind donations and matching pledges.

Officers manage them (Wagtail snippets, ``incubator/wagtail_hooks.py``); pledge states change only
through ``incubator.services_community`` (``FSMField(protected=True)``).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from incubator.enums_community import MATCHING_STATES, DonorKind, PledgeState

__all__ = ["Donor", "InKindDonation", "MatchingPledge", "matching_due"]

CENT = Decimal("0.01")


class Donor(models.Model):
    """A person or a company that gives money (matching funds) or goods to projects."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=16, choices=DonorKind.choices)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("donor")
        verbose_name_plural = _("donors")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class InKindDonation(models.Model):
    """Goods or services given to a project (an application) or to an organisation."""

    donor = models.ForeignKey(
        Donor, on_delete=models.PROTECT, related_name="donations", verbose_name=_("donor")
    )
    description = models.CharField(_("what was given"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    estimated_value = models.DecimalField(
        _("estimated value (yuan)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="in_kind_donations",
        verbose_name=_("project"),
    )
    organisation = models.ForeignKey(
        "incubator.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="in_kind_donations",
        verbose_name=_("organisation"),
        help_text=_("For a gift to the organisation rather than to one project."),
    )
    received_on = models.DateField(_("received on"), default=timezone.localdate)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("in-kind donation")
        verbose_name_plural = _("in-kind donations")
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(estimated_value__gte=0), name="inkinddonation_value_not_negative"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="inkinddonation_quantity"),
            models.CheckConstraint(
                condition=(Q(application__isnull=False) & Q(organisation__isnull=True))
                | (Q(application__isnull=True) & Q(organisation__isnull=False)),
                name="inkinddonation_one_recipient",
                violation_error_message=_("Give either a project or an organisation, not both."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.donor} · {self.description}"

    @property
    def recipient_organisation_id(self) -> int | None:
        return self.organisation_id or (
            self.application.organisation_id if self.application else None
        )


def matching_due(pledge: MatchingPledge, donated_amount: Decimal) -> Decimal:
    """What ``pledge`` adds to a donation of ``donated_amount`` yuan (see ``MatchingPledge``).

    ``min(donated × ratio, cap − already matched)``, rounded down to the fen, never negative,
    and zero unless the pledge is active. Pure: reads the pledge, writes nothing.
    """
    donated_amount = Decimal(donated_amount)
    if donated_amount < 0:
        raise ValueError("a donation cannot be negative")
    if pledge.state not in MATCHING_STATES:
        return Decimal("0.00")
    remaining = max(pledge.cap_amount - pledge.matched_amount, Decimal("0"))
    # Rounded down: a pledge never pays a fen more than its ratio promises.
    due = (donated_amount * pledge.ratio).quantize(CENT, rounding=ROUND_DOWN)
    return min(due, remaining).quantize(CENT)


class MatchingPledge(ConcurrentTransitionMixin, models.Model):
    """配套资金: a donor's promise to match donations to one project or to a programme's pool.

    The target is exactly one of ``application`` (a project) or ``programme`` (a matching pool
    shared by the programme's projects); a database constraint holds it.

    How the funding ledger honours a pledge: for each donation of ``d`` yuan to the target, the
    pledge adds ``matching_due(pledge, d) = min(d × ratio, cap_amount − matched_amount)``, rounded
    down to the fen, and zero unless the pledge is ``active``. Worked example: ratio 1 (1:1), cap
    ¥50,000, already matched ¥45,000: a ¥3,000 donation is matched ¥3,000; a further ¥4,000
    donation is matched ¥2,000 (what is left of the cap). With ratio 0.5 (1:0.5) a ¥3,000
    donation is matched ¥1,500. ``services_community.record_match`` applies it under a row lock
    and marks the pledge fulfilled when the cap is reached.
    """

    donor = models.ForeignKey(
        Donor, on_delete=models.PROTECT, related_name="pledges", verbose_name=_("donor")
    )
    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="matching_pledges",
        verbose_name=_("project"),
    )
    programme = models.ForeignKey(
        "grants.Programme",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="matching_pledges",
        verbose_name=_("programme matching pool"),
    )
    ratio = models.DecimalField(
        _("matching ratio"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Yuan matched per yuan donated: 1 for 1:1, 0.5 for 1:0.5."),
    )
    cap_amount = models.DecimalField(
        _("cap (yuan)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("The most the donor adds in total."),
    )
    matched_amount = models.DecimalField(
        _("matched so far (yuan)"), max_digits=12, decimal_places=2, default=Decimal("0"),
        editable=False,
    )  # fmt: skip
    state = FSMField(
        _("state"),
        default=PledgeState.PLEDGED,
        choices=PledgeState.choices,
        protected=True,
        max_length=16,
        db_index=True,
    )
    pledged_on = models.DateField(_("pledged on"), default=timezone.localdate)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("matching pledge")
        verbose_name_plural = _("matching pledges")
        ordering = ["-pledged_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(application__isnull=False) & Q(programme__isnull=True))
                | (Q(application__isnull=True) & Q(programme__isnull=False)),
                name="matchingpledge_one_target",
                violation_error_message=_(
                    "A pledge matches either one project or a programme's pool, not both."
                ),
            ),
            models.CheckConstraint(condition=Q(ratio__gte=0), name="matchingpledge_ratio"),
            models.CheckConstraint(condition=Q(cap_amount__gt=0), name="matchingpledge_cap"),
            models.CheckConstraint(
                condition=Q(matched_amount__gte=0) & Q(matched_amount__lte=F("cap_amount")),
                name="matchingpledge_matched_within_cap",
            ),
        ]

    def __str__(self) -> str:
        return _("%(donor)s 1:%(ratio)s up to ¥%(cap)s") % {
            "donor": self.donor,
            "ratio": format(self.ratio.normalize(), "f") if self.ratio is not None else "",
            "cap": self.cap_amount,
        }

    def clean(self) -> None:
        # The one-target rule is the CheckConstraint's, validated (with its message) by forms.
        if self.cap_amount is not None and self.cap_amount < self.matched_amount:
            raise ValidationError(
                {"cap_amount": _("The cap cannot be below what has already been matched.")}
            )

    @property
    def remaining(self) -> Decimal:
        return max(self.cap_amount - self.matched_amount, Decimal("0"))

    @property
    def target(self):
        return self.application or self.programme

    # --- The state machine -------------------------------------------------------------------

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=PledgeState.PLEDGED,
        target=PledgeState.ACTIVE,
        permission="incubator.manage_pledge",
    )
    def activate(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=PledgeState.ACTIVE,
        target=PledgeState.FULFILLED,
        permission="incubator.manage_pledge",
    )
    def fulfil(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[PledgeState.PLEDGED, PledgeState.ACTIVE],
        target=PledgeState.CANCELLED,
        permission="incubator.manage_pledge",
    )
    def cancel(self, *, by=None, description=None) -> None:
        pass
