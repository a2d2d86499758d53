"""The in-app inbox: every transition lands there for the people concerned, and only for them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grants.models import Notification
from grants.services import applications as svc
from grants.services.notifications import notify_transition
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db

INBOX = "/me/inbox/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def alice(applicant):
    return signed_in(applicant)


@pytest.fixture
def mallory(outsider):
    return signed_in(outsider)


@pytest.fixture
def application(applicant, organisation):
    return ApplicationFactory(organisation=organisation, created_by=applicant)


@pytest.fixture
def submitted(applicant, application, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return svc.submit_application(application=application, actor=applicant)


def notify(application, applicant, times: int = 1) -> list[Notification]:
    """Notifications written the way the services write them (a submission receipt each)."""
    rows = []
    for _ in range(times):
        rows += notify_transition(application=application, verb="submit", actor=applicant)
    return rows


def mine(user):
    return Notification.objects.filter(recipient=user)


def test_a_submission_lands_in_the_applicants_inbox_and_not_the_outsiders(
    alice, mallory, submitted
):
    page = alice.get(INBOX).content.decode()
    assert submitted.reference in page
    assert "Unread" in page
    assert "You have 1 unread notification." in page

    page = mallory.get(INBOX).content.decode()
    assert submitted.reference not in page
    assert "No notifications yet." in page


def test_the_inbox_needs_a_login(client):
    response = client.get(INBOX)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_the_inbox_is_newest_first_and_links_each_item_through_open(alice, applicant, application):
    older, newer = notify(application, applicant, times=2)
    Notification.objects.filter(pk=older.pk).update(title="较早的通知")
    Notification.objects.filter(pk=newer.pk).update(title="较新的通知")

    page = alice.get(INBOX).content.decode()

    assert page.index("较新的通知") < page.index("较早的通知")
    assert reverse("grants:inbox_open", args=[newer.pk]) in page


def test_the_inbox_shows_25_per_page(alice, applicant, application):
    notify(application, applicant, times=30)

    first = alice.get(INBOX)
    second = alice.get(INBOX, {"page": 2})

    assert len(first.context["notifications"]) == 25
    assert len(second.context["notifications"]) == 5
    assert "Page 1 of 2" in first.content.decode()


def test_the_inbox_links_to_the_email_preferences(alice):
    page = alice.get(INBOX).content.decode()
    assert reverse("accounts:preferences") in page
    assert "E-mail copies: Immediately." in page


def test_mark_as_read_marks_one_and_returns_to_the_same_page(alice, applicant, application):
    first, second = notify(application, applicant, times=2)

    response = alice.post(
        reverse("grants:inbox_mark_read", args=[first.pk]), {"next": f"{INBOX}?page=1"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{INBOX}?page=1"
    assert list(mine(applicant).filter(read_at__isnull=True)) == [second]
    assert "You have 1 unread notification." in alice.get(INBOX).content.decode()


def test_mark_as_read_does_not_redirect_off_site(alice, applicant, application):
    (notification,) = notify(application, applicant)

    response = alice.post(
        reverse("grants:inbox_mark_read", args=[notification.pk]),
        {"next": "https://evil.example/"},
    )

    assert response["Location"] == INBOX


def test_mark_all_as_read_clears_the_unread_count(alice, applicant, application):
    notify(application, applicant, times=3)

    response = alice.post(reverse("grants:inbox_mark_all_read"), follow=True)

    assert not mine(applicant).filter(read_at__isnull=True).exists()
    page = response.content.decode()
    assert "3 notifications marked as read." in page
    assert "You have no unread notifications." in page


def test_mark_all_as_read_leaves_other_peoples_notifications_alone(mallory, applicant, application):
    notify(application, applicant, times=2)

    mallory.post(reverse("grants:inbox_mark_all_read"))

    assert mine(applicant).filter(read_at__isnull=True).count() == 2


def test_marking_read_needs_a_post_with_a_csrf_token(applicant, application):
    (notification,) = notify(application, applicant)
    url = reverse("grants:inbox_mark_read", args=[notification.pk])
    client = Client(enforce_csrf_checks=True)
    client.force_login(applicant)

    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    assert client.post(reverse("grants:inbox_mark_all_read")).status_code == 403
    assert mine(applicant).get().read_at is None


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(alice, submitted, applicant):
    notification = mine(applicant).get()

    response = alice.get(reverse("grants:inbox_open", args=[notification.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("grants:application_detail", args=[submitted.pk])
    assert alice.get(response["Location"]).status_code == 200
    notification.refresh_from_db()
    assert notification.is_read


def test_someone_elses_notification_is_a_404_and_stays_unread(mallory, submitted, applicant):
    notification = mine(applicant).get()

    assert mallory.get(reverse("grants:inbox_open", args=[notification.pk])).status_code == 404
    assert (
        mallory.post(reverse("grants:inbox_mark_read", args=[notification.pk])).status_code == 404
    )
    notification.refresh_from_db()
    assert not notification.is_read


def test_the_inbox_uses_the_same_number_of_queries_for_1_and_30_notifications(
    alice, applicant, application, django_assert_num_queries
):
    notify(application, applicant)
    alice.get(INBOX)  # warm the per-process caches (content types, Wagtail site) first
    with CaptureQueriesContext(connection) as one_row:
        assert alice.get(INBOX).status_code == 200

    notify(application, applicant, times=29)

    with django_assert_num_queries(len(one_row)):
        page = alice.get(INBOX).content.decode()
    assert page.count('class="card notification') == 25


def test_the_header_shows_the_unread_count_with_one_count_query(alice, applicant, application):
    notify(application, applicant, times=3)

    with CaptureQueriesContext(connection) as queries:
        page = alice.get(reverse("accounts:dashboard")).content.decode()

    assert "Inbox (3" in page
    notification_queries = [q["sql"] for q in queries if "grants_notification" in q["sql"]]
    assert len(notification_queries) == 1
    assert "COUNT(" in notification_queries[0].upper()


def test_the_header_shows_no_count_once_everything_is_read(alice, applicant, application):
    notify(application, applicant, times=2)
    alice.post(reverse("grants:inbox_mark_all_read"))

    page = alice.get(reverse("accounts:dashboard")).content.decode()

    assert reverse("grants:inbox") in page
    assert "Inbox (" not in page


def test_an_anonymous_visitor_gets_no_inbox_link_and_no_count_query(client):
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("account_login")).content.decode()

    assert reverse("grants:inbox") not in page
    assert not [q for q in queries if "grants_notification" in q["sql"]]
