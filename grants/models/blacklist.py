from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BlacklistKind(models.TextChoices):
    """The public lists an organisation can be on, and how long each bars it from calls."""

    ABNORMAL_ACTIVITY = "abnormal_activity", _("Abnormal-activity list (活动异常名录)")
    SERIOUS_VIOLATION = (
        "serious_violation",
        _("Serious violation / dishonesty list (严重违法失信名单)"),
    )
    MAJOR_VIOLATION = "major_violation", _("Major violation (重大违法)")


# Years an entry bars an organisation after it was listed (DOMAIN.md, step 3).
BAR_YEARS = {
    BlacklistKind.ABNORMAL_ACTIVITY: 1,
    BlacklistKind.SERIOUS_VIOLATION: 2,
    BlacklistKind.MAJOR_VIOLATION: 3,
}


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a non-leap target year
        return day.replace(year=day.year + years, day=28)


class BlacklistEntry(models.Model):
    """An organisation's listing on a civil-affairs list, as recorded by an officer."""

    organisation = models.ForeignKey(
        "incubator.Organisation",
        on_delete=models.CASCADE,
        related_name="blacklist_entries",
        verbose_name=_("organisation"),
    )
    kind = models.CharField(_("list"), max_length=32, choices=BlacklistKind.choices)
    listed_on = models.DateField(_("listed on"))
    removed_on = models.DateField(
        _("removed on"),
        null=True,
        blank=True,
        help_text=_("Leave empty while the organisation is listed."),
    )
    source = models.CharField(
        _("source"),
        max_length=300,
        blank=True,
        help_text=_("Decision number or web address of the notice."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("blocked-list entry")
        verbose_name_plural = _("blocked-list entries")
        ordering = ["organisation", "-listed_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(removed_on__isnull=True) | Q(removed_on__gte=F("listed_on")),
                name="blacklist_removed_after_listed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.get_kind_display()} · {self.listed_on}"

    @property
    def bar_years(self) -> int:
        return BAR_YEARS[BlacklistKind(self.kind)]

    @property
    def bars_until(self) -> date:
        """The day the bar ends: ``bar_years`` after listing (removal from the list does not shorten it)."""
        return add_years(self.listed_on, self.bar_years)

    def bars_on(self, day: date) -> bool:
        return self.listed_on <= day < self.bars_until
