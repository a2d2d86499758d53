"""Objections (异议) to a 公示: lodged by anyone, verified by a code, answered by an officer.

unverified → open (``verify``: the objector typed the 6-digit code sent to their e-mail or mobile)
→ upheld / dismissed (``uphold`` / ``dismiss``, with a written answer). Only an open objection
counts: it moves its application from ``public_notice`` to ``objection_review`` and blocks its
approval; when the last open objection of an application is answered, ``objections_resolved``
puts the application back on the notice. An officer who upholds an objection may reject the
application in the same step.

The code: six random digits; only an HMAC of it is stored (with the objection's id, so a code
never fits another objection); valid 30 minutes; five wrong tries kill it (a new code may be
sent, at most one a minute). Sending and checking codes are rate-limited per IP address and per
contact through the cache.

Lock order: application → objection (the same as the decision services: call → application →
objection). Codes and answers are sent with ``transaction.on_commit``.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from grants.enums import ApplicationState, ObjectionState
from grants.models import Application, Objection
from grants.selectors_decisions import ANSWERED_STATES, NOTICE_STATES
from grants.services import notifications
from grants.services.applications import _lock_application, _require_reason, _run_transition
from grants.services.decisions import NOTICE_TIME_ZONE, notify_officers
from grants.services.errors import TransitionRefused

logger = logging.getLogger(__name__)

S = ApplicationState
O = ObjectionState  # noqa: E741

CODE_VALID = timedelta(minutes=30)
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(minutes=1)
# (how many, per how many seconds)
SEND_LIMIT_PER_IP = (10, 3600)
SEND_LIMIT_PER_CONTACT = (5, 3600)
VERIFY_LIMIT_PER_IP = (30, 3600)
# Unverified objections hold contact details nobody confirmed: they are deleted after this.
UNVERIFIED_KEPT = timedelta(days=7)
TOKEN_SALT = "grants.objection"  # noqa: S105 — a signing namespace, not a secret
TOKEN_MAX_AGE = 24 * 3600
OUTCOMES = ("uphold", "dismiss")


class TooManyRequests(Exception):  # noqa: N818 — it reads as what happened to the request
    """A rate limit was reached; ``message`` says when to try again."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class CodeRejected(Exception):  # noqa: N818
    """The code was wrong, expired or used up; ``attempts_left`` says how many tries remain."""

    def __init__(self, message, *, attempts_left: int = 0):
        super().__init__(message)
        self.message = message
        self.attempts_left = attempts_left

    def __str__(self) -> str:
        return str(self.message)


# --- Contacts, codes, tokens, rate limits --------------------------------------------------------

MOBILE = re.compile(r"1[3-9]\d{9}")


