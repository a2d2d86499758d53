"""Evaluations: grades, starting, drafts, sealing, and every outcome's effect on state and tranches."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts.enums import Role
from grants.enums import ApplicationState, TrancheStatus
from grants.enums_evaluations import EvaluationState, Grade, grade_for
from grants.models import (
    Application,
    ConflictRecord,
    Evaluation,
    EvaluationDimension,
    EvaluationScore,
    Notification,
)
from grants.services import evaluations as svc
from grants.services.errors import TransitionRefused
from tests.factories import MembershipFactory, UserFactory
from tests.grants.factories_evaluations import (
    funded_project,
    make_evaluator,
    scored,
    started,
    tranche_statuses,
)


@pytest.fixture(autouse=True)
def _english_messages(english):
    """These tests read the English msgids; the zh-hans wording is checked by test_translations."""


S = ApplicationState
E = EvaluationState
PAID, RELEASABLE, SCHEDULED, BLOCKED = (
    TrancheStatus.PAID,
    TrancheStatus.RELEASABLE,
    TrancheStatus.SCHEDULED,
    TrancheStatus.BLOCKED,
)


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the msgids); zh-hans is the lead's translation."""
    from django.utils import translation

    with translation.override("en"):
        yield


def fresh(evaluation) -> Evaluation:
    return Evaluation.objects.get(pk=evaluation.pk)


def state_of(application) -> str:
    return Application.objects.get(pk=application.pk).state


# --- Grades ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        ("0", Grade.FAIL),
        ("59.99", Grade.FAIL),
        ("60", Grade.PASS),
        ("74.99", Grade.PASS),
        ("75", Grade.GOOD),
        ("89.99", Grade.GOOD),
        ("90", Grade.EXCELLENT),
        ("100", Grade.EXCELLENT),
    ],
)
def test_grade_bands_at_their_boundaries(score, grade):
    assert grade_for(Decimal(score)) == grade


def test_a_higher_pass_mark_fails_what_would_otherwise_pass():
    assert grade_for(Decimal("64"), Decimal("65")) == Grade.FAIL
    assert grade_for(Decimal("65"), Decimal("65")) == Grade.PASS


# --- Starting -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_officer_starts_the_mid_term_and_assigns_an_evaluator(officer):
    # given
    evaluator = make_evaluator()
    project = funded_project()
    # when
    evaluation = started(project, officer=officer, evaluator=evaluator)
    # then
    assert state_of(project) == S.MID_TERM
    assert evaluation.state == E.ASSIGNED
    assert evaluation.evaluator == evaluator
    labels = list(evaluation.scores.values_list("label", "weight"))
    assert [weight for _label, weight in labels] == [30, 20, 20, 30]
    assert StateLog.objects.filter(object_id=project.pk, transition="start_mid_term").exists()
    assert Notification.objects.filter(recipient=evaluator, verb="evaluation_assigned").exists()


@pytest.mark.django_db
def test_the_default_template_is_stored_once_per_call_and_kind(officer):
    project = funded_project()
    started(project, officer=officer, evaluator=make_evaluator())
    template = svc.template_for(call=project.call, kind="mid_term")
    assert template.dimensions.count() == 4
    assert template.pass_mark == Decimal("60")
    svc.template_for(call=project.call, kind="mid_term")
    assert EvaluationDimension.objects.filter(template__call=project.call).count() == 4


@pytest.mark.django_db
def test_editing_the_template_leaves_started_evaluations_alone(officer):
    project = funded_project()
    evaluation = started(project, officer=officer, evaluator=make_evaluator())
    template = svc.template_for(call=project.call, kind="mid_term")
    svc.save_template(
        template=template,
        actor=officer,
        pass_mark="70",
        bonus_max="3",
        bonus_guidance="",
        penalty_max="10",
        penalty_guidance="",
        dimensions=[{"label": "执行情况", "weight": 50}, {"label": "项目成效", "weight": 50}],
    )
    assert fresh(evaluation).pass_mark == Decimal("60")
    assert evaluation.scores.count() == 4


