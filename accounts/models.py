from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from accounts.enums import ORGANISATION_ROLES, EmailFrequency, Role


class User(AbstractUser):
    """A person who signs in. What they may do comes from their memberships' role codes."""

    display_name = models.CharField(_("name"), max_length=100, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    email_frequency = models.CharField(
        _("e-mail notifications"),
        max_length=16,
        choices=EmailFrequency.choices,
        default=EmailFrequency.IMMEDIATELY,
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @cached_property
    def role_codes(self) -> frozenset[str]:
        """The role codes of the user's active memberships (one query, cached per instance)."""
        if not self.pk:
            return frozenset()
        return frozenset(self.memberships.filter(is_active=True).values_list("role", flat=True))

    def has_role(self, role: str) -> bool:
        return self.is_active and role in self.role_codes

    def organisation_ids(self, role: str = Role.APPLICANT) -> set[int]:
        return set(
            self.memberships.filter(
                is_active=True, role=role, organisation__isnull=False
            ).values_list("organisation_id", flat=True)
        )


class Membership(models.Model):
    """A user holding a role, for an organisation or a community where the role needs one."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    organisation = models.ForeignKey(
        "incubator.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    community = models.ForeignKey(
        "incubator.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("community"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "organisation"],
                condition=Q(organisation__isnull=False),
                name="membership_unique_role_per_organisation",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(organisation__isnull=True),
                name="membership_unique_platform_role",
            ),
            models.CheckConstraint(
                condition=~Q(role__in=sorted(ORGANISATION_ROLES)) | Q(organisation__isnull=False),
                name="membership_organisation_role_has_organisation",
            ),
        ]

    def __str__(self) -> str:
        where = self.organisation or self.community or ""
        return f"{self.user} · {self.get_role_display()} {where}".strip()


class RoleGroup(models.Model):
    """Which Django/Wagtail group the holders of a role join (e.g. page-editing rights for officers).

    Code never looks a group up by its name: names are for people and get translated or renamed
    (Hypha looked roles up by translated group names, and a non-English LANGUAGE_CODE froze every
    application — Hypha #4211). The link here is by stable role code; the group may be called
    anything, and ``accounts.services.sync_role_access`` keeps its membership in step.
    """

    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    group = models.ForeignKey(
        "auth.Group", on_delete=models.CASCADE, related_name="+", verbose_name=_("group")
    )

    class Meta:
        verbose_name = _("role group")
        verbose_name_plural = _("role groups")
        constraints = [
            models.UniqueConstraint(fields=["role", "group"], name="rolegroup_unique_role_group"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} → {self.group}"
