"""An anonymous visitor crawls the whole public site built from the full demo data (issue #8).

Done when "the anonymous crawl finds no private field and no 5xx": the module seeds the demo once
(``seed_demo``, every capability, both language trees), makes the few private values the demo
leaves ordinary (users without phones, one organisation's contact) distinctive, reads every
private value from the database, then follows every same-site link from ``/`` and ``/en/`` (plus
the sitemap and the pages only reachable through a form). Pages other helpers add later are
covered as soon as something links to them.

Seeding takes about half a minute and the crawl as long again; like tests/test_seed_demo.py the
module does it once inside a transaction that is rolled back at the end.
"""

from __future__ import annotations

from io import StringIO
from urllib.parse import quote, urlsplit

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.test import Client
from django.urls import reverse
from django_fsm_log.models import StateLog
from wagtail.models import Page

from accounts.enums import Role
from accounts.models import Membership, User
from cms.models import NewsIndexPage, NewsPage
from grants.enums import ApplicationState as S
from grants.models import Agreement, Application, Donation, FeedbackChannel, Objection
from incubator.models import BankAccount, Organisation, SocialWorker, Volunteer
from incubator.models.resources import Donor
from tests.cms._crawl import CrawlResult, Fetched, crawl, leaks

pytestmark = pytest.mark.django_db

# Applications the public may know about: funded (running or finished) projects. Anything else is
# public only if it went through the 公示 (its log has a publish_notice transition).
FUNDED_OR_DONE = (
    S.CONTRACTED,
    S.ACTIVE,
    S.MID_TERM,
    S.FINAL_EVALUATION,
    S.COMPLETED,
    S.TERMINATED,
)
STARTS = [
    "/",
    "/en/",
    "/sitemap.xml",
    "/gongshi/",
    "/volunteering/",
    "/community/",
    "/community/wushe/",
    "/projects/",
    "/organisations/",
    "/open-data/",
    "/en/open-data/",
    "/search/?q=养老",
    "/en/search/?q=elderly",
]
LOGIN_ONLY = ["/me/", "/workspace/", "/review/", "/evaluate/"]
# The distinctive values the fixture gives what the demo leaves blank or ordinary.
LEAK_CONTACT = ("隐私联系人甲乙", "13900011122", "privacy-contact@leak.example")
DRAFT_NEWS = "未发布的新闻草稿·抽检专用"


def _make_private_values_distinctive() -> None:
    """Phones for every user, one funded organisation's contact made unmistakable, a draft."""
    index = NewsIndexPage.objects.filter(locale__language_code="zh-hans").first()
    if index is not None:
        index.add_child(
            instance=NewsPage(
                title=DRAFT_NEWS, slug="draft-news-for-the-crawl", intro=DRAFT_NEWS, live=False
            )
        )
    for user in User.objects.filter(phone=""):
        User.objects.filter(pk=user.pk).update(phone=f"1370{user.pk:07d}")
    funded = Application.objects.filter(state__in=FUNDED_OR_DONE).order_by("pk").first()
    if funded is not None:
        name, phone, email = LEAK_CONTACT
        Organisation.objects.filter(pk=funded.organisation_id).update(
            contact_name=name, contact_phone=phone, contact_email=email
        )


def _distinctive(values, *, min_length: int = 3) -> set[str]:
    """Non-empty values long enough not to turn up by chance inside other words."""
    return {
        str(value).strip() for value in values if value and len(str(value).strip()) >= min_length
    }


def private_values() -> dict[str, set[str]]:
    """Every value no anonymous page may show, by kind, read from the database."""
    published = Exists(
        StateLog.objects.filter(
            object_id=OuterRef("pk"), transition="publish_notice", content_type__model="application"
        )
    )
    public_titles = set(
        Application.objects.filter(Q(state__in=FUNDED_OR_DONE) | Q(published)).values_list(
            "title", flat=True
        )
    )
    hidden_titles = (
        _distinctive(
            Application.objects.exclude(state__in=FUNDED_OR_DONE)
            .exclude(published)
            .values_list("title", flat=True),
            min_length=4,
        )
        - public_titles
    )
    reviewers = User.objects.filter(
        pk__in=Membership.objects.filter(role=Role.REVIEWER).values("user_id")
    )
    staff_names = set(
        User.objects.filter(
            pk__in=Membership.objects.filter(
                role__in=[Role.OFFICER, Role.FINANCE, Role.EVALUATOR]
            ).values("user_id")
        ).values_list("display_name", flat=True)
    )
    return {
        "organisation contact name": _distinctive(
            Organisation.objects.values_list("contact_name", flat=True)
        ),
        "organisation contact phone": _distinctive(
            Organisation.objects.values_list("contact_phone", flat=True), min_length=7
        ),
        "organisation contact e-mail": _distinctive(
            Organisation.objects.values_list("contact_email", flat=True)
        ),
        "bank account number": _distinctive(
            [*BankAccount.objects.values_list("account_number", flat=True)]
            + [*Agreement.objects.values_list("account_number", flat=True)],
            min_length=8,
        ),
        "user e-mail": _distinctive(User.objects.values_list("email", flat=True)),
        "user phone": _distinctive(User.objects.values_list("phone", flat=True), min_length=7),
        # A reviewer who is also staff appears in the workflow under that role, not as a reviewer.
        "reviewer name": _distinctive(reviewers.values_list("display_name", flat=True))
        - staff_names,
        "volunteer name": _distinctive(Volunteer.objects.values_list("real_name", flat=True)),
        "volunteer phone": _distinctive(
            Volunteer.objects.values_list("phone", flat=True), min_length=7
        ),
        "volunteer ID number": _distinctive(
            [volunteer.id_number for volunteer in Volunteer.objects.exclude(id_number="")],
            min_length=8,
        ),
        "social worker certificate number": _distinctive(
            SocialWorker.objects.values_list("certificate_number", flat=True), min_length=6
        ),
        "unpublished application title": hidden_titles,
        "objector name": _distinctive(
            Objection.objects.values_list("name", flat=True), min_length=2
        ),
        "objector contact": _distinctive(
            [*Objection.objects.values_list("email", flat=True)]
            + [*Objection.objects.values_list("phone", flat=True)],
            min_length=7,
        ),
        "unpublished page title": _distinctive(
            Page.objects.filter(live=False).values_list("title", flat=True), min_length=4
        )
        - set(Page.objects.live().values_list("title", flat=True)),
        "donor e-mail": _distinctive(Donation.objects.values_list("donor_email", flat=True)),
        "resource donor contact": _distinctive(
            [*Donor.objects.values_list("contact_phone", flat=True)]
            + [*Donor.objects.values_list("contact_email", flat=True)],
            min_length=7,
        ),
    }


