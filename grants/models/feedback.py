"""Resident feedback (群众评议) on funded projects.

A ``FeedbackChannel`` per funded application holds the unguessable public link (``/pingyi/<token>/``),
whether it is open, an optional closing day and how "one response each" is counted (per verified
mobile number, or per household as well). Residents leave ``FeedbackResponse`` rows: unverified
until the 6-digit SMS code is entered, then counted, or flagged for the officer when the comment
repeats one just received from another number; an officer may exclude a response with a reason.

Phone numbers are never stored: only an HMAC (keyed by SECRET_KEY and the channel, so the same
resident cannot be linked across projects) and the last four digits that the officer sees.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

__all__ = [
    "FeedbackChannel",
    "FeedbackMode",
    "FeedbackResponse",
    "FeedbackState",
    "TimelyAnswer",
    "YesNo",
]


class FeedbackMode(models.TextChoices):
    PHONE = "phone", _("One response per mobile number")
    HOUSEHOLD = "household", _("One response per household")


class FeedbackState(models.TextChoices):
    UNVERIFIED = "unverified", pgettext_lazy("feedback state", "Awaiting the code")
    COUNTED = "counted", pgettext_lazy("feedback state", "Counted")
    FLAGGED = "flagged", pgettext_lazy("feedback state", "Flagged for review")
    EXCLUDED = "excluded", pgettext_lazy("feedback state", "Excluded")


F = FeedbackState
# A verified response: it holds its phone number (and household) against a second one.
VERIFIED_STATES = (F.COUNTED, F.FLAGGED, F.EXCLUDED)


class YesNo(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")


class TimelyAnswer(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    NOT_APPLICABLE = "na", _("Not used the service")


def new_token() -> str:
    # 96 random bits: the link is the only thing that keeps the page unlisted.
    return secrets.token_urlsafe(12)


class FeedbackChannel(models.Model):
    """The public feedback page of one funded project."""

    application = models.OneToOneField(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="feedback_channel",
        verbose_name=_("application"),
    )
    token = models.CharField(_("link token"), max_length=32, unique=True, default=new_token)
    is_open = models.BooleanField(_("open for feedback"), default=True)
    closes_on = models.DateField(
        _("last day for feedback"),
        null=True,
        blank=True,
        help_text=_("Optional. After this day (Beijing time) the page takes no more responses."),
    )
    mode = models.CharField(
        _("one response per"),
        max_length=16,
        choices=FeedbackMode.choices,
        default=FeedbackMode.PHONE,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    changed_at = models.DateTimeField(_("last changed"), null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last changed by"),
    )

    class Meta:
        verbose_name = _("feedback channel")
        verbose_name_plural = _("feedback channels")

    def __str__(self) -> str:
        return str(self.application)


class FeedbackResponse(ConcurrentTransitionMixin, models.Model):
    """One resident's rating and comment, counted once the phone number is verified."""

    channel = models.ForeignKey(
        FeedbackChannel,
        on_delete=models.PROTECT,
        related_name="responses",
        verbose_name=_("channel"),
    )
    # Repeated from the channel so that summaries group by application without a join.
    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="feedback_responses",
        verbose_name=_("application"),
    )
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"))
    attended = models.CharField(
        _("took part in an activity"), max_length=3, choices=YesNo.choices, blank=True
    )
    timely = models.CharField(
        _("service was timely"), max_length=3, choices=TimelyAnswer.choices, blank=True
    )
    comment = models.TextField(_("comment"), blank=True)
    household = models.CharField(_("building and door number"), max_length=60, blank=True)
    # ``household`` normalised (full-width digits, spaces, 栋/幢/号楼 spelled one way): the
    # key of "one response per household".
    household_key = models.CharField(max_length=60, blank=True, editable=False)
    # True when the response was verified on a channel in household mode: only those hold their
    # household against another response (see the constraint).
    holds_household = models.BooleanField(default=False, editable=False)
    phone_hash = models.CharField(max_length=64, editable=False)
    phone_tail = models.CharField(_("last four digits"), max_length=4, editable=False)
    # Normalised comment's hash: near-identical comments in a short time are flagged.
    comment_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    state = FSMField(
        _("state"), default=F.UNVERIFIED, choices=F.choices, protected=True, max_length=16
    )
    flag_reason = models.CharField(_("why flagged"), max_length=200, blank=True)
    code_hash = models.CharField(max_length=128, blank=True, editable=False)
    code_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    code_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("moderated by"),
    )
    moderated_at = models.DateTimeField(_("moderated"), null=True, blank=True)
    exclusion_reason = models.TextField(_("reason for exclusion"), blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("feedback response")
        verbose_name_plural = _("feedback responses")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["application", "state"], name="feedback_app_state"),
            models.Index(fields=["channel", "comment_fingerprint"], name="feedback_fingerprint"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__gte=1) & Q(satisfaction__lte=5),
                name="feedback_satisfaction_1_to_5",
            ),
            models.UniqueConstraint(
                fields=["channel", "phone_hash"],
                condition=Q(verified_at__isnull=False),
                name="feedback_one_per_phone",
            ),
            models.UniqueConstraint(
                fields=["channel", "household_key"],
                condition=Q(holds_household=True),
                name="feedback_one_per_household",
            ),
            models.CheckConstraint(
                condition=~Q(holds_household=True) | ~Q(household_key=""),
                name="feedback_household_key_when_held",
            ),
            models.CheckConstraint(
                condition=Q(state=F.UNVERIFIED) | Q(verified_at__isnull=False),
                name="feedback_verified_when_counted",
            ),
            models.CheckConstraint(
                condition=~Q(state=F.EXCLUDED) | ~Q(exclusion_reason=""),
                name="feedback_excluded_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return _("Feedback %(rating)s/5 on %(project)s") % {
            "rating": self.satisfaction,
            "project": self.application_id,
        }

    @property
    def masked_phone(self) -> str:
        """What staff may see of the number: the last four digits."""
        return f"*******{self.phone_tail}"

    @fsm_log_description
    @transition(field=state, source=F.UNVERIFIED, target=F.COUNTED)
    def count(self, *, description=None) -> None:
        self.verified_at = timezone.now()

    @fsm_log_description
    @transition(field=state, source=F.UNVERIFIED, target=F.FLAGGED)
    def flag(self, *, description=None, reason: str = "") -> None:
        self.verified_at = timezone.now()
        self.flag_reason = reason[:200]

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[F.COUNTED, F.FLAGGED],
        target=F.EXCLUDED,
        permission="grants.moderate_feedback",
    )
    def exclude(self, *, by=None, description=None, reason: str = "") -> None:
        self.exclusion_reason = reason
        self.moderated_by = by
        self.moderated_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[F.FLAGGED, F.EXCLUDED],
        target=F.COUNTED,
        permission="grants.moderate_feedback",
    )
    def reinstate(self, *, by=None, description=None) -> None:
        self.exclusion_reason = ""
        self.moderated_by = by
        self.moderated_at = timezone.now()
