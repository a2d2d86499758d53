"""404 and 500 pages in the language of the URL, with a way back home (DEBUG off, as in production)."""

from __future__ import annotations

import re

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.test import Client
from django.urls import get_resolver, path

from yichuang import views_errors
from yichuang.urls import urlpatterns as site_urlpatterns

pytestmark = pytest.mark.django_db


def boom(request):
    raise RuntimeError("the database went away")


# A URLconf of its own for the 500 tests: the real one, plus a view that fails in each language.
urlpatterns = [
    path("boom/", boom),
    *i18n_patterns(path("fails/", boom), prefix_default_language=False),
    *site_urlpatterns,
]
handler500 = "yichuang.views_errors.server_error"


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False


def test_english_404_under_en(client, site):
    response = client.get("/en/does-not-exist/")

    assert response.status_code == 404
    body = response.content.decode()
    assert html_lang(response) == "en"
    assert "<h1>Page not found</h1>" in body
    assert '<a class="button" href="/en/">' in body
    assert '<meta name="robots" content="noindex">' in body
    assert 'rel="canonical"' not in body


def test_chinese_404_without_prefix_even_for_an_english_browser(client, site):
    response = client.get("/does-not-exist/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert response.status_code == 404
    assert html_lang(response) == "zh-hans"
    assert '<a class="button" href="/">' in response.content.decode()


def test_the_project_uses_the_plain_500_handler():
    from yichuang import urls

    assert urls.handler500 == "yichuang.views_errors.server_error"
    assert get_resolver("yichuang.urls").resolve_error_handler(500) is views_errors.server_error


@pytest.mark.urls("tests.cms.test_error_pages")
def test_500_in_english_under_en_links_to_the_english_home(site):
    client = Client(raise_request_exception=False)

    response = client.get("/en/fails/")

    assert response.status_code == 500
    body = response.content.decode()
    assert html_lang(response) == "en"
    assert "<h1>Server error</h1>" in body
    assert '<a class="button" href="/en/">' in body
    assert "the database went away" not in body  # no details for the public


@pytest.mark.urls("tests.cms.test_error_pages")
def test_500_without_prefix_is_chinese(site):
    client = Client(raise_request_exception=False)

    response = client.get("/fails/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 500
    assert html_lang(response) == "zh-hans"
    assert '<a class="button" href="/">' in response.content.decode()


def test_500_renders_without_a_database_or_request_context(rf, django_assert_num_queries):
    request = rf.get("/en/anything/")

    with django_assert_num_queries(0):
        response = views_errors.server_error(request)

    assert response.status_code == 500
    assert 'lang="en"' in response.content.decode()


def test_500_still_answers_when_its_template_fails(rf, monkeypatch):
    def broken(name):
        raise RuntimeError("template engine down")

    monkeypatch.setattr(views_errors.loader, "get_template", broken)

    response = views_errors.server_error(rf.get("/"))

    assert response.status_code == 500
    assert "Server error" in response.content.decode()