@pytest.mark.django_db
def test_template_weights_must_add_up_to_100(officer):
    project = funded_project()
    template = svc.template_for(call=project.call, kind="final")
    with pytest.raises(ValidationError) as error:
        svc.save_template(
            template=template,
            actor=officer,
            pass_mark="60",
            bonus_max="5",
            bonus_guidance="",
            penalty_max="5",
            penalty_guidance="",
            dimensions=[{"label": "执行情况", "weight": 50}, {"label": "项目成效", "weight": 40}],
        )
    assert "90" in str(error.value.message_dict["dimensions"])
    assert template.dimensions.count() == 4


@pytest.mark.django_db
def test_only_officers_edit_templates(applicant):
    project = funded_project()
    template = svc.template_for(call=project.call, kind="final")
    with pytest.raises(PermissionDenied):
        svc.save_template(
            template=template,
            actor=make_evaluator(),
            pass_mark="60",
            bonus_max="5",
            bonus_guidance="",
            penalty_max="5",
            penalty_guidance="",
            dimensions=[{"label": "执行情况", "weight": 100}],
        )


@pytest.mark.django_db
def test_an_officer_can_evaluate_when_no_evaluator_is_named(officer):
    project = funded_project()
    evaluation = svc.start_evaluation(application=project, kind="mid_term", actor=officer)
    assert evaluation.evaluator == officer


@pytest.mark.django_db
def test_evaluators_cannot_start_evaluations():
    evaluator = make_evaluator()
    project = funded_project()
    with pytest.raises(PermissionDenied):
        started(project, officer=evaluator, evaluator=evaluator)
    assert state_of(project) == S.ACTIVE


@pytest.mark.django_db
def test_an_applicant_cannot_be_assigned_as_evaluator(officer, applicant):
    project = funded_project()
    with pytest.raises(ValidationError) as error:
        started(project, officer=officer, evaluator=applicant)
    assert "evaluator" in error.value.message_dict
    assert state_of(project) == S.ACTIVE
    assert not Evaluation.objects.exists()


@pytest.mark.django_db
def test_a_conflicted_evaluator_cannot_be_assigned(officer):
    evaluator = make_evaluator()
    project = funded_project()
    ConflictRecord.objects.create(
        reviewer=evaluator, application=project, source="declared", reason="曾任该机构理事"
    )
    with pytest.raises(ValidationError) as error:
        started(project, officer=officer, evaluator=evaluator)
    assert "conflict" in str(error.value)
    assert state_of(project) == S.ACTIVE


@pytest.mark.django_db
def test_a_member_of_the_organisation_cannot_evaluate_it(officer):
    evaluator = make_evaluator()
    project = funded_project()
    MembershipFactory(user=evaluator, organisation=project.organisation, role=Role.APPLICANT)
    with pytest.raises(ValidationError):
        started(project, officer=officer, evaluator=evaluator)


@pytest.mark.django_db
@pytest.mark.parametrize("state", [S.CONTRACTED, S.MID_TERM, S.COMPLETED, S.TERMINATED])
def test_final_evaluation_refused_outside_an_active_project_past_its_mid_term(officer, state):
    project = funded_project(state=state, mid_term_passed=True)
    with pytest.raises(TransitionRefused):
        started(project, officer=officer, evaluator=make_evaluator(), kind="final")
    assert not Evaluation.objects.exists()


@pytest.mark.django_db
def test_final_evaluation_needs_the_mid_term_passed(officer):
    project = funded_project(state=S.ACTIVE, mid_term_passed=False)
    with pytest.raises(TransitionRefused) as error:
        started(project, officer=officer, evaluator=make_evaluator(), kind="final")
    assert "mid-term" in str(error.value)
    assert state_of(project) == S.ACTIVE


@pytest.mark.django_db
def test_mid_term_refused_once_it_has_passed(officer):
    project = funded_project(state=S.ACTIVE, mid_term_passed=True, tranches_paid=2)
    with pytest.raises(TransitionRefused):
        started(project, officer=officer, evaluator=make_evaluator())


