"""Resident feedback (群众评议): open a project's feedback page, take and verify responses, moderate.

A resident rates the project (1–5), optionally answers two sub-questions, comments and gives a
mobile number (and a building/door number). ``submit_response`` keeps it unverified and sends a
6-digit code by SMS; ``verify_response`` counts it once the code is typed. The code works like an
objection's (``grants.services.objections``, whose SMS backend and exceptions are reused): only an
HMAC of it is stored, valid 30 minutes, five wrong tries kill it, a new one at most every minute;
sending and checking are rate-limited per IP address and per number through the cache.

One response each: a number that already answered on this project is told so with the day it did
(``AlreadyResponded``); in household mode a household (normalised building/door number) also
answers once. Both are enforced by partial unique constraints as well (the channel row is locked
while a response is verified, so two codes typed at once cannot both pass the check).

Organised campaigns: a comment that, normalised (no spaces, punctuation or case), equals a comment
received on the same project in the past 24 hours from another number is *flagged*, not counted:
the officer reads it and counts it or excludes it. Comments shorter than 8 characters (“很好”,
“满意”) are ordinary and never flagged. A form with the hidden honeypot field filled in is
accepted silently and dropped (a bot learns nothing).

Phone numbers are never stored: an HMAC keyed by SECRET_KEY and the channel, plus the last four
digits. Lock order: channel → response.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from grants.enums import FUNDED_STATES, ApplicationState
from grants.models import Application
from grants.models.feedback import (
    VERIFIED_STATES,
    FeedbackChannel,
    FeedbackMode,
    FeedbackResponse,
    FeedbackState,
    TimelyAnswer,
    YesNo,
)
from grants.services.errors import TransitionRefused
from grants.services.objections import (
    CODE_VALID,
    MOBILE,
    CodeRejected,  # noqa: F401 (raised by verify_response; callers catch feedback.CodeRejected)
    TooManyRequests,
    code_failure,
    send_sms,
)

F = FeedbackState
S = ApplicationState

RESEND_AFTER = timedelta(minutes=1)
# (how many, per how many seconds). A community centre's Wi-Fi may carry a whole activity's
# residents, hence the generous per-IP figures.
SUBMIT_LIMIT_PER_IP = (20, 3600)
SEND_LIMIT_PER_PHONE = (5, 3600)
VERIFY_LIMIT_PER_IP = (60, 3600)
DUPLICATE_WINDOW = timedelta(hours=24)
DUPLICATE_MIN_LENGTH = 8
COMMENT_LIMIT = 1000
UNVERIFIED_KEPT = timedelta(days=7)
TOKEN_SALT = "grants.feedback.response"  # noqa: S105 — a signing namespace, not a secret
TOKEN_MAX_AGE = 24 * 3600
# Feedback stays possible until the project closes: completed and terminated projects show
# "feedback has ended" instead of the form.
CLOSED_STATES = (S.COMPLETED, S.TERMINATED)
FEEDBACK_STATES = (*FUNDED_STATES, *CLOSED_STATES)
BEIJING = ZoneInfo("Asia/Shanghai")

logger = logging.getLogger(__name__)


class AlreadyResponded(Exception):  # noqa: N818 — it reads as what happened
    """This number (or household) has already answered on this project, on ``on``."""

    def __init__(self, message, *, on: date | None = None):
        super().__init__(message)
        self.message = message
        self.on = on

    def __str__(self) -> str:
        return str(self.message)


# --- Normalising what residents type ------------------------------------------------------------


def _half_width(value: str) -> str:
    # NFKC turns full-width digits and letters (１２栋, Ａ座) into ASCII ones.
    return unicodedata.normalize("NFKC", value or "")


def parse_phone(value: str) -> str:
    """A mainland China mobile number, 11 digits, from what the resident typed."""
    digits = re.sub(r"[\s\-()]", "", _half_width(value))
    for prefix in ("+86", "0086"):
        digits = digits.removeprefix(prefix)
    if not MOBILE.fullmatch(digits):
        raise ValidationError(_("Enter a mainland China mobile number (11 digits)."))
    return digits


_HOUSEHOLD_WORDS = [
    (re.compile(r"(号楼|幢|栋|座)"), "栋"),
    (re.compile(r"(单元)"), "单元"),
    (re.compile(r"(室|号房|号)$"), ""),
]


def household_key(value: str) -> str:
    """“１２栋 ３单元 ５０２室”, “12幢3单元502”, “12号楼3单元502号” → “12栋3单元502”."""
    key = re.sub(r"[\s\-—_,，.。/#·]", "", _half_width(value)).lower()
    for pattern, replacement in _HOUSEHOLD_WORDS:
        key = pattern.sub(replacement, key)
    return key[:60]


def comment_fingerprint(comment: str) -> str:
    """A hash of the comment without spaces, punctuation and case; "" for short comments."""
    text = "".join(
        ch
        for ch in _half_width(comment).lower()
        if not unicodedata.category(ch).startswith(("P", "Z", "S", "C"))
    )
    if len(text) < DUPLICATE_MIN_LENGTH:
        return ""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def phone_hash(channel_id: int, phone: str) -> str:
    # Keyed by SECRET_KEY (salted_hmac) and the channel: the same resident cannot be followed
    # from one project to the next, and nobody can test numbers against the table without the key.
    return salted_hmac(
        "grants.feedback.phone", f"{channel_id}:{phone}", algorithm="sha256"
    ).hexdigest()


def _code_hash(response_pk: int, code: str) -> str:
    return salted_hmac(
        "grants.feedback.code", f"{response_pk}:{code}", algorithm="sha256"
    ).hexdigest()


def _normalise_code(code: str) -> str:
    return re.sub(r"\s", "", _half_width(code))


def response_token(response: FeedbackResponse) -> str:
    """The signed reference in the confirmation link (the id is not guessable from it)."""
    return signing.dumps(response.pk, salt=TOKEN_SALT)


def response_from_token(channel: FeedbackChannel, token: str) -> FeedbackResponse | None:
    try:
        pk = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    return FeedbackResponse.objects.filter(pk=pk, channel=channel).first()


def _limit(scope: str, who: str, rule: tuple[int, int]) -> None:
    """Count one hit for ``who`` in ``scope``; refuse past the limit of the window."""
    if not who:
        return
    count, seconds = rule
    key = f"grants:feedback:{scope}:{salted_hmac('grants.rate', who).hexdigest()[:32]}"
    cache.add(key, 0, seconds)
    try:
        hits = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, seconds)
        hits = 1
    if hits > count:
        raise TooManyRequests(_("Too many attempts. Please try again in an hour."))


# --- Whether the page takes responses -----------------------------------------------------------


def today() -> date:
    return timezone.now().astimezone(BEIJING).date()


def closed_reason(channel: FeedbackChannel, *, application: Application | None = None) -> str:
    """Why the page takes no response now ("" when it does)."""
    application = application or channel.application
    if application.state in CLOSED_STATES:
        return _("The project has ended: resident feedback is closed. Thank you for your interest.")
    if application.state not in FUNDED_STATES:
        return _("This project is not taking feedback.")
    if not channel.is_open:
        return _("Resident feedback on this project is closed at the moment.")
    if channel.closes_on and today() > channel.closes_on:
        return _("Resident feedback on this project closed on %(day)s.") % {
            "day": channel.closes_on.isoformat()
        }
    return ""


def _refuse_if_closed(channel: FeedbackChannel) -> None:
    reason = closed_reason(channel)
    if reason:
        raise TransitionRefused(reason, application=channel.application)


def _earlier(channel: FeedbackChannel, **lookup) -> FeedbackResponse | None:
    return (
        FeedbackResponse.objects.filter(channel=channel, state__in=VERIFIED_STATES, **lookup)
        .order_by("verified_at")
        .first()
    )


def _refuse_duplicate(channel: FeedbackChannel, *, digest: str, key: str) -> None:
    earlier = _earlier(channel, phone_hash=digest)
    if earlier is not None:
        day = timezone.localtime(earlier.verified_at, BEIJING).date()
        raise AlreadyResponded(
            _("You have already given feedback on this project (on %(day)s). Thank you!")
            % {"day": day.isoformat()},
            on=day,
        )
    if channel.mode == FeedbackMode.HOUSEHOLD and key:
        earlier = _earlier(channel, household_key=key)
        if earlier is not None:
            day = timezone.localtime(earlier.verified_at, BEIJING).date()
            raise AlreadyResponded(
                _(
                    "Your household has already given feedback on this project (on %(day)s). "
                    "Thank you!"
                )
                % {"day": day.isoformat()},
                on=day,
            )


# --- Resident's actions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Answers:
    satisfaction: int
    phone: str
    comment: str = ""
    attended: str = ""
    timely: str = ""
    household: str = ""


def _clean(channel: FeedbackChannel, answers: Answers) -> tuple[dict, str]:
    errors: dict[str, list] = {}
    cleaned: dict = {}
    try:
        satisfaction = int(answers.satisfaction)
    except (TypeError, ValueError):
        satisfaction = 0
    if not 1 <= satisfaction <= 5:
        errors["satisfaction"] = [_("Choose how satisfied you are, from 1 to 5 stars.")]
    cleaned["satisfaction"] = satisfaction
    if answers.attended not in ("", *YesNo.values):
        errors["attended"] = [_("Choose yes or no.")]
    if answers.timely not in ("", *TimelyAnswer.values):
        errors["timely"] = [_("Choose one of the answers.")]
    comment = (answers.comment or "").strip()
    if len(comment) > COMMENT_LIMIT:
        errors["comment"] = [_("At most %(limit)d characters.") % {"limit": COMMENT_LIMIT}]
    household = (answers.household or "").strip()
    if len(household) > 60:
        errors["household"] = [_("At most %(limit)d characters.") % {"limit": 60}]
    elif channel.mode == FeedbackMode.HOUSEHOLD and not household_key(household):
        errors["household"] = [
            _("Give your building and door number: this project counts one response per household.")
        ]
    phone = ""
    try:
        phone = parse_phone(answers.phone)
    except ValidationError as error:
        errors["phone"] = error.messages
    if errors:
        raise ValidationError(errors)
    cleaned.update(
        attended=answers.attended,
        timely=answers.timely,
        comment=comment,
        household=household,
        household_key=household_key(household),
    )
    return cleaned, phone


def submit_response(
    *, channel: FeedbackChannel, answers: Answers, ip: str | None = None
) -> FeedbackResponse:
    """A resident's answers, kept unverified; a code is sent to their mobile (on commit).

    Raises ``ValidationError`` (bad input), ``TransitionRefused`` (page closed),
    ``AlreadyResponded`` (this number or household answered already: no code is sent) or
    ``TooManyRequests``.
    """
    channel = FeedbackChannel.objects.select_related("application").get(pk=channel.pk)
    _refuse_if_closed(channel)
    cleaned, phone = _clean(channel, answers)
    digest = phone_hash(channel.pk, phone)
    _limit("submit-ip", ip or "", SUBMIT_LIMIT_PER_IP)
    _refuse_duplicate(channel, digest=digest, key=cleaned["household_key"])
    _limit("send-phone", phone, SEND_LIMIT_PER_PHONE)
    with transaction.atomic():
        response = FeedbackResponse.objects.create(
            channel=channel,
            application=channel.application,
            phone_hash=digest,
            phone_tail=phone[-4:],
            comment_fingerprint=comment_fingerprint(cleaned["comment"]),
            ip_address=ip or None,
            **cleaned,
        )
        _new_code(response, phone, channel)
    return response


def _new_code(response: FeedbackResponse, phone: str, channel: FeedbackChannel) -> None:
    code = f"{secrets.randbelow(10**6):06d}"
    response.code_hash = _code_hash(response.pk, code)
    response.code_sent_at = timezone.now()
    response.code_attempts = 0
    response.save(update_fields=["code_hash", "code_sent_at", "code_attempts"])
    # The number itself is never written to the database; the cache keeps it while a code may
    # still be asked for again, then forgets it.
    cache.set(_phone_cache_key(response.pk), phone, int(CODE_VALID.total_seconds()))
    language = translation.get_language() or settings.LANGUAGE_CODE
    title = channel.application.title or channel.application.reference
    minutes = int(CODE_VALID.total_seconds() // 60)

    def send():
        with translation.override(language):
            message = _(
                "Yichuang: your code is %(code)s (valid %(minutes)d minutes) to confirm your "
                "feedback on “%(title)s”. Ignore this message if it was not you."
            ) % {"code": code, "minutes": minutes, "title": title}
        try:
            send_sms(phone, message)
        except Exception:  # a gateway down must not break the page; the resident can resend
            logger.exception("Could not send a feedback code for response %s", response.pk)

    transaction.on_commit(send)


def _phone_cache_key(response_pk: int) -> str:
    return f"grants:feedback:pending-phone:{response_pk}"


def resend_code(*, response: FeedbackResponse, ip: str | None = None) -> None:
    """A new code for an unverified response (the old one stops working; tries start again).

    The number is only in the cache while a code is valid: after that the resident fills in the
    form again (``ValidationError``).
    """
    phone = cache.get(_phone_cache_key(response.pk))
    if not phone:
        raise ValidationError(
            _("This confirmation has expired. Please fill in the feedback form again.")
        )
    with transaction.atomic():
        channel = FeedbackChannel.objects.select_related("application").get(pk=response.channel_id)
        response = FeedbackResponse.objects.select_for_update().get(pk=response.pk)
        if response.state != F.UNVERIFIED:
            return
        if response.code_sent_at and timezone.now() < response.code_sent_at + RESEND_AFTER:
            raise TooManyRequests(
                _("A code was just sent. Please wait a minute before asking again.")
            )
        _limit("submit-ip", ip or "", SUBMIT_LIMIT_PER_IP)
        _limit("send-phone", phone, SEND_LIMIT_PER_PHONE)
        _new_code(response, phone, channel)


def verify_response(
    *, response: FeedbackResponse, code: str, ip: str | None = None
) -> FeedbackResponse:
    """The resident typed the code: the response counts (or is flagged for the officer).

    One transaction; locks: channel, then response. Raises ``CodeRejected`` (wrong, expired,
    used up: the failed try is kept), ``AlreadyResponded`` (the number or household answered in
    the meantime), ``TransitionRefused`` (the page closed) or ``TooManyRequests``. Verifying a
    response again changes nothing.
    """
    _limit("verify-ip", ip or "", VERIFY_LIMIT_PER_IP)
    code = _normalise_code(code)
    failure: Exception | None = None
    with transaction.atomic():
        channel = (
            FeedbackChannel.objects.select_for_update(of=("self",))
            .select_related("application")
            .get(pk=response.channel_id)
        )
        response = FeedbackResponse.objects.select_for_update().get(pk=response.pk)
        if response.state != F.UNVERIFIED:
            return response
        now = timezone.now()
        failure = code_failure(response, _code_hash(response.pk, code), now=now)
        if failure is None:
            _refuse_if_closed(channel)
            _refuse_duplicate(channel, digest=response.phone_hash, key=response.household_key)
            _accept(response, channel, now=now)
            cache.delete(_phone_cache_key(response.pk))
    if failure is not None:
        raise failure
    return response


def _accept(response: FeedbackResponse, channel: FeedbackChannel, *, now) -> None:
    response.code_hash = ""
    response.holds_household = channel.mode == FeedbackMode.HOUSEHOLD
    repeated = bool(response.comment_fingerprint) and (
        FeedbackResponse.objects.filter(
            channel=channel,
            state__in=VERIFIED_STATES,
            comment_fingerprint=response.comment_fingerprint,
            verified_at__gte=now - DUPLICATE_WINDOW,
        )
        .exclude(phone_hash=response.phone_hash)
        .exists()
    )
    if repeated:
        response.flag(
            description=None,
            reason=str(_("Same comment as another response received within 24 hours.")),
        )
    else:
        response.count(description=None)
    response.save()


def purge_unverified_responses(*, now=None) -> int:
    """Delete responses whose number was never verified, a week after they were sent."""
    now = now or timezone.now()
    deleted, _by_model = FeedbackResponse.objects.filter(
        state=F.UNVERIFIED, created_at__lt=now - UNVERIFIED_KEPT
    ).delete()
    return deleted


# --- Officer's actions --------------------------------------------------------------------------


def _require(actor, perm: str, obj) -> None:
    if actor is None or not actor.has_perm(perm, obj):
        raise PermissionDenied(_("Only programme officers may manage resident feedback."))


def open_channel(*, application: Application, actor) -> FeedbackChannel:
    """Create the project's feedback page (or open it again). Funded projects only."""
    _require(actor, "grants.manage_feedback", application)
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        if application.state not in FUNDED_STATES:
            raise TransitionRefused(
                _("Resident feedback is for funded projects that are running."),
                application=application,
            )
        channel, created = FeedbackChannel.objects.select_for_update().get_or_create(
            application=application, defaults={"created_by": actor}
        )
        if not created and not channel.is_open:
            channel.is_open = True
            channel.changed_by, channel.changed_at = actor, timezone.now()
            channel.save(update_fields=["is_open", "changed_by", "changed_at"])
    return channel


