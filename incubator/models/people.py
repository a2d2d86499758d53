"""Social workers (社工): professionals attached to an organisation, with their certificate level.

The 持证率 (certification rate) reported by districts is certified / all active social workers;
``incubator.selectors_community`` computes it with SQL aggregation.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incubator.enums_community import CertificateLevel

__all__ = ["SocialWorker"]


class SocialWorker(models.Model):
    """A social worker's profile at one organisation, and the projects they work on."""

    name = models.CharField(_("name"), max_length=50)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="social_worker_profile",
        verbose_name=_("user account"),
        help_text=_("If the social worker signs in to Yichuang."),
    )
    organisation = models.ForeignKey(
        "incubator.Organisation",
        on_delete=models.CASCADE,
        related_name="social_workers",
        verbose_name=_("organisation"),
    )
    certificate_level = models.CharField(
        _("certificate level"),
        max_length=16,
        choices=CertificateLevel.choices,
        default=CertificateLevel.NONE,
    )
    certificate_number = models.CharField(
        _("certificate number"),
        max_length=40,
        null=True,
        blank=True,
        unique=True,
        error_messages={
            "unique": _("A social worker with this certificate number is already registered.")
        },
    )
    certificate_date = models.DateField(_("certificate date"), null=True, blank=True)
    training_hours = models.DecimalField(
        _("training hours"),
        max_digits=7,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    applications = models.ManyToManyField(
        "grants.Application",
        blank=True,
        related_name="social_workers",
        verbose_name=_("projects"),
    )
    # People leave: a former social worker stays on the projects' record but not in the 持证率.
    is_active = models.BooleanField(_("currently works here"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("social worker")
        verbose_name_plural = _("social workers")
        ordering = ["organisation", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(training_hours__gte=0), name="socialworker_training_not_negative"
            ),
            # A certificate level without a number cannot be checked; a number without a level
            # would count as uncertified and confuse the rate.
            models.CheckConstraint(
                condition=(
                    Q(certificate_level=CertificateLevel.NONE)
                    & Q(certificate_number__isnull=True)
                    & Q(certificate_date__isnull=True)
                )
                | (
                    ~Q(certificate_level=CertificateLevel.NONE)
                    & Q(certificate_number__isnull=False)
                ),
                name="socialworker_certificate_consistent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # Empty strings would collide on the unique index; "no number" is NULL.
        self.certificate_number = (self.certificate_number or "").strip().upper() or None
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.certificate_number = (self.certificate_number or "").strip().upper() or None
        errors = {}
        if self.certificate_level == CertificateLevel.NONE:
            if self.certificate_number:
                errors["certificate_level"] = _("Choose the level of this certificate.")
            if self.certificate_date:
                errors["certificate_date"] = _(
                    "Without a certificate there is no certificate date."
                )
        elif not self.certificate_number:
            errors["certificate_number"] = _("Give the number printed on the certificate.")
        if self.certificate_date and self.certificate_date > timezone.localdate():
            errors["certificate_date"] = _("The certificate date cannot be in the future.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_certified(self) -> bool:
        return self.certificate_level != CertificateLevel.NONE
