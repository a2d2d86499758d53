"""The public pages: languages, news, SEO tags, robots.txt, sitemap, error pages."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from wagtail.models import Locale

from cms.models import NewsIndexPage, NewsPage
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


def test_home_page_is_chinese_even_for_an_english_browser(client, site):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert response.status_code == 200
    assert html_lang(response) == "zh-hans"
    assert "让社区的小事有人办" in response.content.decode()
    assert "崇川区“邻里+”" not in response.content.decode()  # only the 3 newest news items
    assert "益创平台上线" in response.content.decode()


def test_english_home_page_is_served_under_en(client, site):
    response = client.get("/en/", HTTP_ACCEPT_LANGUAGE="zh-CN")

    assert response.status_code == 200
    assert html_lang(response) == "en"
    body = response.content.decode()
    assert "Small community matters get done" in body
    assert "Latest news" in body
    assert "Yichuang goes online" in body
    assert "让社区的小事有人办" not in body


def test_news_index_and_news_pages_exist_in_both_languages(client, site):
    assert "益创平台上线" in client.get("/news/").content.decode()
    assert "Yichuang goes online" in client.get("/en/news/").content.decode()
    assert client.get("/news/haishu-open-space/").status_code == 200
    assert client.get("/en/news/haishu-open-space/").status_code == 200


def test_home_page_lists_open_calls_only(client, site):
    now = timezone.now()
    CallFactory(title="2026年姑苏区社区微公益创投")
    CallFactory(
        title="尚未开始的创投",
        opens_at=now + datetime.timedelta(days=3),
        closes_at=now + datetime.timedelta(days=30),
    )

    body = client.get("/").content.decode()

    assert "2026年姑苏区社区微公益创投" in body
    assert "尚未开始的创投" not in body


def test_menu_is_built_from_the_home_pages_children_in_the_current_language(client, site):
    zh = client.get("/").content.decode()
    en = client.get("/en/").content.decode()

    assert 'href="/news/">新闻动态</a>' in zh
    assert 'href="/about/">关于益创</a>' in zh
    assert 'href="/en/news/">News</a>' in en
    assert 'href="/en/about/">About Yichuang</a>' in en


def test_news_page_marks_its_menu_entry_as_current(client, site):
    body = client.get("/news/haishu-open-space/").content.decode()

    assert 'href="/news/" aria-current="page"' in body


@pytest.mark.parametrize(
    "path", ["/", "/en/", "/news/", "/en/news/", "/about/", "/news/haishu-open-space/"]
)
def test_every_page_has_title_description_and_open_graph_tags(client, site, path):
    body = client.get(path).content.decode()

    title = re.search(r"<title>(.+?)</title>", body).group(1)
    description = re.search(r'<meta name="description" content="([^"]+)">', body).group(1)
    assert title.strip()
    assert description.strip()
    assert re.search(r'<meta property="og:title" content="[^"]+">', body)
    assert re.search(r'<meta property="og:description" content="[^"]+">', body)
    assert re.search(r'<meta property="og:type" content="(website|article)">', body)
    assert '<link rel="canonical" href="http://testserver' in body


def test_news_page_is_an_article_with_its_summary_as_description(client, site):
    body = client.get("/en/news/haishu-open-space/").content.decode()

    assert '<meta property="og:type" content="article">' in body
    assert '<meta name="description" content="Ningbo&#x27;s Haishu District' in body
    assert (
        '<link rel="alternate" hreflang="zh-hans" href="http://testserver/news/haishu-open-space/">'
        in body
    )


def test_seo_title_is_used_for_the_title(client, site):
    body = client.get("/").content.decode()

    assert "<title>益创 — 公益创投与社会组织孵化平台 · " in body


def test_pages_have_no_inline_script_or_style(client, site):
    for path in ("/", "/en/", "/news/", "/about/", "/news/haishu-open-space/", "/does-not-exist/"):
        body = client.get(path).content.decode()
        assert "<script" not in body
        assert " style=" not in body
        assert not re.search(r"\son[a-z]+=", body), path


def news_index_with(count: int) -> NewsIndexPage:
    index = NewsIndexPage.objects.get(locale=Locale.objects.get(language_code="zh-hans"))
    NewsPage.objects.child_of(index).delete()
    for number in range(count):
        index.add_child(
            instance=NewsPage(
                title=f"新闻{number}",
                slug=f"item-{number}",
                intro="摘要",
                date=datetime.date(2026, 1, 1),
            )
        )
    return index


@pytest.mark.parametrize("count", [1, 30])
def test_news_index_query_count_does_not_grow_with_the_news(
    client, site, count, django_assert_num_queries
):
    news_index_with(count)
    client.get("/news/")  # warm Wagtail's site-root cache

    with django_assert_num_queries(QUERIES_NEWS_INDEX):
        response = client.get("/news/")

    assert response.status_code == 200
    assert response.content.decode().count('class="card news-item"') == min(
        count, NewsIndexPage.per_page
    )


QUERIES_NEWS_INDEX = 14  # site, routing, the list (count + rows), menu, switcher, footer settings


def test_news_index_is_paginated_newest_first(client, site):
    index = news_index_with(0)
    for day in range(1, 13):
        index.add_child(
            instance=NewsPage(
                title=f"一月{day}日新闻",
                slug=f"jan-{day}",
                intro="摘要",
                date=datetime.date(2026, 1, day),
            )
        )

    first = client.get("/news/").content.decode()
    second = client.get("/news/?page=2").content.decode()

    assert first.index("一月12日新闻") < first.index("一月11日新闻")
    assert "一月1日新闻<" not in first
    assert "一月1日新闻<" in second
    assert client.get("/news/?page=99").status_code == 200


def test_robots_txt_allows_the_site_and_hides_private_areas(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "User-agent: *" in text
    for private in ("/admin/", "/me/", "/accounts/", "/api/"):
        assert f"Disallow: {private}\n" in text
    assert "Sitemap: http://testserver/sitemap.xml" in text


def test_sitemap_lists_pages_of_both_languages(client, site):
    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    xml = response.content.decode()
    # Locations use the Wagtail Site's host (SITE_URL), not the request's.
    assert re.search(r"<loc>https?://[^<]+/news/haishu-open-space/</loc>", xml)
    assert re.search(r"<loc>https?://[^<]+/en/news/haishu-open-space/</loc>", xml)
    assert re.search(r"<loc>https?://[^<]+/en/</loc>", xml)


def test_404_page_renders_in_chinese_and_in_english(client, site):
    zh = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    en = client.get("/en/no-such-page/")

    assert zh.status_code == 404
    assert html_lang(zh) == "zh-hans"
    assert "新闻动态" in zh.content.decode()  # the Chinese menu
    assert en.status_code == 404
    assert html_lang(en) == "en"
    assert "Page not found" in en.content.decode()
    assert 'class="button" href="/en/">' in en.content.decode()
    assert 'href="/en/news/">News</a>' in en.content.decode()


def test_500_page_renders_without_a_request(settings):
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("en"):
        html = render_to_string("500.html")

    assert '<html lang="en">' in html
    assert "Server error" in html


def test_news_page_with_an_image_shares_it_as_absolute_og_image(client, site):
    from wagtail.images.models import Image
    from wagtail.images.tests.utils import get_test_image_file

    image = Image.objects.create(title="社区议事会", file=get_test_image_file(size=(1600, 900)))
    page = NewsPage.objects.get(slug="haishu-open-space", locale__language_code="zh-hans")
    page.image = image
    page.save_revision().publish()

    body = client.get("/news/haishu-open-space/").content.decode()

    assert re.search(
        r'<meta property="og:image" content="http://testserver/media/images/[^"]+">', body
    )
    assert '<meta property="og:image:width" content="1200">' in body
