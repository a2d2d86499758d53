"""Milestone plans and reports: every transition and every forbidden one, validation, reminders."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone, translation
from django_fsm_log.models import StateLog

from grants.enums import AgreementState, ApplicationState
from grants.models import Agreement, Application, Notification
from grants.models.reports import (
    EvidenceKind,
    Milestone,
    Report,
    ReportEvidence,
    ReportKind,
    ReportState,
    StandardIndicator,
)
from grants.services import applications as application_svc
from grants.services import reports as svc
from grants.services.errors import TransitionRefused
from tests.factories import ApplicationFactory, CallFactory
from tests.grants.factories_reports import (
    PDF_BYTES,
    complete_report,
    funded_project,
    make_officer,
    member_of,
    milestone_of,
    photo,
    plan,
    submitted_report,
)


@pytest.fixture(autouse=True)
def _english_messages(english):
    """These tests read the English msgids; the zh-hans wording is checked by test_translations."""


pytestmark = pytest.mark.django_db
S = ApplicationState
R = ReportState


@pytest.fixture(autouse=True)
def _english():
    """Messages are compared in English (lazy messages render when compared, not when raised)."""
    with translation.override("en"):
        yield


@pytest.fixture
def project():
    return funded_project()


@pytest.fixture
def member(project):
    return member_of(project.organisation)


@pytest.fixture
def oscar():
    return make_officer()


# --- The plan -----------------------------------------------------------------------------------


def test_a_twelve_month_plan_has_two_quarterly_reports_a_mid_term_and_a_final_report():
    kinds = [kind for kind, _due in svc.plan_dates(date(2026, 1, 1), date(2027, 1, 1))]
    dues = [due for _kind, due in svc.plan_dates(date(2026, 1, 1), date(2027, 1, 1))]

    assert kinds == ["periodic", "mid_term", "periodic", "final"]
    assert dues == [date(2026, 4, 1), date(2026, 7, 2), date(2026, 10, 1), date(2027, 1, 1)]


def test_a_six_month_plan_has_only_the_mid_term_and_final_reports():
    kinds = [kind for kind, _due in svc.plan_dates(date(2026, 1, 1), date(2026, 7, 1))]

    assert kinds == ["mid_term", "final"]


def test_the_plan_carries_the_applications_indicators_and_the_standard_ones(project):
    milestones = plan(project)

    targets = milestones[0].indicator_targets
    names = [row["name"] for row in targets]
    codes = [row["code"] for row in targets]
    assert names[:2] == ["探访人次", "服务对象满意度"]
    assert targets[0]["target"] == "2400"
    # the application's satisfaction indicator stands for the standard one: no duplicate
    assert codes.count(StandardIndicator.SATISFACTION) == 1
    assert {
        StandardIndicator.BENEFICIARIES,
        StandardIndicator.ACTIVITIES,
        StandardIndicator.VOLUNTEER_HOURS,
    } <= set(codes)
    beneficiaries = next(r for r in targets if r["code"] == StandardIndicator.BENEFICIARIES)
    assert beneficiaries["target"] == "120"


def test_the_plan_follows_the_agreement_dates(project):
    agreement = project.agreement

    milestones = plan(project)

    assert milestones[-1].kind == ReportKind.FINAL
    assert milestones[-1].due_on == agreement.ends_on
    assert [m.position for m in milestones] == [1, 2, 3, 4]


def test_without_an_agreement_the_plan_runs_twelve_months_from_today():
    project = funded_project(agreement=False)

    milestones = plan(project)

    assert milestones[-1].due_on > timezone.localdate() + timedelta(days=360)


def test_signing_the_agreement_writes_the_plan():
    # given: an approved application whose agreement the organisation has accepted
    call = CallFactory(
        opens_at=timezone.now() - timedelta(days=90), closes_at=timezone.now() - timedelta(days=60)
    )
    application = ApplicationFactory(call=call)
    Application.objects.filter(pk=application.pk).update(state=S.APPROVED)
    member = member_of(application.organisation)
    Agreement.objects.create(
        application=application,
        state=AgreementState.ACCEPTED,
        number="T-SIGN-1",
        award_amount=Decimal("20000"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 1, 1),
    )

    # when: the organisation signs
    from django.db import transaction

    with transaction.atomic():
        application_svc._run_transition(
            application, name="sign_agreement", actor=member, target=S.CONTRACTED
        )

    # then: the plan exists, dated from the agreement
    milestones = list(Milestone.objects.filter(application=application).order_by("due_on"))
    assert [m.kind for m in milestones] == ["periodic", "mid_term", "periodic", "final"]
    assert milestones[-1].due_on == date(2027, 1, 1)


def test_the_officer_generates_the_plan_once(project, oscar):
    first = svc.build_milestone_plan(application=project, actor=oscar)
    second = svc.build_milestone_plan(application=project, actor=oscar)

    assert len(first) == 4
    assert [m.pk for m in second] == [m.pk for m in first]
    assert Milestone.objects.filter(application=project).count() == 4


def test_the_organisation_cannot_generate_its_own_plan(project, member):
    with pytest.raises(PermissionDenied):
        svc.build_milestone_plan(application=project, actor=member)
    assert not Milestone.objects.filter(application=project).exists()


def test_no_plan_for_a_project_that_was_never_funded(oscar):
    application = ApplicationFactory()

    with pytest.raises(TransitionRefused):
        svc.build_milestone_plan(application=application, actor=oscar)


def test_a_new_due_date_rearms_the_reminders(project, oscar):
    milestone = plan(project)[0]
    Milestone.objects.filter(pk=milestone.pk).update(overdue_reminded_at=timezone.now())

    milestone = svc.update_milestone(
        milestone=milestone,
        actor=oscar,
        title="第一季度进度报告",
        due_on=milestone.due_on + timedelta(days=14),
        deliverables="活动记录",
    )

    milestone.refresh_from_db()
    assert milestone.title == "第一季度进度报告"
    assert milestone.overdue_reminded_at is None


def test_the_organisation_cannot_move_its_own_due_dates(project, member):
    milestone = plan(project)[0]
    with pytest.raises(PermissionDenied):
        svc.update_milestone(
            milestone=milestone, actor=member, title="x", due_on=date(2030, 1, 1), deliverables=""
        )


# --- Writing ------------------------------------------------------------------------------------


def test_the_member_opens_one_report_per_milestone(project, member):
    milestone = milestone_of(project)

    first = svc.start_report(milestone=milestone, actor=member)
    again = svc.start_report(milestone=milestone, actor=member)

    assert first.pk == again.pk
    assert first.state == R.DRAFT
    assert len(first.indicator_values) == len(milestone.indicator_targets)


@pytest.mark.parametrize("who", ["outsider", "officer"])
def test_only_the_organisations_members_write_its_reports(project, outsider, oscar, who):
    actor = {"outsider": outsider, "officer": oscar}[who]

    with pytest.raises(PermissionDenied):
        svc.start_report(milestone=milestone_of(project), actor=actor)
    assert not Report.objects.exists()


def test_no_report_on_a_terminated_project(member):
    project = funded_project(state=S.TERMINATED)
    member = member_of(project.organisation, "terminated_member")

    with pytest.raises(TransitionRefused):
        svc.start_report(milestone=milestone_of(project), actor=member)


def test_autosave_keeps_every_valid_value_and_names_the_malformed_ones(project, member):
    report = svc.start_report(milestone=milestone_of(project), actor=member)

    report, errors = svc.save_report_draft(
        report=report,
        actor=member,
        narrative="开展探访",
        beneficiaries_reached="many",
        indicator_values={0: "860", 1: "ninety"},
        volunteers=[{"name": "李秀英", "hours": "2.25"}, {"name": "张建国", "hours": "3.5"}],
    )

    report.refresh_from_db()
    assert report.narrative == "开展探访"
    assert report.indicator_values[0]["reached"] == "860"
    assert report.indicator_values[1]["reached"] == ""
    assert errors["indicator_1"] == "Enter a number, e.g. 120 or 92.5."
    assert errors["beneficiaries_reached"] == "Enter a whole number of people."
    assert errors["volunteers-0-hours"] == "Enter hours in half-hour units, e.g. 2 or 3.5."
    assert report.volunteer_hours == Decimal("3.5")
    assert list(report.volunteers.values_list("name", flat=True)) == ["李秀英", "张建国"]


def test_a_missing_indicator_stops_the_submission_and_keeps_the_draft(project, member):
    report = svc.start_report(milestone=milestone_of(project), actor=member)
    complete_report(report, member)
    svc.save_report_draft(report=report, actor=member, indicator_values={0: ""})

    with pytest.raises(ValidationError) as refused:
        svc.submit_report(report=report, actor=member)

    assert refused.value.message_dict["indicator_0"] == ["Enter the value reached for “探访人次”."]
    report.refresh_from_db()
    assert report.state == R.DRAFT
    assert report.narrative.startswith("本期培训楼道长")
    assert report.activities.count() == 1
    assert report.evidence.count() == 1


def test_a_mid_term_report_needs_an_activity_and_a_photo(project, member):
    report = svc.start_report(milestone=milestone_of(project), actor=member)
    svc.save_report_draft(
        report=report,
        actor=member,
        narrative="本期工作",
        beneficiaries_reached="10",
        indicator_values=dict.fromkeys(range(len(report.indicator_values)), "1"),
    )

    with pytest.raises(ValidationError) as refused:
        svc.submit_report(report=report, actor=member)

    errors = refused.value.message_dict
    assert errors["activities"] == ["List at least one activity held, with its date and place."]
    assert errors["evidence"] == ["Upload at least one photo of the activities (JPG or PNG)."]
    assert Report.objects.get(pk=report.pk).state == R.DRAFT


def test_a_quarterly_report_needs_no_photo(project, member):
    report = svc.start_report(milestone=milestone_of(project, ReportKind.PERIODIC), actor=member)
    complete_report(report, member, with_photo=False)

    report = svc.submit_report(report=report, actor=member)

    assert report.state == R.SUBMITTED


def test_a_sign_in_sheet_is_not_a_photo(project, member):
    report = svc.start_report(milestone=milestone_of(project), actor=member)
    complete_report(report, member, with_photo=False)
    svc.add_evidence(
        report=report,
        actor=member,
        uploaded_file=SimpleUploadedFile("签到表.pdf", PDF_BYTES),
        kind=EvidenceKind.SIGN_IN_SHEET,
    )

    with pytest.raises(ValidationError) as refused:
        svc.submit_report(report=report, actor=member)

    assert "evidence" in refused.value.message_dict


def test_complete_report_is_submitted_and_the_officer_is_told(project, member, oscar):
    report = svc.start_report(milestone=milestone_of(project), actor=member)
    complete_report(report, member)

    report = svc.submit_report(report=report, actor=member)

    assert report.state == R.SUBMITTED
    assert report.submitted_at is not None
    assert report.is_late is False
    assert report.volunteer_hours == Decimal("10.5")
    assert Notification.objects.filter(recipient=oscar, verb="report_submitted").count() == 1
    assert StateLog.objects.filter(object_id=report.pk, transition="submit").count() == 1


def test_submitting_twice_has_one_effect(project, member, oscar):
    report = submitted_report(project, member)

    again = svc.submit_report(report=report, actor=member)

    assert again.state == R.SUBMITTED
    assert Notification.objects.filter(recipient=oscar, verb="report_submitted").count() == 1


def test_a_late_report_is_accepted_for_review_and_flagged(project, member, oscar):
    milestone = milestone_of(project)
    Milestone.objects.filter(pk=milestone.pk).update(
        due_on=timezone.localdate() - timedelta(days=5)
    )
    report = svc.start_report(milestone=milestone, actor=member)
    complete_report(report, member)

    report = svc.submit_report(report=report, actor=member)

    assert report.state == R.SUBMITTED
    assert report.is_late is True
    body = Notification.objects.get(recipient=oscar, verb="report_submitted").body
    # Written in the officer's language (zh-hans by default).
    assert "之后提交" in body or "after its due date" in body


def test_a_photo_must_really_be_a_picture_and_the_draft_is_kept(project, member):
    report = svc.start_report(milestone=milestone_of(project), actor=member)
    complete_report(report, member, with_photo=False)

    with pytest.raises(ValidationError) as refused:
        svc.add_evidence(
            report=report,
            actor=member,
            uploaded_file=SimpleUploadedFile("活动照片.pdf", PDF_BYTES),
            kind=EvidenceKind.PHOTO,
        )

    assert "is not a photo: upload a JPG or PNG picture" in refused.value.messages[0]
    assert not ReportEvidence.objects.exists()
    assert Report.objects.get(pk=report.pk).narrative.startswith("本期培训楼道长")


def test_a_disguised_file_is_refused(project, member):
    report = svc.start_report(milestone=milestone_of(project), actor=member)

    with pytest.raises(ValidationError):
        svc.add_evidence(
            report=report,
            actor=member,
            uploaded_file=SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not a picture"),
            kind=EvidenceKind.PHOTO,
        )
    assert not ReportEvidence.objects.exists()


def test_the_officer_cannot_submit_for_the_organisation(project, member, oscar):
    report = svc.start_report(milestone=milestone_of(project), actor=member)
    complete_report(report, member)

    with pytest.raises(PermissionDenied):
        svc.submit_report(report=report, actor=oscar)


# --- Review -------------------------------------------------------------------------------------


def test_the_officer_accepts_and_the_member_is_told(project, member, oscar):
    report = submitted_report(project, member)

    report = svc.accept_report(report=report, actor=oscar)

    assert report.state == R.ACCEPTED
    assert report.reviewed_by == oscar
    assert Notification.objects.filter(recipient=member, verb="report_accepted").count() == 1


def test_returning_needs_a_comment(project, member, oscar):
    report = submitted_report(project, member)

    with pytest.raises(ValidationError) as refused:
        svc.return_report(report=report, actor=oscar, comment="  ")

    assert refused.value.message_dict["comment"] == [
        "Say what needs changing; the organisation reads it."
    ]
    assert Report.objects.get(pk=report.pk).state == R.SUBMITTED


def test_returned_report_is_fixed_resubmitted_and_accepted(project, member, oscar):
    report = submitted_report(project, member)

    # when: returned with a comment
    report = svc.return_report(report=report, actor=oscar, comment="请补充签到表和活动照片说明。")

    # then: the member is told, with the comment, and can edit again
    assert report.state == R.RETURNED
    note = Notification.objects.get(recipient=member, verb="report_returned")
    assert "请补充签到表和活动照片说明。" in note.body
    report, errors = svc.save_report_draft(report=report, actor=member, narrative="已补充说明")
    assert not errors
    report = svc.submit_report(report=report, actor=member)
    assert report.state == R.SUBMITTED
    report = svc.accept_report(report=report, actor=oscar)
    assert report.state == R.ACCEPTED
    transitions = list(
        StateLog.objects.filter(object_id=report.pk, content_type__model="report")
        .order_by("timestamp", "pk")
        .values_list("transition", flat=True)
    )
    assert transitions == ["submit", "return_for_changes", "submit", "accept"]


def test_a_draft_cannot_be_accepted_or_returned(project, member, oscar):
    report = svc.start_report(milestone=milestone_of(project), actor=member)

    with pytest.raises(TransitionRefused):
        svc.accept_report(report=report, actor=oscar)
    with pytest.raises(TransitionRefused):
        svc.return_report(report=report, actor=oscar, comment="x")
    assert Report.objects.get(pk=report.pk).state == R.DRAFT


def test_an_accepted_report_is_final(project, member, oscar):
    report = svc.accept_report(report=submitted_report(project, member), actor=oscar)

    with pytest.raises(TransitionRefused):
        svc.return_report(report=report, actor=oscar, comment="改一下")
    with pytest.raises(TransitionRefused):
        svc.submit_report(report=report, actor=member)
    with pytest.raises(TransitionRefused):
        svc.save_report_draft(report=report, actor=member, narrative="改写")
    with pytest.raises(TransitionRefused):
        svc.add_evidence(report=report, actor=member, uploaded_file=photo(), kind="photo")
    assert svc.accept_report(report=report, actor=oscar).state == R.ACCEPTED  # a no-op


def test_a_submitted_report_cannot_be_edited(project, member):
    report = submitted_report(project, member)

    with pytest.raises(TransitionRefused):
        svc.save_report_draft(report=report, actor=member, narrative="偷偷改")
    assert Report.objects.get(pk=report.pk).narrative.startswith("本期培训楼道长")


@pytest.mark.parametrize("who", ["member", "reviewer", "outsider"])
def test_only_officers_review(project, member, reviewer, outsider, who):
    report = submitted_report(project, member)
    actor = {"member": member, "reviewer": reviewer, "outsider": outsider}[who]

    with pytest.raises(PermissionDenied):
        svc.accept_report(report=report, actor=actor)
    with pytest.raises(PermissionDenied):
        svc.return_report(report=report, actor=actor, comment="不行")
    assert Report.objects.get(pk=report.pk).state == R.SUBMITTED


# --- Reminders ----------------------------------------------------------------------------------


def _due(project, days: int) -> Milestone:
    milestone = plan(project)[0]
    Milestone.objects.filter(pk=milestone.pk).update(
        due_on=timezone.localdate() + timedelta(days=days)
    )
    return milestone


def test_reminders_go_out_exactly_once_per_kind(project, member):
    _due(project, 5)
    other = funded_project()
    other_member = member_of(other.organisation, "bob")
    _due(other, -3)

    first = svc.send_report_reminders()
    second = svc.send_report_reminders()

    assert first == {"due_soon": 1, "overdue": 1}
    assert second == {"due_soon": 0, "overdue": 0}
    assert Notification.objects.filter(recipient=member, verb="report_due_soon").count() == 1
    assert Notification.objects.filter(recipient=other_member, verb="report_overdue").count() == 1


def test_a_report_due_soon_is_reminded_again_once_overdue(project, member):
    milestone = _due(project, 2)
    svc.send_report_reminders()
    Milestone.objects.filter(pk=milestone.pk).update(
        due_on=timezone.localdate() - timedelta(days=1)
    )

    sent = svc.send_report_reminders()

    assert sent == {"due_soon": 0, "overdue": 1}


def test_answered_and_stopped_projects_are_not_reminded(project, member):
    milestone = _due(project, -2)
    report = svc.start_report(milestone=milestone, actor=member)
    complete_report(report, member)
    svc.submit_report(report=report, actor=member)
    stopped = funded_project(state=S.TERMINATED)
    _due(stopped, -2)

    assert svc.send_report_reminders() == {"due_soon": 0, "overdue": 0}


def test_a_draft_does_not_stop_the_overdue_reminder(project, member):
    milestone = _due(project, -2)
    svc.start_report(milestone=milestone, actor=member)

    assert svc.send_report_reminders()["overdue"] == 1


def test_the_command_reports_what_it_sent(project, member, capsys):
    _due(project, -1)

    call_command("send_report_reminders")
    call_command("send_report_reminders")

    out = capsys.readouterr().out
    assert "Sent 0 due-soon and 1 overdue reminder(s)." in out
    assert "Sent 0 due-soon and 0 overdue reminder(s)." in out


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_remind_once():
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    # given
    project = funded_project()
    member_of(project.organisation, "racer")
    _due(project, -1)

    # when: two reminder runs race
    def run():
        try:
            return svc.send_report_reminders()["overdue"]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _i: run(), range(2)))

    # then
    assert sorted(results) == [0, 1]
    assert Notification.objects.filter(verb="report_overdue").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_accept_and_return_racing_leave_one_decision():
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    # given: a submitted report and two officers deciding at the same moment
    project = funded_project()
    member = member_of(project.organisation, "race_member")
    report = submitted_report(project, member)
    first, second = make_officer("race_a"), make_officer("race_b")

    # when
    def decide(action):
        try:
            if action == "accept":
                return svc.accept_report(report=report, actor=first).state
            return svc.return_report(report=report, actor=second, comment="请补充").state
        except TransitionRefused:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(decide, ["accept", "return"]))

    # then: one decision stands, the other was refused, one log row for it
    final = Report.objects.get(pk=report.pk).state
    assert "refused" in outcomes and final in outcomes
    decisions = StateLog.objects.filter(
        object_id=report.pk,
        content_type__model="report",
        transition__in=["accept", "return_for_changes"],
    )
    assert decisions.count() == 1


def test_returning_mails_the_member_in_their_language(
    project, member, oscar, mailoutbox, django_capture_on_commit_callbacks
):
    report = submitted_report(project, member)
    member.preferred_language = "zh-hans"
    member.save()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        svc.return_report(report=report, actor=oscar, comment="请补充签到表。")

    (mail,) = mailoutbox
    assert mail.to == [member.email]
    assert "请补充签到表。" in mail.body
    assert f"/me/reports/{report.pk}/" in mail.body


def test_an_overdue_reminder_is_mailed_once(
    project, member, mailoutbox, django_capture_on_commit_callbacks
):
    _due(project, -4)

    with django_capture_on_commit_callbacks(execute=True):
        svc.send_report_reminders()
    with django_capture_on_commit_callbacks(execute=True):
        svc.send_report_reminders()

    assert [m.to for m in mailoutbox] == [[member.email]]


def test_a_returned_report_must_be_resubmitted_before_it_is_accepted(project, member, oscar):
    report = svc.return_report(
        report=submitted_report(project, member), actor=oscar, comment="请补充照片说明"
    )

    with pytest.raises(TransitionRefused):
        svc.accept_report(report=report, actor=oscar)
    assert Report.objects.get(pk=report.pk).state == R.RETURNED
