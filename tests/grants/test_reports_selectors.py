"""The contract other areas read: progress from ACCEPTED reports only, overdue lists, the badge."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from grants.models import Programme
from grants.models.reports import Milestone, ReportKind
from grants.selectors_reports import (
    beneficiaries_reached,
    indicator_progress,
    overdue_count_for,
    overdue_reports,
    volunteer_hours,
)
from grants.services import reports as svc
from tests.grants.factories_reports import (
    funded_project,
    make_officer,
    member_of,
    milestone_of,
    submitted_report,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _accepted(project, member, officer, kind=ReportKind.MID_TERM, values="50"):
    report = submitted_report(project, member, kind)
    report = svc.accept_report(report=report, actor=officer)
    return report


def test_progress_counts_accepted_reports_only():
    officer = make_officer()
    project = funded_project()
    member = member_of(project.organisation)
    _accepted(project, member, officer, ReportKind.MID_TERM)
    submitted_report(project, member, ReportKind.FINAL)  # not accepted: not counted
    idle = funded_project()

    progress = indicator_progress([project.pk, idle.pk])

    rows = {row["name"]: row for row in progress[project.pk]}
    assert rows["探访人次"] == {
        "name": "探访人次",
        "code": "",
        "unit": "人次",
        "target": Decimal("2400"),
        "reached": Decimal("50"),
    }
    assert rows["Volunteer hours"]["target"] is None
    assert progress[idle.pk] == []
    assert beneficiaries_reached([project.pk, idle.pk]) == {project.pk: 180, idle.pk: 0}
    assert volunteer_hours([project.pk, idle.pk]) == {
        project.pk: Decimal("10.5"),
        idle.pk: Decimal("0"),
    }


def test_the_latest_accepted_values_win_and_hours_add_up():
    officer = make_officer()
    project = funded_project()
    member = member_of(project.organisation)
    first = _accepted(project, member, officer, ReportKind.PERIODIC)
    final = submitted_report(project, member, ReportKind.FINAL)
    svc.accept_report(report=final, actor=officer)
    from grants.models.reports import Report

    Report.objects.filter(pk=final.pk).update(
        indicator_values=[{**row, "reached": "2500"} for row in final.indicator_values],
        beneficiaries_reached=260,
    )

    progress = indicator_progress([project.pk])[project.pk]

    assert progress[0]["reached"] == Decimal("2500")
    assert beneficiaries_reached([project.pk])[project.pk] == 260
    assert volunteer_hours([project.pk])[project.pk] == Decimal("21.0")
    assert first.pk != final.pk


def test_overdue_reports_by_organisation_and_application():
    project = funded_project()
    member = member_of(project.organisation)
    milestone = milestone_of(project, ReportKind.PERIODIC)
    Milestone.objects.filter(pk=milestone.pk).update(
        due_on=timezone.localdate() - timedelta(days=1)
    )
    other = funded_project()
    milestone_of(other)

    assert list(overdue_reports(organisation_ids=[project.organisation_id])) == [milestone]
    assert list(overdue_reports(application_ids=[other.pk])) == []
    assert overdue_count_for(member) == 1

    # a submitted report answers it
    report = svc.start_report(milestone=milestone, actor=member)
    from tests.grants.factories_reports import complete_report

    complete_report(report, member, with_photo=False)
    svc.submit_report(report=report, actor=member)
    assert overdue_count_for(member) == 0


def test_the_badge_counts_an_officers_programmes_only(outsider):
    runner = make_officer("runner")
    everyone = make_officer("everyone")
    mine = funded_project()
    Programme.objects.get(pk=mine.call.programme_id).officers.add(runner)
    theirs = funded_project()
    for project in (mine, theirs):
        milestone = milestone_of(project, ReportKind.PERIODIC)
        Milestone.objects.filter(pk=milestone.pk).update(
            due_on=timezone.localdate() - timedelta(days=1)
        )
    template = Template("{% load reports_overdue %}{% overdue_reports_badge user %}")

    runner_badge = template.render(Context({"user": runner}))
    everyone_badge = template.render(Context({"user": everyone}))
    outsider_badge = template.render(Context({"user": outsider}))

    assert "1 overdue report" in runner_badge
    assert "badge--danger" in runner_badge
    assert "2 overdue reports" in everyone_badge
    assert outsider_badge.strip() == ""


@pytest.mark.parametrize("count", [1, 30])
def test_selectors_run_in_constant_queries(count, django_assert_max_num_queries):
    officer = make_officer()
    ids = []
    for index in range(count):
        project = funded_project()
        member = member_of(project.organisation, f"q{count}_{index}")
        _accepted(project, member, officer)
        ids.append(project.pk)

    with django_assert_max_num_queries(2):
        indicator_progress(ids)
    with django_assert_max_num_queries(1):
        beneficiaries_reached(ids)
    with django_assert_max_num_queries(1):
        volunteer_hours(ids)
    with django_assert_max_num_queries(1):
        assert len(list(overdue_reports(application_ids=ids))) == 0
