"""Grades and track record (selectors), and the failure bar of later calls' eligibility."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from grants import eligibility
from grants.enums import ApplicationState
from grants.enums_evaluations import Grade
from grants.models import Application
from grants.selectors_evaluations import grade_distribution, latest_grades, track_record
from grants.services import evaluations as svc
from tests.factories import ApplicationFactory, CallFactory, OrganisationFactory
from tests.grants.factories_evaluations import funded_project, make_evaluator, scored, started

pytestmark = pytest.mark.django_db
S = ApplicationState


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def evaluate(project, *, officer, evaluator, scores, kind="mid_term"):
    evaluation = scored(
        started(project, officer=officer, evaluator=evaluator, kind=kind),
        evaluator=evaluator,
        scores=scores,
    )
    return svc.submit_evaluation(evaluation=evaluation, actor=evaluator)


def test_latest_grades_give_the_newest_sealed_result_per_project(officer):
    evaluator = make_evaluator()
    mid_only = funded_project()
    evaluate(mid_only, officer=officer, evaluator=evaluator, scores=(25, 16, 16, 25))
    both = funded_project(mid_term_passed=True, tranches_paid=2)
    evaluate(both, officer=officer, evaluator=evaluator, scores=(28, 18, 18, 28), kind="final")
    untouched = funded_project()
    started(untouched, officer=officer, evaluator=evaluator)  # open: no grade yet

    grades = latest_grades([mid_only.pk, both.pk, untouched.pk])

    assert set(grades) == {mid_only.pk, both.pk}
    assert grades[mid_only.pk]["kind"] == "mid_term"
    assert grades[mid_only.pk]["score"] == Decimal("82.00")
    assert grades[mid_only.pk]["grade"] == Grade.GOOD
    assert grades[mid_only.pk]["grade_label"] == "Good"
    assert grades[mid_only.pk]["passed"] is True
    assert (grades[both.pk]["kind"], grades[both.pk]["grade"]) == ("final", Grade.EXCELLENT)
    assert latest_grades([]) == {}
    assert grade_distribution([mid_only.pk, both.pk])["excellent"] == 1


def test_latest_grades_cost_one_query_for_any_number_of_projects(
    officer, django_assert_num_queries
):
    evaluator = make_evaluator()
    projects = [funded_project() for _ in range(3)]
    for project in projects:
        evaluate(project, officer=officer, evaluator=evaluator, scores=(25, 16, 16, 25))
    with django_assert_num_queries(1):
        latest_grades([p.pk for p in projects])


def test_track_record_lists_completed_grades_and_failures_with_their_year(officer):
    evaluator = make_evaluator()
    organisation = OrganisationFactory()
    failed = funded_project(organisation=organisation, title="邻里文化大串门巡演")
    evaluate(failed, officer=officer, evaluator=evaluator, scores=(15, 10, 12, 15))
    done = funded_project(
        organisation=organisation, title="微心愿", mid_term_passed=True, tranches_paid=2
    )
    evaluate(done, officer=officer, evaluator=evaluator, scores=(28, 18, 18, 28), kind="final")
    funded_project(organisation=organisation, title="还在执行的项目")

    rows = {row["title"]: row for row in track_record(organisation)}

    assert set(rows) == {"邻里文化大串门巡演", "微心愿"}
    year = timezone.localdate().year
    assert rows["邻里文化大串门巡演"]["failed"] is True
    assert rows["邻里文化大串门巡演"]["year"] == year
    assert rows["邻里文化大串门巡演"]["failed_evaluation"]["score"] == Decimal("52.00")
    assert rows["微心愿"]["final"]["grade"] == Grade.EXCELLENT
    assert rows["微心愿"]["failed"] is False


def test_a_project_terminated_by_an_officer_is_a_failure_without_a_grade(officer):
    from grants.services.applications import terminate_application

    organisation = OrganisationFactory()
    project = funded_project(organisation=organisation)
    terminate_application(application=project, actor=officer, reason="机构停止运营")
    (row,) = track_record(organisation)
    assert row["failed"] is True and row["failed_evaluation"] is None


# --- The failure bar of later calls -------------------------------------------------------------


def failure_bar(application):
    application = Application.objects.select_related("call", "organisation").get(pk=application.pk)
    return next(
        r for r in eligibility.evaluate(application, now=timezone.now()) if r.code == "failure_bar"
    )


def test_a_failed_evaluation_bars_the_organisation_naming_project_and_year(officer):
    # given a project that failed its mid-term evaluation
    evaluator = make_evaluator()
    organisation = OrganisationFactory()
    failed = funded_project(organisation=organisation, title="邻里文化大串门巡演")
    evaluate(failed, officer=officer, evaluator=evaluator, scores=(15, 10, 12, 15))
    # when the organisation applies to a later call that bars failures for 3 years
    later = ApplicationFactory(organisation=organisation, call=CallFactory(failure_bar_years=3))
    # then
    outcome = failure_bar(later)
    assert outcome.blocks
    year = timezone.localdate().year
    assert "邻里文化大串门巡演" in outcome.reason
    assert f"terminated in {year}" in outcome.reason
    assert "3 years" in outcome.reason


def test_the_bar_counts_from_the_day_the_project_closed(officer):
    evaluator = make_evaluator()
    organisation = OrganisationFactory()
    failed = funded_project(organisation=organisation)
    evaluate(failed, officer=officer, evaluator=evaluator, scores=(15, 10, 12, 15))
    # The failure happened three years and a day ago: the bar is over.
    Application.objects.filter(pk=failed.pk).update(
        closed_at=timezone.now() - timedelta(days=3 * 365 + 2)
    )
    later = ApplicationFactory(organisation=organisation, call=CallFactory(failure_bar_years=3))
    assert failure_bar(later).passed
    # … but not if the call bars for four years.
    longer = ApplicationFactory(organisation=organisation, call=CallFactory(failure_bar_years=4))
    assert failure_bar(longer).blocks


def test_a_passed_evaluation_does_not_bar(officer):
    evaluator = make_evaluator()
    organisation = OrganisationFactory()
    project = funded_project(organisation=organisation)
    evaluate(project, officer=officer, evaluator=evaluator, scores=(25, 16, 16, 25))
    later = ApplicationFactory(organisation=organisation, call=CallFactory(failure_bar_years=3))
    assert failure_bar(later).passed
