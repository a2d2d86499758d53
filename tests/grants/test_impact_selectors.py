"""The impact arithmetic: targets read from free text, indicators added up by name and unit, rates
averaged, satisfaction weighted by responses, grades counted, money summed, and the projects of a
call or a programme's year. Numbers below are worked out by hand."""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from grants import selectors_impact as sel
from grants.enums import ApplicationState
from grants.selectors_impact import Figures, IndicatorRow
from tests.factories import ApplicationFactory, CallFactory, ProgrammeFactory
from tests.grants.factories_impact import funded

S = ApplicationState
D = Decimal


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("2400", D("2400")),
        ("2,400", D("2400")),
        ("2，400人次", D("2400")),
        ("≥90%", D("90")),
        ("９０％", D("90")),
        ("1.2万", D("12000")),
        ("约120人", D("120")),
        ("12.5", D("12.5")),
        (36, D("36")),
        (D("7.5"), D("7.5")),
        (2.5, D("2.5")),
        ("两场", None),
        ("", None),
        (None, None),
        (True, None),
        (float("nan"), None),
    ],
)
def test_a_target_is_read_from_what_the_applicant_wrote(text, number):
    assert sel.parse_number(text) == number


def test_a_percentage_is_a_rate_and_a_count_is_not():
    assert sel.is_rate("%")
    assert sel.is_rate("％")
    assert sel.is_rate("", "≥90%")
    assert not sel.is_rate("人次", "90%以上")
    assert not sel.is_rate("人次")


def _row(pid, indicators, *, state=S.ACTIVE, beneficiaries=100):
    return {
        "id": pid,
        "reference": f"YC-1-{pid:06d}",
        "title": f"项目{pid}",
        "organisation": f"机构{pid}",
        "call": "测试批次",
        "state": state,
        "state_label": str(S(state).label),
        "beneficiaries_target": beneficiaries,
        "indicators": [
            {
                "name": name,
                "unit": unit,
                "kind": "output",
                "target": sel.parse_number(target),
                "target_text": target,
            }
            for name, target, unit in indicators
        ],
        "requested": D("20000"),
        "award": None,
        "starts_on": None,
        "ends_on": None,
    }


def test_a_project_reaches_what_its_accepted_reports_add_up_to():
    row = _row(1, [("探访人次", "2400", "人次"), ("培训场次", "两场", "场")])
    progress = [
        {"name": "探访人次", "unit": "人次", "target": D("2400"), "reached": D("800")},
        {"name": " 探访人次 ", "unit": "人次", "target": D("2400"), "reached": D("430")},
        {"name": "志愿者人数", "unit": "人", "target": D("30"), "reached": D("12")},
    ]
    rows = sel.project_indicators(row, progress)
    assert [(r.name, r.unit, r.target, r.reached) for r in rows] == [
        ("探访人次", "人次", D("2400"), D("1230")),
        # Not a number in the application and none in the reports: target unknown, none reached.
        ("培训场次", "场", None, D("0")),
        # Reported but not in the application: the report's target.
        ("志愿者人数", "人", D("30"), D("12")),
    ]
    assert rows[0].percent == D("51.3")
    assert rows[1].percent is None


def test_the_reports_standard_indicators_are_not_counted_twice():
    row = _row(1, [("探访人次", "2400", "人次"), ("居民满意度", "≥90%", "%")])
    standard = {"Beneficiaries reached": "beneficiaries", "Volunteer hours": "volunteer_hours"}
    progress = [
        {"name": "探访人次", "unit": "人次", "target": D("2400"), "reached": D("900")},
        # The application's satisfaction indicator, under the standard label.
        {"code": "satisfaction", "name": "服务对象满意度", "unit": "%", "reached": D("93")},
        # Shown apart on the dashboard (from the reports' own fields), known by code or label.
        {"code": "beneficiaries", "name": "受益人数", "unit": "人", "reached": D("180")},
        {"name": "Volunteer hours", "unit": "hours", "reached": D("40")},
        {"code": "activities", "name": "Activities held", "unit": "", "reached": D("6")},
    ]
    rows = sel.project_indicators(row, progress, standard)
    assert [(r.name, r.target, r.reached) for r in rows] == [
        ("探访人次", D("2400"), D("900")),
        ("居民满意度", D("90"), D("93")),
        ("Activities held", None, D("6")),
    ]


def test_without_the_reports_area_nothing_is_reached_rather_than_zero():
    rows = sel.project_indicators(_row(1, [("探访人次", "2400", "人次")]), None)
    assert rows[0].reached is None
    assert rows[0].percent is None


