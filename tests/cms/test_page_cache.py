"""The anonymous page cache: fast public pages, never someone else's page, fresh after publishing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import PageViewRestriction

from cms import page_cache
from cms.models import NewsPage
from tests.factories import UserFactory
from tests.grants.factories_decisions import closed_call, many_on_notice, notice_for

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 300  # the test settings turn the cache off for other tests


def without_tokens(response) -> str:
    return TOKEN.sub("", response.content.decode())


def tokens(response) -> list[str]:
    return TOKEN.findall(response.content.decode())


def news_page(language: str = "zh-hans") -> NewsPage:
    return NewsPage.objects.get(slug="haishu-open-space", locale__language_code=language)


# --- Hits ------------------------------------------------------------------------------------------


def test_second_anonymous_request_is_a_hit_with_the_same_page(client, site):
    first = client.get("/news/haishu-open-space/")
    second = client.get("/news/haishu-open-space/")

    assert first["X-Cache"] == "miss"
    assert second["X-Cache"] == "hit"
    assert second.status_code == 200
    assert without_tokens(second) == without_tokens(first)
    assert second["Content-Type"] == first["Content-Type"]


def test_a_hit_costs_no_database_query(client, site, django_assert_num_queries):
    client.get("/en/news/")

    with django_assert_num_queries(0):
        response = client.get("/en/news/")

    assert response["X-Cache"] == "hit"


def test_each_language_and_each_page_of_a_list_is_kept_apart(client, site):
    client.get("/news/")
    client.get("/en/news/")

    assert client.get("/news/")["X-Cache"] == "hit"
    english = client.get("/en/news/")
    assert english["X-Cache"] == "hit"
    assert '<html lang="en">' in english.content.decode()
    assert client.get("/news/?page=2")["X-Cache"] == "miss"
    assert client.get("/news/?page=2")["X-Cache"] == "hit"


def test_wechat_share_parameters_are_cached_but_other_queries_are_not(client, site):
    assert client.get("/?from=singlemessage&isappinstalled=0")["X-Cache"] == "miss"
    assert client.get("/?from=singlemessage&isappinstalled=0")["X-Cache"] == "hit"
    assert client.get("/?utm_source=spam")["X-Cache"] == "bypass"
    assert client.get("/?utm_source=spam")["X-Cache"] == "bypass"


def test_head_is_answered_from_the_cache(client, site):
    client.get("/en/")

    assert client.head("/en/")["X-Cache"] == "hit"


# --- Purging -------------------------------------------------------------------------------------


def test_publishing_a_change_makes_the_next_request_a_miss_with_the_new_content(client, site):
    client.get("/news/haishu-open-space/")
    page = news_page()
    page.title = "海曙区社区议事厅全面开放"
    page.save_revision().publish()

    response = client.get("/news/haishu-open-space/")

    assert response["X-Cache"] == "miss"
    assert "海曙区社区议事厅全面开放" in response.content.decode()


def test_a_new_news_item_shows_on_the_cached_home_page_once_published(client, site):
    client.get("/")
    index = news_page().get_parent()
    item = NewsPage(title="崇川区第二批创投启动", slug="second-batch", intro="摘要", live=False)
    index.add_child(instance=item)
    assert client.get("/")["X-Cache"] == "hit"  # a draft changes nothing

    item.save_revision().publish()

    response = client.get("/")
    assert response["X-Cache"] == "miss"
    assert "崇川区第二批创投启动" in response.content.decode()


def test_unpublishing_a_page_is_not_hidden_by_the_cache(client, site):
    client.get("/news/haishu-open-space/")

    news_page().unpublish()

    assert client.get("/news/haishu-open-space/").status_code == 404


def test_saving_a_call_purges_the_public_notice_pages(client, officer):
    call = closed_call(title="2026年崇川区社区公益微创投", slug="chongchuan-2026")
    many_on_notice(call, 2)
    notice_for(call, by=officer, days_ago=1)
    url = reverse("grants:public_notice", args=[call.slug])
    client.get(url)
    assert client.get(url)["X-Cache"] == "hit"

    call.title = "2026年崇川区社区公益微创投（第一批）"
    call.save()

    response = client.get(url)
    assert response["X-Cache"] == "miss"
    assert "（第一批）" in response.content.decode()


def test_an_entry_never_outlives_the_moment_a_notice_closes(officer):
    now = timezone.now()
    call = closed_call()
    notice = notice_for(call, by=officer, days_ago=6.99, open_days=7)

    assert page_cache.next_boundary(now) == notice.closes_at
    assert 0 < page_cache._entry_timeout(now) <= 15 * 60


# --- Never someone else's page -------------------------------------------------------------------


def test_signed_in_users_are_never_served_or_stored(client, site):
    user = UserFactory(username="wangli_cache", display_name="王丽")
    signed_in = Client()
    signed_in.force_login(user)

    # given: a signed-in reader visits first (cold cache)
    theirs = signed_in.get("/en/")
    # when: an anonymous reader comes next
    anonymous = client.get("/en/")
    # then: the signed-in page was neither served from nor put in the cache
    assert theirs["X-Cache"] == "bypass"
    assert "Log out" in theirs.content.decode()
    assert anonymous["X-Cache"] == "miss"
    assert "Log out" not in anonymous.content.decode()
    assert "My workspace" not in anonymous.content.decode()
    # and a signed-in reader never gets the anonymous copy either
    again = signed_in.get("/en/")
    assert again["X-Cache"] == "bypass"
    assert "Log out" in again.content.decode()
    assert client.get("/en/")["X-Cache"] == "hit"


def test_a_reader_with_a_session_or_a_flash_message_bypasses_the_cache(site):
    client = Client()
    client.get("/en/")
    with_session = Client()
    with_session.cookies["sessionid"] = "not-a-real-session"
    with_message = Client()
    with_message.cookies["messages"] = "anything"

    assert with_session.get("/en/")["X-Cache"] == "bypass"
    assert with_message.get("/en/")["X-Cache"] == "bypass"


def test_post_is_never_cached(client, site):
    assert client.post("/en/")["X-Cache"] == "bypass"
    assert client.get("/en/")["X-Cache"] == "miss"


def test_errors_are_never_cached(client, site):
    assert client.get("/en/no-such-page/").status_code == 404
    second = client.get("/en/no-such-page/")
    assert second.status_code == 404
    assert second["X-Cache"] == "bypass"


def test_a_password_protected_page_is_never_cached(client, site):
    PageViewRestriction.objects.create(
        page=news_page("en"), restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )

    first = client.get("/en/news/haishu-open-space/")
    second = client.get("/en/news/haishu-open-space/")

    assert first.status_code == 200  # Wagtail's password form
    assert second["X-Cache"] == "bypass"
    assert "Haishu" not in second.content.decode().split("<main", 1)[-1]


def test_views_that_say_never_cache_are_not_cached(client, officer):
    call = closed_call(slug="chongchuan-2026")
    project = many_on_notice(call, 1)[0]
    notice_for(call, by=officer, days_ago=1)
    url = reverse("grants:objection_lodge", args=[call.slug, project.pk])

    client.get(url)

    assert client.get(url)["X-Cache"] == "bypass"


# --- CSRF tokens ---------------------------------------------------------------------------------


def test_a_cached_page_carries_a_token_of_its_own_reader(site):
    first_reader = Client(enforce_csrf_checks=True)
    second_reader = Client(enforce_csrf_checks=True)
    first = first_reader.get("/en/")

    second = second_reader.get("/en/")

    assert second["X-Cache"] == "hit"
    assert set(tokens(second)).isdisjoint(tokens(first))
    assert "__pagecache_csrf_token__" not in second.content.decode()
    assert "csrftoken" in second.cookies  # the reader gets the cookie that matches the token
    # the second reader's forms work (the language switcher), with their token only
    switch = {"language": "zh-hans", "next": "/", "csrfmiddlewaretoken": tokens(second)[0]}
    assert second_reader.post("/i18n/setlang/", switch).status_code == 302
    stolen = {**switch, "csrfmiddlewaretoken": tokens(first)[0]}
    assert Client(enforce_csrf_checks=True).post("/i18n/setlang/", stolen).status_code == 403


def test_the_objection_form_of_a_cached_notice_can_be_sent(officer):
    call = closed_call(slug="chongchuan-2026")
    project = many_on_notice(call, 1)[0]
    notice_for(call, by=officer, days_ago=1)
    url = reverse("grants:public_notice", args=[call.slug])
    Client().get(url)
    reader = Client(enforce_csrf_checks=True)

    page = reader.get(url)

    assert page["X-Cache"] == "hit"
    token = re.search(
        r'action="([^"]+/objection/)".*?name="csrfmiddlewaretoken" value="([^"]+)"',
        page.content.decode(),
        re.S,
    )
    assert token is not None
    lodged = reader.post(
        token.group(1),
        {
            "csrfmiddlewaretoken": token.group(2),
            f"p{project.pk}-name": "张三",
            f"p{project.pk}-contact": "zhangsan@example.org",
            f"p{project.pk}-body": "该机构去年同类项目未按期结项，请核实。",
        },
    )
    assert lodged.status_code in (302, 400)  # past CSRF: the form itself answered
    assert lodged.status_code != 403


def test_the_public_notice_pages_are_cached_for_anonymous_readers(client, officer):
    call = closed_call(slug="chongchuan-2026")
    many_on_notice(call, 1)
    notice_for(call, by=officer, days_ago=10)

    for url in (
        reverse("grants:public_notice_index"),
        reverse("grants:public_notice", args=[call.slug]),
        reverse("grants:public_results", args=[call.slug]),
    ):
        assert client.get(url)["X-Cache"] == "miss", url
        assert client.get(url)["X-Cache"] == "hit", url


def test_generation_survives_eviction_as_a_newer_number():
    from django.core.cache import cache

    before = page_cache.generation()
    cache.delete(page_cache.GENERATION_KEY)

    assert page_cache.generation() > before - 1
    page_cache.purge()
    assert page_cache.generation() > before


def test_an_entry_is_not_kept_when_the_cache_is_off(client, site, settings):
    settings.PAGE_CACHE_SECONDS = 0

    client.get("/en/")

    assert client.get("/en/")["X-Cache"] == "bypass"


def test_past_boundaries_do_not_shorten_entries(officer):
    now = timezone.now()
    notice_for(closed_call(), by=officer, days_ago=30)

    assert page_cache.next_boundary(now + timedelta(seconds=1)) is None


def test_production_on_an_in_memory_cache_is_warned(settings):
    from cms.page_cache import check_shared_cache

    settings.DEBUG = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [message.id for message in check_shared_cache()] == ["cms.W001"]

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379",
        }
    }
    assert check_shared_cache() == []