@pytest.mark.django_db
@pytest.mark.parametrize("state", [S.APPROVED, S.CONTRACTED, S.SUBMITTED])
def test_mid_term_refused_for_a_project_not_running(officer, state):
    project = funded_project(state=state)
    with pytest.raises(TransitionRefused):
        started(project, officer=officer, evaluator=make_evaluator())
    assert state_of(project) == state


@pytest.mark.django_db
def test_starting_twice_keeps_one_open_evaluation(officer):
    evaluator = make_evaluator()
    project = funded_project()
    first = started(project, officer=officer, evaluator=evaluator)
    again = started(project, officer=officer, evaluator=evaluator)
    assert again.pk == first.pk
    other = make_evaluator("eva2")
    with pytest.raises(TransitionRefused):
        started(project, officer=officer, evaluator=other)
    assert Evaluation.objects.count() == 1


@pytest.mark.django_db
def test_cancel_then_assign_another_evaluator(officer):
    project = funded_project()
    first = started(project, officer=officer, evaluator=make_evaluator())
    with pytest.raises(ValidationError):
        svc.cancel_evaluation(evaluation=first, actor=officer, reason="")
    svc.cancel_evaluation(evaluation=first, actor=officer, reason="评估员出差")
    second = started(project, officer=officer, evaluator=make_evaluator("eva2"))
    assert fresh(first).state == E.CANCELLED
    assert second.state == E.ASSIGNED
    assert state_of(project) == S.MID_TERM


# --- Drafts ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_draft_keeps_what_is_typed_and_starts_the_work(officer):
    evaluator = make_evaluator()
    evaluation = started(funded_project(), officer=officer, evaluator=evaluator)
    svc.save_evaluation(
        evaluation=evaluation, actor=evaluator, data={"score_0": "27.5", "comments": "进展顺利"}
    )
    evaluation = fresh(evaluation)
    assert evaluation.state == E.IN_PROGRESS
    assert evaluation.comments == "进展顺利"
    assert evaluation.scores.get(position=0).score == Decimal("27.5")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("score_0", "31", "from 0 to 30"),
        ("score_1", "-1", "from 0 to 20"),
        ("score_0", "abc", "Enter a number"),
        ("score_0", "12.3", "steps of 0.5"),
        ("bonus", "6", "from 0 to 5"),
        ("penalty", "9", "from 0 to 5"),
    ],
)
def test_bad_scores_get_a_clear_message_and_nothing_is_saved(officer, field, value, words):
    evaluator = make_evaluator()
    evaluation = started(funded_project(), officer=officer, evaluator=evaluator)
    with pytest.raises(ValidationError) as error:
        svc.save_evaluation(
            evaluation=evaluation,
            actor=evaluator,
            data={field: value, "comments": "不应保存", "score_3": "20"},
        )
    assert words in " ".join(error.value.message_dict[field])
    evaluation = fresh(evaluation)
    assert evaluation.comments == ""
    assert evaluation.scores.get(position=3).score is None


@pytest.mark.django_db
def test_another_evaluator_cannot_write_the_scores(officer):
    evaluation = started(funded_project(), officer=officer, evaluator=make_evaluator())
    intruder = make_evaluator("eva2")
    with pytest.raises(PermissionDenied):
        svc.save_evaluation(evaluation=evaluation, actor=intruder, data={"score_0": "20"})
    with pytest.raises(PermissionDenied):
        svc.save_evaluation(evaluation=evaluation, actor=officer, data={"score_0": "20"})
    with pytest.raises(PermissionDenied):
        svc.submit_evaluation(evaluation=evaluation, actor=intruder)


@pytest.mark.django_db
def test_an_evaluator_who_lost_the_role_cannot_act(officer):
    evaluator = make_evaluator()
    evaluation = started(funded_project(), officer=officer, evaluator=evaluator)
    evaluator.memberships.update(is_active=False)
    evaluator = type(evaluator).objects.get(pk=evaluator.pk)
    with pytest.raises(PermissionDenied):
        svc.save_evaluation(evaluation=evaluation, actor=evaluator, data={"score_0": "20"})