def test_counts_add_up_across_projects_and_rates_are_averaged():
    one = [
        IndicatorRow("探访人次", "人次", D("2400"), D("1200")),
        IndicatorRow("满意度", "%", D("90"), D("95"), rate=True),
    ]
    two = [
        IndicatorRow("探访人次", "人次", D("600"), D("600")),
        IndicatorRow("探访人次", "次", D("10"), D("4")),  # another unit: another row
        IndicatorRow("满意度", "%", D("80"), D("70"), rate=True),
    ]
    three = [IndicatorRow("探访人次", "人次", None, D("50"))]
    combined = sel.combine_indicators([one, two, three])
    assert [(r.name, r.unit, r.target, r.reached, r.projects, r.rate) for r in combined] == [
        ("探访人次", "人次", D("3000"), D("1850"), 3, False),
        ("满意度", "%", D("85.00"), D("82.50"), 2, True),
        ("探访人次", "次", D("10"), D("4"), 1, False),
    ]
    assert combined[0].percent == D("61.7")


def test_satisfaction_is_weighted_by_the_number_of_responses():
    summary = sel.combine_feedback(
        [
            {"responses": 10, "mean_satisfaction": D("4.5"), "satisfied_percent": D("90")},
            {"responses": 30, "mean_satisfaction": D("3.5"), "satisfied_percent": D("50")},
            {"responses": 0, "mean_satisfaction": None, "satisfied_percent": None},
        ]
    )
    # (10 × 4.5 + 30 × 3.5) / 40 = 3.75 ; (10 × 90 + 30 × 50) / 40 = 60
    assert summary == {
        "responses": 40,
        "mean_satisfaction": D("3.75"),
        "satisfied_percent": D("60.0"),
    }


def test_no_responses_give_no_mean():
    assert sel.combine_feedback([{}, {"responses": 0}]) == {
        "responses": 0,
        "mean_satisfaction": None,
        "satisfied_percent": None,
    }


def test_grades_are_counted_best_first_and_the_rest_are_not_evaluated():
    grades, not_evaluated = sel.grade_distribution(
        [{"grade": "good"}, {"grade": "excellent"}, {"grade": "good"}, {"grade": "fail"}, None]
    )
    assert [(code, count) for code, _label, count in grades] == [
        ("excellent", 1),
        ("good", 2),
        ("pass", 0),
        ("fail", 1),
    ]
    assert not_evaluated == 1


def test_the_impact_of_three_projects_adds_up_by_hand():
    rows = [
        _row(1, [("探访人次", "2400", "人次")], beneficiaries=120),
        _row(2, [("探访人次", "1,600", "人次")], state=S.COMPLETED, beneficiaries=80),
        _row(3, [("助餐人次", "5000", "人次")], state=S.TERMINATED, beneficiaries=None),
    ]
    figures = Figures(
        indicator_progress={
            1: [{"name": "探访人次", "unit": "人次", "target": D("2400"), "reached": D("1800")}],
            2: [{"name": "探访人次", "unit": "人次", "target": D("1600"), "reached": D("1700")}],
        },
        beneficiaries={1: 100, 2: 85},
        volunteer_hours={1: D("320.5"), 2: D("100"), 3: D("12")},
        feedback={
            1: {"responses": 20, "mean_satisfaction": D("4.2"), "satisfied_percent": D("85")}
        },
        grades={
            1: {"kind": "mid_term", "score": D("82"), "grade": "good", "passed": True},
            2: {"kind": "final", "score": D("93"), "grade": "excellent", "passed": True},
            3: {"kind": "mid_term", "score": D("51"), "grade": "fail", "passed": False},
        },
        money={
            1: {"awarded": D("20000"), "paid": D("10000"), "spent": D("8000.50")},
            2: {"awarded": D("30000"), "paid": D("30000"), "spent": D("29000")},
        },
    )
    impact = sel.build_impact(rows, figures)
    assert impact.project_count == 3
    assert {code: count for code, _label, count in impact.state_counts} == {
        "contracted": 0,
        "active": 1,
        "mid_term": 0,
        "final_evaluation": 0,
        "completed": 1,
        "terminated": 1,
    }
    assert [(r.name, r.target, r.reached, r.projects) for r in impact.indicators] == [
        ("探访人次", D("4000"), D("3500"), 2),
        ("助餐人次", D("5000"), D("0"), 1),
    ]
    assert impact.indicators[0].percent == D("87.5")
    assert impact.beneficiaries_target == 200
    assert impact.beneficiaries_reached == 185
    assert impact.beneficiaries_percent == D("92.5")
    assert impact.volunteer_hours == D("432.5")
    assert impact.satisfaction == {
        "responses": 20,
        "mean_satisfaction": D("4.20"),
        "satisfied_percent": D("85.0"),
    }
    assert [count for _code, _label, count in impact.grades] == [1, 1, 0, 1]
    assert impact.not_evaluated == 0
    assert impact.money["awarded"] == D("50000")
    assert impact.money["paid"] == D("40000")
    assert impact.money["spent"] == D("37000.50")
    assert impact.missing == []
    first = impact.projects[0]
    assert first.title == "项目1"
    assert first.beneficiaries_percent == D("83.3")
    assert first.grade_label == str(sel.GRADE_LABELS["good"])


