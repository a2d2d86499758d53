"""Quotas of a call (per theme, per district) are checked where officers type them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.factories import CallFactory


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("theme_quotas", {"astronomy": 1000}, "Unknown theme code: astronomy"),
        ("theme_quotas", {"elderly": 0}, "positive amount of yuan: elderly"),
        ("theme_quotas", {"elderly": "lots"}, "positive amount of yuan: elderly"),
        ("district_quotas", {"崇川区": 1000}, "keyed by the district's id"),
        ("district_quotas", [1000], "or {} for none"),
    ],
)
def test_a_wrong_quota_is_explained_on_its_field(db, field, value, message):
    call = CallFactory.build(**{field: value})
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            call.clean()
        assert message in " ".join(error.value.message_dict[field])


def test_sensible_quotas_pass(db):
    call = CallFactory.build(theme_quotas={"elderly": 200000}, district_quotas={"3": "150000.50"})
    call.clean()