@pytest.fixture(scope="module")
def crawled(django_db_setup, django_db_blocker):
    """(crawl result, private values): seeded once for the module, rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
        _make_private_values_distinctive()
        private = private_values()
        # 群众评议 pages are reached through a QR code on a poster, not through a link.
        feedback = [
            reverse("grants:feedback_public", args=[channel.token])
            for channel in FeedbackChannel.objects.order_by("pk")
        ]
        # Search must not find what is private either. It echoes the query, so it is asked for
        # the first half of each value and the whole value must not come back.
        terms = [DRAFT_NEWS, LEAK_CONTACT[0], *sorted(private["unpublished application title"])[:3]]
        searches = [f"/search/?q={quote(term[: len(term) // 2 + 1])}" for term in terms]
        result = crawl(Client(), STARTS + feedback + searches, cap=600)
        yield result, private
        transaction.set_rollback(True)


def test_the_crawl_reaches_the_public_site_in_both_languages(crawled):
    result, _ = crawled

    answered = {urlsplit(page.url).path for page in result.with_status(lambda s: s == 200)}

    # then every kind of public page was read, in Chinese and in English
    assert len(answered) > 100, f"only {len(answered)} pages answered 200"
    for prefix in (
        "/calls/",
        "/en/calls/",
        "/news/",
        "/gongshi/",
        "/projects/",
        "/en/projects/",
        "/organisations/",
        "/en/organisations/",
        "/open-data/",
        "/volunteering/activities/",
        "/pingyi/",
    ):
        below = [path for path in answered if path.startswith(prefix) and path != prefix]
        assert below, f"the crawl read no page below {prefix}"


def test_no_public_page_answers_with_a_server_error(crawled):
    result, _ = crawled

    errors = result.with_status(lambda status: status >= 500)

    assert not errors, "\n\n".join(
        f"{page.status} {page.url} (linked from {page.found_on})\n{page.error}" for page in errors
    )


def test_no_public_link_leads_to_a_missing_page(crawled):
    result, _ = crawled

    broken = [
        f"{page.url} (linked from {page.found_on})"
        for page in result.with_status(lambda status: status == 404)
        if page.found_on != "(start)"
    ]

    assert not broken, "\n".join(broken)


def test_no_public_page_shows_a_private_value(crawled):
    result, private = crawled
    # The fixture's values must be there to be looked for, or the test proves nothing.
    assert LEAK_CONTACT[0] in private["organisation contact name"]
    assert private["reviewer name"]
    assert private["unpublished application title"]
    assert private["user phone"]
    assert DRAFT_NEWS in private["unpublished page title"]

    found = leaks(
        result, private, whole=("unpublished application title", "unpublished page title")
    )

    assert not found, "private values on public pages:\n" + "\n".join(sorted(found))


@pytest.mark.parametrize("path", LOGIN_ONLY)
def test_login_only_areas_send_an_anonymous_visitor_to_sign_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_crawl_never_got_into_a_login_only_area(crawled):
    result, _ = crawled

    opened = [
        page.url
        for page in result.pages.values()
        if page.status == 200 and page.url.startswith(tuple(LOGIN_ONLY))
    ]

    assert not opened


def test_the_leak_check_sees_through_highlighting_but_not_into_longer_titles():
    # given a search result that highlights part of a private name, and a longer public title
    page = Fetched(
        "/search/?q=x",
        200,
        text="<li><mark>隐私联系</mark>人甲乙</li><h3>桃花桥社区垃圾分类积分兑换</h3>",
    )
    private = {"contact": {"隐私联系人甲乙"}, "title": {"社区垃圾分类积分兑换"}}

    # when the pages are checked
    found = leaks(CrawlResult(pages={page.url: page}), private, whole=("title",))

    # then the name is found and the shorter title is not
    assert found == ["/search/?q=x: contact '隐私联系人甲乙'"]
