"""Report pages: what each persona sees and may do; messages in the user's language; drafts kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from grants.enums import ApplicationState
from grants.models.reports import Milestone, Report, ReportEvidence, ReportKind, ReportState
from grants.services import reports as svc
from tests.grants.factories_reports import (
    PDF_BYTES,
    assign_evaluator,
    complete_report,
    funded_project,
    make_evaluator,
    make_officer,
    member_of,
    milestone_of,
    png_bytes,
    submitted_report,
)

pytestmark = pytest.mark.django_db
S = ApplicationState
R = ReportState


@pytest.fixture
def project():
    return funded_project(title="“邻里+”楼道长守望探访计划")


@pytest.fixture
def member(project):
    return member_of(project.organisation)


@pytest.fixture
def oscar():
    return make_officer()


def _login(client, user, language="en"):
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def _form(report, **overrides) -> dict:
    """The report form as a browser posts it: one activity row, two volunteers."""
    today = timezone.localdate()
    data = {
        "narrative": "本期培训楼道长32名。",
        "beneficiaries_reached": "180",
        "activities-TOTAL_FORMS": "1",
        "activities-INITIAL_FORMS": "0",
        "activities-0-held_on": (today - timedelta(days=2)).isoformat(),
        "activities-0-place": "钟楼社区",
        "activities-0-description": "楼道长培训",
        "activities-0-participants": "32",
        "volunteers-TOTAL_FORMS": "2",
        "volunteers-INITIAL_FORMS": "0",
        "volunteers-0-name": "李秀英",
        "volunteers-0-hours": "6.5",
        "volunteers-1-name": "张建国",
        "volunteers-1-hours": "4",
        "kind": "photo",
    }
    for index in range(len(report.indicator_values)):
        data[f"indicator_{index}"] = "50"
    data.update(overrides)
    return data


# --- The applicant's panel and pages --------------------------------------------------------------


def test_the_member_sees_the_plan_and_writes_a_report(client, project, member):
    milestone = milestone_of(project)
    _login(client, member)

    page = client.get(reverse("grants:application_detail", args=[project.pk]))
    assert "Milestones and reports" in page.content.decode()
    assert "Write report" in page.content.decode()

    response = client.post(reverse("grants:reports_write", args=[milestone.pk]))
    report = Report.objects.get(milestone=milestone)
    assert response.status_code == 302
    assert response["Location"] == reverse("grants:reports_edit", args=[report.pk])
    edit = client.get(response["Location"])
    assert edit.status_code == 200
    assert "探访人次" in edit.content.decode()


def test_nothing_on_the_page_of_a_project_never_funded(client):
    from tests.factories import ApplicationFactory

    application = ApplicationFactory()
    user = member_of(application.organisation, "draft_member")
    _login(client, user)

    page = client.get(reverse("grants:application_detail", args=[application.pk]))

    assert "Milestones and reports" not in page.content.decode()


def test_autosave_answers_with_the_time_saved(client, project, member):
    report = svc.start_report(milestone=milestone_of(project), actor=member)
    _login(client, member)

    response = client.post(
        reverse("grants:reports_autosave", args=[report.pk]),
        _form(report, narrative="自动保存的文字"),
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert "Saved " in response.content.decode()
    report.refresh_from_db()
    assert report.narrative == "自动保存的文字"
    assert report.volunteers.count() == 2


def test_autosave_status_in_chinese(client, project, member):
    report = svc.start_report(milestone=milestone_of(project), actor=member)
    _login(client, member, language="zh-hans")

    response = client.post(
        reverse("grants:reports_autosave", args=[report.pk]), _form(report), HTTP_HX_REQUEST="true"
    )

    assert "已保存" in response.content.decode()


def test_submitting_an_incomplete_report_shows_each_problem_and_keeps_the_draft(
    client, project, member
):
    report = svc.start_report(milestone=milestone_of(project), actor=member)
    _login(client, member)

    response = client.post(
        reverse("grants:reports_edit", args=[report.pk]),
        _form(report, indicator_0="", submit="1"),
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert "The report cannot be submitted yet. Your draft is kept as it is" in html
    assert "Enter the value reached for “探访人次”." in html
    assert "Upload at least one photo of the activities (JPG or PNG)." in html
    report.refresh_from_db()
    assert report.state == R.DRAFT
    assert report.narrative == "本期培训楼道长32名。"
    assert report.activities.count() == 1


def test_a_wrong_file_type_is_refused_with_a_clear_message_and_the_draft_kept(
    client, project, member
):
    report = svc.start_report(milestone=milestone_of(project), actor=member)
    _login(client, member)

    response = client.post(
        reverse("grants:reports_edit", args=[report.pk]),
        {
            **_form(report, narrative="上传前写好的叙述"),
            "upload": "1",
            "file": SimpleUploadedFile("活动照片.pdf", PDF_BYTES),
        },
    )

    assert response.status_code == 422
    assert "is not a photo: upload a JPG or PNG picture." in response.content.decode()
    assert not ReportEvidence.objects.exists()
    report.refresh_from_db()
    assert report.narrative == "上传前写好的叙述"


def test_the_member_uploads_a_photo_and_submits(client, project, member, oscar):
    report = svc.start_report(milestone=milestone_of(project), actor=member)
    _login(client, member)
    edit_url = reverse("grants:reports_edit", args=[report.pk])

    upload = client.post(
        edit_url,
        {
            **_form(report),
            "upload": "1",
            "file": SimpleUploadedFile("探访.png", png_bytes(), content_type="image/png"),
        },
    )
    assert upload.status_code == 302
    response = client.post(edit_url, _form(report, submit="1"), follow=True)

    assert "Your report has been submitted for review." in response.content.decode()
    report.refresh_from_db()
    assert report.state == R.SUBMITTED
    assert report.evidence.get().original_name == "探访.png"


def test_a_late_submission_says_so(client, project, member):
    milestone = milestone_of(project, ReportKind.PERIODIC)
    Milestone.objects.filter(pk=milestone.pk).update(
        due_on=timezone.localdate() - timedelta(days=9)
    )
    report = svc.start_report(milestone=milestone, actor=member)
    _login(client, member)

    response = client.post(
        reverse("grants:reports_edit", args=[report.pk]), _form(report, submit="1"), follow=True
    )

    assert "so it is marked late" in response.content.decode()
    report.refresh_from_db()
    assert report.state == R.SUBMITTED and report.is_late


def test_add_a_volunteer_row_without_javascript(client, project, member):
    report = svc.start_report(milestone=milestone_of(project), actor=member)
    _login(client, member)

    response = client.post(
        reverse("grants:reports_edit", args=[report.pk]), _form(report, add_row="volunteers")
    )
    page = client.get(response["Location"])

    assert 'name="volunteers-2-name"' in page.content.decode()


def test_other_organisations_member_and_reviewer_get_404(
    client, project, member, outsider, reviewer
):
    report = svc.start_report(milestone=milestone_of(project), actor=member)
    evidence = svc.add_evidence(
        report=report,
        actor=member,
        uploaded_file=SimpleUploadedFile("p.png", png_bytes()),
        kind="photo",
    )
    for user in (outsider, reviewer):
        client.force_login(user)
        assert client.get(reverse("grants:reports_edit", args=[report.pk])).status_code == 404
        assert (
            client.post(reverse("grants:reports_autosave", args=[report.pk]), {}).status_code == 404
        )
        assert client.get(reverse("grants:reports_evidence", args=[evidence.pk])).status_code == 404
        assert (
            client.post(reverse("grants:reports_write", args=[report.milestone_id])).status_code
            == 404
        )
        assert client.get(reverse("grants:reports_review", args=[report.pk])).status_code in (
            403,
            404,
        )
    assert Report.objects.count() == 1


def test_the_officer_cannot_use_the_organisations_edit_page(client, project, member, oscar):
    report = svc.start_report(milestone=milestone_of(project), actor=member)
    client.force_login(oscar)

    assert client.get(reverse("grants:reports_edit", args=[report.pk])).status_code == 403


def test_a_submitted_report_is_read_only_for_the_member(client, project, member):
    report = submitted_report(project, member)
    _login(client, member)

    page = client.get(reverse("grants:reports_edit", args=[report.pk]))

    html = page.content.decode()
    assert "Awaiting review" in html
    assert 'name="narrative"' not in html


def _officer_panel(project, officer) -> str:
    """The panel as the officer's project page renders it (the page itself holds every area's
    panels; these tests look at this area's only)."""
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = officer
    template = Template("{% load reports_panels %}{% reports_panel application user 'officer' %}")
    with translation.override("en"):
        return template.render(
            Context({"application": project, "user": officer, "request": request})
        )