def configure_channel(
    *,
    channel: FeedbackChannel,
    actor,
    is_open: bool,
    mode: str,
    closes_on: date | None,
) -> FeedbackChannel:
    """Open or close the page, set the last day and how responses are counted."""
    _require(actor, "grants.manage_feedback", channel.application)
    if mode not in FeedbackMode.values:
        raise ValidationError({"mode": _("Choose how responses are counted.")})
    if closes_on is not None and is_open and closes_on < today():
        raise ValidationError({"closes_on": _("The last day cannot be in the past.")})
    with transaction.atomic():
        channel = FeedbackChannel.objects.select_for_update().get(pk=channel.pk)
        channel.is_open = is_open
        channel.mode = mode
        channel.closes_on = closes_on
        channel.changed_by, channel.changed_at = actor, timezone.now()
        channel.save()
    return channel


def _lock_for_officer(response: FeedbackResponse, actor) -> FeedbackResponse:
    FeedbackChannel.objects.select_for_update().filter(pk=response.channel_id).first()
    response = (
        FeedbackResponse.objects.select_for_update(of=("self",))
        .select_related("application")
        .get(pk=response.pk)
    )
    _require(actor, "grants.moderate_feedback", response)
    return response


def exclude_response(*, response: FeedbackResponse, actor, reason: str) -> FeedbackResponse:
    """Leave a response out of the figures, with a reason (kept in the log). Again: no-op."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the response is excluded.")})
    with transaction.atomic():
        response = _lock_for_officer(response, actor)
        if response.state == F.EXCLUDED:
            return response
        if response.state == F.UNVERIFIED:
            raise TransitionRefused(_("This response was never confirmed: it does not count."))
        response.exclude(by=actor, description=reason, reason=reason)
        response.save()
    return response


def reinstate_response(*, response: FeedbackResponse, actor) -> FeedbackResponse:
    """Count a flagged or excluded response. Again: no-op."""
    with transaction.atomic():
        response = _lock_for_officer(response, actor)
        if response.state == F.COUNTED:
            return response
        if response.state == F.UNVERIFIED:
            raise TransitionRefused(_("This response was never confirmed: it does not count."))
        response.reinstate(by=actor, description=None)
        response.save()
    return response