def parse_contact(value: str) -> tuple[str, str]:
    """(e-mail, mobile) from what the objector typed: one of them, the other empty."""
    value = (value or "").strip()
    if "@" in value:
        try:
            validate_email(value)
        except ValidationError as error:
            raise ValidationError(_("Enter a valid e-mail address.")) from error
        return value.lower(), ""
    digits = re.sub(r"[\s\-()]", "", value)
    for prefix in ("+86", "0086"):
        digits = digits.removeprefix(prefix)
    if MOBILE.fullmatch(digits):
        return "", digits
    raise ValidationError(
        _("Enter an e-mail address or a mainland China mobile number (11 digits).")
    )


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: what the public page shows of an objector."""
    name = (name or "").strip()
    if not name:
        return "*"
    return name[0] + "*" * max(len(name) - 1, 1)


def _code_hash(objection_pk: int, code: str) -> str:
    return salted_hmac("grants.objection.code", f"{objection_pk}:{code}").hexdigest()


def code_failure(row, typed_hash: str, *, now) -> CodeRejected | None:
    """Why the code typed for ``row`` (locked; with ``code_hash``, ``code_sent_at`` and
    ``code_attempts``) is refused, or None when it matches. A wrong try is counted on the row and
    saved: the caller returns the failure instead of raising inside its transaction, so it stays."""
    if row.code_attempts >= MAX_ATTEMPTS:
        return CodeRejected(_("Too many wrong codes. Ask for a new code."))
    if row.code_sent_at is None or now > row.code_sent_at + CODE_VALID:
        return CodeRejected(_("The code has expired. Ask for a new code."))
    if constant_time_compare(typed_hash, row.code_hash):
        return None
    row.code_attempts += 1
    row.save(update_fields=["code_attempts"])
    left = MAX_ATTEMPTS - row.code_attempts
    return CodeRejected(
        _("Wrong code. %(left)d more tries.") % {"left": left}
        if left
        else _("Wrong code. No tries left: ask for a new code."),
        attempts_left=left,
    )


def _normalise_code(code: str) -> str:
    # Phones may type full-width digits (０-９) or add spaces.
    code = (code or "").translate({0xFF10 + i: ord("0") + i for i in range(10)})
    return re.sub(r"\s", "", code)


def objection_token(objection: Objection) -> str:
    """The signed reference in the verification link (ids are not guessable from it)."""
    return signing.dumps(objection.pk, salt=TOKEN_SALT)


def objection_from_token(token: str) -> Objection | None:
    try:
        pk = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    return (
        Objection.objects.select_related("application__call", "application__organisation", "notice")
        .filter(pk=pk)
        .first()
    )


def _limit(scope: str, who: str, rule: tuple[int, int]) -> None:
    """Count one hit for ``who`` in ``scope``; refuse past the limit of the window."""
    if not who:
        return
    count, seconds = rule
    key = f"grants:objection:{scope}:{salted_hmac('grants.rate', who).hexdigest()[:32]}"
    cache.add(key, 0, seconds)
    try:
        hits = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, seconds)
        hits = 1
    if hits > count:
        raise TooManyRequests(
            _("Too many attempts. Please try again in an hour.")
            if seconds >= 3600
            else _("Too many attempts. Please try again later.")
        )


def _contact_of(objection: Objection) -> str:
    return objection.email or objection.phone


# --- Sending codes and answers -------------------------------------------------------------------


class LoggingSmsBackend:
    """The SMS backend used when no gateway is configured (``SMS_BACKEND`` unset).

    It sends nothing: it logs the message and keeps it in ``outbox`` (like Django's locmem e-mail
    backend), so development and tests can read the code. A deployment with an SMS gateway sets
    ``SMS_BACKEND`` to the dotted path of a class with the same ``send(phone, message)`` method.
    """

    outbox: list[tuple[str, str]] = []

    def send(self, phone: str, message: str) -> None:
        type(self).outbox.append((phone, message))
        logger.warning("SMS not sent (no SMS_BACKEND configured) to %s: %s", phone, message)


def send_sms(phone: str, message: str) -> None:
    backend = getattr(settings, "SMS_BACKEND", "") or "grants.services.objections.LoggingSmsBackend"
    import_string(backend)().send(phone, message)


def _absolute(url: str) -> str:
    return settings.SITE_URL + url


def _send(objection: Objection, *, subject: str, body: str, sms: str) -> None:
    """E-mail or SMS to the objector; a failure is logged (the objector can ask again)."""
    try:
        if objection.email:
            prefix = getattr(settings, "ACCOUNT_EMAIL_SUBJECT_PREFIX", "")
            EmailMessage(f"{prefix}{subject}"[:200], body, to=[objection.email]).send()
        else:
            send_sms(objection.phone, sms)
    except Exception:  # a mail server down must not turn the objector's page into an error
        logger.exception("Could not send a message to the objector of objection %s", objection.pk)


def _queue_code(objection: Objection, code: str) -> None:
    language = translation.get_language() or settings.LANGUAGE_CODE
    application = objection.application
    url = _absolute(reverse("grants:objection_verify", args=[objection_token(objection)]))

    def send():
        with translation.override(language):
            values = {
                "code": code,
                "title": application.title or application.reference,
                "url": url,
                "minutes": int(CODE_VALID.total_seconds() // 60),
            }
            _send(
                objection,
                subject=_("Your verification code: %(code)s") % values,
                body=_(
                    "Your verification code is %(code)s. It is valid for %(minutes)d minutes.\n\n"
                    "Enter it on the page where you lodged your objection to “%(title)s”:\n"
                    "%(url)s\n\nIf you did not lodge an objection, ignore this message."
                )
                % values,
                sms=_(
                    "Yichuang: your verification code is %(code)s, valid for %(minutes)d "
                    "minutes. Ignore this message if you did not lodge an objection."
                )
                % values,
            )

    transaction.on_commit(send)


def _queue_answer(objection: Objection) -> None:
    """The written answer to the objector, in the site's language (their language is not known)."""
    application = objection.application
    url = _absolute(reverse("grants:public_notice", args=[application.call.slug]))

    def send():
        with translation.override(settings.LANGUAGE_CODE):
            values = {
                "title": application.title or application.reference,
                "outcome": objection.get_state_display(),
                "answer": objection.answer,
                "url": url,
            }
            _send(
                objection,
                subject=_("Answer to your objection on “%(title)s”") % values,
                body=_(
                    "Your objection to “%(title)s” has been answered.\n\nOutcome: %(outcome)s\n\n"
                    "%(answer)s\n\nThe answer is also published on the public notice:\n%(url)s"
                )
                % values,
                sms=_(
                    "Yichuang: your objection to “%(title)s” has been answered (%(outcome)s). "
                    "Read the answer at %(url)s"
                )
                % values,
            )

    transaction.on_commit(send)