# --- The officer ---------------------------------------------------------------------------------


def test_the_officer_returns_with_a_comment_and_the_member_sees_it(client, project, member, oscar):
    report = submitted_report(project, member)
    _login(client, oscar)
    url = reverse("grants:reports_review", args=[report.pk])

    refused = client.post(url, {"action": "return", "comment": ""})
    assert refused.status_code == 422
    assert "Say what needs changing; the organisation reads it." in refused.content.decode()
    assert Report.objects.get(pk=report.pk).state == R.SUBMITTED

    client.post(url, {"action": "return", "comment": "请补充活动签到表。"})
    assert Report.objects.get(pk=report.pk).state == R.RETURNED

    _login(client, member)
    page = client.get(reverse("grants:reports_edit", args=[report.pk]))
    html = page.content.decode()
    assert "请补充活动签到表。" in html
    assert 'name="narrative"' in html  # editable again


def test_the_officer_accepts(client, project, member, oscar):
    report = submitted_report(project, member)
    _login(client, oscar)

    client.post(reverse("grants:reports_review", args=[report.pk]), {"action": "accept"})

    assert Report.objects.get(pk=report.pk).state == R.ACCEPTED


def test_the_officer_panel_shows_reports_to_review_and_the_late_flag(
    client, project, member, oscar
):
    milestone = milestone_of(project)
    Milestone.objects.filter(pk=milestone.pk).update(
        due_on=timezone.localdate() - timedelta(days=1)
    )
    report = svc.start_report(milestone=milestone, actor=member)
    complete_report(report, member)
    svc.submit_report(report=report, actor=member)
    html = _officer_panel(project, oscar)

    assert "Milestones and reports" in html
    assert reverse("grants:reports_review", args=[report.pk]) in html
    assert ">late<" in html


