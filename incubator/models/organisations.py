from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incubator.credit_code import normalise, validate_credit_code
from incubator.enums import PARENT_LEVEL, CommunityLevel, OrganisationType, Rating


class Community(models.Model):
    """One unit of the 区 → 街道 → 社区 hierarchy."""

    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=CommunityLevel.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    city = models.CharField(_("city"), max_length=50, blank=True)
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["level", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="community_unique_name_in_parent"
            ),
            models.UniqueConstraint(
                fields=["city", "name"],
                condition=Q(parent__isnull=True),
                name="community_unique_district_name_in_city",
            ),
            models.CheckConstraint(
                condition=Q(level=CommunityLevel.DISTRICT, parent__isnull=True)
                | (~Q(level=CommunityLevel.DISTRICT) & Q(parent__isnull=False)),
                name="community_only_districts_have_no_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        expected = PARENT_LEVEL.get(self.level)
        if expected is None and self.parent_id:
            raise ValidationError({"parent": _("A district has no parent.")})
        if expected is not None and (self.parent is None or self.parent.level != expected):
            raise ValidationError(
                {
                    "parent": _("The parent of a %(level)s must be a %(parent)s.")
                    % {"level": self.get_level_display(), "parent": CommunityLevel(expected).label}
                }
            )

    @property
    def district_pk(self) -> int | None:
        """The id of the district this unit belongs to (itself for a district)."""
        node: Community | None = self
        while node is not None and node.level != CommunityLevel.DISTRICT:
            node = node.parent
        return node.pk if node is not None else None

    @property
    def full_name(self) -> str:
        names = []
        node: Community | None = self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return "".join(reversed(names))


class Organisation(models.Model):
    """A social organisation: applies for grants, is incubated, employs social workers."""

    name = models.CharField(_("name"), max_length=200)
    org_type = models.CharField(_("type"), max_length=32, choices=OrganisationType.choices)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        null=True,
        blank=True,
        unique=True,
        validators=[validate_credit_code],
        help_text=_(
            "18 characters, on the registration certificate. Filed community organisations may leave it empty."
        ),
        error_messages={
            "unique": _(
                "An organisation with this unified social credit code is already registered."
            )
        },
    )
    registration_date = models.DateField(_("registration date"), null=True, blank=True)
    registration_authority = models.CharField(
        _("registration authority"), max_length=100, blank=True
    )
    rating = models.CharField(_("rating"), max_length=2, choices=Rating.choices, blank=True)
    rating_expires_on = models.DateField(_("rating valid until"), null=True, blank=True)
    district = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="district_organisations",
        limit_choices_to={"level": CommunityLevel.DISTRICT},
        verbose_name=_("district"),
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="organisations",
        verbose_name=_("based in community"),
        help_text=_("The 街道 or 社区 where the organisation is based, if any."),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    description = models.TextField(_("about the organisation"), blank=True)
    website = models.URLField(_("website"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="accounts.Membership",
        through_fields=("organisation", "user"),
        related_name="organisations",
        verbose_name=_("members"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_code__isnull=False) | Q(org_type=OrganisationType.COMMUNITY_ORG),
                name="organisation_registered_types_have_credit_code",
            ),
            models.CheckConstraint(
                condition=Q(rating_expires_on__isnull=True) | ~Q(rating=""),
                name="organisation_rating_expiry_needs_rating",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.credit_code = normalise(self.credit_code) if self.credit_code else None
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.credit_code:
            self.credit_code = normalise(self.credit_code)
        else:
            self.credit_code = None
        errors = {}
        if (
            self.credit_code is None
            and self.org_type
            and self.org_type != OrganisationType.COMMUNITY_ORG
        ):
            errors["credit_code"] = _(
                "A registered organisation must give its unified social credit code."
            )
        if self.rating_expires_on and not self.rating:
            errors["rating_expires_on"] = _("Give the rating as well as its expiry date.")
        if self.district_id and self.district.level != CommunityLevel.DISTRICT:
            errors["district"] = _("Choose a district (区), not a sub-district or community.")
        elif (
            self.district_id
            and self.community_id
            and self.community.district_pk != self.district_id
        ):
            errors["community"] = _("This community is not in the district chosen above.")
        if errors:
            raise ValidationError(errors)

    @property
    def rating_is_current(self) -> bool:
        return bool(self.rating) and (
            self.rating_expires_on is None or self.rating_expires_on >= timezone.localdate()
        )
