"""Sign-up with e-mail verification, login, logout and password reset (django-allauth)."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "new.member@example.org",
    "username": "newmember",
    "password1": "a-long-and-unusual-passphrase-42",
    "password2": "a-long-and-unusual-passphrase-42",
    "display_name": "赵晓",
    "phone": "13912345678",
}


def _link_in(message) -> str:
    match = re.search(r"https?://testserver(/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def test_signup_sends_verification_mail_and_confirm_link_logs_the_member_in(client):
    # given / when: a new member signs up
    response = client.post(reverse("account_signup"), SIGNUP)

    # then: nobody is logged in yet; a verification mail went out
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get(username="newmember")
    assert user.display_name == "赵晓"
    assert user.phone == "13912345678"
    assert user.preferred_language == "zh-hans"
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.member@example.org"]
    assert mail.outbox[0].subject.startswith("[益创]")
    assert client.get(reverse("accounts:dashboard")).status_code == 302

    # when: they open the link and confirm
    confirm_url = _link_in(mail.outbox[0])
    page = client.get(confirm_url)
    assert page.status_code == 200
    response = client.post(confirm_url)

    # then: the address is verified and they land in their workspace, signed in
    assert EmailAddress.objects.get(user=user).verified
    assert response.status_code == 302
    dashboard = client.get(response.url, follow=True)
    assert dashboard.status_code == 200
    assert "赵晓" in dashboard.content.decode()


def test_unverified_member_cannot_log_in_but_is_sent_a_new_link(client):
    client.post(reverse("account_signup"), SIGNUP)
    client.logout()
    mail.outbox.clear()

    response = client.post(
        reverse("account_login"), {"login": "newmember", "password": SIGNUP["password1"]}
    )

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert client.get(reverse("accounts:dashboard")).status_code == 302


def test_signup_page_is_in_chinese_inside_the_site_layout(client):
    page = client.get(reverse("account_signup")).content.decode()

    assert 'lang="zh-hans"' in page
    assert 'class="site-header"' in page  # our base.html, not allauth's bare layout
    assert "注册" in page  # allauth's own zh_Hans catalogue
    assert 'name="display_name"' in page


def test_login_by_username_or_email_and_logout_by_post(client, applicant, password):
    response = client.post(reverse("account_login"), {"login": "alice", "password": password})
    assert response.status_code == 302
    assert response.url == reverse("accounts:dashboard")

    # logging out on GET only asks for confirmation (no CSRF-able logout link)
    assert client.get(reverse("account_logout")).status_code == 200
    assert client.get(reverse("accounts:dashboard")).status_code == 200
    client.post(reverse("account_logout"))
    assert client.get(reverse("accounts:dashboard")).status_code == 302

    response = client.post(
        reverse("account_login"), {"login": applicant.email, "password": password}
    )
    assert response.status_code == 302
    assert client.get(reverse("accounts:dashboard")).status_code == 200


def test_password_reset_mail_sets_a_new_password(client, applicant):
    # given: alice forgot her password
    response = client.post(reverse("account_reset_password"), {"email": applicant.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    reset_url = _link_in(mail.outbox[0])

    # when: she follows the link (allauth moves the key into the session) and sets a new one
    response = client.get(reset_url, follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else reset_url
    new_password = "another-long-passphrase-77"
    response = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302

    # then: the new password works and the old one does not
    applicant.refresh_from_db()
    assert applicant.check_password(new_password)
    client.logout()
    assert client.login(username="alice", password=new_password)