def test_the_officer_generates_and_edits_the_plan(client, project, oscar):
    _login(client, oscar)

    assert "Generate the milestone plan" in _officer_panel(project, oscar)
    client.post(reverse("grants:reports_generate_plan", args=[project.pk]))
    milestone = Milestone.objects.filter(application=project).order_by("due_on").first()
    assert Milestone.objects.filter(application=project).count() == 4

    response = client.post(
        reverse("grants:reports_milestone_edit", args=[milestone.pk]),
        {"title": "第一季度报告", "due_on": "2026-12-31", "deliverables": "签到表"},
    )
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.title == "第一季度报告"


def test_members_cannot_edit_milestones(client, project, member):
    milestone = milestone_of(project)
    client.force_login(member)

    assert (
        client.get(reverse("grants:reports_milestone_edit", args=[milestone.pk])).status_code == 403
    )
    assert client.post(reverse("grants:reports_generate_plan", args=[project.pk])).status_code in (
        302,
        403,
    )


def test_workspace_lists_overdue_and_awaiting_review(client, oscar, member, project):
    overdue = milestone_of(project, ReportKind.PERIODIC)
    Milestone.objects.filter(pk=overdue.pk).update(due_on=timezone.localdate() - timedelta(days=3))
    waiting = submitted_report(project, member)
    _login(client, oscar)
    url = reverse("grants:reports_workspace")

    overdue_page = client.get(url).content.decode()
    review_page = client.get(url, {"status": "awaiting_review"}).content.decode()

    assert "overdue-row" in overdue_page
    assert project.title in overdue_page
    assert reverse("grants:reports_review", args=[waiting.pk]) in review_page
    assert reverse("grants:reports_review", args=[waiting.pk]) not in overdue_page


def test_workspace_is_for_officers(client, member, reviewer):
    for user in (member, reviewer):
        client.force_login(user)
        assert client.get(reverse("grants:reports_workspace")).status_code == 403


def _projects_with_reports(count: int, member_username: str):
    for index in range(count):
        project = funded_project(title=f"项目{member_username}{index}")
        member = member_of(project.organisation, f"{member_username}{index}")
        milestone = milestone_of(project, ReportKind.PERIODIC)
        Milestone.objects.filter(pk=milestone.pk).update(
            due_on=timezone.localdate() - timedelta(days=2)
        )
        submitted_report(project, member)


