"""Failed logins are rate-limited per account (ACCOUNT_RATE_LIMITS['login_failed'])."""

from __future__ import annotations

import time

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db

TOO_MANY_EN = "Too many failed login attempts. Try again later."
TOO_MANY_ZH = "登录失败次数过多，请稍后重试。"


def _fail_until_limited(client, username: str, attempts: int = 20) -> str:
    for _ in range(attempts):
        page = client.post(reverse("account_login"), {"login": username, "password": "wrong"})
        text = page.content.decode()
        if TOO_MANY_ZH in text or TOO_MANY_EN in text:
            return text
    raise AssertionError("never rate-limited")


def test_repeated_wrong_passwords_are_refused_in_chinese_and_then_even_the_right_one(
    client, applicant, password
):
    # when: wrong passwords until the limit (5 per account in 5 minutes)
    page = _fail_until_limited(client, "alice")

    # then: the message is Chinese (default language)
    assert TOO_MANY_ZH in page

    # and the right password is refused while the window lasts
    page = client.post(reverse("account_login"), {"login": "alice", "password": password})
    assert page.status_code == 200
    assert TOO_MANY_ZH in page.content.decode()
    assert client.get(reverse("accounts:dashboard")).status_code == 302


def test_rate_limit_message_is_english_for_english_users(client, applicant):
    client.cookies["django_language"] = "en"
    page = _fail_until_limited(client, "alice")
    assert TOO_MANY_EN in page


@override_settings(ACCOUNT_RATE_LIMITS={"login_failed": "3/1s/key"})
def test_right_password_works_again_once_the_window_has_passed(client, applicant, password):
    _fail_until_limited(client, "alice")
    refused = client.post(reverse("account_login"), {"login": "alice", "password": password})
    assert refused.status_code == 200

    time.sleep(1.2)  # the (test-sized) window passes

    accepted = client.post(reverse("account_login"), {"login": "alice", "password": password})
    assert accepted.status_code == 302
    with translation.override("zh-hans"):
        assert client.get(reverse("accounts:dashboard")).status_code == 200
