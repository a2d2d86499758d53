"""grants.budget.summarise: the totals and caps the form shows and the eligibility engine uses."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from grants.budget import summarise, yuan
from grants.models import BudgetLine, Call


def make_call(**settings) -> Call:
    defaults = {
        "max_grant": Decimal("30000"), "min_grant": Decimal("5000"), "requires_matching": False,
        "max_grant_share_percent": 60, "personnel_cap_percent": 30, "management_cap_percent": 10,
    }  # fmt: skip
    return Call(**{**defaults, **settings})


def line(category, amount, matching="0"):
    return {"category": category, "amount": amount, "matching_amount": matching}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_totals_by_category_and_overall():
    summary = summarise(
        [line("activity", "16000", "4000"), line("personnel", "4000"), line("activity", "2000")],
        make_call(),
    )

    assert summary.grant_total == Decimal("22000")
    assert summary.matching_total == Decimal("4000")
    assert summary.project_total == Decimal("26000")
    assert [(c.category, c.total) for c in summary.categories] == [
        ("personnel", Decimal("4000")),
        ("activity", Decimal("22000")),
    ]
    assert summary.grant_share_percent == Decimal("84.6")
    assert summary.personnel_percent == Decimal("18.2")
    assert summary.ok


def test_a_grant_over_the_cap_fails_with_the_numbers():
    summary = summarise([line("activity", "35000")], make_call())

    (failed,) = summary.failed_checks
    assert failed.code == "max_grant"
    assert failed.message == "The grant requested, ¥35,000, is over this call's maximum of ¥30,000."


def test_personnel_and_management_caps_are_shares_of_the_grant():
    summary = summarise(
        [
            line("personnel", "8000", matching="20000"),
            line("management", "2500"),
            line("activity", "10000"),
        ],
        make_call(),
    )

    assert {check.code for check in summary.failed_checks} == {"personnel_cap", "management_cap"}
    assert summary.personnel_percent == Decimal("39.0")
    assert summary.management_percent == Decimal("12.2")


def test_matching_is_checked_only_where_the_call_requires_it():
    lines = [line("activity", "20000", matching="5000")]

    assert "matching" not in {c.code for c in summarise(lines, make_call()).checks}
    summary = summarise(lines, make_call(requires_matching=True))
    (failed,) = summary.failed_checks
    assert failed.code == "matching"
    assert "80.0%" in failed.message and "at least ¥8,333.33" in failed.message


def test_enough_matching_passes():
    summary = summarise(
        [line("activity", "18000", matching="12000")], make_call(requires_matching=True)
    )

    assert summary.ok
    assert summary.grant_share_percent == Decimal("60.0")


def test_below_the_minimum_grant_fails():
    summary = summarise([line("activity", "1000")], make_call())

    assert [c.code for c in summary.failed_checks] == ["min_grant"]


def test_an_empty_budget_has_no_shares_and_reads_as_zero():
    summary = summarise([], make_call(requires_matching=True))

    assert summary.project_total == 0
    assert summary.grant_share_percent is None
    assert "matching" in {c.code for c in summary.failed_checks}


def test_budget_line_rows_and_junk_values_are_accepted():
    rows = [
        BudgetLine(category="venue", description="场地", amount=Decimal("3000")),
        line("nonsense", "abc"),
    ]

    summary = summarise(rows, make_call())

    assert summary.grant_total == Decimal("3000")


def test_messages_follow_the_active_language():
    with translation.override("zh-hans"):
        summary = summarise([line("activity", "35000")], make_call())
    assert summary.failed_checks[0].message  # translated centrally; never empty


def test_yuan_formats_whole_and_fractional_amounts():
    assert yuan(Decimal("35000")) == "¥35,000"
    assert yuan(Decimal("8333.3")) == "¥8,333.30"
