"""Objections (异议): the state machine, lodging, code verification, rate limits and answers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django_fsm import TransitionNotAllowed, can_proceed, has_transition_perm

from grants.enums import ApplicationState, ObjectionState
from grants.models import Application, Notification, Objection, PublicNotice
from grants.services import decisions
from grants.services import objections as svc
from grants.services.errors import TransitionRefused
from tests.grants.factories_decisions import (
    applicant_of,
    closed_call,
    not_recommended,
    objection,
    recommended,
)

pytestmark = pytest.mark.django_db
S = ApplicationState
O = ObjectionState  # noqa: E741


@pytest.fixture
def call():
    return closed_call()


@pytest.fixture
def project(call, officer):
    application = recommended(call, rank=1, score=90, title="长者助餐点建设")
    not_recommended(call, rank=2, score=50)
    decisions.publish_public_notice(call=call, actor=officer)
    return Application.objects.get(pk=application.pk)


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    svc.LoggingSmsBackend.outbox.clear()
    yield
    svc.LoggingSmsBackend.outbox.clear()


def _state(application) -> str:
    return Application.objects.get(pk=application.pk).state


def _code_from_mail(message) -> str:
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def _lodge(project, *, contact="zhangsan@example.org", ip="203.0.113.5", name="张三", capture=None):
    with capture(execute=True):
        return svc.lodge_objection(
            application=project,
            name=name,
            contact=contact,
            body="该项目申报的服务人数与社区实际不符。",
            ip=ip,
        )


@pytest.fixture
def lodge(project, django_capture_on_commit_callbacks):
    def run(**kwargs):
        return _lodge(project, capture=django_capture_on_commit_callbacks, **kwargs)

    return run


# --- The state machine ------------------------------------------------------------------------


def test_verify_opens_an_unverified_objection(project):
    row = objection(project)
    row.verify()
    row.save()
    row.refresh_from_db()
    assert row.state == O.OPEN
    assert row.verified_at is not None


@pytest.mark.parametrize("method", ["uphold", "dismiss"])
def test_an_officer_answers_an_open_objection(project, officer, method):
    row = objection(project, state=O.OPEN)
    assert has_transition_perm(getattr(row, method), officer)
    getattr(row, method)(by=officer, answer="经核实，情况属实。")
    row.save()
    row.refresh_from_db()
    assert row.state == (O.UPHELD if method == "uphold" else O.DISMISSED)
    assert row.answered_by == officer and row.answered_at is not None


@pytest.mark.parametrize(
    ("state", "method"),
    [
        (O.UNVERIFIED, "uphold"),
        (O.UNVERIFIED, "dismiss"),
        (O.OPEN, "verify"),
        (O.UPHELD, "verify"),
        (O.UPHELD, "dismiss"),
        (O.DISMISSED, "uphold"),
        (O.DISMISSED, "verify"),
    ],
)
def test_forbidden_objection_transitions(project, state, method):
    row = objection(project, state=state)
    assert not can_proceed(getattr(row, method))
    with pytest.raises(TransitionNotAllowed):
        getattr(row, method)()


@pytest.mark.parametrize("persona", ["applicant", "reviewer", "outsider"])
def test_only_officers_may_answer(project, persona, request):
    row = objection(project, state=O.OPEN)
    user = request.getfixturevalue(persona)
    assert not has_transition_perm(row.uphold, user)
    assert not has_transition_perm(row.dismiss, user)


def test_an_answered_objection_needs_a_written_answer_in_the_database(project):
    row = objection(project, state=O.OPEN)
    with pytest.raises(IntegrityError), transaction.atomic():
        Objection.objects.filter(pk=row.pk).update(state=O.DISMISSED, answer="")


def test_an_objection_needs_a_contact_in_the_database(project):
    notice = PublicNotice.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Objection.objects.create(application=project, notice=notice, name="李四", body="异议")


# --- Contacts and names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "parsed"),
    [
        ("ZhangSan@Example.org ", ("zhangsan@example.org", "")),
        ("138 0013 8000", ("", "13800138000")),
        ("+86 139-1234-5678", ("", "13912345678")),
        ("008615012345678", ("", "15012345678")),
    ],
)
def test_contacts_are_read_as_e_mail_or_mobile(typed, parsed):
    assert svc.parse_contact(typed) == parsed


@pytest.mark.parametrize("typed", ["", "12345", "0513-12345678", "zhangsan@", "2380013800"])
def test_other_contacts_are_refused(typed):
    with pytest.raises(ValidationError):
        svc.parse_contact(typed)


@pytest.mark.parametrize(
    ("name", "masked"), [("张三", "张*"), ("欧阳娜娜", "欧***"), ("李", "李*"), ("", "*")]
)
def test_objectors_names_are_masked(name, masked):
    assert svc.mask_name(name) == masked


# --- Lodging --------------------------------------------------------------------------------------


def test_lodging_sends_a_six_digit_code_by_e_mail_and_changes_nothing_else(lodge, project):
    mail.outbox.clear()
    row = lodge()
    assert row.state == O.UNVERIFIED
    assert _state(project) == S.PUBLIC_NOTICE
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["zhangsan@example.org"]
    code = _code_from_mail(message)
    assert code in message.subject
    assert "/gongshi/objections/" in message.body
    # Only a hash of the code is stored.
    row.refresh_from_db()
    assert row.code_hash and code not in row.code_hash
    assert row.ip_address == "203.0.113.5"


def test_a_mobile_number_gets_its_code_through_the_sms_backend(lodge, project):
    mail.outbox.clear()
    row = lodge(contact="13800138000")
    assert row.phone == "13800138000" and row.email == ""
    assert mail.outbox == []
    ((phone, message),) = svc.LoggingSmsBackend.outbox
    assert phone == "13800138000"
    assert re.search(r"\b\d{6}\b", message)


def test_the_sms_backend_is_a_setting(lodge, settings):
    settings.SMS_BACKEND = "tests.grants.test_objections.RecordingSms"
    RecordingSms.sent.clear()
    lodge(contact="13800138000")
    assert [phone for phone, _message in RecordingSms.sent] == ["13800138000"]
    assert svc.LoggingSmsBackend.outbox == []


class RecordingSms:
    sent: list = []

    def send(self, phone, message):
        self.sent.append((phone, message))


def test_lodging_needs_a_name_a_contact_and_a_text(project):
    with translation.override("en"), pytest.raises(ValidationError) as invalid:
        svc.lodge_objection(application=project, name=" ", contact="12345", body="")
    assert set(invalid.value.message_dict) == {"name", "contact", "body"}
    assert not Objection.objects.exists()


def test_no_objection_after_the_window_closes(project, lodge):
    PublicNotice.objects.update(
        published_at=timezone.now() - timedelta(days=8), closes_at=timezone.now()
    )
    with translation.override("en"), pytest.raises(TransitionRefused) as refused:
        lodge()
    assert "objections can no longer be lodged" in str(refused.value)
    assert not Objection.objects.exists()


def test_no_objection_against_a_project_that_is_not_on_the_notice(call, project, officer):
    rejected = Application.objects.get(call=call, state=S.REJECTED)
    with pytest.raises(TransitionRefused):
        svc.lodge_objection(application=rejected, name="张三", contact="a@example.org", body="x")
    other_call = closed_call()
    elsewhere = recommended(other_call)
    with pytest.raises(TransitionRefused):
        svc.lodge_objection(application=elsewhere, name="张三", contact="a@example.org", body="x")
    assert not Objection.objects.exists()


# --- Verification ---------------------------------------------------------------------------------


@pytest.fixture
def verify(django_capture_on_commit_callbacks):
    def run(row, code, ip="203.0.113.5"):
        with django_capture_on_commit_callbacks(execute=True):
            return svc.verify_objection(objection=row, code=code, ip=ip)

    return run


def test_the_right_code_opens_the_objection_and_puts_the_project_under_review(
    lodge, verify, project, officer
):
    # given
    member = applicant_of(project)
    mail.outbox.clear()
    row = lodge()
    code = _code_from_mail(mail.outbox[0])
    # when
    row = verify(row, code)
    # then
    assert row.state == O.OPEN and row.verified_at is not None
    row.refresh_from_db()
    assert row.code_hash == ""
    assert _state(project) == S.OBJECTION_REVIEW
    assert Notification.objects.filter(recipient=officer, verb="objection").exists()
    told = Notification.objects.get(recipient=member, verb="receive_objection")
    assert "张三" not in told.body and "zhangsan" not in told.body  # never who objected


def test_full_width_digits_and_spaces_are_accepted(lodge, verify, project):
    mail.outbox.clear()
    row = lodge()
    code = _code_from_mail(mail.outbox[0])
    typed = " ".join(chr(0xFF10 + int(digit)) for digit in code)
    assert verify(row, typed).state == O.OPEN


def test_a_second_objection_keeps_the_project_under_review(lodge, verify, project):
    mail.outbox.clear()
    first = lodge()
    verify(first, _code_from_mail(mail.outbox[-1]))
    second = lodge(contact="lisi@example.org", name="李四")
    verify(second, _code_from_mail(mail.outbox[-1]))
    assert _state(project) == S.OBJECTION_REVIEW
    assert Objection.objects.filter(state=O.OPEN).count() == 2


def test_verifying_twice_changes_nothing(lodge, verify, project):
    mail.outbox.clear()
    row = lodge()
    code = _code_from_mail(mail.outbox[0])
    verify(row, code)
    notifications = Notification.objects.count()
    assert verify(row, code).state == O.OPEN
    assert Notification.objects.count() == notifications


def test_a_wrong_code_is_counted_and_refused(lodge, verify, project):
    mail.outbox.clear()
    row = lodge()
    code = _code_from_mail(mail.outbox[0])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    with translation.override("en"), pytest.raises(svc.CodeRejected) as rejected:
        verify(row, wrong)
    assert rejected.value.attempts_left == 4
    assert "4 more tries" in str(rejected.value)
    row.refresh_from_db()
    assert row.code_attempts == 1  # kept although the action failed
    assert row.state == O.UNVERIFIED
    assert _state(project) == S.PUBLIC_NOTICE


@pytest.fixture
def resend(django_capture_on_commit_callbacks):
    def run(row, ip="203.0.113.9"):
        with django_capture_on_commit_callbacks(execute=True):
            svc.resend_code(objection=row, ip=ip)
        return Objection.objects.get(pk=row.pk)

    return run


def test_five_wrong_codes_kill_the_code_until_a_new_one_is_sent(lodge, verify, resend, project):
    # given
    mail.outbox.clear()
    row = lodge()
    code = _code_from_mail(mail.outbox[0])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        with pytest.raises(svc.CodeRejected):
            verify(row, wrong)
    # when: even the right code
    with translation.override("en"), pytest.raises(svc.CodeRejected, match="Too many wrong codes"):
        verify(row, code)
    # then a new code works (after the one-minute pause)
    Objection.objects.filter(pk=row.pk).update(code_sent_at=timezone.now() - timedelta(minutes=2))
    mail.outbox.clear()
    row = resend(Objection.objects.get(pk=row.pk))
    assert row.code_attempts == 0
    assert verify(row, _code_from_mail(mail.outbox[0])).state == O.OPEN


def test_an_expired_code_is_refused(lodge, verify, project):
    mail.outbox.clear()
    row = lodge()
    code = _code_from_mail(mail.outbox[0])
    Objection.objects.filter(pk=row.pk).update(code_sent_at=timezone.now() - timedelta(minutes=31))
    with translation.override("en"), pytest.raises(svc.CodeRejected, match="expired"):
        verify(row, code)
    assert Objection.objects.get(pk=row.pk).state == O.UNVERIFIED


def test_a_new_code_is_refused_within_a_minute(lodge, project):
    row = lodge()
    with translation.override("en"), pytest.raises(svc.TooManyRequests, match="wait a minute"):
        svc.resend_code(objection=row, ip="203.0.113.5")


def test_a_new_code_replaces_the_old_one(lodge, verify, resend, project):
    mail.outbox.clear()
    row = lodge()
    old = _code_from_mail(mail.outbox[0])
    Objection.objects.filter(pk=row.pk).update(code_sent_at=timezone.now() - timedelta(minutes=2))
    mail.outbox.clear()
    row = resend(Objection.objects.get(pk=row.pk))
    new = _code_from_mail(mail.outbox[0])
    if new != old:
        with pytest.raises(svc.CodeRejected):
            verify(row, old)
    assert verify(row, new).state == O.OPEN


def test_a_code_typed_after_the_final_decision_is_refused(lodge, verify, project, officer):
    mail.outbox.clear()
    row = lodge()
    code = _code_from_mail(mail.outbox[0])
    Application.objects.filter(pk=project.pk).update(state=S.APPROVED)
    with translation.override("en"), pytest.raises(TransitionRefused, match="final decision"):
        verify(row, code)
    assert Objection.objects.get(pk=row.pk).state == O.UNVERIFIED


def test_a_code_for_one_objection_does_not_open_another(lodge, verify, project):
    mail.outbox.clear()
    lodge()
    first_code = _code_from_mail(mail.outbox[-1])
    second = lodge(contact="lisi@example.org", name="李四")
    second_code = _code_from_mail(mail.outbox[-1])
    if first_code != second_code:
        with pytest.raises(svc.CodeRejected):
            verify(second, first_code)


# --- Rate limits ----------------------------------------------------------------------------------


def test_codes_sent_to_one_contact_are_limited(lodge, monkeypatch):
    monkeypatch.setattr(svc, "SEND_LIMIT_PER_CONTACT", (2, 3600))
    lodge(ip="203.0.113.1")
    lodge(ip="203.0.113.2")
    with translation.override("en"), pytest.raises(svc.TooManyRequests, match="Too many attempts"):
        lodge(ip="203.0.113.3")
    assert Objection.objects.count() == 2
    lodge(ip="203.0.113.4", contact="13800138000")  # another contact still may


def test_codes_sent_from_one_address_are_limited(lodge, monkeypatch):
    monkeypatch.setattr(svc, "SEND_LIMIT_PER_IP", (2, 3600))
    lodge(contact="a@example.org")
    lodge(contact="b@example.org")
    with pytest.raises(svc.TooManyRequests):
        lodge(contact="c@example.org")
    assert Objection.objects.count() == 2
    lodge(contact="c@example.org", ip="198.51.100.7")


def test_code_checks_from_one_address_are_limited(lodge, verify, monkeypatch):
    monkeypatch.setattr(svc, "VERIFY_LIMIT_PER_IP", (3, 3600))
    mail.outbox.clear()
    first = lodge()
    second = lodge(contact="b@example.org")
    code = _code_from_mail(mail.outbox[-1])
    for row in (first, first, second):
        with pytest.raises(svc.CodeRejected):
            verify(row, "000000" if code != "000000" else "111111")
    with pytest.raises(svc.TooManyRequests):
        verify(second, code)
    assert Objection.objects.get(pk=second.pk).state == O.UNVERIFIED
    assert verify(second, code, ip="198.51.100.7").state == O.OPEN


# --- Answers --------------------------------------------------------------------------------------


@pytest.fixture
def resolve(django_capture_on_commit_callbacks):
    def run(row, actor, **kwargs):
        kwargs.setdefault("outcome", "dismiss")
        kwargs.setdefault("answer", "经实地核实，服务人数与社区登记一致，异议不成立。")
        with django_capture_on_commit_callbacks(execute=True):
            return svc.resolve_objection(objection=row, actor=actor, **kwargs)

    return run


@pytest.fixture
def opened(lodge, verify):
    def run(**kwargs):
        mail.outbox.clear()
        row = lodge(**kwargs)
        if row.phone:
            code = re.search(r"\b(\d{6})\b", svc.LoggingSmsBackend.outbox[-1][1]).group(1)
        else:
            code = _code_from_mail(mail.outbox[-1])
        return verify(row, code)

    return run


def test_dismissing_the_last_objection_puts_the_project_back_on_the_notice(
    opened, resolve, project, officer
):
    row = opened()
    mail.outbox.clear()
    row = resolve(row, officer)
    assert row.state == O.DISMISSED
    assert row.answered_by == officer
    assert _state(project) == S.PUBLIC_NOTICE
    # The objector gets the answer.
    (message,) = mail.outbox
    assert message.to == ["zhangsan@example.org"]
    assert "异议不成立" in message.body
    assert "/gongshi/" in message.body


def test_the_answer_reaches_a_phone_objector_by_sms(opened, resolve, officer):
    row = opened(contact="13800138000")
    svc.LoggingSmsBackend.outbox.clear()
    resolve(row, officer)
    ((phone, message),) = svc.LoggingSmsBackend.outbox
    assert phone == "13800138000" and "/gongshi/" in message


def test_the_project_stays_under_review_until_every_objection_is_answered(
    opened, resolve, project, officer
):
    first = opened()
    second = opened(contact="lisi@example.org", name="李四")
    resolve(first, officer)
    assert _state(project) == S.OBJECTION_REVIEW
    resolve(second, officer, outcome="uphold")
    assert _state(project) == S.PUBLIC_NOTICE


def test_upholding_may_reject_the_project_with_a_reason(opened, resolve, project, officer):
    row = opened()
    resolve(
        row,
        officer,
        outcome="uphold",
        answer="经核实，该机构存在重复申报，异议成立。",
        reject=True,
        reject_reason="同一项目已获其他财政资金资助，取消本次资助资格。",
    )
    assert Objection.objects.get(pk=row.pk).state == O.UPHELD
    assert _state(project) == S.REJECTED


def test_upholding_without_rejecting_leaves_the_decision_to_the_officer(
    opened, resolve, project, officer
):
    row = opened()
    resolve(row, officer, outcome="uphold", answer="部分情况属实，已要求机构调整服务对象。")
    assert _state(project) == S.PUBLIC_NOTICE


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"answer": "  "}, "answer"),
        ({"outcome": "maybe"}, "outcome"),
        ({"outcome": "dismiss", "reject": True, "reject_reason": "x"}, "reject"),
        ({"outcome": "uphold", "reject": True, "reject_reason": ""}, "reject_reason"),
    ],
)
def test_an_answer_needs_an_outcome_a_text_and_a_reason_to_reject(
    opened, resolve, officer, kwargs, field
):
    row = opened()
    with pytest.raises(ValidationError) as invalid:
        resolve(row, officer, **kwargs)
    assert field in invalid.value.message_dict
    assert Objection.objects.get(pk=row.pk).state == O.OPEN


def test_an_unverified_objection_cannot_be_answered(lodge, resolve, officer):
    row = lodge()
    with pytest.raises(TransitionRefused):
        resolve(row, officer)
    assert Objection.objects.get(pk=row.pk).state == O.UNVERIFIED


def test_answering_again_is_a_no_op_and_a_different_outcome_is_refused(opened, resolve, officer):
    row = opened()
    resolve(row, officer)
    mail.outbox.clear()
    assert resolve(row, officer).state == O.DISMISSED
    assert mail.outbox == []
    with pytest.raises(TransitionRefused):
        resolve(row, officer, outcome="uphold")
    assert Objection.objects.get(pk=row.pk).state == O.DISMISSED


@pytest.mark.parametrize("persona", ["applicant", "reviewer", "outsider"])
def test_only_officers_answer_and_triage(opened, resolve, persona, request):
    row = opened()
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        resolve(row, user)
    with pytest.raises(PermissionDenied):
        svc.triage_objection(objection=row, actor=user, note="x")
    assert Objection.objects.get(pk=row.pk).state == O.OPEN


def test_the_triage_note_is_saved(opened, officer):
    row = opened()
    svc.triage_objection(objection=row, actor=officer, note="需联系社区核实服务人数。")
    assert Objection.objects.get(pk=row.pk).triage_note == "需联系社区核实服务人数。"


def test_unverified_objections_are_deleted_after_a_week(project):
    old = objection(project, created_at=timezone.now() - timedelta(days=8))
    recent = objection(project, created_at=timezone.now() - timedelta(days=1))
    kept = objection(project, state=O.OPEN, created_at=timezone.now() - timedelta(days=30))
    assert svc.purge_unverified_objections() == 1
    assert set(Objection.objects.values_list("pk", flat=True)) == {recent.pk, kept.pk}
    assert not Objection.objects.filter(pk=old.pk).exists()
