"""Decision and 公示: the public notice of a call's results and the objections (异议) lodged against it.

An application cannot be approved while an objection on it is open or before the notice window has
closed: ``Application.approve`` asks ``notice_closed_without_open_objections``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from grants.enums import ObjectionState

O = ObjectionState  # noqa: E741


class PublicNotice(models.Model):
    """公示: a call's results, published for a window (default 7 days) during which anyone may object."""

    call = models.OneToOneField(
        "grants.Call",
        on_delete=models.PROTECT,
        related_name="public_notice",
        verbose_name=_("call"),
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("notice text"), blank=True)
    published_at = models.DateTimeField(_("published"))
    closes_at = models.DateTimeField(_("objections close"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    contact = models.CharField(
        _("contact for objections"), max_length=200, blank=True, help_text=_("Phone or e-mail.")
    )

    class Meta:
        verbose_name = _("public notice")
        verbose_name_plural = _("public notices")
        ordering = ["-published_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("published_at")), name="notice_closes_after_publishing"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.published_at <= now < self.closes_at


class Objection(ConcurrentTransitionMixin, models.Model):
    """异议: an objection to one application on a public notice, from anyone, with verified contact.

    unverified → open (contact verified by a code) → answered (upheld or dismissed, with a written
    answer); an unverified objection never blocks anything and expires.
    """

    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="objections",
        verbose_name=_("application"),
    )
    notice = models.ForeignKey(
        PublicNotice, on_delete=models.PROTECT, related_name="objections", verbose_name=_("notice")
    )
    name = models.CharField(_("your name"), max_length=50)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    body = models.TextField(_("objection"))
    state = FSMField(
        _("state"), default=O.UNVERIFIED, choices=O.choices, protected=True, max_length=16
    )
    # Only a hash of the code is kept; attempts are counted to stop guessing.
    code_hash = models.CharField(max_length=128, blank=True, editable=False)
    code_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    code_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    verified_at = models.DateTimeField(_("contact verified"), null=True, blank=True)
    triage_note = models.TextField(_("triage note"), blank=True)
    answer = models.TextField(_("written answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("lodged"), default=timezone.now)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["application", "state"], name="objection_app_state")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(email="") | ~Q(phone=""),
                name="objection_has_contact",
                violation_error_message=_("Give an e-mail address or a mobile number."),
            ),
            models.CheckConstraint(
                condition=~Q(state__in=[O.UPHELD, O.DISMISSED]) | ~Q(answer=""),
                name="objection_answered_in_writing",
                violation_error_message=_("An objection is resolved with a written answer."),
            ),
        ]

    def __str__(self) -> str:
        return _("Objection by %(name)s") % {"name": self.name}

    @fsm_log_description
    @transition(field=state, source=O.UNVERIFIED, target=O.OPEN)
    def verify(self, *, description=None) -> None:
        self.verified_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=O.OPEN, target=O.UPHELD, permission="grants.resolve_objection")
    def uphold(self, *, by=None, description=None, answer: str = "") -> None:
        self.answer = answer
        self.answered_by = by
        self.answered_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state, source=O.OPEN, target=O.DISMISSED, permission="grants.resolve_objection"
    )
    def dismiss(self, *, by=None, description=None, answer: str = "") -> None:
        self.answer = answer
        self.answered_by = by
        self.answered_at = timezone.now()
