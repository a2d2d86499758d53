"""The 公示 pages (public) and the officer's decision pages: what each side sees and may do."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grants.enums import ApplicationState, ObjectionState
from grants.models import Application, Objection, PublicNotice
from grants.services import decisions
from grants.services import objections as objection_svc
from tests.factories import OrganisationFactory, UserFactory
from tests.grants.factories_decisions import (
    closed_call,
    decided,
    many_on_notice,
    not_recommended,
    notice_for,
    objection,
    recommended,
)

pytestmark = pytest.mark.django_db
S = ApplicationState
O = ObjectionState  # noqa: E741


@pytest.fixture
def call():
    return closed_call(title="2026年崇川区社区公益微创投", slug="chongchuan-2026")


@pytest.fixture
def published(call, officer):
    """A published 公示: two recommended projects on it, one not recommended (rejected)."""
    first = recommended(
        call,
        rank=1,
        score=92.4,
        organisation=OrganisationFactory(
            name="南通市崇川区夕阳红为老服务中心",
            contact_name="周主任",
            contact_phone="13912345678",
        ),
        title="银龄互助·社区长者食堂",
        reason="内部评语：需求调研扎实。",
    )
    second = recommended(call, rank=2, score=88, title="四点半课堂")
    out = not_recommended(call, rank=3, score=60, title="未入选的项目")
    decisions.publish_public_notice(call=call, actor=officer, contact="0513-12345678")
    return {"first": first, "second": second, "out": out}


def _count(client, url) -> int:
    client.get(url)  # warm per-process caches before counting
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# --- The public pages -----------------------------------------------------------------------------


def test_the_notice_page_shows_the_recommended_projects_to_anyone(client, call, published):
    response = client.get(reverse("grants:public_notice", args=[call.slug]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "银龄互助·社区长者食堂" in page
    assert "南通市崇川区夕阳红为老服务中心" in page
    assert "¥20,000" in page
    assert "92.40" in page
    assert "四点半课堂" in page
    assert "0513-12345678" in page  # the programme office's contact for objections
    assert 'data-countdown-target="' in page
    assert "js/countdown.js" in page
    assert page.count('class="objection-form"') == 2


def test_the_notice_page_shows_no_private_data(client, call, published, reviewer):
    # given: another call's application, an objector, contacts and a reviewer in the database
    other = closed_call(title="另一期创投")
    secret = recommended(other, title="别的创投期的项目")
    notice_for(other, by=UserFactory())
    objection(published["first"], state=O.OPEN, name="王小明", email="wxm@example.org")
    # when
    page = client.get(reverse("grants:public_notice", args=[call.slug])).content.decode()
    # then
    assert "未入选的项目" not in page  # not recommended: rejected, never on the notice
    assert secret.title not in page
    assert "周主任" not in page and "13912345678" not in page  # organisation contacts
    assert "王小明" not in page and "wxm@example.org" not in page  # objectors (open, unanswered)
    assert reviewer.display_name not in page
    assert "内部评语" not in page  # the decision reason is for the applicant only
    creator = Application.objects.get(pk=published["first"].pk).created_by
    assert creator.email not in page


def test_answers_are_public_with_the_objectors_name_masked(client, call, published):
    objection(
        published["first"],
        state=O.DISMISSED,
        name="王小明",
        email="wxm@example.org",
        body="私密的异议内容",
    )
    page = client.get(reverse("grants:public_notice", args=[call.slug])).content.decode()
    assert "王**" in page
    assert "经核实，该机构已按期结项，异议不成立。" in page
    assert "王小明" not in page
    assert "wxm@example.org" not in page
    assert "私密的异议内容" not in page


def test_a_closed_notice_takes_no_more_objections(client, call, published):
    PublicNotice.objects.update(
        published_at=timezone.now() - timedelta(days=9), closes_at=timezone.now()
    )
    page = client.get(reverse("grants:public_notice", args=[call.slug])).content.decode()
    assert 'class="objection-form"' not in page
    assert "data-countdown-target" not in page
    project = published["first"]
    url = reverse("grants:objection_lodge", args=[call.slug, project.pk])
    response = client.post(
        url,
        {
            f"p{project.pk}-name": "张三",
            f"p{project.pk}-contact": "a@example.org",
            f"p{project.pk}-body": "x",
        },
    )
    assert response.status_code == 400
    assert not Objection.objects.exists()


def test_an_unknown_call_or_project_is_a_404(client, call, published):
    assert client.get(reverse("grants:public_notice", args=["nope"])).status_code == 404
    url = reverse("grants:objection_lodge", args=[call.slug, published["out"].pk])
    assert client.get(url).status_code == 404  # not published on this notice
    assert client.get(reverse("grants:objection_verify", args=["forged"])).status_code == 404


def test_the_index_lists_current_and_past_notices(client, call, published, officer):
    past_call = closed_call(title="2025年崇川区社区公益微创投", slug="chongchuan-2025")
    notice_for(past_call, by=officer, days_ago=400)
    page = client.get(reverse("grants:public_notice_index")).content.decode()
    assert "2026年崇川区社区公益微创投" in page
    assert "2025年崇川区社区公益微创投" in page
    assert page.index("2026年崇川区") < page.index("2025年崇川区")


def test_the_notice_page_costs_the_same_for_1_and_30_projects(
    client, call, officer, django_assert_max_num_queries
):
    notice_for(call, by=officer)
    (first,) = many_on_notice(call, 1)
    objection(first, state=O.DISMISSED)
    url = reverse("grants:public_notice", args=[call.slug])
    one = _count(client, url)
    for application in many_on_notice(call, 29, start=1):
        objection(application, state=O.UPHELD)
    with django_assert_max_num_queries(one):
        response = client.get(url)
    assert response.content.decode().count('class="card project"') == 30


def test_the_index_costs_the_same_for_1_and_30_notices(
    client, officer, django_assert_max_num_queries
):
    notice_for(closed_call(), by=officer)
    url = reverse("grants:public_notice_index")
    one = _count(client, url)
    for number in range(29):
        notice_for(closed_call(), by=officer, days_ago=number * 10)
    with django_assert_max_num_queries(one):
        assert client.get(url).status_code == 200


# --- Objecting through the pages ----------------------------------------------------------------


def test_an_anonymous_visitor_objects_and_confirms_with_the_code(
    client, call, published, officer, django_capture_on_commit_callbacks
):
    project = published["first"]
    prefix = f"p{project.pk}"
    url = reverse("grants:objection_lodge", args=[call.slug, project.pk])
    assert client.get(url).status_code == 200
    mail.outbox.clear()
    # when: the form
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                f"{prefix}-name": "王小明",
                f"{prefix}-contact": "wxm@example.org",
                f"{prefix}-body": "该机构负责人与评审专家存在亲属关系。",
            },
        )
    # then: a code by e-mail, and the page to type it
    assert response.status_code == 302
    verify_url = response["Location"]
    row = Objection.objects.get()
    assert row.state == O.UNVERIFIED
    assert verify_url.startswith("/gongshi/objections/")
    code = re.search(r"\b(\d{6})\b", mail.outbox[0].body).group(1)
    page = client.get(verify_url).content.decode()
    assert "wx***@example.org" in page
    # a wrong code
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    response = client.post(verify_url, {"code": wrong})
    assert response.status_code == 400
    assert Objection.objects.get().code_attempts == 1
    # the right one
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(verify_url, {"code": code})
    assert response.status_code == 302
    assert client.get(verify_url).status_code == 200
    assert Objection.objects.get().state == O.OPEN
    assert Application.objects.get(pk=project.pk).state == S.OBJECTION_REVIEW
    page = client.get(reverse("grants:public_notice", args=[call.slug])).content.decode()
    assert "王小明" not in page  # an open objection is not published


def test_a_bad_contact_is_shown_on_the_form(client, call, published):
    project = published["first"]
    prefix = f"p{project.pk}"
    client.cookies["django_language"] = "en"
    response = client.post(
        reverse("grants:objection_lodge", args=[call.slug, project.pk]),
        {f"{prefix}-name": "王小明", f"{prefix}-contact": "12345", f"{prefix}-body": "x"},
    )
    assert response.status_code == 400
    assert "mobile number" in response.content.decode()
    assert not Objection.objects.exists()


def test_too_many_objections_from_one_address_get_a_429(client, call, published, monkeypatch):
    monkeypatch.setattr(objection_svc, "SEND_LIMIT_PER_IP", (1, 3600))
    project = published["first"]
    prefix = f"p{project.pk}"
    url = reverse("grants:objection_lodge", args=[call.slug, project.pk])
    data = {f"{prefix}-name": "王小明", f"{prefix}-body": "x"}
    assert client.post(url, {**data, f"{prefix}-contact": "a@example.org"}).status_code == 302
    response = client.post(url, {**data, f"{prefix}-contact": "b@example.org"})
    assert response.status_code == 429
    assert Objection.objects.count() == 1


def test_a_new_code_can_be_requested_from_the_verification_page(client, call, published):
    row = objection(published["first"])
    Objection.objects.filter(pk=row.pk).update(code_sent_at=timezone.now() - timedelta(minutes=5))
    token = objection_svc.objection_token(row)
    response = client.post(reverse("grants:objection_resend", args=[token]))
    assert response.status_code == 302
    assert Objection.objects.get(pk=row.pk).code_sent_at > timezone.now() - timedelta(minutes=1)


# --- Officer pages --------------------------------------------------------------------------------


def _officer_urls(call, row) -> list[tuple[str, str]]:
    return [
        ("get", reverse("grants:decisions_notice", args=[call.pk])),
        ("post", reverse("grants:decisions_notice", args=[call.pk])),
        ("post", reverse("grants:decisions_approve", args=[call.pk])),
        ("post", reverse("grants:decisions_decide", args=[call.pk])),
        ("get", reverse("grants:decisions_objection", args=[call.pk, row.pk])),
        ("post", reverse("grants:decisions_objection", args=[call.pk, row.pk])),
        ("post", reverse("grants:decisions_objection_resolve", args=[call.pk, row.pk])),
    ]


@pytest.mark.parametrize("persona", ["outsider", "applicant", "reviewer"])
def test_officer_pages_are_forbidden_to_everyone_else(client, call, published, persona, request):
    row = objection(published["first"], state=O.OPEN)
    client.force_login(request.getfixturevalue(persona))
    for method, url in _officer_urls(call, row):
        response = getattr(client, method)(url, {"answer": "x", "outcome": "dismiss"})
        assert response.status_code == 403, url
    assert Objection.objects.get(pk=row.pk).state == O.OPEN


def test_officer_pages_send_anonymous_visitors_to_sign_in(client, call, published):
    row = objection(published["first"], state=O.OPEN)
    for method, url in _officer_urls(call, row):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_the_officer_previews_and_publishes_the_notice(client, call, officer):
    # given
    recommended(call, rank=1, score=90, title="银龄互助·社区长者食堂")
    not_recommended(call, rank=2, score=50, title="未入选的项目", reason="预算不合理。")
    client.force_login(officer)
    url = reverse("grants:decisions_notice", args=[call.pk])
    page = client.get(url).content.decode()
    assert "银龄互助·社区长者食堂" in page and "未入选的项目" in page and "预算不合理。" in page
    # when: without the confirmation
    assert client.post(url, {"title": ""}).status_code == 400
    assert not PublicNotice.objects.exists()
    # when: confirmed
    response = client.post(url, {"title": "", "body": "拟资助项目如下。", "confirm": "on"})
    # then
    assert response.status_code == 302
    notice = PublicNotice.objects.get()
    assert notice.body == "拟资助项目如下。"
    assert call.title in notice.title
    assert "objections" in client.get(url).content.decode()


def test_publishing_with_an_application_in_review_shows_the_refusal(client, call, officer):
    recommended(call)
    pending = decided(call, S.IN_REVIEW, title="仍在评审的项目")
    client.force_login(officer)
    url = reverse("grants:decisions_notice", args=[call.pk])
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 400
    assert pending.reference in response.content.decode()
    assert not PublicNotice.objects.exists()


def test_the_officer_answers_an_objection(
    client, call, published, officer, django_capture_on_commit_callbacks
):
    project = published["first"]
    row = objection(project, state=O.OPEN)
    Application.objects.filter(pk=project.pk).update(state=S.OBJECTION_REVIEW)
    client.force_login(officer)
    page = client.get(reverse("grants:decisions_objection", args=[call.pk, row.pk]))
    assert "zhangsan@example.org" in page.content.decode()  # officers see the contact
    # triage
    client.post(
        reverse("grants:decisions_objection", args=[call.pk, row.pk]),
        {"triage_note": "请社区核实。"},
    )
    assert Objection.objects.get(pk=row.pk).triage_note == "请社区核实。"
    # an answer is required
    url = reverse("grants:decisions_objection_resolve", args=[call.pk, row.pk])
    assert client.post(url, {"outcome": "dismiss", "answer": ""}).status_code == 400
    # answered
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"outcome": "dismiss", "answer": "经核实，异议不成立。"})
    assert response.status_code == 302
    assert Objection.objects.get(pk=row.pk).state == O.DISMISSED
    assert Application.objects.get(pk=project.pk).state == S.PUBLIC_NOTICE
    public = client.get(reverse("grants:public_notice", args=[call.slug])).content.decode()
    assert "经核实，异议不成立。" in public and "张*" in public


def test_an_objection_of_another_call_is_a_404_on_this_calls_page(client, call, published, officer):
    other = closed_call()
    row = objection(published["first"], state=O.OPEN)
    client.force_login(officer)
    assert (
        client.get(reverse("grants:decisions_objection", args=[other.pk, row.pk])).status_code
        == 404
    )


def test_approval_before_the_window_closes_is_refused_on_the_page(client, call, published, officer):
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("grants:decisions_approve", args=[call.pk]), follow=True)
    assert response.status_code == 200
    assert "approval waits until it closes" in response.content.decode()
    assert Application.objects.get(pk=published["first"].pk).state == S.PUBLIC_NOTICE
    PublicNotice.objects.update(
        published_at=timezone.now() - timedelta(days=9), closes_at=timezone.now()
    )
    client.post(reverse("grants:decisions_approve", args=[call.pk]))
    assert Application.objects.get(pk=published["first"].pk).state == S.APPROVED


def test_a_call_without_notice_is_decided_from_the_page(client, officer):
    call = closed_call(has_public_notice=False)
    funded = recommended(call)
    declined = not_recommended(call)
    client.force_login(officer)
    page = client.get(reverse("grants:decisions_notice", args=[call.pk])).content.decode()
    assert reverse("grants:decisions_decide", args=[call.pk]) in page
    client.post(reverse("grants:decisions_decide", args=[call.pk]))
    assert Application.objects.get(pk=funded.pk).state == S.APPROVED
    assert Application.objects.get(pk=declined.pk).state == S.REJECTED


def test_the_objection_list_costs_the_same_for_1_and_30_objections(
    client, call, published, officer, django_assert_max_num_queries
):
    client.force_login(officer)
    objection(published["first"], state=O.OPEN)
    url = reverse("grants:decisions_notice", args=[call.pk])
    one = _count(client, url)
    projects = many_on_notice(call, 10, start=10)
    for number in range(29):
        row = objection(
            projects[number % 10],
            state=[O.OPEN, O.UNVERIFIED, O.DISMISSED][number % 3],
            email=f"o{number}@example.org",
        )
        if row.state == O.DISMISSED:
            Objection.objects.filter(pk=row.pk).update(answered_by=officer)
    with django_assert_max_num_queries(one):
        response = client.get(url)
    assert response.content.decode().count('class="objection objection--') == 30
