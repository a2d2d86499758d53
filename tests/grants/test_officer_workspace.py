"""The officer workspace: who may enter, the calls with counts, and a call's applications
(filters, Chinese search, sorting, pagination, query counts)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grants.enums import ApplicationState
from tests.factories import ApplicationFactory, CallFactory, DistrictFactory, OrganisationFactory
from tests.grants._officer_helpers import HARD_FAILURE, PASSED, SOFT_FLAG, bulk_submitted, submitted

S = ApplicationState
pytestmark = pytest.mark.django_db


@pytest.fixture
def call(db):
    return CallFactory(title="姑苏区社区微公益创投", themes=["elderly", "youth", "community"])


def list_url(call, **params):
    url = reverse("grants:officer_call_applications", args=[call.pk])
    if params:
        from urllib.parse import urlencode

        url += "?" + urlencode(params, doseq=True)
    return url


def titles(response) -> list[str]:
    return [application.title for application in response.context["page"].object_list]


# --- Who may enter ------------------------------------------------------------------------------


def private_urls(call, application):
    return [
        reverse("grants:officer_workspace"),
        list_url(call),
        reverse("grants:officer_export", args=[call.pk]),
        reverse("grants:officer_application", args=[application.pk]),
    ]


@pytest.mark.parametrize("persona", ["applicant", "outsider", "reviewer"])
def test_workspace_pages_are_forbidden_to_everyone_but_officers(
    persona, request, client, call, organisation
):
    # given an application of alice's organisation, and someone who is not an officer
    application = submitted(call, organisation=organisation)
    client.force_login(request.getfixturevalue(persona))

    # then every workspace page answers 403
    for url in private_urls(call, application):
        assert client.get(url).status_code == 403, url
    for url in (
        reverse("grants:officer_action", args=[application.pk, "start_screening"]),
        reverse("grants:officer_comment", args=[application.pk]),
        list_url(call),
    ):
        assert (
            client.post(url, {"ids": [application.pk], "action": "start_screening"}).status_code
            == 403
        )
    application.refresh_from_db()
    assert application.state == S.SUBMITTED


def test_workspace_sends_anonymous_visitors_to_log_in(client, call):
    application = submitted(call)
    for url in private_urls(call, application):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]


def test_workspace_lists_programmes_and_calls_with_counts_per_state(client, officer, call):
    # given two submitted applications, one in screening and a draft
    submitted(call)
    submitted(call)
    submitted(call, state=S.SCREENING)
    ApplicationFactory(call=call)
    client.force_login(officer)

    response = client.get(reverse("grants:officer_workspace"))

    assert response.status_code == 200
    content = response.content.decode()
    assert call.programme.name in content
    assert call.title in content
    call_in_page = next(
        c for p in response.context["programmes"] for c in p.calls.all() if c.pk == call.pk
    )
    assert call_in_page.application_total == 4
    assert {code: count for code, _label, count in call_in_page.state_counts} == {
        "draft": 1,
        "submitted": 2,
        "screening": 1,
    }


def test_workspace_query_count_does_not_grow_with_calls_and_applications(
    client, officer, call, organisation, django_assert_num_queries
):
    client.force_login(officer)
    submitted(call)
    client.get(reverse("grants:officer_workspace"))  # warm-up: per-process caches
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("grants:officer_workspace"))

    for _ in range(5):
        bulk_submitted(CallFactory(), organisation, 20)

    with django_assert_num_queries(len(one)):
        response = client.get(reverse("grants:officer_workspace"))
    assert response.status_code == 200


# --- The list of a call's applications ----------------------------------------------------------


def test_list_leaves_out_drafts_and_other_calls(client, officer, call):
    submitted(call, title="已提交的项目")
    ApplicationFactory(call=call, title="还在起草的项目")
    submitted(CallFactory(), title="别的征集的项目")
    client.force_login(officer)

    response = client.get(list_url(call))

    assert response.status_code == 200
    assert titles(response) == ["已提交的项目"]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("养老", {"社区居家养老互助"}),
        ("青少年", {"青少年课后托管", "护苗行动"}),  # the second matches in its summary
        ("彩虹", {"社区居家养老互助"}),  # the organisation's name
        ("不存在的词", set()),
    ],
)
def test_search_finds_chinese_text_in_title_summary_and_organisation(
    client, officer, call, term, expected
):
    # given
    submitted(
        call,
        title="社区居家养老互助",
        organisation=OrganisationFactory(name="姑苏区彩虹社工服务中心"),
    )
    submitted(call, title="青少年课后托管", summary="放学后的作业辅导")
    submitted(call, title="护苗行动", summary="面向青少年的安全教育")
    client.force_login(officer)

    # when
    response = client.get(list_url(call, q=term))

    # then
    assert set(titles(response)) == expected


def test_search_finds_an_application_by_its_reference(client, officer, call):
    wanted = submitted(call, title="要找的项目")
    submitted(call, title="别的项目")
    client.force_login(officer)

    response = client.get(list_url(call, q=wanted.reference))

    assert titles(response) == ["要找的项目"]


def test_filters_by_state_theme_and_district(client, officer, call):
    gusu = DistrictFactory(name="姑苏区")
    other = DistrictFactory(name="吴中区")
    submitted(call, title="甲", theme="elderly", organisation=OrganisationFactory(district=gusu))
    submitted(call, title="乙", theme="youth", organisation=OrganisationFactory(district=other))
    submitted(
        call,
        title="丙",
        theme="elderly",
        state=S.SCREENING,
        organisation=OrganisationFactory(district=other),
    )
    client.force_login(officer)

    assert set(titles(client.get(list_url(call, state=["submitted"])))) == {"甲", "乙"}
    assert set(titles(client.get(list_url(call, state=["submitted", "screening"])))) == {
        "甲",
        "乙",
        "丙",
    }
    assert set(titles(client.get(list_url(call, theme="elderly")))) == {"甲", "丙"}
    assert set(titles(client.get(list_url(call, district=other.pk)))) == {"乙", "丙"}
    assert titles(client.get(list_url(call, district=other.pk, theme="elderly"))) == ["丙"]


def test_filters_by_eligibility_flags(client, officer, call):
    submitted(call, title="有硬性不合格", eligibility=[PASSED, HARD_FAILURE])
    submitted(call, title="有提示", eligibility=[PASSED, SOFT_FLAG])
    submitted(call, title="全部通过", eligibility=[PASSED])
    client.force_login(officer)

    assert titles(client.get(list_url(call, eligibility="hard"))) == ["有硬性不合格"]
    assert titles(client.get(list_url(call, eligibility="soft"))) == ["有提示"]
    assert titles(client.get(list_url(call, eligibility="clean"))) == ["全部通过"]


def test_theme_filter_offers_only_the_calls_themes(client, officer, call):
    client.force_login(officer)

    form = client.get(list_url(call)).context["filterset"].form

    assert [code for code, _label in form.fields["theme"].choices if code] == [
        "elderly",
        "youth",
        "community",
    ]


def test_sorting_by_submission_amount_and_organisation(client, officer, call):
    now = timezone.now()
    submitted(
        call,
        title="早",
        submitted_at=now - timedelta(days=3),
        organisation=OrganisationFactory(name="C机构"),
    )
    submitted(
        call,
        title="中",
        submitted_at=now - timedelta(days=2),
        organisation=OrganisationFactory(name="A机构"),
    )
    submitted(
        call,
        title="晚",
        submitted_at=now - timedelta(days=1),
        organisation=OrganisationFactory(name="B机构"),
    )
    from grants.models import Application

    for title, amount in (("早", 30000), ("中", 5000), ("晚", 12000)):
        Application.objects.filter(title=title).update(requested_amount=Decimal(amount))
    client.force_login(officer)

    assert titles(client.get(list_url(call))) == ["晚", "中", "早"]  # default: newest first
    assert titles(client.get(list_url(call, sort="submitted"))) == ["早", "中", "晚"]
    assert titles(client.get(list_url(call, sort="-amount"))) == ["早", "晚", "中"]
    assert titles(client.get(list_url(call, sort="amount"))) == ["中", "晚", "早"]
    assert titles(client.get(list_url(call, sort="organisation"))) == ["中", "晚", "早"]
    # An unknown sort falls back to the default instead of failing.
    assert titles(client.get(list_url(call, sort="bogus"))) == ["晚", "中", "早"]


def test_list_is_paginated_fifty_a_page_and_keeps_the_filters(client, officer, call, organisation):
    bulk_submitted(call, organisation, 51, title="养老项目")
    client.force_login(officer)

    first = client.get(list_url(call, q="养老"))
    second = client.get(list_url(call, q="养老", page=2))

    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 1
    assert "q=%E5%85%BB%E8%80%81&amp;page=2" in first.content.decode()


def test_list_uses_the_same_number_of_queries_for_1_and_500_applications(
    client, officer, call, organisation, django_assert_num_queries
):
    # given one application, and the count of queries its list needs
    client.force_login(officer)
    bulk_submitted(call, organisation, 1)
    client.get(list_url(call))  # warm-up: per-process caches (content types, site)
    with CaptureQueriesContext(connection) as one:
        response = client.get(list_url(call, q="社区", sort="organisation"))
    assert len(response.context["page"].object_list) == 1

    # when there are 500
    bulk_submitted(call, organisation, 499)

    # then the list needs exactly as many
    with django_assert_num_queries(len(one)):
        response = client.get(list_url(call, q="社区", sort="organisation"))
    assert response.context["page"].paginator.count == 500
    assert len(response.context["page"].object_list) == 50


def test_call_with_one_theme_has_no_theme_filter_or_column(client, officer):
    call = CallFactory(themes=["elderly"])
    submitted(call, title="唯一主题的项目")
    client.force_login(officer)

    response = client.get(list_url(call))

    assert "theme" not in response.context["filterset"].form.fields
    assert response.context["show_theme"] is False
    assert titles(response) == ["唯一主题的项目"]