@pytest.mark.django_db
def test_activities_need_a_method_a_past_date_and_findings(officer):
    evaluator = make_evaluator()
    evaluation = started(funded_project(), officer=officer, evaluator=evaluator)
    with pytest.raises(ValidationError) as error:
        svc.record_activity(
            evaluation=evaluation,
            actor=evaluator,
            method="telepathy",
            occurred_on=timezone.localdate() + timedelta(days=1),
            notes="",
        )
    assert set(error.value.message_dict) == {"method", "occurred_on", "notes"}
    assert not evaluation.activities.exists()


# --- Submission: completeness and sealing ------------------------------------------------------------


@pytest.mark.django_db
def test_submission_lists_what_is_missing_and_keeps_the_draft(officer):
    evaluator = make_evaluator()
    evaluation = started(funded_project(), officer=officer, evaluator=evaluator)
    svc.save_evaluation(
        evaluation=evaluation, actor=evaluator, data={"score_0": "25", "bonus": "2"}
    )
    with pytest.raises(ValidationError) as error:
        svc.submit_evaluation(evaluation=evaluation, actor=evaluator)
    errors = error.value.message_dict
    assert {"score_1", "score_2", "score_3", "comments", "bonus_reason", "__all__"} <= set(errors)
    assert "site visit" in " ".join(errors["__all__"])
    assert fresh(evaluation).state == E.IN_PROGRESS
    assert state_of(evaluation.application) == S.MID_TERM


@pytest.mark.django_db
def test_submitting_twice_is_refused_and_changes_nothing(officer):
    evaluator = make_evaluator()
    project = funded_project()
    evaluation = scored(started(project, officer=officer, evaluator=evaluator), evaluator=evaluator)
    svc.submit_evaluation(evaluation=evaluation, actor=evaluator)
    logs = StateLog.objects.count()
    with pytest.raises(TransitionRefused) as error:
        svc.submit_evaluation(evaluation=evaluation, actor=evaluator)
    assert "sealed" in str(error.value)
    assert StateLog.objects.count() == logs


@pytest.mark.django_db
def test_sealed_scores_cannot_be_edited(officer):
    evaluator = make_evaluator()
    evaluation = scored(
        started(funded_project(), officer=officer, evaluator=evaluator), evaluator=evaluator
    )
    svc.submit_evaluation(evaluation=evaluation, actor=evaluator)
    with pytest.raises(TransitionRefused):
        svc.save_evaluation(evaluation=evaluation, actor=evaluator, data={"score_0": "30"})
    with pytest.raises(TransitionRefused):
        svc.record_activity(
            evaluation=evaluation,
            actor=evaluator,
            method="phone_check",
            occurred_on=timezone.localdate(),
            notes="事后补记",
        )
    with pytest.raises(TransitionRefused):
        svc.cancel_evaluation(evaluation=evaluation, actor=officer, reason="重评")
    assert EvaluationScore.objects.get(evaluation=evaluation, position=0).score == Decimal("25")
    assert fresh(evaluation).total == Decimal("82.00")


@pytest.mark.django_db
def test_a_cancelled_evaluation_cannot_be_submitted(officer):
    evaluator = make_evaluator()
    evaluation = scored(
        started(funded_project(), officer=officer, evaluator=evaluator), evaluator=evaluator
    )
    svc.cancel_evaluation(evaluation=evaluation, actor=officer, reason="改派")
    with pytest.raises(TransitionRefused, match="cancelled"):
        svc.submit_evaluation(evaluation=evaluation, actor=evaluator)
    assert fresh(evaluation).state == E.CANCELLED
    assert state_of(evaluation.application) == S.MID_TERM


