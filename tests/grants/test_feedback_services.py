"""Resident feedback (群众评议) services: the SMS code, one response each, abuse limits, moderation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from accounts.enums import Role
from grants.enums import ApplicationState
from grants.models.feedback import FeedbackMode, FeedbackResponse, FeedbackState
from grants.selectors_feedback import feedback_summary
from grants.services import feedback as svc
from grants.services.errors import TransitionRefused
from grants.services.objections import MAX_ATTEMPTS, LoggingSmsBackend
from tests.factories import MembershipFactory, UserFactory
from tests.grants.factories_feedback import channel_for, funded_project, verified_response

pytestmark = pytest.mark.django_db
S = ApplicationState
F = FeedbackState
PHONE = "13912345678"
OTHER = "13800001111"


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    LoggingSmsBackend.outbox.clear()
    yield
    LoggingSmsBackend.outbox.clear()


@pytest.fixture
def project():
    return funded_project()


@pytest.fixture
def channel(project):
    return channel_for(project)


def _submit(channel, *, phone=PHONE, satisfaction=5, comment="", household="", ip="10.0.0.1"):
    return svc.submit_response(
        channel=channel,
        answers=svc.Answers(
            satisfaction=satisfaction, phone=phone, comment=comment, household=household
        ),
        ip=ip,
    )


def _code_sent_to(phone: str) -> str:
    messages = [message for number, message in LoggingSmsBackend.outbox if number == phone]
    assert messages, f"no SMS to {phone}"
    return re.search(r"\b(\d{6})\b", messages[-1]).group(1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def answer(django_capture_on_commit_callbacks):
    def submit_and_confirm(channel, *, phone=PHONE, **kwargs) -> FeedbackResponse:
        """Submit and type the code from the SMS outbox."""
        with django_capture_on_commit_callbacks(execute=True):
            response = _submit(channel, phone=phone, **kwargs)
        return svc.verify_response(response=response, code=_code_sent_to(phone), ip="10.0.0.1")

    return submit_and_confirm


# --- The code ---------------------------------------------------------------------------------


def test_resident_submits_gets_a_code_by_sms_and_the_response_counts_once_confirmed(
    channel, django_capture_on_commit_callbacks
):
    # when: the resident sends the form
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(channel, comment="志愿者每周都来看望我母亲，很贴心", satisfaction=5)

    # then: nothing counts yet; one SMS with a 6-digit code went to the number
    assert response.state == F.UNVERIFIED
    assert feedback_summary([channel.application_id])[channel.application_id]["responses"] == 0
    ((number, message),) = LoggingSmsBackend.outbox
    assert number == PHONE
    assert channel.application.title in message
    code = _code_sent_to(PHONE)

    # when: the code is typed (full-width digits and spaces are fine)
    full_width = " ".join(chr(0xFF10 + int(d)) for d in code)
    response = svc.verify_response(response=response, code=full_width, ip="10.0.0.1")

    # then: the response counts
    response.refresh_from_db()
    assert response.state == F.COUNTED
    assert response.verified_at is not None
    assert response.code_hash == ""
    summary = feedback_summary([channel.application_id])[channel.application_id]
    assert summary["responses"] == 1
    assert str(summary["mean_satisfaction"]) == "5.00"


def test_the_phone_number_is_not_stored_anywhere_in_the_row(
    channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(channel)
    row = FeedbackResponse.objects.filter(pk=response.pk).values().get()
    assert not any(PHONE in str(value) for value in row.values())
    assert row["phone_tail"] == "5678"
    assert len(row["phone_hash"]) == 64


def test_wrong_code_counts_a_try_and_keeps_the_response_unverified(
    channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(channel)
    right = _code_sent_to(PHONE)
    wrong = f"{(int(right) + 1) % 10**6:06d}"

    with pytest.raises(svc.CodeRejected) as error:
        svc.verify_response(response=response, code=wrong)

    assert error.value.attempts_left == 4
    assert "4" in str(error.value)
    response.refresh_from_db()
    assert response.state == F.UNVERIFIED
    assert response.code_attempts == 1


def test_expired_code_is_refused(channel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(channel)
    FeedbackResponse.objects.filter(pk=response.pk).update(
        code_sent_at=timezone.now() - svc.CODE_VALID - timedelta(seconds=1)
    )

    with pytest.raises(svc.CodeRejected, match="expired"):
        svc.verify_response(response=response, code=_code_sent_to(PHONE))

    response.refresh_from_db()
    assert response.state == F.UNVERIFIED


def test_after_five_wrong_codes_even_the_right_one_is_refused_until_a_new_code(
    channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(channel)
    right = _code_sent_to(PHONE)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(svc.CodeRejected):
            svc.verify_response(response=response, code=wrong)

    with pytest.raises(svc.CodeRejected, match="Too many wrong codes"):
        svc.verify_response(response=response, code=right)
    response.refresh_from_db()
    assert response.state == F.UNVERIFIED

    # when: a new code is sent (a minute later), it works
    FeedbackResponse.objects.filter(pk=response.pk).update(
        code_sent_at=timezone.now() - timedelta(minutes=2)
    )
    with django_capture_on_commit_callbacks(execute=True):
        svc.resend_code(response=response)
    svc.verify_response(response=response, code=_code_sent_to(PHONE))
    response.refresh_from_db()
    assert response.state == F.COUNTED


def test_a_new_code_cannot_be_asked_for_within_a_minute(
    channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(channel)
    with pytest.raises(svc.TooManyRequests, match="wait a minute"):
        svc.resend_code(response=response)
    assert len(LoggingSmsBackend.outbox) == 1


# --- Rate limits ------------------------------------------------------------------------------


def test_submissions_are_rate_limited_per_ip(channel, monkeypatch):
    monkeypatch.setattr(svc, "SUBMIT_LIMIT_PER_IP", (2, 3600))
    _submit(channel, phone="13900000001", ip="10.1.1.1")
    _submit(channel, phone="13900000002", ip="10.1.1.1")

    with pytest.raises(svc.TooManyRequests):
        _submit(channel, phone="13900000003", ip="10.1.1.1")

    # another address is not affected
    _submit(channel, phone="13900000004", ip="10.2.2.2")
    assert FeedbackResponse.objects.count() == 3


def test_codes_are_rate_limited_per_phone_number(channel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(svc.SEND_LIMIT_PER_PHONE[0]):
            _submit(channel, ip=f"10.0.0.{n}")
        with pytest.raises(svc.TooManyRequests):
            _submit(channel, ip="10.9.9.9")
    assert len(LoggingSmsBackend.outbox) == svc.SEND_LIMIT_PER_PHONE[0]


# --- One response each ------------------------------------------------------------------------


def test_a_second_response_from_the_same_phone_is_refused_with_the_earlier_date(channel, answer):
    answer(channel, satisfaction=4)
    LoggingSmsBackend.outbox.clear()

    with pytest.raises(svc.AlreadyResponded) as error:
        _submit(channel, phone=" 139-1234-5678 ", satisfaction=1)

    assert error.value.on == svc.today()
    assert svc.today().isoformat() in str(error.value)
    assert LoggingSmsBackend.outbox == []  # no code for a number that already answered
    assert FeedbackResponse.objects.count() == 1


def test_two_pending_responses_from_one_phone_count_only_once(
    channel, django_capture_on_commit_callbacks
):
    # given: the resident sent the form twice before typing any code
    with django_capture_on_commit_callbacks(execute=True):
        first = _submit(channel, satisfaction=5)
    first_code = _code_sent_to(PHONE)
    FeedbackResponse.objects.filter(pk=first.pk).update(
        code_sent_at=timezone.now() - timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        second = _submit(channel, satisfaction=1, ip="10.0.0.2")
    second_code = _code_sent_to(PHONE)

    # when: both codes are typed
    svc.verify_response(response=first, code=first_code)
    with pytest.raises(svc.AlreadyResponded):
        svc.verify_response(response=second, code=second_code)

    # then: one counts
    summary = feedback_summary([channel.application_id])[channel.application_id]
    assert summary["responses"] == 1
    assert summary["mean_satisfaction"] == 5


def test_the_same_phone_may_answer_on_another_project(channel, answer):
    other = channel_for(funded_project(title="书香濠南·亲子共读与长者读报"))
    answer(channel)
    answer(other)
    assert FeedbackResponse.objects.filter(state=F.COUNTED).count() == 2
    # and the two rows cannot be linked by their hash
    hashes = set(FeedbackResponse.objects.values_list("phone_hash", flat=True))
    assert len(hashes) == 2


def test_household_mode_counts_one_response_per_household_however_it_is_written(project, answer):
    channel = channel_for(project, mode=FeedbackMode.HOUSEHOLD)
    answer(channel, household="12栋3单元502室")

    with pytest.raises(svc.AlreadyResponded, match="household"):
        _submit(channel, phone=OTHER, household="１２幢 ３单元 ５０２")

    # a household must be given in this mode
    with pytest.raises(ValidationError) as error:
        _submit(channel, phone="13700002222", household="  ")
    assert "household" in error.value.message_dict
    # another household answers
    answer(channel, phone="13700002222", household="12栋3单元503室")
    assert FeedbackResponse.objects.filter(state=F.COUNTED).count() == 2


def test_in_phone_mode_two_numbers_of_one_household_both_count(channel, answer):
    answer(channel, household="12栋3单元502室")
    answer(channel, phone=OTHER, household="12栋3单元502室")
    assert FeedbackResponse.objects.filter(state=F.COUNTED).count() == 2


def test_household_keys_are_normalised():
    assert svc.household_key("１２幢 ３单元 ５０２室") == svc.household_key("12号楼3单元502号")
    assert svc.household_key("12栋3单元502") != svc.household_key("12栋3单元503")


# --- Closed pages -----------------------------------------------------------------------------


def test_a_closed_channel_takes_no_response(channel):
    channel.is_open = False
    channel.save()
    with pytest.raises(TransitionRefused, match="closed"):
        _submit(channel)
    assert FeedbackResponse.objects.count() == 0


def test_a_channel_past_its_last_day_takes_no_response(channel):
    channel.closes_on = svc.today() - timedelta(days=1)
    channel.save()
    with pytest.raises(TransitionRefused, match="closed on"):
        _submit(channel)


def test_a_code_typed_after_the_channel_closed_does_not_count(
    channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(channel)
    channel.is_open = False
    channel.save()
    with pytest.raises(TransitionRefused):
        svc.verify_response(response=response, code=_code_sent_to(PHONE))
    response.refresh_from_db()
    assert response.state == F.UNVERIFIED


@pytest.mark.parametrize("state", [S.COMPLETED, S.TERMINATED])
def test_a_closed_project_takes_no_response(state):
    channel = channel_for(funded_project(state=state))
    with pytest.raises(TransitionRefused, match="ended"):
        _submit(channel)


# --- Input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("satisfaction", "phone", "field"),
    [
        (0, PHONE, "satisfaction"),
        (6, PHONE, "satisfaction"),
        (5, "12345", "phone"),
        (5, "", "phone"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_kept(
    channel, satisfaction, phone, field
):
    with pytest.raises(ValidationError) as error:
        _submit(channel, satisfaction=satisfaction, phone=phone)
    assert field in error.value.message_dict
    assert FeedbackResponse.objects.count() == 0
    assert LoggingSmsBackend.outbox == []


# --- Duplicate comments -----------------------------------------------------------------------


def test_the_same_comment_from_another_number_within_a_day_is_flagged_not_counted(channel, answer):
    text = "这个项目非常好，社区居民都很满意，强烈支持！"
    first = answer(channel, comment=text)
    copy = answer(channel, phone=OTHER, comment=" 这个项目非常好 社区居民都很满意 强烈支持 ")
    short = answer(channel, phone="13700003333", comment="很好")
    short_again = answer(channel, phone="13700004444", comment="很好！")

    assert first.state == F.COUNTED
    assert copy.state == F.FLAGGED
    assert copy.flag_reason
    assert short.state == short_again.state == F.COUNTED  # short comments are ordinary
    assert feedback_summary([channel.application_id])[channel.application_id]["responses"] == 3


def test_the_same_comment_a_week_later_is_not_flagged(channel, answer):
    text = "这个项目非常好，社区居民都很满意，强烈支持！"
    verified_response(channel, phone=OTHER, comment=text, days_ago=7)
    response = answer(channel, comment=text)
    assert response.state == F.COUNTED


# --- Officer ----------------------------------------------------------------------------------


def test_officer_excludes_a_response_with_a_reason_and_it_stops_counting(channel, officer):
    response = verified_response(channel, phone=PHONE, satisfaction=1)
    verified_response(channel, phone=OTHER, satisfaction=5)

    with pytest.raises(ValidationError):
        svc.exclude_response(response=response, actor=officer, reason=" ")
    svc.exclude_response(response=response, actor=officer, reason="项目工作人员本人填写")

    response.refresh_from_db()
    assert response.state == F.EXCLUDED
    assert response.exclusion_reason == "项目工作人员本人填写"
    assert response.moderated_by == officer
    summary = feedback_summary([channel.application_id])[channel.application_id]
    assert (summary["responses"], summary["mean_satisfaction"]) == (1, 5)
    # again: nothing changes
    svc.exclude_response(response=response, actor=officer, reason="again")
    response.refresh_from_db()
    assert response.exclusion_reason == "项目工作人员本人填写"


def test_officer_counts_a_flagged_response(channel, officer):
    response = verified_response(channel, phone=PHONE, state=F.FLAGGED)
    svc.reinstate_response(response=response, actor=officer)
    response.refresh_from_db()
    assert response.state == F.COUNTED
    assert feedback_summary([channel.application_id])[channel.application_id]["responses"] == 1


def test_an_unverified_response_cannot_be_moderated(channel, officer):
    response = _submit(channel)
    with pytest.raises(TransitionRefused):
        svc.reinstate_response(response=response, actor=officer)


@pytest.mark.parametrize("who", ["applicant_member", "evaluator", "outsider"])
def test_only_officers_moderate_and_manage(channel, who, outsider):
    if who == "outsider":
        user = outsider
    elif who == "evaluator":
        user = UserFactory()
        MembershipFactory(user=user, organisation=None, role=Role.EVALUATOR)
    else:
        user = UserFactory()
        MembershipFactory(user=user, organisation=channel.application.organisation)
    response = verified_response(channel, phone=PHONE)
    with pytest.raises(PermissionDenied):
        svc.exclude_response(response=response, actor=user, reason="不喜欢")
    with pytest.raises(PermissionDenied):
        svc.configure_channel(
            channel=channel, actor=user, is_open=False, mode=FeedbackMode.PHONE, closes_on=None
        )
    with pytest.raises(PermissionDenied):
        svc.open_channel(application=channel.application, actor=user)
    response.refresh_from_db()
    assert response.state == F.COUNTED


def test_officer_opens_a_channel_for_a_funded_project_only(officer):
    running = funded_project(state=S.MID_TERM)
    channel = svc.open_channel(application=running, actor=officer)
    assert channel.is_open and len(channel.token) >= 16
    assert svc.open_channel(application=running, actor=officer).pk == channel.pk  # again: same

    approved = funded_project(state=S.APPROVED, title="钟楼社区高龄独居老人结对守望")
    with pytest.raises(TransitionRefused):
        svc.open_channel(application=approved, actor=officer)


def test_officer_closes_reopens_and_sets_household_mode(channel, officer):
    svc.configure_channel(
        channel=channel, actor=officer, is_open=False, mode=FeedbackMode.HOUSEHOLD, closes_on=None
    )
    channel.refresh_from_db()
    assert (channel.is_open, channel.mode, channel.changed_by) == (False, "household", officer)
    with pytest.raises(ValidationError):
        svc.configure_channel(
            channel=channel,
            actor=officer,
            is_open=True,
            mode=FeedbackMode.PHONE,
            closes_on=svc.today() - timedelta(days=1),
        )
    svc.open_channel(application=channel.application, actor=officer)
    channel.refresh_from_db()
    assert channel.is_open


def test_unverified_responses_are_purged_after_a_week(channel):
    old = _submit(channel)
    FeedbackResponse.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    fresh = _submit(channel, phone=OTHER)
    kept = verified_response(channel, phone="13700005555", days_ago=30)

    assert svc.purge_unverified_responses() == 1
    assert set(FeedbackResponse.objects.values_list("pk", flat=True)) == {fresh.pk, kept.pk}


def test_the_purge_command_deletes_old_unconfirmed_responses(channel):
    import io

    from django.core.management import call_command

    old = _submit(channel)
    FeedbackResponse.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    out = io.StringIO()
    call_command("purge_unverified_feedback", stdout=out)
    assert "Deleted 1" in out.getvalue()
    assert not FeedbackResponse.objects.exists()
