"""cms.demo.build_site(): the demo public site, built once however often it runs."""

from __future__ import annotations

import io

import pytest
from wagtail.models import Locale, Page, Revision, Site

from cms.demo import build_site
from cms.models import HomePage, NewsPage

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        "pages": Page.objects.count(),
        "revisions": Revision.objects.count(),
        "sites": Site.objects.count(),
        "locales": Locale.objects.count(),
    }


def test_build_site_replaces_the_welcome_page_with_our_home_as_default_site():
    assert Page.objects.filter(title__startswith="Welcome").exists()

    home = build_site(stdout=io.StringIO())

    site = Site.objects.get()
    assert site.is_default_site
    assert site.root_page_id == home.pk
    assert not Page.objects.filter(title__startswith="Welcome").exists()
    assert set(Locale.objects.values_list("language_code", flat=True)) == {"zh-hans", "en"}
    assert HomePage.objects.get(locale__language_code="en").translation_key == home.translation_key


def test_build_site_creates_chinese_news_with_english_translations():
    build_site()

    chinese = NewsPage.objects.filter(locale__language_code="zh-hans").live()
    english = NewsPage.objects.filter(locale__language_code="en").live()
    assert 4 <= chinese.count() <= 6
    assert english.count() == chinese.count()
    assert {page.translation_key for page in chinese} == {page.translation_key for page in english}
    assert all(page.date.year == 2026 for page in chinese)


def test_build_site_is_idempotent():
    build_site()
    before = counts()

    out = io.StringIO()
    build_site(stdout=out)

    assert counts() == before
    assert "+" not in out.getvalue()


def test_build_site_keeps_an_editors_changes(client):
    home = build_site()
    home.hero_text = "编辑改过的标语"
    home.save_revision().publish()

    build_site()

    assert "编辑改过的标语" in client.get("/").content.decode()


def test_any_host_reaches_the_default_site(client):
    build_site()

    response = client.get("/", HTTP_HOST="localhost")

    assert response.status_code == 200