@pytest.mark.django_db
def test_a_project_terminated_meanwhile_cannot_be_passed(officer):
    from grants.services.applications import terminate_application

    evaluator = make_evaluator()
    project = funded_project()
    evaluation = scored(started(project, officer=officer, evaluator=evaluator), evaluator=evaluator)
    terminate_application(application=project, actor=officer, reason="机构注销")
    with pytest.raises(TransitionRefused) as error:
        svc.submit_evaluation(evaluation=evaluation, actor=evaluator)
    assert "no longer" in str(error.value)
    assert fresh(evaluation).state == E.IN_PROGRESS


# --- Outcomes ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_mid_term_pass_reopens_the_project_and_releases_tranche_2(officer):
    # given a running project with tranche 1 paid, in its mid-term evaluation
    evaluator = make_evaluator()
    project = funded_project(tranches_paid=1)
    evaluation = scored(started(project, officer=officer, evaluator=evaluator), evaluator=evaluator)
    assert tranche_statuses(project) == [PAID, SCHEDULED, SCHEDULED]
    # when the evaluator submits 82 points
    evaluation = svc.submit_evaluation(evaluation=evaluation, actor=evaluator)
    # then
    evaluation = fresh(evaluation)
    assert (evaluation.state, evaluation.total, evaluation.grade, evaluation.passed) == (
        E.SUBMITTED,
        Decimal("82.00"),
        Grade.GOOD,
        True,
    )
    project = Application.objects.get(pk=project.pk)
    assert project.state == S.ACTIVE
    assert project.mid_term_passed_at is not None
    assert tranche_statuses(project) == [PAID, RELEASABLE, SCHEDULED]
    tranche = project.tranches.get(number=2)
    assert tranche.due_on is not None and tranche.releasable_at is not None
    log = StateLog.objects.get(object_id=project.pk, transition="pass_mid_term")
    assert log.by == evaluator and "82.00" in log.description


@pytest.mark.django_db
def test_final_pass_releases_the_last_tranche_and_completes_the_project(officer):
    evaluator = make_evaluator()
    project = funded_project(state=S.ACTIVE, mid_term_passed=True, tranches_paid=2)
    evaluation = started(project, officer=officer, evaluator=evaluator, kind="final")
    assert state_of(project) == S.FINAL_EVALUATION
    evaluation = scored(evaluation, evaluator=evaluator, scores=(28, 19, 18, 27), bonus="2")
    svc.submit_evaluation(evaluation=evaluation, actor=evaluator)
    evaluation = fresh(evaluation)
    assert (evaluation.total, evaluation.grade) == (Decimal("94.00"), Grade.EXCELLENT)
    project = Application.objects.get(pk=project.pk)
    assert project.state == S.COMPLETED
    assert project.closed_at is not None
    assert tranche_statuses(project) == [PAID, PAID, RELEASABLE]


@pytest.mark.django_db
def test_bonus_cannot_lift_a_total_over_100(officer):
    evaluator = make_evaluator()
    project = funded_project(state=S.ACTIVE, mid_term_passed=True, tranches_paid=2)
    evaluation = started(project, officer=officer, evaluator=evaluator, kind="final")
    evaluation = scored(evaluation, evaluator=evaluator, scores=(30, 20, 20, 30), bonus="5")
    svc.submit_evaluation(evaluation=evaluation, actor=evaluator)
    assert fresh(evaluation).total == Decimal("100.00")


@pytest.mark.django_db
def test_mid_term_fail_terminates_the_project_and_stops_its_tranches(officer):
    evaluator = make_evaluator()
    project = funded_project(tranches_paid=1)
    evaluation = scored(
        started(project, officer=officer, evaluator=evaluator),
        evaluator=evaluator,
        scores=(15, 10, 12, 18),
        penalty="3",
    )
    svc.submit_evaluation(evaluation=evaluation, actor=evaluator)
    evaluation = fresh(evaluation)
    assert (evaluation.total, evaluation.grade, evaluation.passed) == (
        Decimal("52.00"),
        Grade.FAIL,
        False,
    )
    project = Application.objects.get(pk=project.pk)
    assert project.state == S.TERMINATED
    assert project.closed_at is not None
    assert project.mid_term_passed_at is None
    assert tranche_statuses(project) == [PAID, BLOCKED, BLOCKED]
    assert "52.00" in project.tranches.get(number=2).blocked_reason


