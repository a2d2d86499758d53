"""Training, attendance, mentoring with follow-ups, capacity assessments and the progress chart."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from grants.services.errors import TransitionRefused
from incubator import services_incubation_programme as programme
from incubator.charts import progress_chart
from incubator.enums_incubation import IncubationState
from incubator.models import Attendance, CapacityAssessment, FollowUp, IncubationApplication
from tests.factories import OrganisationFactory, UserFactory
from tests.incubator.factories_incubation import (
    CapacityAssessmentFactory,
    IncubationApplicationFactory,
    TrainingCourseFactory,
    TrainingSessionFactory,
    incubating,
)

pytestmark = pytest.mark.django_db
I = IncubationState  # noqa: E741


def _url(name, *args):
    return reverse(f"incubation:{name}", args=args)


# --- Courses and sessions ----------------------------------------------------------------------------


def test_manager_creates_a_course_and_a_session(officer):
    base = incubating().intake.base
    course = programme.create_course(
        base=base, actor=officer, title="社会组织财务管理基础", trainer="李老师"
    )
    start = timezone.now() + timedelta(days=3)
    session = programme.add_session(
        course=course, actor=officer, starts_at=start, ends_at=start + timedelta(hours=2), place="孵化基地培训室"
    )  # fmt: skip
    assert session.course == course
    with pytest.raises(ValidationError):
        programme.create_course(base=base, actor=officer, title="社会组织财务管理基础")
    with pytest.raises(ValidationError):
        programme.add_session(
            course=course, actor=officer, starts_at=start, ends_at=start, place="x"
        )


def test_member_cannot_create_courses(applicant, organisation):
    base = incubating(organisation=organisation).intake.base
    with pytest.raises(PermissionDenied):
        programme.create_course(base=base, actor=applicant, title="自建课程")


# --- Attendance ----------------------------------------------------------------------------------------


def test_attendance_records_cohort_organisations_exactly_once(officer):
    application = incubating()
    other = incubating(intake=application.intake)
    session = TrainingSessionFactory(course__base=application.intake.base)
    ids = {application.organisation_id, other.organisation_id}

    first = programme.record_attendance(session=session, actor=officer, organisation_ids=ids)
    again = programme.record_attendance(session=session, actor=officer, organisation_ids=ids)

    assert (first.added, again.added, again.removed) == (2, 0, 0)
    assert Attendance.objects.filter(session=session).count() == 2

    programme.record_attendance(
        session=session, actor=officer, organisation_ids={other.organisation_id}
    )
    assert set(
        Attendance.objects.filter(session=session).values_list("organisation_id", flat=True)
    ) == {other.organisation_id}


def test_attendance_of_an_organisation_outside_the_cohort_is_refused(officer):
    session = TrainingSessionFactory(course__base=incubating().intake.base)
    stranger = OrganisationFactory()
    with pytest.raises(PermissionDenied):
        programme.record_attendance(session=session, actor=officer, organisation_ids={stranger.pk})


def test_the_database_refuses_a_second_attendance_row(officer):
    application = incubating()
    session = TrainingSessionFactory(course__base=application.intake.base)
    Attendance.objects.create(
        session=session, organisation=application.organisation, recorded_by=officer
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Attendance.objects.create(
            session=session, organisation=application.organisation, recorded_by=officer
        )
    member = UserFactory()
    Attendance.objects.create(session=session, organisation=application.organisation, member=member, recorded_by=officer)  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        Attendance.objects.create(session=session, organisation=application.organisation, member=member, recorded_by=officer)  # fmt: skip


def test_manager_records_attendance_on_the_register_page(client, officer):
    application = incubating()
    session = TrainingSessionFactory(course__base=application.intake.base)
    client.force_login(officer)
    page = client.get(_url("attendance", session.pk)).content.decode()
    assert application.organisation.name in page

    response = client.post(
        _url("attendance", session.pk), {"organisations": [application.organisation_id]}
    )

    assert response.status_code == 302
    assert Attendance.objects.filter(
        session=session, organisation=application.organisation
    ).exists()


def test_member_sees_the_course_and_their_attendance_but_not_the_register(
    client, applicant, organisation, officer
):
    application = incubating(organisation=organisation)
    session = TrainingSessionFactory(course__base=application.intake.base)
    programme.record_attendance(session=session, actor=officer, organisation_ids={organisation.pk})
    client.force_login(applicant)
    client.cookies["django_language"] = "en"

    assert client.get(_url("course", session.course_id)).status_code == 200
    page = client.get(_url("application", application.pk)).content.decode()
    assert session.course.title in page
    assert "attended" in page
    assert client.get(_url("attendance", session.pk)).status_code == 403
    assert client.post(_url("course", session.course_id), {"place": "x"}).status_code == 403


def test_outsider_gets_404_on_course_and_register(client, outsider):
    session = TrainingSessionFactory(course__base=incubating().intake.base)
    client.force_login(outsider)
    assert client.get(_url("course", session.course_id)).status_code == 404
    assert client.get(_url("attendance", session.pk)).status_code == 404


def test_anonymous_is_sent_to_login_from_course_pages():
    from django.test import Client

    session = TrainingSessionFactory()
    for url in (_url("course", session.course_id), _url("attendance", session.pk)):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_course_list_costs_the_same_for_1_and_30_courses(
    client, officer, django_assert_max_num_queries
):
    base = incubating().intake.base
    TrainingSessionFactory(course=TrainingCourseFactory(base=base))
    client.force_login(officer)
    client.get(_url("courses"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(_url("courses"))
    for _ in range(29):
        TrainingSessionFactory(course=TrainingCourseFactory(base=base))
    with django_assert_max_num_queries(len(one)):
        assert client.get(_url("courses")).status_code == 200


def test_register_costs_the_same_for_1_and_30_organisations(
    client, officer, django_assert_max_num_queries
):
    application = incubating()
    session = TrainingSessionFactory(course__base=application.intake.base)
    client.force_login(officer)
    client.get(_url("attendance", session.pk))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(_url("attendance", session.pk))
    others = [incubating(intake=application.intake) for _ in range(29)]
    programme.record_attendance(session=session, actor=officer, organisation_ids={o.organisation_id for o in others})  # fmt: skip
    with django_assert_max_num_queries(len(one)):
        assert client.get(_url("attendance", session.pk)).status_code == 200


# --- Mentoring -----------------------------------------------------------------------------------------


def test_mentoring_session_with_follow_ups(client, officer):
    application = incubating()
    client.force_login(officer)
    response = client.post(
        _url("add_mentoring", application.pk),
        {
            "held_on": timezone.localdate().isoformat(),
            "mentor": "刘督导",
            "topic": "财务制度建设",
            "notes": "已建立报销审批流程，尚缺固定资产台账。",
            "shared_with_organisation": "on",
            "follow_up_1": "补建固定资产台账",
            "follow_up_1_due": (timezone.localdate() + timedelta(days=14)).isoformat(),
            "follow_up_2": "",
        },
    )
    assert response.status_code == 302
    item = FollowUp.objects.get(session__application=application)
    assert item.description == "补建固定资产台账"
    assert not item.done

    client.post(_url("follow_up_done", application.pk, item.pk), {"done": "1"})
    item.refresh_from_db()
    assert item.done


def test_follow_up_past_its_date_is_overdue():
    item = FollowUp(description="x", due_on=date(2026, 1, 10))
    assert item.is_overdue(date(2026, 1, 11))
    assert not item.is_overdue(date(2026, 1, 10))


def test_mentoring_is_refused_before_the_agreement(officer):
    application = IncubationApplicationFactory()
    with pytest.raises(TransitionRefused):
        programme.add_mentoring_session(
            application=application, actor=officer, held_on=timezone.localdate(), mentor="刘", topic="t", notes="n"
        )  # fmt: skip


# --- Assessments and the chart --------------------------------------------------------------------------


def test_assessment_scores_are_0_to_25_and_one_per_day(officer):
    application = incubating()
    today = timezone.localdate()
    with pytest.raises(ValidationError) as error:
        programme.record_assessment(
            application=application, actor=officer, assessed_on=today, governance=26, finance=-1, projects=10, team=10
        )  # fmt: skip
    assert set(error.value.message_dict) == {"governance", "finance"}

    assessment = programme.record_assessment(
        application=application, actor=officer, assessed_on=today, governance=20, finance=18, projects=15, team=17
    )  # fmt: skip
    assert assessment.total == 70
    with pytest.raises(ValidationError):
        programme.record_assessment(
            application=application, actor=officer, assessed_on=today, governance=1, finance=1, projects=1, team=1
        )  # fmt: skip


def test_database_refuses_a_score_over_25(officer):
    application = incubating()
    with pytest.raises(IntegrityError), transaction.atomic():
        CapacityAssessment.objects.create(
            application=application, assessed_on=date(2026, 1, 1), governance=30, finance=1, projects=1, team=1, assessor=officer
        )  # fmt: skip


def test_progress_chart_has_a_line_per_dimension_over_the_assessments():
    application = incubating()
    first = CapacityAssessmentFactory(application=application, assessed_on=date(2026, 1, 5), governance=10, finance=5, projects=12, team=8)  # fmt: skip
    second = CapacityAssessmentFactory(application=application, assessed_on=date(2026, 6, 5), governance=20, finance=15, projects=18, team=16)  # fmt: skip

    chart = progress_chart([second, first])

    assert [series.code for series in chart.series] == ["governance", "finance", "projects", "team"]
    governance = chart.series[0]
    assert [point.value for point in governance.points] == [10, 20]
    # Higher scores are drawn higher (smaller y); time runs left to right.
    assert governance.points[1].y < governance.points[0].y
    assert governance.points[1].x > governance.points[0].x
    assert [tick.label for tick in chart.x_ticks] == ["2026-01-05", "2026-06-05"]


def test_member_sees_the_chart_as_inline_svg(client, applicant, organisation):
    application = incubating(organisation=organisation)
    CapacityAssessmentFactory(application=application, assessed_on=date(2026, 1, 5))
    CapacityAssessmentFactory(application=application, assessed_on=date(2026, 6, 5), governance=22)
    client.force_login(applicant)
    page = client.get(_url("application", application.pk)).content.decode()
    assert page.count("<polyline") == 4
    assert 'class="chart-series chart-series--governance"' in page
    assert "<script" not in page.split("<main", 1)[1]
    assert 'style="' not in page


def test_assessment_through_the_page(client, officer):
    application = incubating()
    client.force_login(officer)
    response = client.post(
        _url("add_assessment", application.pk),
        {
            "assessed_on": timezone.localdate().isoformat(),
            "governance": 18,
            "finance": 16,
            "projects": 15,
            "team": 17,
            "notes": "",
        },  # fmt: skip
    )
    assert response.status_code == 302
    assert IncubationApplication.objects.get(pk=application.pk).assessments.get().total == 66