def test_sources_that_do_not_exist_yet_are_unknown_not_zero():
    impact = sel.build_impact([_row(1, [("探访人次", "2400", "人次")])], Figures())
    assert impact.missing == ["reports", "feedback", "evaluations", "finance"]
    assert impact.beneficiaries_reached is None
    assert impact.volunteer_hours is None
    assert impact.satisfaction is None
    assert impact.not_evaluated is None
    assert impact.money is None
    assert impact.indicators[0].reached is None
    assert impact.beneficiaries_target == 100


def test_an_absent_module_gives_no_selector_but_a_broken_one_raises(tmp_path, monkeypatch):
    assert sel._source("grants.selectors_nothing_here_impact", "indicator_progress") is None
    (tmp_path / "impact_broken_source.py").write_text("import impact_missing_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError):
        sel._source("impact_broken_source", "indicator_progress")
    sys.modules.pop("impact_broken_source", None)


def test_default_year_is_this_year_or_the_last_before_it():
    assert sel.default_year([2025, 2026, 2027], today=date(2026, 5, 1)) == 2026
    assert sel.default_year([2023, 2024], today=date(2026, 5, 1)) == 2024
    assert sel.default_year([2028, 2029], today=date(2026, 5, 1)) == 2028


@pytest.mark.django_db
def test_a_call_counts_its_funded_projects_only():
    call = CallFactory()
    kept = [funded(call, state=state) for state in sel.IMPACT_STATES]
    for state in (S.DRAFT, S.SUBMITTED, S.APPROVED, S.REJECTED, S.WITHDRAWN):
        ApplicationFactory(call=call, state=state)
    funded(CallFactory(), state=S.ACTIVE)  # another call
    assert {a.pk for a in sel.call_projects(call)} == {a.pk for a in kept}


@pytest.mark.django_db
def test_a_programme_year_holds_the_projects_of_the_calls_opened_that_year():
    programme = ProgrammeFactory(start_year=2025, end_year=2026)
    opened_2025 = timezone.make_aware(datetime(2025, 3, 1, 9))
    # 2026-01-01 00:30 in Shanghai is still 2025 in UTC: the year is Shanghai's.
    opened_2026 = timezone.make_aware(datetime(2026, 1, 1, 0, 30))
    call_2025 = CallFactory(
        programme=programme, opens_at=opened_2025, closes_at=opened_2025 + timedelta(days=20)
    )
    call_2026 = CallFactory(
        programme=programme, opens_at=opened_2026, closes_at=opened_2026 + timedelta(days=20)
    )
    old = funded(call_2025)
    new = funded(call_2026, state=S.COMPLETED)
    assert [a.pk for a in sel.programme_projects(programme, 2025)] == [old.pk]
    assert [a.pk for a in sel.programme_projects(programme, 2026)] == [new.pk]
    assert sel.programme_years(programme) == [2025, 2026]


@pytest.mark.django_db
def test_a_project_row_reads_the_targets_of_the_application():
    application = funded(
        CallFactory(),
        indicators=[
            {"name": "探访人次", "kind": "output", "target": "2,400", "unit": "人次"},
            {"name": "满意度", "kind": "outcome", "target": "≥90%", "unit": "%"},
            {"name": "", "target": "5"},
            "not a dict",
        ],
        beneficiaries=150,
    )
    row = sel.project_row(sel.call_projects(application.call).get())
    assert row["beneficiaries_target"] == 150
    assert [(i["name"], i["target"], i["target_text"]) for i in row["indicators"]] == [
        ("探访人次", D("2400"), "2,400"),
        ("满意度", D("90"), "≥90%"),
    ]
