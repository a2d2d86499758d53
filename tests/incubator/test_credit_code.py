"""统一社会信用代码 validation (GB 32100-2015)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from incubator.credit_code import check_character, make_credit_code, normalise, validate_credit_code


@pytest.mark.parametrize(
    "code",
    [
        make_credit_code(authority="5", kind="2", area="320602", serial="MJ0000001"),
        make_credit_code(authority="5", kind="1", area="500108", serial="123456789"),
        make_credit_code(authority="5", kind="3", area="110000", serial="X00000000"),
        "91350100M000100Y43",  # a published code of a real enterprise (Fujian)
    ],
)
def test_valid_codes_pass(code):
    validate_credit_code(code)


def test_pasted_code_with_spaces_hyphens_and_lower_case_passes():
    validate_credit_code(" 91350100-m000100y43 ")
    assert normalise("9135 0100-m000100y43") == "91350100M000100Y43"


def _error_code(value: str) -> str:
    with pytest.raises(ValidationError) as caught:
        validate_credit_code(value)
    return caught.value.error_list[0].code


def test_wrong_length_is_named():
    assert _error_code("91350100M000100Y4") == "credit_code_length"
    assert _error_code("91350100M000100Y433") == "credit_code_length"


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_letters_never_used_are_refused(letter):
    assert _error_code(f"91350100M000100{letter}43") == "credit_code_characters"


def test_non_digit_area_code_is_refused():
    first17 = "91A50100M000100Y4"
    assert _error_code(first17 + check_character(first17)) == "credit_code_area"


def test_one_mistyped_character_breaks_the_check_character():
    assert _error_code("91350100M000100Y44") == "credit_code_check"
    assert _error_code("91350100M000200Y43") == "credit_code_check"


def test_make_credit_code_refuses_impossible_input():
    with pytest.raises(ValueError):
        make_credit_code(authority="5", kind="2", area="320602", serial="0000000I1")