@pytest.mark.parametrize("count", [1, 30])
def test_workspace_query_count_does_not_grow(client, oscar, count, django_assert_max_num_queries):
    _projects_with_reports(count, f"w{count}_")
    _login(client, oscar)

    with django_assert_max_num_queries(14):
        response = client.get(reverse("grants:reports_workspace"), {"status": "all"})

    assert response.status_code == 200
    assert response.content.decode().count("<tr") >= count * 4


# --- The evaluator -------------------------------------------------------------------------------


def test_the_evaluator_reads_accepted_reports_only(client, project, member, oscar):
    evaluator = make_evaluator()
    assign_evaluator(project, evaluator)
    accepted = svc.accept_report(report=submitted_report(project, member), actor=oscar)
    pending = submitted_report(project, member, ReportKind.FINAL)
    evidence = accepted.evidence.get()
    pending_evidence = pending.evidence.get()
    client.force_login(evaluator)

    assert client.get(reverse("grants:reports_evaluator", args=[accepted.pk])).status_code == 200
    assert client.get(reverse("grants:reports_evaluator", args=[pending.pk])).status_code == 404
    assert client.get(reverse("grants:reports_evidence", args=[evidence.pk])).status_code == 200
    assert (
        client.get(reverse("grants:reports_evidence", args=[pending_evidence.pk])).status_code
        == 404
    )
    assert client.get(reverse("grants:reports_edit", args=[pending.pk])).status_code == 404


def test_the_evaluator_panel_lists_accepted_reports_with_evidence_links(project, member, oscar):
    from django.template import Context, Template

    evaluator = make_evaluator()
    assign_evaluator(project, evaluator)
    accepted = svc.accept_report(report=submitted_report(project, member), actor=oscar)
    submitted_report(project, member, ReportKind.FINAL)
    template = Template("{% load reports_panels %}{% reports_panel application user 'evaluator' %}")

    html = template.render(Context({"application": project, "user": evaluator}))

    assert reverse("grants:reports_evaluator", args=[accepted.pk]) in html
    assert reverse("grants:reports_evidence", args=[accepted.evidence.get().pk]) in html
    assert html.count("grants/reports/") == 0
    assert html.count("report-state--") == 1  # the submitted final report is not shown


def test_evidence_is_served_to_the_member_with_safe_headers(client, project, member):
    report = svc.start_report(milestone=milestone_of(project), actor=member)
    evidence = svc.add_evidence(
        report=report,
        actor=member,
        uploaded_file=SimpleUploadedFile("p.png", png_bytes()),
        kind="photo",
    )
    client.force_login(member)

    response = client.get(reverse("grants:reports_evidence", args=[evidence.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


@pytest.mark.parametrize("reports", [1, 3])
def test_the_panel_query_count_does_not_grow(oscar, reports, django_assert_max_num_queries):
    project = funded_project()
    member = member_of(project.organisation, f"panel{reports}")
    kinds = [ReportKind.MID_TERM, ReportKind.FINAL, ReportKind.PERIODIC][:reports]
    for kind in kinds:
        submitted_report(project, member, kind)

    with django_assert_max_num_queries(8):
        html = _officer_panel(project, oscar)

    assert html.count("report-state--submitted") == reports


def test_an_evaluator_of_another_project_sees_nothing(client, project, member, oscar):
    stranger = make_evaluator("eva_elsewhere")
    assign_evaluator(funded_project(), stranger)
    accepted = svc.accept_report(report=submitted_report(project, member), actor=oscar)
    client.force_login(stranger)

    assert client.get(reverse("grants:reports_evaluator", args=[accepted.pk])).status_code == 404
    assert (
        client.get(
            reverse("grants:reports_evidence", args=[accepted.evidence.get().pk])
        ).status_code
        == 404
    )


def test_autosave_of_a_submitted_report_is_refused_and_changes_nothing(client, project, member):
    report = submitted_report(project, member)
    _login(client, member)

    response = client.post(
        reverse("grants:reports_autosave", args=[report.pk]),
        _form(report, narrative="提交后偷改"),
        HTTP_HX_REQUEST="true",
    )

    assert (
        "This report has been submitted and can no longer be changed." in response.content.decode()
    )
    assert Report.objects.get(pk=report.pk).narrative.startswith("本期培训楼道长")