def _new_code(objection: Objection) -> str:
    code = f"{secrets.randbelow(10**6):06d}"
    objection.code_hash = _code_hash(objection.pk, code)
    objection.code_sent_at = timezone.now()
    objection.code_attempts = 0
    objection.save(update_fields=["code_hash", "code_sent_at", "code_attempts"])
    _queue_code(objection, code)
    return code


# --- Objector's actions --------------------------------------------------------------------------


def _refuse_closed(application: Application, now) -> None:
    notice = getattr(application.call, "public_notice", None)
    if notice is None or application.state not in NOTICE_STATES:
        raise TransitionRefused(
            _("Objections can only be lodged against projects on a public notice."),
            application=application,
        )
    if not notice.is_open(now):
        raise TransitionRefused(
            _(
                "The public notice closed on %(closes)s (Beijing time): objections can no "
                "longer be lodged."
            )
            % {
                "closes": timezone.localtime(notice.closes_at, NOTICE_TIME_ZONE).strftime(
                    "%Y-%m-%d %H:%M"
                )
            },
            application=application,
        )


def lodge_objection(
    *, application: Application, name: str, contact: str, body: str, ip: str | None = None
) -> Objection:
    """Anyone (no account needed) objects to a project on an open 公示.

    Creates an unverified objection and sends a 6-digit code to the e-mail address or mobile
    number given (on commit). Nothing else changes until the code is entered (``verify_objection``).
    Raises ``ValidationError`` (bad input), ``TransitionRefused`` (not on an open notice) or
    ``TooManyRequests``.
    """
    errors = {}
    name = (name or "").strip()
    body = (body or "").strip()
    if not name:
        errors["name"] = _("Give your name.")
    elif len(name) > 50:
        errors["name"] = _("At most %(limit)d characters.") % {"limit": 50}
    if not body:
        errors["body"] = _("Write your objection.")
    email = phone = ""
    try:
        email, phone = parse_contact(contact)
    except ValidationError as error:
        errors["contact"] = error.messages
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    application = (
        Application.objects.select_related("call__public_notice", "organisation")
        .filter(pk=application.pk)
        .first()
    )
    _refuse_closed(application, now)
    _limit("send-ip", ip or "", SEND_LIMIT_PER_IP)
    _limit("send-contact", email or phone, SEND_LIMIT_PER_CONTACT)
    with transaction.atomic():
        objection = Objection.objects.create(
            application=application,
            notice=application.call.public_notice,
            name=name,
            email=email,
            phone=phone,
            body=body,
            ip_address=ip or None,
            created_at=now,
        )
        _new_code(objection)
    return objection


def resend_code(*, objection: Objection, ip: str | None = None) -> Objection:
    """A new code for an unverified objection (the old one stops working; tries start again)."""
    if objection.state != O.UNVERIFIED:
        return objection
    if objection.code_sent_at and timezone.now() < objection.code_sent_at + RESEND_AFTER:
        raise TooManyRequests(_("A code was just sent. Please wait a minute before asking again."))
    _limit("send-ip", ip or "", SEND_LIMIT_PER_IP)
    _limit("send-contact", _contact_of(objection), SEND_LIMIT_PER_CONTACT)
    with transaction.atomic():
        objection = (
            Objection.objects.select_for_update().select_related("application").get(pk=objection.pk)
        )
        if objection.state == O.UNVERIFIED:
            _new_code(objection)
    return objection


def verify_objection(*, objection: Objection, code: str, ip: str | None = None) -> Objection:
    """The objector typed the code: the objection opens and its application awaits an answer.

    Side effects (one transaction; locks: application, then objection): ``verify`` on the
    objection; ``receive_objection`` on the application if it is in ``public_notice`` (a second
    objection finds it in ``objection_review`` already and leaves it there); notifications to the
    organisation (state only, never who objected) and to the officers.

    A code is accepted while it is valid (30 minutes) even if the window has just closed: the
    objection was lodged in time. It is refused once the project has a final decision.
    Raises ``CodeRejected`` (wrong, expired, used up: the failed try is counted and kept),
    ``TooManyRequests`` or ``TransitionRefused``. Verifying again changes nothing.
    """
    _limit("verify-ip", ip or "", VERIFY_LIMIT_PER_IP)
    code = _normalise_code(code)
    failure: Exception | None = None
    with transaction.atomic():
        application = _lock_application(objection.application_id)
        objection = Objection.objects.select_for_update().get(pk=objection.pk)
        if objection.state != O.UNVERIFIED:
            return objection  # Verified already.
        now = timezone.now()
        failure = code_failure(objection, _code_hash(objection.pk, code), now=now)
        if failure is None:
            if application.state not in NOTICE_STATES:
                raise TransitionRefused(
                    _("A final decision has been taken on this project: the objection can no "
                      "longer be accepted."),
                    application=application,
                )  # fmt: skip
            _open(objection, application)
    if failure is not None:
        raise failure
    return objection