@pytest.mark.django_db
def test_final_fail_terminates_and_stops_the_last_tranche(officer):
    evaluator = make_evaluator()
    project = funded_project(state=S.ACTIVE, mid_term_passed=True, tranches_paid=2)
    evaluation = started(project, officer=officer, evaluator=evaluator, kind="final")
    evaluation = scored(evaluation, evaluator=evaluator, scores=(15, 10, 10, 20))
    svc.submit_evaluation(evaluation=evaluation, actor=evaluator)
    assert state_of(project) == S.TERMINATED
    assert tranche_statuses(project) == [PAID, PAID, BLOCKED]


@pytest.mark.django_db
def test_exactly_the_pass_mark_passes(officer):
    evaluator = make_evaluator()
    project = funded_project()
    evaluation = scored(
        started(project, officer=officer, evaluator=evaluator),
        evaluator=evaluator,
        scores=(18, 12, 12, 18),
    )
    svc.submit_evaluation(evaluation=evaluation, actor=evaluator)
    assert fresh(evaluation).grade == Grade.PASS
    assert state_of(project) == S.ACTIVE


@pytest.mark.django_db
def test_a_clawback_goes_with_a_failed_evaluation_only(officer):
    evaluator = make_evaluator()
    project = funded_project()
    evaluation = scored(
        started(project, officer=officer, evaluator=evaluator),
        evaluator=evaluator,
        clawback_requested="1",
        clawback_amount="3000",
    )
    with pytest.raises(ValidationError) as error:
        svc.submit_evaluation(evaluation=evaluation, actor=evaluator)
    assert "clawback_requested" in error.value.message_dict
    assert state_of(project) == S.MID_TERM


@pytest.mark.django_db
def test_a_ticked_clawback_needs_an_amount(officer):
    evaluator = make_evaluator()
    evaluation = started(funded_project(), officer=officer, evaluator=evaluator)
    with pytest.raises(ValidationError) as error:
        svc.save_evaluation(
            evaluation=evaluation, actor=evaluator, data={"clawback_requested": "1"}
        )
    assert "clawback_amount" in error.value.message_dict


def _clawbacks_installed() -> bool:
    try:
        from grants.models import Clawback  # noqa: F401
        from grants.services import clawbacks  # noqa: F401
    except ImportError:
        return False
    return True


needs_clawbacks = pytest.mark.skipif(
    not _clawbacks_installed(), reason="the finance area's clawbacks are not installed"
)


@needs_clawbacks
@pytest.mark.django_db
def test_an_officer_failing_a_project_opens_the_clawback_at_once(officer):
    from grants.enums import LedgerKind
    from grants.models import Clawback, LedgerEntry

    project = funded_project(tranches_paid=1)  # ¥10,000 paid
    evaluation = svc.start_evaluation(application=project, kind="mid_term", actor=officer)
    evaluation = scored(
        evaluation,
        evaluator=officer,
        scores=(10, 10, 10, 10),
        clawback_requested="1",
        clawback_amount="6000",
        clawback_reason="未开展的活动经费",
    )
    svc.submit_evaluation(evaluation=evaluation, actor=officer)
    assert state_of(project) == S.TERMINATED
    clawback = Clawback.objects.get(application=project)
    assert clawback.amount == Decimal("6000.00")
    assert LedgerEntry.objects.filter(
        application=project, kind=LedgerKind.CLAWBACK_DUE, amount=Decimal("6000.00")
    ).exists()
    assert fresh(evaluation).clawback_opened_at is not None


