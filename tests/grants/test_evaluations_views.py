"""Evaluation pages: the evaluator's workspace, the officer's panel actions, the applicant's results."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.enums import Role
from grants.enums import ApplicationState, TrancheStatus
from grants.enums_evaluations import EvaluationState
from grants.models import Application, Attachment, ConflictRecord, Evaluation
from grants.services import evaluations as svc
from tests.factories import MembershipFactory
from tests.grants.factories_evaluations import (
    funded_project,
    make_evaluator,
    scored,
    started,
    tranche_statuses,
)

S = ApplicationState
E = EvaluationState


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def evaluator(db):
    return make_evaluator()


@pytest.fixture
def project(db, organisation):
    return funded_project(organisation=organisation, title="长者助餐与健康管理")


def detail_url(evaluation) -> str:
    return reverse("grants:evaluations_workspace_detail", args=[evaluation.pk])


def full_form(evaluation, **overrides) -> dict:
    data = {
        "score_0": "25",
        "score_1": "16",
        "score_2": "16",
        "score_3": "25",
        "bonus": "",
        "bonus_reason": "",
        "penalty": "",
        "penalty_reason": "",
        "comments": "台账齐全，活动按计划开展。",
        "staff_notes": "财务凭证需复核",
        "clawback_amount": "",
        "clawback_reason": "",
    }
    data.update(overrides)
    return data


# --- The workspace list -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_evaluator_sees_their_own_evaluations_only(client, officer, evaluator, project):
    started(project, officer=officer, evaluator=evaluator)
    other_project = funded_project(title="别人的项目")
    started(other_project, officer=officer, evaluator=make_evaluator("eva2"))
    client.force_login(evaluator)
    page = client.get(reverse("grants:evaluations_workspace")).content.decode()
    assert "长者助餐与健康管理" in page
    assert "别人的项目" not in page
    assert "Mid-term evaluation" in page


@pytest.mark.django_db
def test_the_workspace_is_for_evaluators_and_officers(client, applicant, project):
    client.force_login(applicant)
    assert client.get(reverse("grants:evaluations_workspace")).status_code == 403
    client.logout()
    response = client.get(reverse("grants:evaluations_workspace"))
    assert response.status_code == 302


@pytest.mark.django_db
def test_workspace_costs_the_same_for_1_and_30_evaluations(client, officer, evaluator):
    started(funded_project(), officer=officer, evaluator=evaluator)
    client.force_login(evaluator)
    url = reverse("grants:evaluations_workspace")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(29):
        started(funded_project(), officer=officer, evaluator=evaluator)
    with CaptureQueriesContext(connection) as thirty:
        page = client.get(url).content.decode()
    assert page.count('class="card evaluation-item"') == 30
    assert len(thirty) == len(one)


# --- One evaluation -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_evaluation_page_shows_the_application_tranches_and_score_form(
    client, officer, evaluator, project
):
    evaluation = started(project, officer=officer, evaluator=evaluator)
    client.force_login(evaluator)
    page = client.get(detail_url(evaluation)).content.decode()
    assert "长者助餐与健康管理" in page
    assert project.summary in page  # the application, through grants/_answers.html
    assert project.organisation.name in page
    assert "Implementation" in page and "Outcomes" in page
    assert 'id="evaluation-form"' in page
    assert 'href="#evaluation-scores"' in page
    assert "Record a check" in page


@pytest.mark.django_db
def test_another_evaluator_gets_404(client, officer, evaluator, project):
    evaluation = started(project, officer=officer, evaluator=evaluator)
    client.force_login(make_evaluator("eva2"))
    assert client.get(detail_url(evaluation)).status_code == 404
    assert client.post(detail_url(evaluation), full_form(evaluation)).status_code == 404
    url = reverse("grants:evaluations_activity_add", args=[evaluation.pk])
    assert client.post(url, {"method": "site_visit"}).status_code == 404


@pytest.mark.django_db
def test_a_conflicted_evaluator_gets_404_even_when_assigned(client, officer, evaluator, project):
    evaluation = started(project, officer=officer, evaluator=evaluator)
    ConflictRecord.objects.create(
        reviewer=evaluator, application=project, source="declared", reason="亲属在该机构任职"
    )
    client.force_login(evaluator)
    assert client.get(detail_url(evaluation)).status_code == 404


@pytest.mark.django_db
def test_an_applicant_cannot_open_the_evaluation(client, officer, evaluator, project, applicant):
    evaluation = started(project, officer=officer, evaluator=evaluator)
    client.force_login(applicant)
    assert client.get(detail_url(evaluation)).status_code == 403


@pytest.mark.django_db
def test_officers_read_an_evaluation_without_writing_it(client, officer, evaluator, project):
    evaluation = started(project, officer=officer, evaluator=evaluator)
    client.force_login(officer)
    page = client.get(detail_url(evaluation)).content.decode()
    assert 'id="evaluation-form"' not in page
    assert client.post(detail_url(evaluation), full_form(evaluation)).status_code == 404


@pytest.mark.django_db
def test_save_draft_keeps_the_scores(client, officer, evaluator, project):
    evaluation = started(project, officer=officer, evaluator=evaluator)
    client.force_login(evaluator)
    response = client.post(detail_url(evaluation), {"score_0": "27.5", "save": "1"})
    assert response.status_code == 302
    evaluation = Evaluation.objects.get(pk=evaluation.pk)
    assert evaluation.state == E.IN_PROGRESS
    assert evaluation.scores.get(position=0).score == Decimal("27.5")
    page = client.get(detail_url(evaluation)).content.decode()
    assert 'value="27.5"' in page


@pytest.mark.django_db
def test_a_bad_score_is_shown_next_to_its_field_and_nothing_is_saved(
    client, officer, evaluator, project
):
    evaluation = started(project, officer=officer, evaluator=evaluator)
    client.force_login(evaluator)
    response = client.post(
        detail_url(evaluation), full_form(evaluation, score_0="35", comments="草稿", save="1")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Give a number from 0 to 30." in page
    assert 'value="35"' in page  # what was typed stays in the form
    assert Evaluation.objects.get(pk=evaluation.pk).comments == ""


@pytest.mark.django_db
def test_submitting_without_a_check_is_refused_and_the_draft_kept(
    client, officer, evaluator, project
):
    evaluation = started(project, officer=officer, evaluator=evaluator)
    client.force_login(evaluator)
    response = client.post(detail_url(evaluation), full_form(evaluation, submit="1"))
    assert response.status_code == 400
    assert "Record at least one check" in response.content.decode()
    evaluation = Evaluation.objects.get(pk=evaluation.pk)
    assert evaluation.state == E.IN_PROGRESS
    assert evaluation.scores.get(position=3).score == Decimal("25")
    assert Application.objects.get(pk=project.pk).state == S.MID_TERM


@pytest.mark.django_db
def test_record_a_site_visit_then_submit_and_pass(client, officer, evaluator, project):
    evaluation = started(project, officer=officer, evaluator=evaluator)
    client.force_login(evaluator)
    response = client.post(
        reverse("grants:evaluations_activity_add", args=[evaluation.pk]),
        {
            "method": "site_visit",
            "occurred_on": (timezone.localdate() - timedelta(days=2)).isoformat(),
            "place": "学田社区长者食堂",
            "people_contacted": "负责人、两名志愿者、五位老人",
            "notes": "查看助餐台账与签到表，抽访五位老人。",
        },
    )
    assert response.status_code == 302
    response = client.post(detail_url(evaluation), full_form(evaluation, submit="1"), follow=True)
    page = response.content.decode()
    assert "Submitted and sealed: 82.00 points, Good." in page
    assert "查看助餐台账与签到表" in page
    assert 'id="evaluation-form"' not in page
    assert Application.objects.get(pk=project.pk).state == S.ACTIVE
    assert tranche_statuses(project)[1] == TrancheStatus.RELEASABLE


@pytest.mark.django_db
def test_a_sealed_evaluation_refuses_a_late_edit(client, officer, evaluator, project):
    evaluation = scored(started(project, officer=officer, evaluator=evaluator), evaluator=evaluator)
    svc.submit_evaluation(evaluation=evaluation, actor=evaluator)
    client.force_login(evaluator)
    response = client.post(
        detail_url(evaluation), full_form(evaluation, score_0="30", save="1"), follow=True
    )
    assert "its scores are sealed" in response.content.decode()
    assert Evaluation.objects.get(pk=evaluation.pk).scores.get(position=0).score == Decimal("25")


@pytest.mark.django_db
def test_a_bad_activity_shows_its_errors(client, officer, evaluator, project):
    evaluation = started(project, officer=officer, evaluator=evaluator)
    client.force_login(evaluator)
    response = client.post(
        reverse("grants:evaluations_activity_add", args=[evaluation.pk]),
        {"method": "site_visit", "occurred_on": "", "notes": ""},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Give the date." in page and "Write down what you found." in page
    assert not evaluation.activities.exists()


@pytest.mark.django_db
def test_autosave_answers_with_the_status_line(client, officer, evaluator, project):
    evaluation = started(project, officer=officer, evaluator=evaluator)
    client.force_login(evaluator)
    url = reverse("grants:evaluations_autosave", args=[evaluation.pk])
    page = client.post(url, {"score_1": "18"}).content.decode()
    assert "Saved" in page
    assert Evaluation.objects.get(pk=evaluation.pk).scores.get(position=1).score == 18
    page = client.post(url, {"score_1": "25"}).content.decode()
    assert "from 0 to 20" in page


@pytest.mark.django_db
def test_evaluator_downloads_the_projects_attachments(client, officer, evaluator, project):
    attachment = Attachment.objects.create(
        application=project,
        file=ContentFile(b"%PDF-1.4 test", name="plan.pdf"),
        original_name="实施方案.pdf",
        content_type="application/pdf",
        size=13,
        sha256="0" * 64,
        uploaded_by=project.created_by,
    )
    evaluation = started(project, officer=officer, evaluator=evaluator)
    url = reverse("grants:evaluations_attachment", args=[evaluation.pk, attachment.pk])
    client.force_login(evaluator)
    assert client.get(url).status_code == 200
    client.force_login(make_evaluator("eva2"))
    assert client.get(url).status_code == 404


# --- The officer's panel --------------------------------------------------------------------------


def officer_page(client, project) -> str:
    return client.get(reverse("grants:officer_application", args=[project.pk])).content.decode()


@pytest.mark.django_db
def test_officer_starts_the_mid_term_from_the_panel(client, officer, evaluator, project):
    client.force_login(officer)
    page = officer_page(client, project)
    assert "Start the Mid-term evaluation" in page
    response = client.post(
        reverse("grants:evaluations_start", args=[project.pk]),
        {"kind": "mid_term", "evaluator": evaluator.pk, "due_on": ""},
        follow=True,
    )
    page = response.content.decode()
    assert "is asked to evaluate" in page
    assert "第三方评估员" in page
    assert Application.objects.get(pk=project.pk).state == S.MID_TERM
    assert Evaluation.objects.get().evaluator == evaluator


@pytest.mark.django_db
def test_the_generic_action_starts_the_mid_term_with_the_officer_as_evaluator(
    client, officer, project
):
    client.force_login(officer)
    response = client.post(
        reverse("grants:officer_action", args=[project.pk, "start_mid_term"]), {}
    )
    assert response.status_code == 302
    assert Application.objects.get(pk=project.pk).state == S.MID_TERM
    assert Evaluation.objects.get().evaluator == officer


@pytest.mark.django_db
def test_evaluators_cannot_use_the_officer_actions(client, officer, evaluator, project):
    client.force_login(evaluator)
    response = client.post(
        reverse("grants:evaluations_start", args=[project.pk]),
        {"kind": "mid_term", "evaluator": evaluator.pk},
    )
    assert response.status_code == 403
    evaluation = started(project, officer=officer, evaluator=evaluator)
    response = client.post(
        reverse("grants:evaluations_cancel", args=[evaluation.pk]), {"reason": "不想做"}
    )
    assert response.status_code == 403
    assert Evaluation.objects.get(pk=evaluation.pk).state == E.ASSIGNED


@pytest.mark.django_db
def test_starting_with_an_applicant_as_evaluator_is_refused_clearly(
    client, officer, applicant, project
):
    client.force_login(officer)
    response = client.post(
        reverse("grants:evaluations_start", args=[project.pk]),
        {"kind": "mid_term", "evaluator": applicant.pk},
        follow=True,
    )
    assert "Select a valid choice" in response.content.decode()
    assert Application.objects.get(pk=project.pk).state == S.ACTIVE


@pytest.mark.django_db
def test_officer_cancels_and_the_panel_offers_a_new_assignment(client, officer, evaluator, project):
    evaluation = started(project, officer=officer, evaluator=evaluator)
    client.force_login(officer)
    response = client.post(
        reverse("grants:evaluations_cancel", args=[evaluation.pk]),
        {"reason": "评估员生病"},
        follow=True,
    )
    page = response.content.decode()
    assert "you can assign another evaluator" in page
    assert "Start the Mid-term evaluation" in page


@pytest.mark.django_db
def test_results_show_on_both_pages_but_the_applicant_never_sees_staff_notes(
    client, officer, evaluator, project, applicant
):
    evaluation = started(project, officer=officer, evaluator=evaluator)
    detail = reverse("grants:application_detail", args=[project.pk])
    client.force_login(applicant)
    assert "Evaluation results" not in client.get(detail).content.decode()
    evaluation = scored(evaluation, evaluator=evaluator)
    svc.submit_evaluation(evaluation=evaluation, actor=evaluator)
    page = client.get(detail).content.decode()
    assert "Evaluation results" in page
    assert "82.00" in page and "Good" in page
    assert "活动按计划开展" in page  # the findings
    assert "by 第三方评估员" in page  # evaluators are named (see evaluations_panels)
    assert "财务凭证需复核" not in page  # staff notes stay with staff
    client.force_login(officer)
    page = officer_page(client, project)
    assert "第三方评估员" in page and "82.00" in page


@pytest.mark.django_db
def test_no_panel_for_a_project_not_yet_funded(client, officer):
    project = funded_project(state=S.APPROVED)
    client.force_login(officer)
    assert 'id="evaluations-heading"' not in officer_page(client, project)


# --- Track record on the organisation page ------------------------------------------------------------


@pytest.mark.django_db
def test_the_organisation_page_shows_grades_and_failures(
    client, officer, evaluator, organisation, applicant
):
    failed = funded_project(organisation=organisation, title="邻里文化大串门巡演")
    evaluation = scored(
        started(failed, officer=officer, evaluator=evaluator),
        evaluator=evaluator,
        scores=(15, 10, 12, 15),
    )
    svc.submit_evaluation(evaluation=evaluation, actor=evaluator)
    good = funded_project(
        organisation=organisation, title="微心愿圆梦行动", mid_term_passed=True, tranches_paid=2
    )
    final = scored(
        started(good, officer=officer, evaluator=evaluator, kind="final"),
        evaluator=evaluator,
        scores=(28, 18, 18, 28),
    )
    svc.submit_evaluation(evaluation=final, actor=evaluator)
    client.force_login(applicant)
    page = client.get(
        reverse("incubator:organisation_detail", args=[organisation.pk])
    ).content.decode()
    year = timezone.localdate().year
    assert "Mid-term evaluation failed (52.00 points), project terminated" in page
    assert "completed, final grade Excellent (92.00 points)" in page
    assert str(year) in page


@pytest.mark.django_db
def test_members_of_other_organisations_do_not_see_the_evaluation(
    client, officer, evaluator, project, outsider
):
    evaluation = scored(started(project, officer=officer, evaluator=evaluator), evaluator=evaluator)
    svc.submit_evaluation(evaluation=evaluation, actor=evaluator)
    client.force_login(outsider)
    response = client.get(reverse("grants:application_detail", args=[project.pk]))
    assert response.status_code in (403, 404)
    assert client.get(detail_url(evaluation)).status_code == 403
    MembershipFactory(user=outsider, organisation=None, role=Role.EVALUATOR)
    assert client.get(detail_url(evaluation)).status_code == 404


# --- The call's scoring templates ------------------------------------------------------------------


@pytest.mark.django_db
def test_officer_edits_the_calls_final_template(client, officer, project):
    url = reverse("grants:evaluations_template", args=[project.call_id, "final"])
    client.force_login(officer)
    page = client.get(url).content.decode()
    assert 'value="Implementation"' in page and 'value="30"' in page
    response = client.post(
        url,
        {
            "rows": "3",
            "pass_mark": "60",
            "bonus_max": "5",
            "bonus_guidance": "媒体报道",
            "penalty_max": "5",
            "penalty_guidance": "报告迟交",
            "label_0": "项目执行",
            "weight_0": "40",
            "indicators_0": "活动按计划开展",
            "label_1": "项目成效",
            "weight_1": "60",
            "label_2": "",
            "weight_2": "",
        },
    )
    assert response.status_code == 302
    template = svc.template_for(call=project.call, kind="final")
    assert list(template.dimensions.values_list("label", "weight")) == [
        ("项目执行", 40),
        ("项目成效", 60),
    ]


@pytest.mark.django_db
def test_a_template_not_adding_up_to_100_is_refused_and_kept_on_screen(client, officer, project):
    url = reverse("grants:evaluations_template", args=[project.call_id, "mid_term"])
    client.force_login(officer)
    response = client.post(
        url,
        {
            "rows": "2",
            "pass_mark": "60",
            "bonus_max": "5",
            "penalty_max": "5",
            "label_0": "项目执行",
            "weight_0": "40",
            "label_1": "项目成效",
            "weight_1": "50",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "they must add up to 100" in page
    assert 'value="项目执行"' in page
    assert svc.template_for(call=project.call, kind="mid_term").dimensions.count() == 4


@pytest.mark.django_db
def test_only_officers_open_templates(client, evaluator, project):
    client.force_login(evaluator)
    url = reverse("grants:evaluations_template", args=[project.call_id, "final"])
    assert client.get(url).status_code == 403
    client.force_login(evaluator)
    bad = reverse("grants:evaluations_template", args=[project.call_id, "annual"])
    assert client.get(bad).status_code == 404


@pytest.mark.django_db
def test_the_final_evaluator_sees_the_mid_term_result(client, officer, evaluator):
    project = funded_project(title="书香濠南")
    mid = scored(started(project, officer=officer, evaluator=evaluator), evaluator=evaluator)
    svc.submit_evaluation(evaluation=mid, actor=evaluator)
    final_evaluator = make_evaluator("eva_final", "终期评估员")
    final = started(project, officer=officer, evaluator=final_evaluator, kind="final")
    client.force_login(final_evaluator)
    page = client.get(detail_url(final)).content.decode()
    assert "Earlier evaluations of this project" in page
    assert "82.00" in page
