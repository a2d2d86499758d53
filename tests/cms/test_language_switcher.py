"""The language switcher: plain forms POSTing to Django's set_language, no JavaScript."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def switcher_forms(body: str) -> dict[str, str]:
    """{button label: next URL} of the language switcher."""
    forms = re.findall(r'<form method="post" action="/i18n/setlang/">(.*?)</form>', body, re.S)
    result = {}
    for form in forms:
        next_url = re.search(r'name="next" value="([^"]*)"', form).group(1)
        label = re.search(r"<button[^>]*>([^<]+)</button>", form).group(1)
        result[label] = next_url
    return result


def test_switcher_offers_both_languages_and_marks_the_current_one(client, site):
    body = client.get("/news/").content.decode()

    assert switcher_forms(body) == {"简体中文": "/news/", "English": "/en/news/"}
    assert '<button type="submit" lang="zh-hans" aria-current="true">简体中文</button>' in body
    assert '<button type="submit" lang="en">English</button>' in body
    assert 'name="csrfmiddlewaretoken"' in body


def test_switching_to_english_sets_the_cookie_and_goes_to_the_translation(client, site):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/en/news/"})

    assert response.status_code == 302
    assert response["Location"] == "/en/news/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "News on venture philanthropy" in client.get(response["Location"]).content.decode()


def test_switching_back_to_chinese_goes_to_the_chinese_page(client, site):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/en/news/haishu-open-space/").content.decode()
    assert switcher_forms(english)["简体中文"] == "/news/haishu-open-space/"

    response = client.post(
        reverse("set_language"), {"language": "zh-hans", "next": "/news/haishu-open-space/"}
    )

    assert response["Location"] == "/news/haishu-open-space/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


def test_switcher_follows_a_translation_with_a_different_slug(client, site):
    from cms.models import NewsPage

    english = NewsPage.objects.get(slug="haishu-open-space", locale__language_code="en")
    english.slug = "haishu-open-space-meetings"
    english.save_revision().publish()

    body = client.get("/news/haishu-open-space/").content.decode()

    assert switcher_forms(body)["English"] == "/en/news/haishu-open-space-meetings/"


def test_untranslated_page_switches_to_the_other_languages_home(client, site):
    from cms.models import NewsIndexPage, NewsPage

    index = NewsIndexPage.objects.get(locale__language_code="zh-hans")
    index.add_child(instance=NewsPage(title="只有中文", slug="chinese-only", intro="摘要"))

    body = client.get("/news/chinese-only/").content.decode()

    assert switcher_forms(body)["English"] == "/en/"


def test_language_cookie_sets_the_language_of_non_page_urls(client, site, applicant):
    client.force_login(applicant)

    chinese = client.get(reverse("accounts:dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    client.post(reverse("set_language"), {"language": "en", "next": reverse("accounts:dashboard")})
    english = client.get(reverse("accounts:dashboard"))

    assert chinese["Content-Language"] == "zh-hans"
    assert english["Content-Language"] == "en"
    assert html_lang_of(english) == "en"
    # the switcher on a non-page URL keeps the user where they are
    assert switcher_forms(english.content.decode()) == {"简体中文": "/me/", "English": "/me/"}


def test_public_pages_follow_the_url_not_the_cookie(client, site):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    assert client.get("/")["Content-Language"] == "zh-hans"
    assert client.get("/en/")["Content-Language"] == "en"


def test_switching_from_a_page_without_cookie_does_not_mangle_the_english_url(client, site):
    # The POST arrives in Chinese (no cookie yet); /en/news/ must not become /en/en/news/.
    response = client.post(reverse("set_language"), {"language": "en", "next": "/en/news/"})

    assert response["Location"] == "/en/news/"


def test_switcher_refuses_an_offsite_next(client, site):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": "https://evil.example/"}
    )

    assert response["Location"] == "/"


def html_lang_of(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)
