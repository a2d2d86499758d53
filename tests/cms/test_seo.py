"""What search engines and share cards read: Open Graph, canonical and hreflang, robots, sitemap."""

from __future__ import annotations

import re

import pytest
from wagtail.images.models import Image
from wagtail.images.tests.utils import get_test_image_file
from wagtail.models import Collection, Locale

from cms.models import HomePage, NewsPage, SiteSettings
from grants.enums import ApplicationState
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db

OG_IMAGE = re.compile(r'<meta property="og:image" content="([^"]+)">')


def meta(body: str, prop: str) -> str | None:
    found = re.search(rf'<meta (?:property|name)="{re.escape(prop)}" content="([^"]*)">', body)
    return found.group(1) if found else None


def image(title: str, size=(1600, 900)) -> Image:
    collection = Collection.get_first_root_node() or Collection.add_root(name="Root")
    return Image.objects.create(
        title=title, file=get_test_image_file(size=size), collection=collection
    )


@pytest.fixture
def default_share_image(site):
    picture = image("益创 · 社区公益创投")
    settings = SiteSettings.load()
    settings.share_image = picture
    settings.save()
    return picture


# --- Open Graph ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/en/", "/en/about/", "/gongshi/", "/volunteering/"])
def test_every_page_has_the_default_share_image_as_an_absolute_jpeg(
    client, default_share_image, path
):
    body = client.get(path).content.decode()

    images = OG_IMAGE.findall(body)
    assert len(images) == 1, path
    assert re.fullmatch(r"http://testserver/media/images/[^\"]+\.jpg", images[0])
    assert meta(body, "og:image:width") == "1200"
    assert meta(body, "og:image:height") == "630"
    assert meta(body, "og:image:alt")
    assert meta(body, "twitter:card") == "summary_large_image"


def test_a_page_with_its_own_image_shares_only_that_one(client, default_share_image):
    page = NewsPage.objects.get(slug="haishu-open-space", locale__language_code="en")
    page.image = image("Haishu open space", size=(1400, 800))
    page.save_revision().publish()

    body = client.get("/en/news/haishu-open-space/").content.decode()

    images = OG_IMAGE.findall(body)
    assert len(images) == 1
    own = page.image.get_rendition("fill-1200x630").url
    assert images[0] == f"http://testserver{own}"


def test_without_a_default_image_a_page_has_no_empty_og_image(client, site):
    body = client.get("/en/").content.decode()

    assert "og:image" not in body


def test_news_page_has_title_description_type_and_locale(client, site):
    en = client.get("/en/news/haishu-open-space/").content.decode()
    zh = client.get("/news/haishu-open-space/").content.decode()

    assert meta(en, "og:title")
    assert meta(en, "og:description").startswith("Ningbo&#x27;s Haishu District")
    assert meta(en, "og:type") == "article"
    assert meta(en, "og:locale") == "en_US"
    assert meta(zh, "og:locale") == "zh_CN"
    assert meta(zh, "og:title") != meta(en, "og:title")


def test_translated_pages_name_their_canonical_url_and_their_translations(client, site):
    body = client.get("/en/news/haishu-open-space/").content.decode()

    assert '<link rel="canonical" href="http://testserver/en/news/haishu-open-space/">' in body
    assert meta(body, "og:url") == "http://testserver/en/news/haishu-open-space/"
    assert (
        '<link rel="alternate" hreflang="zh-hans" href="http://testserver/news/haishu-open-space/">'
        in body
    )
    assert (
        '<link rel="alternate" hreflang="en" href="http://testserver/en/news/haishu-open-space/">'
        in body
    )
    assert body.count('rel="canonical"') == 1


def test_a_django_view_has_a_canonical_url_without_the_query_string(client, site):
    body = client.get("/gongshi/?from=singlemessage").content.decode()

    assert '<link rel="canonical" href="http://testserver/gongshi/">' in body
    assert body.count('rel="canonical"') == 1


def test_news_picture_is_a_rendition_with_size_and_alt_text(client, site):
    page = NewsPage.objects.get(slug="haishu-open-space", locale__language_code="zh-hans")
    page.image = image("海曙区社区议事厅")
    page.save_revision().publish()

    body = client.get("/news/haishu-open-space/").content.decode()
    listing = client.get("/news/").content.decode()

    picture = re.search(r"<figure><img ([^>]+)>", body).group(1)
    assert 'alt="海曙区社区议事厅"' in picture
    assert 'width="960"' in picture and 'height="540"' in picture
    assert "/media/images/" in picture and ".width-960." in picture
    assert re.search(r'<img alt="海曙区社区议事厅" class="news-item__image" height="180"', listing)


# --- robots.txt and sitemap ----------------------------------------------------------------------


def test_robots_txt_keeps_crawlers_out_of_private_areas_and_names_the_sitemap(client):
    text = client.get("/robots.txt").content.decode()

    for private in ("/admin/", "/me/", "/workspace/", "/accounts/", "/api/"):
        assert f"Disallow: {private}\n" in text
    assert "Disallow: /gongshi/\n" not in text  # the 公示 is public
    assert "Sitemap: http://testserver/sitemap.xml" in text


def test_sitemap_lists_the_pages_of_both_languages(client, site):
    xml = client.get("/sitemap.xml").content.decode()

    locations = re.findall(r"<loc>([^<]+)</loc>", xml)
    assert any(url.endswith("/news/haishu-open-space/") and "/en/" not in url for url in locations)
    assert any(url.endswith("/en/news/haishu-open-space/") for url in locations)
    assert any(url.endswith("/en/about/") for url in locations)


def test_sitemap_lists_each_public_project_under_each_languages_index(client, site):
    from cms.models import ProjectIndexPage

    for code in ("zh-hans", "en"):
        home = HomePage.objects.get(locale=Locale.objects.get(language_code=code))
        if not ProjectIndexPage.objects.child_of(home).exists():
            home.add_child(instance=ProjectIndexPage(title="资助项目", slug="projects"))
    funded = ApplicationFactory(state=ApplicationState.ACTIVE, title="社区长者食堂")
    draft = ApplicationFactory(title="草稿项目")

    xml = client.get("/sitemap.xml").content.decode()

    locations = re.findall(r"<loc>([^<]+)</loc>", xml)
    assert any(url.endswith(f"/projects/{funded.pk}/") and "/en/" not in url for url in locations)
    assert any(url.endswith(f"/en/projects/{funded.pk}/") for url in locations)
    assert not any(url.endswith(f"/projects/{draft.pk}/") for url in locations)
