"""Personal data of volunteers: the ID-number checker, masking, and encryption at rest.

ID numbers (居民身份证号码, GB 11643-1999) are validated by their check character (ISO 7064
mod 11-2), stored encrypted with Fernet (AES-128-CBC + HMAC-SHA256), and found again through a keyed
hash (a "blind index"), never through the plain number.

Keys: ``settings.FIELD_ENCRYPTION_KEY`` holds one or more Fernet keys separated by commas; the first
encrypts, all of them decrypt, so a key can be rotated by putting the new key first. When the setting
is empty a key is derived from ``SECRET_KEY``: convenient in development, but production must set
its own key, or rotating ``SECRET_KEY`` would make every stored ID number unreadable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import date
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARACTERS = "10X98765432"  # indexed by (weighted sum mod 11)
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


# --- ID numbers -------------------------------------------------------------------------------


def normalise_id_number(value: str) -> str:
    """Spaces removed, a lower-case x made upper-case."""
    return re.sub(r"\s+", "", value or "").upper()


def id_check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARACTERS[total % 11]


def validate_id_number(value: str) -> str:
    """Return the normalised number or raise a ``ValidationError`` that says what is wrong."""
    number = normalise_id_number(value)
    if len(number) == 15 and number.isdigit():
        raise ValidationError(
            _(
                "This is an old 15-digit ID number. Please give the 18-character number on your current ID card."
            ),
            code="id_number_old",
        )
    if len(number) != 18:
        raise ValidationError(
            _("An ID number has 18 characters; this one has %(count)d.") % {"count": len(number)},
            code="id_number_length",
        )
    if not (number[:17].isdigit() and (number[17].isdigit() or number[17] == "X")):
        raise ValidationError(
            _("An ID number is 17 digits followed by a digit or the letter X."),
            code="id_number_characters",
        )
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        born = None
    if born is None or born.year < 1900 or born > date.today():
        raise ValidationError(
            _(
                "Characters 7 to 14 of an ID number are the date of birth; %(digits)s is not a valid date."
            )
            % {"digits": number[6:14]},
            code="id_number_birth_date",
        )
    if id_check_character(number[:17]) != number[17]:
        raise ValidationError(
            _(
                "This ID number is not valid: its last character does not match the others. Please check it for typing errors."
            ),
            code="id_number_checksum",
        )
    return number


def make_id_number(first17: str) -> str:
    """The full 18-character number for 17 digits (test data and demo data)."""
    return first17 + id_check_character(first17)


def validate_mobile(value: str) -> None:
    if not MOBILE_RE.match(value or ""):
        raise ValidationError(
            _("Enter an 11-digit mainland mobile number, e.g. 13812345678."), code="mobile"
        )


# --- Masking ------------------------------------------------------------------------------------


def mask_id_number(number: str) -> str:
    """3201**********1234: the area of issue and the last four characters, nothing of the birth date."""
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_phone(phone: str) -> str:
    """138****5678."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


# --- Encryption at rest ---------------------------------------------------------------------------


def _configured_keys() -> tuple[str, ...]:
    raw = getattr(settings, "FIELD_ENCRYPTION_KEY", "") or ""
    keys = tuple(key.strip() for key in raw.split(",") if key.strip())
    if keys:
        return keys
    digest = hashlib.sha256(b"yichuang.field-encryption:" + settings.SECRET_KEY.encode()).digest()
    return (base64.urlsafe_b64encode(digest).decode(),)


@lru_cache(maxsize=4)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be one or more Fernet keys separated by commas "
            "(make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')."
        ) from error


def _fernet() -> MultiFernet:
    return _fernet_for(_configured_keys())


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode() if text else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "A stored ID number cannot be decrypted with FIELD_ENCRYPTION_KEY: was the key changed "
            "without keeping the old one after the new one?"
        ) from error


def blind_index(text: str) -> str:
    """A keyed hash of the normalised value: equal numbers give equal indexes, and the index alone
    reveals nothing (unlike a plain hash, which anyone could compute for every birth date)."""
    if not text:
        return ""
    key = hashlib.sha256(b"yichuang.blind-index:" + _configured_keys()[0].encode()).digest()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """Plain text in Python, a Fernet token in the database. Not searchable: use ``blind_index``."""

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
