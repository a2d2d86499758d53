"""In-app notifications and e-mails on transitions, in each recipient's language and preference."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.enums import Role
from grants.enums import ApplicationState
from grants.models import Notification
from grants.selectors import unread_notifications
from grants.services import applications as svc
from grants.services.notifications import mark_read
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    MembershipFactory,
    ProgrammeFactory,
    UserFactory,
)

S = ApplicationState
pytestmark = pytest.mark.django_db


@pytest.fixture
def english_officer(db):
    user = UserFactory(username="olivia", preferred_language="en")
    MembershipFactory(user=user, organisation=None, role=Role.OFFICER)
    return user


def test_submission_notifies_officers_and_gives_the_submitter_a_receipt(
    applicant, officer, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    application = ApplicationFactory(organisation=organisation)
    with django_capture_on_commit_callbacks(execute=True):
        svc.submit_application(application=application, actor=applicant)
    assert {n.recipient for n in Notification.objects.all()} == {applicant, officer}
    assert {m.to[0] for m in mailoutbox} == {applicant.email, officer.email}
    receipt = next(m for m in mailoutbox if m.to == [applicant.email])
    assert application.reference in receipt.subject
    with translation.override("zh-hans"):  # the default language of a new user
        assert receipt.subject.endswith(
            _("Application %(reference)s submitted") % {"reference": application.reference}
        )


def test_each_recipient_reads_it_in_their_own_language(
    applicant, organisation, english_officer, mailoutbox, django_capture_on_commit_callbacks
):
    application = ApplicationFactory(organisation=organisation, state=S.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        svc.return_for_revision(
            application=application, actor=english_officer, reason="请补充合作社区证明"
        )
    (mail,) = mailoutbox  # the officer who acted is not told about their own action
    assert mail.to == [applicant.email]
    with translation.override("zh-hans"):
        assert (
            _("Application %(reference)s returned for revision")
            % {"reference": application.reference}
            in mail.subject
        )
    assert "请补充合作社区证明" in mail.body
    assert "/me/applications/" in mail.body

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = svc.submit_application(application=application, actor=applicant)
    english = next(m for m in mailoutbox if m.to == [english_officer.email])
    assert english.subject.endswith(f"Application {again.reference} submitted")
    assert "submitted" in english.body


def test_programme_officers_only_when_the_programme_names_them(
    applicant, officer, english_officer, organisation, django_capture_on_commit_callbacks
):
    programme = ProgrammeFactory()
    programme.officers.add(english_officer)
    application = ApplicationFactory(
        organisation=organisation, call=CallFactory(programme=programme)
    )
    with django_capture_on_commit_callbacks(execute=True):
        svc.submit_application(application=application, actor=applicant)
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "alice",
        "olivia",
    }


def test_nothing_is_mailed_when_the_action_rolls_back(
    applicant, officer, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    from django.db import transaction

    application = ApplicationFactory(organisation=organisation)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        svc.submit_application(application=application, actor=applicant)
        raise RuntimeError("boom")
    assert mailoutbox == []
    assert not Notification.objects.exists()


def test_email_off_keeps_the_inbox_only(
    applicant, officer, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    officer.email_frequency = "off"
    officer.save()
    application = ApplicationFactory(organisation=organisation)
    with django_capture_on_commit_callbacks(execute=True):
        svc.submit_application(application=application, actor=applicant)
    assert Notification.objects.filter(recipient=officer).count() == 1
    assert officer.email not in {m.to[0] for m in mailoutbox}


def test_daily_digest_mails_unread_notifications_once(
    applicant, officer, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    officer.email_frequency = "daily"
    officer.save()
    first = ApplicationFactory(organisation=organisation)
    second = ApplicationFactory(organisation=organisation, call=CallFactory())
    with django_capture_on_commit_callbacks(execute=True):
        svc.submit_application(application=first, actor=applicant)
        svc.submit_application(application=second, actor=applicant)
    assert officer.email not in {m.to[0] for m in mailoutbox}
    mailoutbox.clear()

    call_command("send_digests")
    (digest,) = mailoutbox
    assert digest.to == [officer.email]
    assert "2" in digest.subject
    assert first.reference in digest.body and second.reference in digest.body

    mailoutbox.clear()
    call_command("send_digests")
    assert mailoutbox == []


def test_digest_skips_what_was_already_read(
    applicant, officer, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    officer.email_frequency = "daily"
    officer.save()
    with django_capture_on_commit_callbacks(execute=True):
        svc.submit_application(
            application=ApplicationFactory(organisation=organisation), actor=applicant
        )
    mark_read(
        user=officer,
        notification_ids=unread_notifications(user=officer).values_list("pk", flat=True),
    )
    mailoutbox.clear()
    call_command("send_digests")
    assert mailoutbox == []


def test_mark_read_touches_only_the_users_own_notifications(
    applicant, officer, organisation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        svc.submit_application(
            application=ApplicationFactory(organisation=organisation), actor=applicant
        )
    mine = list(unread_notifications(user=officer))
    theirs = list(unread_notifications(user=applicant))
    assert mark_read(user=officer, notification_ids=[n.pk for n in mine + theirs]) == len(mine)
    assert unread_notifications(user=officer).count() == 0
    assert unread_notifications(user=applicant).count() == len(theirs)


@pytest.mark.parametrize("rows", [1, 30])
def test_unread_notifications_query_count_does_not_grow(rows, officer, django_assert_num_queries):
    Notification.objects.bulk_create(
        Notification(
            recipient=officer, application=ApplicationFactory(), verb="submit", title=f"t{i}"
        )
        for i in range(rows)
    )
    with django_assert_num_queries(1):
        items = [(n.title, n.application.reference) for n in unread_notifications(user=officer)]
    assert len(items) == rows


CATALOGUE = settings.BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"


@pytest.mark.skipif(not CATALOGUE.exists(), reason="the zh_Hans catalogue is compiled centrally")
def test_chinese_user_gets_chinese_mail_and_english_user_english(
    applicant, organisation, english_officer, mailoutbox, django_capture_on_commit_callbacks
):
    application = ApplicationFactory(organisation=organisation)
    with django_capture_on_commit_callbacks(execute=True):
        svc.submit_application(application=application, actor=applicant)
    chinese = next(m for m in mailoutbox if m.to == [applicant.email])
    english = next(m for m in mailoutbox if m.to == [english_officer.email])
    assert any("\u4e00" <= char <= "\u9fff" for char in chinese.subject.removeprefix("[益创] "))
    assert "submitted" in english.subject and "submitted" in english.body
