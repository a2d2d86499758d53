"""结果公告: after the 公示, residents read which projects were funded, with what, and follow each."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cms.public_urls import project_url
from grants.enums import ApplicationState
from grants.models import Agreement
from tests.factories import OrganisationFactory, UserFactory
from tests.grants.factories_decisions import (
    closed_call,
    decided,
    mark_published,
    not_recommended,
    notice_for,
)
from tests.grants.factories_review import assign, make_reviewer

pytestmark = pytest.mark.django_db
S = ApplicationState


@pytest.fixture
def call():
    return closed_call(title="2026年崇川区社区公益微创投", slug="chongchuan-2026")


def results_url(call) -> str:
    return reverse("grants:public_results", args=[call.slug])


def accepted_agreement(application, amount: str) -> Agreement:
    today = timezone.localdate()
    return Agreement.objects.create(
        application=application,
        state="accepted",
        number=f"YC-2026-{application.pk:04d}",
        award_amount=Decimal(amount),
        starts_on=today,
        ends_on=today + timedelta(days=365),
        account_number="6216600000009999",
    )


@pytest.fixture
def decided_call(call):
    """Two funded projects (one already contracted), and others that were not funded."""
    running = decided(
        call,
        S.CONTRACTED,
        rank=1,
        score=92.4,
        title="银龄互助·社区长者食堂",
        organisation=OrganisationFactory(
            name="南通市崇川区夕阳红为老服务中心",
            contact_name="周主任",
            contact_phone="13912345678",
        ),
    )
    accepted_agreement(running, "18000.00")
    approved = decided(call, S.APPROVED, rank=2, score=88, title="四点半课堂")
    rejected = decided(call, S.REJECTED, rank=3, score=81, title="异议成立被否的项目")
    out = not_recommended(call, rank=4, score=60, title="未入选的项目")
    draft = decided(call, S.IN_REVIEW, title="仍在评审的项目")
    for application in (running, approved, rejected):
        mark_published(application)
    notice_for(call, by=UserFactory(), days_ago=10)
    return {"running": running, "approved": approved, "out": [rejected, out, draft]}


def test_results_list_the_funded_projects_with_their_grants(client, call, decided_call):
    response = client.get(results_url(call))

    assert response.status_code == 200
    page = response.content.decode()
    assert "银龄互助·社区长者食堂" in page
    assert "南通市崇川区夕阳红为老服务中心" in page
    assert "¥18,000" in page  # the grant of the signed agreement, not the request
    assert "四点半课堂" in page
    assert "¥20,000" in page  # approved, no agreement yet: the approved request
    assert "¥38,000" in page  # the total
    assert page.index("银龄互助·社区长者食堂") < page.index("四点半课堂")  # by rank


def test_results_link_each_running_project_to_its_public_page(client, call, decided_call):
    page = client.get(results_url(call)).content.decode()

    running = decided_call["running"]
    assert f'<a href="{project_url(running.pk, "zh-hans")}">银龄互助·社区长者食堂</a>' in page
    # approved but no agreement yet: the project has no public page to link to
    assert f"/projects/{decided_call['approved'].pk}/" not in page


def test_results_show_nothing_of_projects_that_were_not_funded(client, call, decided_call):
    page = client.get(results_url(call)).content.decode()

    for application in decided_call["out"]:
        assert application.title not in page


def test_results_show_no_contacts_reviewers_or_scores(client, call, decided_call):
    reviewer = make_reviewer("rita_r", display_name="李评审专家")
    assign(decided_call["running"], reviewer)

    page = client.get(results_url(call)).content.decode()

    assert "周主任" not in page and "13912345678" not in page
    assert "李评审专家" not in page and "rita_r" not in page
    assert "92.40" not in page and "92.4" not in page  # no scores at all on the results
    assert "6216600000009999" not in page  # the agreement's bank account
    assert decided_call["running"].created_by.email not in page


def test_results_in_english_name_the_table(client, call, decided_call, english):
    page = client.get(results_url(call)).content.decode()

    assert "Results: 2026年崇川区社区公益微创投" in page
    assert "2 projects funded" in page
    assert re.search(r"<th[^>]*>Grant</th>", page)


def test_results_wait_while_the_notice_is_open(client, call, english):
    on_notice = decided(call, S.PUBLIC_NOTICE, rank=1, title="公示中的项目")
    mark_published(on_notice)
    notice_for(call, by=UserFactory(), days_ago=1)

    page = client.get(results_url(call)).content.decode()

    assert "公示中的项目" not in page
    assert "still open for objections" in page


def test_an_unknown_call_has_no_results(client):
    assert client.get("/gongshi/no-such-call/results/").status_code == 404


def test_results_are_reachable_from_the_notice_index_and_the_notice(client, call, decided_call):
    index = client.get(reverse("grants:public_notice_index")).content.decode()
    notice = client.get(reverse("grants:public_notice", args=[call.slug])).content.decode()

    assert f'href="{results_url(call)}"' in index
    assert f'href="{results_url(call)}"' in notice


def _queries(client, url) -> int:
    client.get(url)  # warm the per-process caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("count", [1, 30])
def test_results_cost_the_same_for_1_and_30_projects(
    client, call, count, django_assert_max_num_queries
):
    reference_call = closed_call(slug="reference-call")
    decided(reference_call, S.APPROVED, rank=1)
    one = _queries(client, results_url(reference_call))
    for number in range(count):
        project = decided(call, S.ACTIVE, rank=number + 1, title=f"项目{number}")
        accepted_agreement(project, "10000.00")

    with django_assert_max_num_queries(one):
        response = client.get(results_url(call))

    assert response.content.decode().count('<tr id="project-') == count


def test_a_closed_calls_page_links_to_its_results(client, call, decided_call):
    from cms.demo import build_site
    from cms.models import CallIndexPage, CallPage

    build_site()
    index = CallIndexPage.objects.get(locale__language_code="zh-hans")
    index.add_child(instance=CallPage(title=call.title, slug=call.slug, call=call))

    page = client.get(f"/calls/{call.slug}/").content.decode()

    assert f'href="{results_url(call)}"' in page
