"""Publishing the 公示, approving after it, deciding a call without one, telling officers it closed."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation
from django_fsm_log.models import StateLog

from grants.enums import ApplicationState, ObjectionState
from grants.models import Application, Notification, PublicNotice
from grants.services import decisions
from grants.services.errors import TransitionRefused
from grants.transitions import run_action
from tests.factories import ApplicationFactory
from tests.grants.factories_decisions import (
    applicant_of,
    closed_call,
    decided,
    not_recommended,
    objection,
    recommended,
)

pytestmark = pytest.mark.django_db
S = ApplicationState
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _state(application) -> str:
    return Application.objects.get(pk=application.pk).state


def _logs(application) -> list[StateLog]:
    return list(
        StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Application), object_id=application.pk
        ).order_by("pk")
    )


@pytest.fixture
def call():
    return closed_call(public_notice_days=7)


@pytest.fixture
def results(call):
    return {
        "first": recommended(call, rank=1, score=91.5),
        "second": recommended(call, rank=2, score=88),
        "out": not_recommended(call, rank=3, score=60, reason="项目设计与社区需求关联不足。"),
        "out_silent": not_recommended(call, rank=4, score=55),
    }


# --- The window -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("published", "days", "closes"),
    [
        (datetime(2026, 3, 3, 10, 0), 7, datetime(2026, 3, 11, 0, 0)),
        (datetime(2026, 3, 3, 23, 59), 7, datetime(2026, 3, 11, 0, 0)),
        (datetime(2026, 3, 3, 0, 1), 5, datetime(2026, 3, 9, 0, 0)),
        (datetime(2026, 3, 3, 10, 0), 0, datetime(2026, 3, 4, 0, 0)),
    ],
)
def test_window_closes_at_midnight_beijing_time_after_the_last_calendar_day(
    published, days, closes
):
    published = published.replace(tzinfo=SHANGHAI)
    assert decisions.notice_closes_at(published, days) == closes.replace(tzinfo=SHANGHAI)


def test_window_counts_calendar_days_in_beijing_even_from_a_utc_clock():
    # 2026-03-02 18:00 UTC is already 3 March in Beijing.
    published = datetime(2026, 3, 2, 18, 0, tzinfo=ZoneInfo("UTC"))
    assert decisions.notice_closes_at(published, 7) == datetime(2026, 3, 11, tzinfo=SHANGHAI)


# --- Publishing -----------------------------------------------------------------------------------


def test_publishing_puts_recommended_projects_on_the_notice_and_rejects_the_others(
    call, results, officer
):
    # when
    notice = decisions.publish_public_notice(
        call=call, actor=officer, body="经专家评审，拟资助以下项目。", contact="0513-12345678"
    )
    # then
    assert notice.call == call
    assert notice.published_by == officer
    assert notice.closes_at == decisions.notice_closes_at(notice.published_at, 7)
    assert notice.is_open()
    assert call.title in notice.title
    assert _state(results["first"]) == S.PUBLIC_NOTICE
    assert _state(results["second"]) == S.PUBLIC_NOTICE
    assert _state(results["out"]) == S.REJECTED
    assert _state(results["out_silent"]) == S.REJECTED
    # The reason the applicant reads: the officer's, or the standard one.
    assert _logs(results["out"])[-1].description == "项目设计与社区需求关联不足。"
    with translation.override("zh-hans"):
        default = str(decisions.DEFAULT_REJECTION_REASON)
    assert _logs(results["out_silent"])[-1].description == default
    assert _logs(results["first"])[-1].transition == "publish_notice"
    assert _logs(results["first"])[-1].by == officer


def test_publishing_tells_each_organisation(call, results, officer):
    funded = applicant_of(results["first"])
    declined = applicant_of(results["out"])
    decisions.publish_public_notice(call=call, actor=officer)
    assert Notification.objects.filter(
        recipient=funded, application=results["first"], verb="publish_notice"
    ).exists()
    assert Notification.objects.filter(
        recipient=declined, application=results["out"], verb="reject"
    ).exists()


def test_publishing_twice_returns_the_same_notice_and_changes_nothing(call, results, officer):
    # given
    first = decisions.publish_public_notice(call=call, actor=officer)
    logs = StateLog.objects.count()
    notifications = Notification.objects.count()
    # when
    second = decisions.publish_public_notice(call=call, actor=officer, title="另一个标题")
    # then
    assert second.pk == first.pk
    assert second.title == first.title
    assert PublicNotice.objects.count() == 1
    assert StateLog.objects.count() == logs
    assert Notification.objects.count() == notifications


def test_publishing_is_refused_while_an_application_is_still_in_review(call, results, officer):
    # given
    pending = decided(call, S.IN_REVIEW, title="仍在评审的项目")
    screening = decided(call, S.SCREENING, title="仍在资格审查的项目")
    # when
    with translation.override("en"), pytest.raises(TransitionRefused) as refused:
        decisions.publish_public_notice(call=call, actor=officer)
    # then
    message = str(refused.value)
    assert "Still in screening or review" in message
    assert pending.reference in message and "仍在评审的项目" in message
    assert screening.reference in message
    assert results["first"].reference not in message
    assert not PublicNotice.objects.exists()
    assert _state(results["first"]) == S.RECOMMENDED
    assert _state(results["out"]) == S.NOT_RECOMMENDED


def test_a_returned_application_blocks_only_while_it_may_still_be_resubmitted(
    call, results, officer
):
    # given: returned, deadline passed: it can never come back
    stale = decided(call, S.RETURNED)
    Application.objects.filter(pk=stale.pk).update(
        revision_due_at=timezone.now() - timedelta(days=1)
    )
    live = decided(call, S.RETURNED)
    Application.objects.filter(pk=live.pk).update(
        revision_due_at=timezone.now() + timedelta(days=2)
    )
    # when / then
    with pytest.raises(TransitionRefused) as refused:
        decisions.publish_public_notice(call=call, actor=officer)
    assert live.reference in str(refused.value)
    assert stale.reference not in str(refused.value)
    Application.objects.filter(pk=live.pk).update(revision_due_at=timezone.now())
    assert decisions.publish_public_notice(call=call, actor=officer)


def test_drafts_and_withdrawn_applications_do_not_block_publishing(call, results, officer):
    ApplicationFactory(call=call)  # a draft never submitted
    decided(call, S.WITHDRAWN)
    decided(call, S.INELIGIBLE)
    assert decisions.publish_public_notice(call=call, actor=officer)


def test_publishing_with_nothing_recommended_is_refused(call, officer):
    not_recommended(call)
    with translation.override("en"), pytest.raises(TransitionRefused, match="nothing to publish"):
        decisions.publish_public_notice(call=call, actor=officer)
    assert not PublicNotice.objects.exists()


def test_a_call_without_public_notice_cannot_publish_one(officer):
    call = closed_call(has_public_notice=False)
    application = recommended(call)
    with (
        translation.override("en"),
        pytest.raises(TransitionRefused, match="approve the recommended"),
    ):
        decisions.publish_public_notice(call=call, actor=officer)
    assert _state(application) == S.RECOMMENDED


@pytest.mark.parametrize("persona", ["applicant", "reviewer", "outsider"])
def test_only_officers_publish(call, results, persona, request):
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        decisions.publish_public_notice(call=call, actor=actor)
    assert not PublicNotice.objects.exists()
    assert _state(results["first"]) == S.RECOMMENDED


# --- A call without 公示 ------------------------------------------------------------------------


def test_a_call_without_public_notice_is_decided_directly(officer):
    # given
    call = closed_call(has_public_notice=False)
    funded = recommended(call)
    declined = not_recommended(call, reason="预算测算依据不足。")
    # when
    result = decisions.decide_without_notice(call=call, actor=officer)
    # then
    assert [a.pk for a in result.approved] == [funded.pk]
    assert [a.pk for a in result.rejected] == [declined.pk]
    assert _state(funded) == S.APPROVED
    assert _state(declined) == S.REJECTED
    assert _logs(declined)[-1].description == "预算测算依据不足。"
    # and again: nothing left
    again = decisions.decide_without_notice(call=call, actor=officer)
    assert not (again.approved or again.rejected)


def test_the_approve_button_approves_a_recommended_application_of_a_call_without_notice(officer):
    call = closed_call(has_public_notice=False)
    application = recommended(call)
    run_action("approve", application=application, actor=officer)
    assert _state(application) == S.APPROVED


def test_deciding_directly_is_refused_for_a_call_with_public_notice(call, results, officer):
    with pytest.raises(TransitionRefused):
        decisions.decide_without_notice(call=call, actor=officer)
    assert _state(results["first"]) == S.RECOMMENDED


# --- Approval after the window --------------------------------------------------------------------


def _close(notice) -> None:
    PublicNotice.objects.filter(pk=notice.pk).update(
        published_at=timezone.now() - timedelta(days=9),
        closes_at=timezone.now() - timedelta(minutes=1),
    )


def test_approval_before_the_window_closes_is_refused_and_changes_nothing(call, results, officer):
    # given
    decisions.publish_public_notice(call=call, actor=officer)
    logs = StateLog.objects.count()
    # when / then: the call-wide button
    with translation.override("en"):
        with pytest.raises(TransitionRefused) as refused:
            decisions.approve_after_notice(call=call, actor=officer)
        assert "approval waits until it closes" in str(refused.value)
        # and the per-application button
        with pytest.raises(TransitionRefused) as refused:
            run_action("approve", application=results["first"], actor=officer)
        assert str(refused.value) == (
            "Approval waits until the public notice has closed and every objection is answered."
        )
    assert _state(results["first"]) == S.PUBLIC_NOTICE
    assert StateLog.objects.count() == logs


def test_approval_with_an_open_objection_is_refused_and_changes_nothing(call, results, officer):
    # given: the window closed, one project has an open objection (state objection_review)
    notice = decisions.publish_public_notice(call=call, actor=officer)
    objection(results["first"], state=ObjectionState.OPEN)
    Application.objects.filter(pk=results["first"].pk).update(state=S.OBJECTION_REVIEW)
    objection(results["second"], state=ObjectionState.OPEN)  # open, state not moved (race)
    _close(notice)
    # when / then
    with translation.override("en"):
        with pytest.raises(TransitionRefused) as refused:
            run_action("approve", application=results["second"], actor=officer)
        assert "every objection is answered" in str(refused.value)
        with pytest.raises(TransitionRefused) as refused:
            decisions.approve_after_notice(call=call, actor=officer)
        assert "objections on" in str(refused.value)
        assert results["first"].title in str(refused.value)
    assert _state(results["first"]) == S.OBJECTION_REVIEW
    assert _state(results["second"]) == S.PUBLIC_NOTICE


def test_approval_after_the_window_approves_every_project_without_open_objection(
    call, results, officer
):
    # given
    notice = decisions.publish_public_notice(call=call, actor=officer)
    objection(results["first"], state=ObjectionState.OPEN)
    Application.objects.filter(pk=results["first"].pk).update(state=S.OBJECTION_REVIEW)
    objection(results["second"], state=ObjectionState.DISMISSED)  # answered: does not block
    objection(results["second"])  # never verified: does not block
    _close(notice)
    # when
    result = decisions.approve_after_notice(call=call, actor=officer)
    # then
    assert [a.pk for a in result.approved] == [results["second"].pk]
    assert [a.pk for a in result.waiting] == [results["first"].pk]
    assert _state(results["second"]) == S.APPROVED
    assert _state(results["first"]) == S.OBJECTION_REVIEW
    # again: nothing more, no error while something still waits and nothing can be approved
    with pytest.raises(TransitionRefused):
        decisions.approve_after_notice(call=call, actor=officer)


def test_approving_after_the_window_twice_is_a_no_op(call, results, officer):
    notice = decisions.publish_public_notice(call=call, actor=officer)
    _close(notice)
    decisions.approve_after_notice(call=call, actor=officer)
    logs = StateLog.objects.count()
    again = decisions.approve_after_notice(call=call, actor=officer)
    assert not (again.approved or again.waiting)
    assert StateLog.objects.count() == logs


def test_approval_without_a_published_notice_is_refused(call, results, officer):
    with translation.override("en"), pytest.raises(TransitionRefused, match="not been published"):
        decisions.approve_after_notice(call=call, actor=officer)


@pytest.mark.parametrize("persona", ["applicant", "reviewer", "outsider"])
def test_only_officers_approve_after_the_notice(call, results, officer, persona, request):
    notice = decisions.publish_public_notice(call=call, actor=officer)
    _close(notice)
    with pytest.raises(PermissionDenied):
        decisions.approve_after_notice(call=call, actor=request.getfixturevalue(persona))
    assert _state(results["first"]) == S.PUBLIC_NOTICE


# --- Telling officers the window closed -------------------------------------------------------


def test_officers_are_told_once_when_the_window_closes(
    call, results, officer, django_capture_on_commit_callbacks
):
    # given
    notice = decisions.publish_public_notice(call=call, actor=officer)
    Application.objects.filter(pk=results["first"].pk).update(state=S.OBJECTION_REVIEW)
    objection(results["first"], state=ObjectionState.OPEN)
    assert decisions.close_public_notices() == []  # still open
    _close(notice)
    officer.preferred_language = "en"
    officer.save(update_fields=["preferred_language"])
    mail.outbox.clear()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        told = decisions.close_public_notices()
    # then
    assert [n.pk for n in told] == [notice.pk]
    row = Notification.objects.get(verb=decisions.NOTICE_CLOSED_VERB)
    assert row.recipient == officer
    assert "1 project(s) can be approved now; 1 wait for the answer to an objection" in row.body
    assert row.url.endswith(f"/workspace/calls/{call.pk}/public-notice/")
    assert [m.to for m in mail.outbox] == [[officer.email]]
    # and a second run tells nobody
    assert decisions.close_public_notices() == []
    assert Notification.objects.filter(verb=decisions.NOTICE_CLOSED_VERB).count() == 1


def test_the_close_public_notices_command_runs(call, results, officer, capsys):
    from django.core.management import call_command

    notice = decisions.publish_public_notice(call=call, actor=officer)
    _close(notice)
    call_command("close_public_notices")
    assert Notification.objects.filter(verb=decisions.NOTICE_CLOSED_VERB).count() == 1
    assert call.title in capsys.readouterr().out


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_approve_button_works_outside_a_request_transaction(officer):
    # The officer's action view runs without ATOMIC_REQUESTS: the service opens the transaction its
    # row lock needs (PostgreSQL refuses SELECT … FOR UPDATE in autocommit).
    call = closed_call(has_public_notice=False)
    application = recommended(call)
    run_action("approve", application=application, actor=officer)
    assert _state(application) == S.APPROVED
