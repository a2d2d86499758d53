"""统一社会信用代码 (unified social credit code), GB 32100-2015.

18 characters over the alphabet 0-9 A-H J-N P-R T-U W-Y (no I, O, Z, S, V). The 18th is a check
character: with weights 3^(i) mod 31 for positions 1..17, check = (31 - sum mod 31) mod 31.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {char: index for index, char in enumerate(ALPHABET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, ...
LENGTH = 18


def normalise(code: str) -> str:
    """Upper-case and drop spaces and hyphens people paste in."""
    return "".join(code.split()).replace("-", "").upper()


def check_character(first17: str) -> str:
    total = sum(VALUES[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    code = normalise(value or "")
    if len(code) != LENGTH:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(count)d."),
            code="credit_code_length",
            params={"count": len(code)},
        )
    bad = sorted({char for char in code if char not in VALUES})
    if bad:
        raise ValidationError(
            _(
                "A unified social credit code cannot contain %(chars)s (I, O, Z, S and V are never used)."
            ),
            code="credit_code_characters",
            params={"chars": "、".join(bad)},
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            _(
                "Characters 3 to 8 of a unified social credit code are the administrative area code (digits)."
            ),
            code="credit_code_area",
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _(
                "The check character of this unified social credit code is wrong; please check for a typing mistake."
            ),
            code="credit_code_check",
        )


def make_credit_code(*, authority: str, kind: str, area: str, serial: str) -> str:
    """Build a valid code (demo data, factories): 1 authority + 1 kind + 6 area + 9 serial + check."""
    first17 = f"{authority}{kind}{area}{serial}".upper()
    if len(first17) != 17 or any(char not in VALUES for char in first17):
        raise ValueError(f"cannot build a credit code from {first17!r}")
    return first17 + check_character(first17)