@needs_clawbacks
@pytest.mark.django_db
def test_a_clawback_over_what_was_paid_refuses_the_whole_submission(officer):
    from grants.models import Clawback

    project = funded_project(tranches_paid=1)  # ¥10,000 paid
    evaluation = svc.start_evaluation(application=project, kind="mid_term", actor=officer)
    evaluation = scored(
        evaluation,
        evaluator=officer,
        scores=(10, 10, 10, 10),
        clawback_requested="1",
        clawback_amount="15000",
    )
    with pytest.raises(ValidationError) as error:
        svc.submit_evaluation(evaluation=evaluation, actor=officer)
    assert "clawback_amount" in error.value.message_dict
    assert state_of(project) == S.MID_TERM
    assert tranche_statuses(project) == [PAID, SCHEDULED, SCHEDULED]
    assert not Clawback.objects.exists()
    assert fresh(evaluation).state == E.IN_PROGRESS


@pytest.mark.django_db
def test_a_third_party_evaluator_only_asks_for_the_clawback(officer):
    evaluator = make_evaluator()
    project = funded_project(tranches_paid=1)
    evaluation = scored(
        started(project, officer=officer, evaluator=evaluator),
        evaluator=evaluator,
        scores=(10, 10, 10, 10),
        clawback_requested="1",
        clawback_amount="6000",
    )
    svc.submit_evaluation(evaluation=evaluation, actor=evaluator)
    evaluation = fresh(evaluation)
    assert state_of(project) == S.TERMINATED
    assert evaluation.clawback_requested and evaluation.clawback_opened_at is None


@pytest.mark.django_db
def test_the_evaluator_alone_may_conclude_among_non_officers(officer):
    evaluator = make_evaluator()
    project = funded_project()
    started(project, officer=officer, evaluator=evaluator)
    project = Application.objects.get(pk=project.pk)
    assert evaluator.has_perm("grants.conclude_evaluation", project)
    assert officer.has_perm("grants.conclude_evaluation", project)
    other = make_evaluator("eva2")
    assert not other.has_perm("grants.conclude_evaluation", project)
    nobody = UserFactory(username="nobody")
    assert not nobody.has_perm("grants.conclude_evaluation", project)


@needs_clawbacks
@pytest.mark.django_db
def test_the_officer_records_the_clawback_the_evaluator_asked_for(officer, client):
    from django.urls import reverse

    from grants.models import Clawback

    evaluator = make_evaluator()
    project = funded_project(tranches_paid=1)
    evaluation = scored(
        started(project, officer=officer, evaluator=evaluator),
        evaluator=evaluator,
        scores=(10, 10, 10, 10),
        clawback_requested="1",
        clawback_amount="4000",
        clawback_reason="巡演场次严重不足，退回相应经费",
    )
    svc.submit_evaluation(evaluation=evaluation, actor=evaluator)
    # the evaluator cannot record it themselves
    with pytest.raises(PermissionDenied):
        svc.open_requested_clawback(evaluation=evaluation, actor=evaluator)
    client.force_login(officer)
    page = client.get(reverse("grants:officer_application", args=[project.pk])).content.decode()
    assert "The evaluator asks to recover" in page
    client.post(reverse("grants:evaluations_open_clawback", args=[evaluation.pk]))
    clawback = Clawback.objects.get(application=project)
    assert clawback.amount == Decimal("4000.00")
    assert "巡演场次严重不足" in clawback.reason
    assert fresh(evaluation).clawback_opened_at is not None
    # a second press records nothing more
    client.post(reverse("grants:evaluations_open_clawback", args=[evaluation.pk]))
    assert Clawback.objects.filter(application=project).count() == 1


@pytest.mark.django_db
def test_the_assigned_evaluator_is_emailed_a_link_to_the_workspace(
    officer, mailoutbox, django_capture_on_commit_callbacks
):
    evaluator = make_evaluator()
    project = funded_project(title="长者助餐")
    with django_capture_on_commit_callbacks(execute=True):
        evaluation = started(project, officer=officer, evaluator=evaluator)
    mail = next(m for m in mailoutbox if m.to == [evaluator.email])
    assert "长者助餐" in mail.subject + mail.body
    assert f"/evaluate/{evaluation.pk}/" in mail.body