def _open(objection: Objection, application: Application) -> None:
    """The contact is confirmed: open the objection and put its project under review.

    Call with both rows locked (application first), the application in ``NOTICE_STATES``.
    """
    objection.verify(description=None)
    objection.code_hash = ""
    objection.save()
    if application.state == S.PUBLIC_NOTICE:
        application.receive_objection(by=None, description=None)
        application.save()
        notifications.notify_transition(
            application=application, verb="receive_objection", actor=None, source=S.PUBLIC_NOTICE
        )
    _notify_officers_of(objection, application)


def _notify_officers_of(objection: Objection, application: Application) -> None:
    def texts():
        values = {
            "reference": application.reference,
            "title": application.title or application.reference,
            "call": application.call.title,
        }
        return (
            _("New objection to %(reference)s") % values,
            _("An objection to “%(title)s” on the public notice of %(call)s awaits your answer.")
            % values,
        )

    notify_officers(
        call=application.call,
        verb="objection",
        texts=texts,
        url=reverse("grants:decisions_objection", args=[application.call_id, objection.pk]),
        application=application,
    )


# --- Officer's actions ---------------------------------------------------------------------------


def _lock_for_officer(objection: Objection, actor) -> tuple[Application, Objection]:
    application = _lock_application(objection.application_id)
    objection = (
        Objection.objects.select_for_update(of=("self",))
        .select_related("notice")
        .get(pk=objection.pk)
    )
    objection.application = application
    if actor is None or not actor.has_perm("grants.resolve_objection", objection):
        raise PermissionDenied(_("Only programme officers may handle objections."))
    return application, objection


def triage_objection(*, objection: Objection, actor, note: str) -> Objection:
    """The officer's internal note on an objection (never shown to the public or the applicant)."""
    with transaction.atomic():
        _application, objection = _lock_for_officer(objection, actor)
        objection.triage_note = (note or "").strip()
        objection.save(update_fields=["triage_note"])
    return objection


def resolve_objection(
    *,
    objection: Objection,
    actor,
    outcome: str,
    answer: str,
    reject: bool = False,
    reject_reason: str = "",
) -> Objection:
    """Answer an open objection: ``outcome`` "uphold" or "dismiss", with a written ``answer``.

    Side effects (one transaction; locks: application, then objection): the objection's
    transition with the answer (published on the 公示 page, objector's name masked); when no
    open objection remains on the application, ``objections_resolved`` (objection_review →
    public_notice); with ``reject`` (upheld only) the application is rejected with
    ``reject_reason``, which the applicant reads; on commit the answer is sent to the objector.
    Answering again with the same outcome changes nothing; a different outcome is refused.
    """
    if outcome not in OUTCOMES:
        raise ValidationError(
            {"outcome": _("Choose whether the objection is upheld or dismissed.")}
        )
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": _("Write the answer; it is published with the notice.")})
    if reject and outcome != "uphold":
        raise ValidationError({"reject": _("Only an upheld objection can lead to a rejection.")})
    if reject:
        try:
            reject_reason = _require_reason(reject_reason)
        except ValidationError as error:
            raise ValidationError({"reject_reason": error.messages}) from error
    target = O.UPHELD if outcome == "uphold" else O.DISMISSED
    with transaction.atomic():
        application, objection = _lock_for_officer(objection, actor)
        if objection.state == target:
            return objection  # Answered already.
        if objection.state in ANSWERED_STATES:
            raise TransitionRefused(_("This objection has already been answered."))
        if objection.state == O.UNVERIFIED:
            raise TransitionRefused(
                _("The objector has not confirmed their contact yet: the objection is not open.")
            )
        method = objection.uphold if outcome == "uphold" else objection.dismiss
        method(by=actor, description=answer, answer=answer)
        objection.save()
        if (
            application.state == S.OBJECTION_REVIEW
            and not application.objections.filter(state=O.OPEN).exists()
        ):
            application = _run_transition(
                application, name="objections_resolved", actor=actor, target=S.PUBLIC_NOTICE
            )
        if reject:
            _run_transition(
                application,
                name="reject",
                actor=actor,
                target=S.REJECTED,
                description=reject_reason,
            )
        _queue_answer(objection)
    return objection


def purge_unverified_objections(*, now=None) -> int:
    """Delete objections whose contact was never verified, a week after they were lodged."""
    now = now or timezone.now()
    deleted, _by_model = Objection.objects.filter(
        state=O.UNVERIFIED, created_at__lt=now - UNVERIFIED_KEPT
    ).delete()
    return deleted
