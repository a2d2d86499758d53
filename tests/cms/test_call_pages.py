"""The public call pages: the call index in three sections and one page per call and language."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from wagtail.documents.models import Document
from wagtail.models import Locale
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from cms.call_facts import duration_text
from cms.models import CallIndexPage, CallPage
from grants.models import RubricCriterion
from tests.factories import CallFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def index_in(language: str) -> CallIndexPage:
    return CallIndexPage.objects.get(locale__language_code=language)


def add_page(
    call, *, language: str = "zh-hans", title: str | None = None, slug: str = "", **fields
) -> CallPage:
    index = index_in(language)
    page = CallPage(title=title or call.title, slug=slug or call.slug, call=call, **fields)
    page.locale = index.locale
    index.add_child(instance=page)
    return page


def open_call(**fields):
    now = timezone.now()
    defaults = {
        "title": "2026年姑苏区社区微公益创投项目征集",
        "slug": "gusu-micro",
        "programme": ProgrammeFactory(name="2026年姑苏区公益创投大赛", funder="苏州市姑苏区民政局"),
        "themes": ["community", "elderly"],
        "budget": Decimal("900000"),
        "min_grant": Decimal("5000"),
        "max_grant": Decimal("30000"),
        "opens_at": now - timedelta(days=7),
        # 5 days, 3 hours and a half from now: the countdown says "5 days 3 hours".
        "closes_at": (now + timedelta(days=5, hours=3, minutes=30)).astimezone(UTC),
        "summary": "面向社区“小事”的微项目。",
    }
    defaults.update(fields)
    return CallFactory(**defaults)


def closed_call(**fields):
    now = timezone.now()
    return CallFactory(
        opens_at=now - timedelta(days=60), closes_at=now - timedelta(days=30), **fields
    )


def upcoming_call(**fields):
    now = timezone.now()
    return CallFactory(
        opens_at=now + timedelta(days=3), closes_at=now + timedelta(days=30), **fields
    )


def section(body: str, heading_id: str) -> str:
    """The HTML of the <section> labelled by ``heading_id``."""
    match = re.search(
        rf'<section aria-labelledby="{heading_id}">(.*?)</section>', body, flags=re.DOTALL
    )
    assert match, heading_id
    return match.group(1)


def text(body: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


# --- The call page ----------------------------------------------------------------------------


def test_call_page_shows_programme_budget_and_deadline_in_beijing_time(client, site):
    call = open_call()
    add_page(call)

    response = client.get("/calls/gusu-micro/")

    assert response.status_code == 200
    body = text(response.content.decode())
    assert "2026年姑苏区社区微公益创投项目征集" in body
    assert "2026年姑苏区公益创投大赛" in body
    assert "苏州市姑苏区民政局" in body
    assert "¥900,000" in body
    assert "¥5,000 – ¥30,000" in body
    assert call.closes_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") in body
    assert call.opens_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") in body
    assert "面向社区“小事”的微项目。" in body  # the call's summary when the page has no intro


def test_call_page_shows_themes(client, site):
    add_page(open_call(themes=["community", "elderly"]), language="en", title="Gusu micro")

    body = client.get("/en/calls/gusu-micro/").content.decode()

    assert "Community building" in body
    assert "Elderly care" in body


def test_countdown_is_rendered_by_the_server_and_refreshed_by_a_static_script(client, site):
    call = open_call()
    add_page(call, language="en", title="Gusu micro-projects")

    body = client.get("/en/calls/gusu-micro/").content.decode()

    assert "<strong data-countdown-text>5 days 3 hours left</strong>" in body
    target = re.search(r'data-countdown-target="([^"]+)"', body).group(1)
    assert target == call.closes_at.astimezone(SHANGHAI).isoformat(timespec="seconds")
    assert 'data-countdown-template="{time} left"' in body
    assert '<script src="/static/js/countdown.js" defer></script>' in body


def test_countdown_of_an_upcoming_call_runs_to_its_opening(client, site):
    add_page(upcoming_call(slug="soon"), language="en", title="Soon")

    body = client.get("/en/calls/soon/").content.decode()

    assert re.search(r"Opens in (2 days 23 hours|3 days)", body)


@pytest.mark.parametrize(
    ("left", "expected"),
    [
        (timedelta(days=5, hours=3, minutes=59), "5 days 3 hours"),
        (timedelta(days=1, minutes=10), "1 day"),
        (timedelta(hours=2, minutes=5), "2 hours 5 minutes"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(seconds=20), "1 minute"),
    ],
)
def test_time_left_names_the_two_largest_units(left, expected):
    with translation.override("en"):
        assert duration_text(left) == expected


def test_page_states_the_calls_rules_in_plain_words(client, site):
    call = open_call(
        one_application_per_organisation=True,
        allow_filed_community_orgs=True,
        requires_matching=True,
        max_grant_share_percent=60,
        personnel_cap_percent=30,
        management_cap_percent=10,
        failure_bar_years=3,
        has_screening=True,
        has_defense=True,
        has_public_notice=True,
        public_notice_days=7,
    )
    add_page(call, language="en", title="Gusu micro-projects")

    body = text(client.get("/en/calls/gusu-micro/").content.decode())

    assert "Each organisation may submit one application to this call." in body
    assert "community social organisations filed with their sub-district" in body
    assert "the grant may pay at most 60% of the project budget, so at least 40% must come" in body
    assert (
        "Personnel costs may be at most 30% of the grant, and the management fee at most 10%."
        in body
    )
    assert "failed or was terminated in the last 3 years may not apply" in body
    assert "checks every submitted application for eligibility first" in body
    assert "live pitch (路演)" in body
    assert "public notice (公示) of 7 days" in body


def test_page_states_other_settings_differently(client, site):
    call = open_call(
        one_application_per_organisation=False,
        allow_filed_community_orgs=False,
        requires_matching=False,
        personnel_cap_percent=25,
        management_cap_percent=5,
        failure_bar_years=0,
        has_screening=False,
        has_defense=False,
        has_public_notice=False,
    )
    add_page(call, language="en", title="Gusu micro-projects")

    body = text(client.get("/en/calls/gusu-micro/").content.decode())

    assert "An organisation may submit more than one application" in body
    assert "community social organisations that are only filed may not" in body
    assert "Matching funds are welcome but not required." in body
    assert "at most 25% of the grant, and the management fee at most 5%" in body
    assert "failed or was terminated" not in body
    assert "checks every submitted application" not in body
    assert "live pitch" not in body
    assert "announced without a public-notice period" in body


def test_page_shows_the_rubric_with_weights_and_guidance(client, site):
    call = open_call()
    RubricCriterion.objects.create(
        call=call, position=1, label="项目设计", weight=60, guidance="目标具体可衡量。"
    )
    RubricCriterion.objects.create(
        call=call, position=0, label="需求分析", weight=40, guidance="需求有调研依据。"
    )
    add_page(call)

    body = client.get("/calls/gusu-micro/").content.decode()

    rubric = text(section(body, "rubric-heading"))
    assert rubric.index("需求分析 40 需求有调研依据。") < rubric.index(
        "项目设计 60 目标具体可衡量。"
    )
    assert rubric.endswith("100")


def test_page_lists_the_documents_to_download(client, site, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    document = Document(title="申报指南")
    document.file.save("guide.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    document.save()
    call = open_call()
    add_page(call, documents=[("document", {"document": document, "title": ""})])

    body = client.get("/calls/gusu-micro/").content.decode()

    documents = section(body, "documents-heading")
    assert f'href="{document.url}"' in documents
    assert "申报指南" in documents


def test_open_call_has_an_apply_link_to_the_application_form(client, site):
    add_page(open_call())

    body = client.get("/calls/gusu-micro/").content.decode()

    assert '<a id="apply-button" class="button" href="/calls/gusu-micro/apply/">' in body
    assert "disabled" not in body


def test_closed_call_has_a_disabled_apply_button_saying_it_is_closed(client, site):
    add_page(closed_call(slug="old"))

    body = client.get("/calls/old/").content.decode()

    assert (
        '<button type="button" id="apply-button" disabled aria-describedby="apply-reason">' in body
    )
    assert re.search(r'<p id="apply-reason" class="muted"><strong>已截止</strong>', body)
    assert "/calls/old/apply/" not in body
    assert "data-countdown-target" not in body


def test_upcoming_call_has_a_disabled_apply_button_saying_it_has_not_opened(client, site):
    call = upcoming_call(slug="soon")
    add_page(call, language="en", title="Soon")

    body = client.get("/en/calls/soon/").content.decode()

    assert (
        '<button type="button" id="apply-button" disabled aria-describedby="apply-reason">' in body
    )
    assert "<strong>Not open yet</strong>" in body
    assert "/calls/soon/apply/" not in body
    opens = call.opens_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    assert f"Applications open on {opens}." in body


def test_english_call_page_is_served_under_en_with_its_own_title(client, site):
    call = open_call()
    zh = add_page(call)
    en = add_page(call, language="en", title="Gusu community micro-projects")
    en.translation_key = zh.translation_key
    en.save()

    body = client.get("/en/calls/gusu-micro/").content.decode()

    assert '<html lang="en">' in body
    assert "<h1>Gusu community micro-projects</h1>" in body
    assert "Apply now" in body
    assert "Deadline" in body
    assert "(Beijing time)" in body
    assert (
        '<link rel="alternate" hreflang="zh-hans" href="http://testserver/calls/gusu-micro/">'
        in body
    )


@pytest.mark.parametrize("path", ["/calls/", "/en/calls/", "/calls/gusu-micro/"])
def test_call_pages_have_open_graph_tags_and_no_inline_script_or_style(client, site, path):
    call = open_call()
    add_page(call)

    body = client.get(path).content.decode()

    assert re.search(r'<meta property="og:title" content="[^"]+">', body)
    assert re.search(r'<meta property="og:description" content="[^"]+">', body)
    assert '<meta property="og:type" content="website">' in body
    assert '<meta property="og:url" content="http://testserver' in body
    assert not re.search(r"<script(?![^>]*\ssrc=)", body)
    assert " style=" not in body
    assert not re.search(r"\son[a-z]+=", body)


def test_one_page_per_call_and_language(site):
    call = open_call()
    add_page(call)
    add_page(call, language="en", title="In English")  # another language is fine

    with pytest.raises(ValidationError) as refusal:
        add_page(call, title="Again", slug="again")

    assert list(refusal.value.message_dict) == ["call"]


def test_a_call_with_a_page_cannot_be_deleted(site):
    from django.db.models import ProtectedError

    call = open_call()
    add_page(call)

    with pytest.raises(ProtectedError):
        call.delete()


# --- The call index -----------------------------------------------------------------------------


def test_call_index_lists_open_upcoming_and_closed_calls_in_their_sections(client, site):
    add_page(open_call(title="征集中的创投"))
    add_page(upcoming_call(title="即将开始的创投", slug="soon"))
    add_page(closed_call(title="已截止的创投", slug="old"))

    body = client.get("/calls/").content.decode()

    assert "征集中的创投" in section(body, "open-calls-heading")
    assert "即将开始的创投" in section(body, "upcoming-calls-heading")
    assert "已截止的创投" in section(body, "closed-calls-heading")
    assert "即将开始的创投" not in section(body, "open-calls-heading")
    assert 'href="/calls/gusu-micro/"' in body


def test_call_index_orders_open_calls_by_deadline(client, site):
    now = timezone.now()
    add_page(open_call(title="晚截止", slug="late", closes_at=now + timedelta(days=20)))
    add_page(open_call(title="早截止", slug="early", closes_at=now + timedelta(days=2)))

    body = section(client.get("/calls/").content.decode(), "open-calls-heading")

    assert body.index("早截止") < body.index("晚截止")


def test_call_index_is_in_the_menu_in_both_languages(client, site):
    assert 'href="/calls/">创投公告</a>' in client.get("/").content.decode()
    assert 'href="/en/calls/">Calls for proposals</a>' in client.get("/en/").content.decode()


def test_call_index_leaves_out_unpublished_pages(client, site):
    page = add_page(open_call(title="草稿公告"))
    page.unpublish()

    body = client.get("/calls/").content.decode()

    assert "草稿公告" not in body


def _index_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/calls/")
    assert response.status_code == 200
    return len(queries)


def test_call_index_query_count_is_the_same_for_1_and_30_calls(
    client, site, django_assert_num_queries
):
    programme = ProgrammeFactory()
    add_page(open_call(programme=programme, slug="first"))
    _index_queries(client)  # warm the per-process caches (content types, site root paths)
    one = _index_queries(client)
    for number in range(29):
        maker = (open_call, upcoming_call, closed_call)[number % 3]
        add_page(maker(programme=ProgrammeFactory(), slug=f"call-x{number}", title=f"公告{number}"))

    with django_assert_num_queries(one):
        response = client.get("/calls/")

    assert response.content.decode().count('class="card call-card"') == 30


# --- The home page links open calls to their pages ------------------------------------------------


def test_home_page_links_open_calls_to_their_page_in_the_current_language(client, site):
    call = open_call()
    add_page(call)
    add_page(call, language="en", title="Gusu community micro-projects")

    zh = client.get("/").content.decode()
    en = client.get("/en/").content.decode()

    assert '<a href="/calls/gusu-micro/">2026年姑苏区社区微公益创投项目征集</a>' in zh
    assert '<a href="/en/calls/gusu-micro/">Gusu community micro-projects</a>' in en


def test_home_page_shows_an_open_call_without_a_page_unlinked(client, site):
    open_call()

    body = client.get("/").content.decode()

    assert "2026年姑苏区社区微公益创投项目征集" in body
    assert 'href="/calls/gusu-micro/"' not in body


# --- Demo -----------------------------------------------------------------------------------------


def test_seed_demo_builds_a_call_page_per_demo_call_in_both_languages_once(client):
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    zh = Locale.objects.get(language_code="zh-hans")
    en = Locale.objects.get(language_code="en")
    chinese = CallPage.objects.filter(locale=zh)
    english = CallPage.objects.filter(locale=en)
    assert chinese.count() == english.count() == 6
    assert {p.translation_key for p in chinese} == {p.translation_key for p in english}
    pages = CallPage.objects.count()

    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())

    assert CallPage.objects.count() == pages
    body = client.get("/calls/").content.decode()
    assert "姑苏区社区微公益创投项目征集" in section(body, "open-calls-heading")
    assert "为老助残" in section(body, "upcoming-calls-heading")
    assert "青少年德育" in section(body, "closed-calls-heading")
    english_body = client.get("/en/calls/gusu-community-micro-projects/").content.decode()
    assert "Gusu community micro-projects: call for proposals" in english_body
    assert "需求分析" in english_body  # the demo rubric


# --- Editing in the Wagtail admin -------------------------------------------------------------------


def test_an_editor_adds_a_call_page_in_the_wagtail_admin(admin_client, site):
    call = open_call()
    index = index_in("zh-hans")
    add_url = f"/admin/pages/add/cms/callpage/{index.pk}/"

    form = admin_client.get(add_url)
    response = admin_client.post(
        add_url,
        nested_form_data(
            {
                "title": "姑苏区社区微公益创投",
                "slug": "gusu-micro",
                "call": call.pk,
                "intro": rich_text("<p>面向社区“小事”的微项目。</p>"),
                "documents": streamfield([]),
                "action-publish": "publish",
            }
        ),
    )

    assert form.status_code == 200
    assert response.status_code == 302, response.context["form"].errors
    assert CallPage.objects.get().call == call
    assert "姑苏区社区微公益创投" in admin_client.get("/calls/gusu-micro/").content.decode()
