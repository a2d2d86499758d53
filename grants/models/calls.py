from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from grants.enums import AggregationMethod, CallPhase, PeerScoreVisibility, Theme


class Programme(models.Model):
    """A funding programme, e.g. 2026 姑苏区公益创投大赛; it runs one or more calls."""

    name = models.CharField(_("name"), max_length=200)
    funder = models.CharField(_("funder"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    total_budget = models.DecimalField(_("total budget (yuan)"), max_digits=14, decimal_places=2)
    start_year = models.PositiveSmallIntegerField(_("first year"))
    end_year = models.PositiveSmallIntegerField(_("last year"))
    district = models.ForeignKey(
        "incubator.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="programmes",
        verbose_name=_("district"),
    )
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="programmes_run",
        verbose_name=_("programme officers"),
        help_text=_("They receive the notifications of this programme's applications."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["-start_year", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_budget__gt=0), name="programme_budget_positive"
            ),
            models.CheckConstraint(
                condition=Q(end_year__gte=F("start_year")), name="programme_years_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.name


def quota_problem(quotas, *, themes: bool):
    """What is wrong with a quota mapping ({theme code or district id: yuan}), or None."""
    if not isinstance(quotas, dict):
        return _('Write the quotas as {"key": yuan, …}, or {} for none.')
    for key, amount in quotas.items():
        if themes and key not in Theme.values:
            return _("Unknown theme code: %(code)s") % {"code": key}
        if not themes and not str(key).isdigit():
            return _("District quotas are keyed by the district's id (a number): %(key)s") % {
                "key": key
            }
        try:
            if Decimal(str(amount)) <= 0:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            return _("A quota must be a positive amount of yuan: %(key)s") % {"key": key}
    return None


def default_tranche_schedule() -> list[dict]:
    """50% on signing, 30% after the mid-term evaluation passes, 20% after the final evaluation."""
    return [
        {"percent": 50, "condition": "on_signing"},
        {"percent": 30, "condition": "mid_term_passed"},
        {"percent": 20, "condition": "final_passed"},
    ]


def tranche_schedule_problem(schedule) -> str | None:
    """Why a tranche schedule is unusable (a translated sentence), or None."""
    from grants.enums import TrancheCondition

    if not isinstance(schedule, list) or not schedule:
        return _("Give at least one tranche.")
    total = 0
    for row in schedule:
        if not isinstance(row, dict) or row.get("condition") not in TrancheCondition.values:
            return _("Each tranche needs a condition: on_signing, mid_term_passed or final_passed.")
        percent = row.get("percent")
        if not isinstance(percent, int) or isinstance(percent, bool) or not 0 < percent <= 100:
            return _("Each tranche's share is a whole percentage between 1 and 100.")
        total += percent
    if total != 100:
        return _("The tranche shares add up to %(total)s%%, not 100%%.") % {"total": total}
    return None


class CallQuerySet(models.QuerySet):
    def open_at(self, moment):
        return self.filter(opens_at__lte=moment, closes_at__gt=moment)

    def upcoming_at(self, moment):
        return self.filter(opens_at__gt=moment)

    def closed_at(self, moment):
        return self.filter(closes_at__lte=moment)


class Call(ClusterableModel):
    """创投公告: a call for proposals with its own rules. Every setting that varies is per call.

    Clusterable so the Wagtail admin edits the rubric inline (``RubricCriterion.call`` is a
    ParentalKey) and saves call and criteria in one form.
    """

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="calls", verbose_name=_("programme")
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True, allow_unicode=True)
    summary = models.TextField(_("summary"), blank=True)
    themes = models.JSONField(_("themes"), default=list, blank=True, help_text=_("Theme codes."))
    budget = models.DecimalField(_("budget (yuan)"), max_digits=14, decimal_places=2)
    min_grant = models.DecimalField(
        _("minimum grant (yuan)"), max_digits=12, decimal_places=2, default=0
    )
    max_grant = models.DecimalField(_("maximum grant (yuan)"), max_digits=12, decimal_places=2)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    grace_minutes = models.PositiveSmallIntegerField(
        _("grace minutes"),
        default=0,
        help_text=_("Submissions are still accepted this long after closing."),
    )
    # Eligibility and budget rules (defaults from published programme rules; see DOMAIN.md).
    one_application_per_organisation = models.BooleanField(
        _("one application per organisation"), default=True
    )
    allow_filed_community_orgs = models.BooleanField(
        _("filed community organisations may apply"), default=True
    )
    requires_matching = models.BooleanField(_("matching funds required"), default=False)
    max_grant_share_percent = models.PositiveSmallIntegerField(
        _("grant share of project budget at most (%)"), default=60
    )
    personnel_cap_percent = models.PositiveSmallIntegerField(
        _("personnel costs at most (%)"), default=30
    )
    management_cap_percent = models.PositiveSmallIntegerField(
        _("management fee at most (%)"), default=10
    )
    failure_bar_years = models.PositiveSmallIntegerField(
        _("years barred after a failed project"), default=3
    )
    max_attachment_mb = models.PositiveSmallIntegerField(
        _("largest attachment (MB)"),
        default=20,
        help_text=_("Each uploaded file may be at most this big."),
    )
    # Stages the call uses.
    has_screening = models.BooleanField(_("eligibility screening"), default=True)
    has_defense = models.BooleanField(_("live pitch (路演)"), default=False)
    has_public_notice = models.BooleanField(_("public notice (公示)"), default=True)
    public_notice_days = models.PositiveSmallIntegerField(_("public notice days"), default=7)
    reviewers_per_application = models.PositiveSmallIntegerField(
        _("reviewers per application"), default=5
    )
    conflict_lookback_years = models.PositiveSmallIntegerField(
        _("conflict look-back (years)"), default=3
    )
    # Review settings (issue #4).
    review_deadline = models.DateTimeField(_("review deadline"), null=True, blank=True)
    aggregation_method = models.CharField(
        _("score aggregation"),
        max_length=16,
        choices=AggregationMethod.choices,
        default=AggregationMethod.TRIMMED_MEAN,
    )
    blind_review = models.BooleanField(
        _("blind review"), default=False, help_text=_("Reviewers do not see who applied.")
    )
    peer_scores_visible = models.CharField(
        _("reviewers see each other's scores"),
        max_length=16,
        choices=PeerScoreVisibility.choices,
        default=PeerScoreVisibility.AFTER_OWN,
    )
    comment_required_below_percent = models.PositiveSmallIntegerField(
        _("comment required below this percentage of a criterion's range"), default=60
    )
    expert_weight_percent = models.PositiveSmallIntegerField(
        _("expert share of the final score (%)"),
        default=100,
        help_text=_("The rest is the public score, e.g. 70 for a 7:3 expert:public weighting."),
    )
    pitch_weight_percent = models.PositiveSmallIntegerField(
        _("live pitch share of the expert score (%)"),
        default=50,
        help_text=_("Used only when the call has a live pitch."),
    )
    theme_quotas = models.JSONField(
        _("budget quotas per theme"),
        default=dict,
        blank=True,
        help_text=_('At most this many yuan per theme, e.g. {"elderly": 200000}.'),
    )
    district_quotas = models.JSONField(
        _("budget quotas per district"),
        default=dict,
        blank=True,
        help_text=_('At most this many yuan per district id, e.g. {"3": 150000}.'),
    )
    requires_incubation_graduate = models.BooleanField(
        _("only organisations that graduated from incubation"), default=False
    )
    # Funding (issue #5): the tranche schedule every agreement of the call copies, the payment term
    # after a tranche's condition holds, and how far an expense may overrun its budget line.
    tranche_schedule = models.JSONField(
        _("tranche schedule"),
        default=default_tranche_schedule,
        blank=True,
        help_text=_(
            'List of {"percent", "condition"}: conditions on_signing, mid_term_passed, '
            "final_passed; the shares add up to 100."
        ),
    )
    tranche_due_working_days = models.PositiveSmallIntegerField(
        _("payment due within (working days)"), default=15
    )
    expense_tolerance_percent = models.PositiveSmallIntegerField(
        _("budget line overrun allowed without approval (%)"), default=10
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = CallQuerySet.as_manager()

    class Meta:
        verbose_name = _("call for proposals")
        verbose_name_plural = _("calls for proposals")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="call_closes_after_opening"
            ),
            models.CheckConstraint(condition=Q(budget__gt=0), name="call_budget_positive"),
            models.CheckConstraint(condition=Q(max_grant__gt=0), name="call_max_grant_positive"),
            models.CheckConstraint(
                condition=Q(max_grant__gte=F("min_grant")), name="call_grant_range_ordered"
            ),
            models.CheckConstraint(
                condition=Q(max_grant__lte=F("budget")), name="call_max_grant_within_budget"
            ),
            models.CheckConstraint(
                condition=Q(max_grant_share_percent__lte=100)
                & Q(personnel_cap_percent__lte=100)
                & Q(management_cap_percent__lte=100)
                & Q(expert_weight_percent__lte=100)
                & Q(pitch_weight_percent__lte=100)
                & Q(comment_required_below_percent__lte=100),
                name="call_percentages_at_most_100",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors = {}
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors["closes_at"] = _("The call must close after it opens.")
        if (
            self.max_grant is not None
            and self.min_grant is not None
            and self.max_grant < self.min_grant
        ):
            errors["max_grant"] = _("The maximum grant cannot be below the minimum.")
        if self.max_grant is not None and self.budget is not None and self.max_grant > self.budget:
            errors["max_grant"] = _("The maximum grant cannot exceed the call's budget.")
        unknown = [code for code in self.themes or [] if code not in Theme.values]
        if unknown:
            errors["themes"] = _("Unknown theme codes: %(codes)s") % {"codes": ", ".join(unknown)}
        for name in ("theme_quotas", "district_quotas"):
            message = quota_problem(getattr(self, name), themes=name == "theme_quotas")
            if message:
                errors[name] = message
        message = tranche_schedule_problem(self.tranche_schedule)
        if message:
            errors["tranche_schedule"] = message
        if errors:
            raise ValidationError(errors)

    @property
    def submission_deadline(self):
        """The last moment a submission is accepted: closing time plus grace, by the server clock."""
        return self.closes_at + timedelta(minutes=self.grace_minutes)

    def phase(self, now=None) -> CallPhase:
        now = now or timezone.now()
        if now < self.opens_at:
            return CallPhase.UPCOMING
        if now < self.closes_at:
            return CallPhase.OPEN
        return CallPhase.CLOSED

    def theme_labels(self) -> list[str]:
        return [str(Theme(code).label) for code in self.themes if code in Theme.values]


class RubricCriterion(models.Model):
    """One weighted criterion of a call's scoring rubric (e.g. need 20, design 25 … = 100)."""

    call = ParentalKey(
        Call, on_delete=models.CASCADE, related_name="rubric", verbose_name=_("call")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    label = models.CharField(_("criterion"), max_length=100)
    weight = models.PositiveSmallIntegerField(_("weight (points)"))
    guidance = models.TextField(_("guidance for reviewers"), blank=True)
    # Reviewers score each criterion in its own range (e.g. 0–10); the weight scales it into the
    # 100-point total. Empty max means "out of the weight", the most common practice.
    min_score = models.PositiveSmallIntegerField(_("lowest score"), default=0)
    max_score = models.PositiveSmallIntegerField(_("highest score"), null=True, blank=True)

    class Meta:
        verbose_name = _("rubric criterion")
        verbose_name_plural = _("rubric criteria")
        ordering = ["call", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gt=0) & Q(weight__lte=100), name="rubric_weight_1_to_100"
            ),
            models.UniqueConstraint(fields=["call", "label"], name="rubric_unique_label_per_call"),
            models.CheckConstraint(
                condition=Q(max_score__isnull=True) | Q(max_score__gt=F("min_score")),
                name="rubric_score_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.weight})"

    @property
    def top_score(self) -> int:
        return self.max_score if self.max_score is not None else self.weight

    def weighted(self, score):
        """This criterion's contribution to a 0–100 total (when the weights add up to 100)."""
        span = self.top_score - self.min_score
        return (score - self.min_score) / span * self.weight
