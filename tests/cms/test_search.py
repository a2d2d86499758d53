"""Site search (issue #8): Chinese words inside sentences are found, private data never is."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Locale

from cms.models import CallIndexPage, CallPage, NewsIndexPage, NewsPage, SearchEntry
from cms.search import MAX_QUERY_LENGTH, rebuild_index
from grants.enums import ApplicationState
from tests.factories import ApplicationFactory, CallFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

S = ApplicationState
ELDERLY_SUMMARY = "为辖区高龄、独居老人提供社区居家养老服务，每周上门探访并组织助餐。"


@pytest.fixture
def indexed_site(site):
    """The demo site with its pages in the index (build_site adds pages without publishing)."""
    rebuild_index()
    return site


def locale(code: str) -> Locale:
    return Locale.objects.get(language_code=code)


def publish_news(*, language: str = "zh-hans", title: str, intro: str, slug: str) -> NewsPage:
    index = NewsIndexPage.objects.get(locale=locale(language))
    page = index.add_child(
        instance=NewsPage(
            title=title, slug=slug, intro=intro, date=datetime.date(2026, 3, 1), live=False
        )
    )
    page.save_revision().publish()
    return page


def publish_call_page(call, *, intro: str = "") -> CallPage:
    index = CallIndexPage.objects.get(locale=locale("zh-hans"))
    page = index.add_child(
        instance=CallPage(title=call.title, slug=call.slug, call=call, intro=intro, live=False)
    )
    page.save_revision().publish()
    return page


def funded_project(**kwargs):
    return ApplicationFactory(state=S.ACTIVE, **kwargs)


def search(client, query: str, *, prefix: str = "", **params) -> str:
    """The results page, with the highlighting marks removed so that texts can be compared."""
    return (
        search_html(client, query, prefix=prefix, **params)
        .replace("<mark>", "")
        .replace("</mark>", "")
    )


def search_html(client, query: str, *, prefix: str = "", **params) -> str:
    response = client.get(f"{prefix}/search/", {"q": query, **params})
    assert response.status_code == 200
    return response.content.decode()


# --- Chinese words inside sentences ---------------------------------------------------------------


def test_yanglao_finds_the_project_and_the_news_that_mention_it_inside_a_sentence(
    client, indexed_site
):
    # given a funded project and a news item that say 养老 only inside longer words
    project = funded_project(title="幸福晚年·邻里守望计划", summary=ELDERLY_SUMMARY)
    publish_news(
        title="姑苏区发布2026年社区服务清单",
        intro="清单涵盖助餐、助浴和居家养老上门服务等十二类项目。",
        slug="service-list",
    )

    # when someone searches for the word
    body = search_html(client, "养老")

    # then both are found, with the word highlighted and links to their public pages
    assert "幸福晚年·邻里守望计划" in body
    assert f'href="/projects/{project.pk}/"' in body
    assert "姑苏区发布2026年社区服务清单" in body
    assert 'href="/news/service-list/"' in body
    assert "<mark>养老</mark>" in body


def test_qingshaonian_finds_a_call_and_a_project(client, indexed_site):
    call = CallFactory(
        title="2026年青少年成长护航微创投",
        summary="面向困境青少年的课后托管、心理支持与家庭教育项目。",
    )
    publish_call_page(call)
    funded_project(title="四点半课堂", summary="为社区青少年提供课后托管和作业辅导。")

    body = search_html(client, "青少年")

    assert "2026年<mark>青少年</mark>成长护航微创投" in body
    assert f'href="/calls/{call.slug}/"' in body
    assert "四点半课堂" in search(client, "青少年")


def test_every_term_must_match_and_title_matches_come_first(client, indexed_site):
    funded_project(title="助老服务站", summary="社区居家养老服务，覆盖独居老人。")
    funded_project(title="养老驿站运营", summary="在社区驿站为老人提供助餐服务。")
    funded_project(title="儿童之家", summary="社区儿童托管服务。")

    body = search(client, "养老 社区")

    assert "儿童之家" not in body  # has 社区, not 养老
    assert body.index("养老驿站运营") < body.index("助老服务站")


def test_full_width_and_upper_case_queries_match(client, indexed_site):
    funded_project(title="AI助老 智慧陪伴", summary=ELDERLY_SUMMARY)

    assert "智慧陪伴" in search(
        client, "ａｉ助老"
    )  # full-width letters, as a Chinese IME types them


def test_english_query_searches_the_english_tree_only(client, indexed_site, english):
    publish_news(
        language="en",
        title="Home care for older residents expands",
        intro="Gusu District adds meal delivery and home visits for older residents.",
        slug="home-care",
    )

    english_body = search(client, "older residents", prefix="/en")
    chinese_body = search(client, "older residents")

    assert 'href="/en/news/home-care/"' in english_body
    assert "1 result for" in english_body
    assert "Home care for older residents expands" not in chinese_body


def test_results_are_labelled_and_can_be_narrowed_by_kind(client, indexed_site, english):
    project = funded_project(title="Eldercare at home", summary="Home visits for elderly people.")

    body = search(client, "eldercare", prefix="/en")
    only_news = search(client, "eldercare", prefix="/en", kind="news")

    assert "Projects (1)" in body
    assert f'href="/en/projects/{project.pk}/"' in body
    assert "Eldercare at home" not in only_news


# --- Only public things ------------------------------------------------------------------------------


def test_private_contact_data_is_never_found(client, indexed_site):
    organisation = OrganisationFactory(
        name="彩虹社会工作服务中心",
        contact_name="赵明华",
        contact_phone="13912345678",
        contact_email="zhao@example.org",
        address="姑苏区十全街88号",
    )
    funded_project(organisation=organisation, summary=ELDERLY_SUMMARY)

    assert "彩虹社会工作服务中心" in search(client, "彩虹社会工作")  # the organisation is indexed
    for private in ("赵明华", "13912345678", "zhao@example.org", "十全街"):
        body = search(client, private)
        assert "彩虹社会工作服务中心" not in body, private
    assert not SearchEntry.objects.filter(haystack__contains="13912345678").exists()


def test_draft_and_rejected_applications_are_not_found(client, indexed_site):
    ApplicationFactory(state=S.DRAFT, title="草稿：养老互助点", summary=ELDERLY_SUMMARY)
    ApplicationFactory(state=S.REJECTED, title="未获资助：养老食堂", summary=ELDERLY_SUMMARY)

    body = search(client, "养老")

    assert "养老互助点" not in body
    assert "养老食堂" not in body


def test_organisation_without_credit_code_or_public_project_is_not_found(client, indexed_site):
    from incubator.enums import OrganisationType

    OrganisationFactory(
        name="桂花巷居民互助队", org_type=OrganisationType.COMMUNITY_ORG, credit_code=None
    )
    OrganisationFactory(name="登记在册的阳光社工服务社")

    assert "桂花巷居民互助队" not in search(client, "互助队")
    assert "登记在册的阳光社工服务社" in search(client, "阳光社工")


def test_unpublished_page_is_not_found_until_published_and_gone_after_unpublishing(
    client, indexed_site
):
    # given a draft news item
    index = NewsIndexPage.objects.get(locale=locale("zh-hans"))
    page = index.add_child(
        instance=NewsPage(
            title="敬老月活动预告", slug="respect", intro="重阳节敬老活动。", live=False
        )
    )
    assert "敬老月活动预告" not in search(client, "敬老")

    # when it is published, then it is found
    page.save_revision().publish()
    assert "敬老月活动预告" in search(client, "敬老")

    # when it is unpublished, then it is gone again
    page.refresh_from_db()
    page.unpublish()
    assert "敬老月活动预告" not in search(client, "敬老")


def test_deleted_page_and_renamed_organisation_are_reflected(client, indexed_site):
    page = publish_news(title="助餐点开张", intro="新的社区助餐点今天开张。", slug="canteen")
    project = funded_project(summary=ELDERLY_SUMMARY)

    page.delete()
    project.organisation.name = "更名后的乐龄服务中心"
    project.organisation.save()

    assert "助餐点开张" not in search(client, "助餐点")
    body = search(client, "乐龄服务")
    assert f'href="/projects/{project.pk}/"' in body  # the project names its organisation
    assert f'href="/organisations/{project.organisation_id}/"' in body


def test_rebuild_command_gives_the_same_index(client, indexed_site):
    funded_project(title="幸福晚年·邻里守望计划", summary=ELDERLY_SUMMARY)
    before = set(SearchEntry.objects.values_list("kind", "object_id", "language", "haystack"))

    call_command("rebuild_search_index", stdout=open("/dev/null", "w"))  # noqa: SIM115

    after = set(SearchEntry.objects.values_list("kind", "object_id", "language", "haystack"))
    assert after == before
    assert "幸福晚年·邻里守望计划" in search(client, "养老")


# --- The page itself -----------------------------------------------------------------------------


def test_empty_and_short_queries_explain_what_to_do(client, indexed_site, english):
    assert "Type a word or two" in search(client, "", prefix="/en")
    assert "Type at least two characters." in search(client, "老", prefix="/en")


def test_long_query_is_cut_and_said_so(client, indexed_site, english):
    body = search(client, "养" * (MAX_QUERY_LENGTH + 50), prefix="/en")

    assert f"Only the first {MAX_QUERY_LENGTH} characters" in body


def test_search_form_is_accessible_and_in_the_header_of_every_page(client, indexed_site):
    home = client.get("/").content.decode()
    body = search(client, "养老")

    assert 'role="search"' in home
    assert 'action="/search/"' in home
    assert '<label for="site-search-q"' in home
    assert '<label for="search-q">' in body
    assert 'value="养老"' in body


def test_query_text_is_escaped(client, indexed_site):
    body = search(client, "<script>alert(1)</script>")

    assert "<script>alert(1)" not in body


@pytest.mark.parametrize("count", [1, 30])
def test_query_count_does_not_grow_with_the_results(
    client, indexed_site, count, django_assert_max_num_queries
):
    call = CallFactory()
    for number in range(count):
        funded_project(call=call, title=f"居家养老项目{number}", summary=ELDERLY_SUMMARY)
    search(client, "养老")  # warm Wagtail's site-root cache

    with django_assert_max_num_queries(QUERIES_SEARCH):
        body = search(client, "养老")

    assert body.count('class="card"') == min(count, 20)


QUERIES_SEARCH = 12  # session/chrome (menu, switcher, footer settings) + counts, total, one page


def test_query_count_is_the_same_for_one_and_thirty_results(client, indexed_site):
    call = CallFactory()
    funded_project(call=call, title="居家养老项目", summary=ELDERLY_SUMMARY)
    search(client, "养老")
    with CaptureQueriesContext(connection) as one:
        search(client, "养老")
    for number in range(29):
        funded_project(call=call, title=f"居家养老项目{number}", summary=ELDERLY_SUMMARY)
    search(client, "养老", page=2)  # refill the caches the new rows invalidated

    with CaptureQueriesContext(connection) as thirty:
        body = search(client, "养老", page=2)

    assert len(thirty) == len(one)
    assert 'rel="prev"' in body
