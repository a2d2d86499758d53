"""Officers run calls in the Wagtail admin; question changes publish new form versions."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from accounts.enums import Role
from grants.models import Call, CallForm, RubricCriterion
from grants.services import applications as app_svc
from grants.services.calls import publish_call_questions
from tests.factories import (
    BlacklistEntryFactory,
    CallFactory,
    MembershipFactory,
    ProgrammeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NEED = {
    "key": "need_source",
    "label": "项目需求从哪里来？",
    "help": "",
    "type": "textarea",
    "required": True,
}
KIND = {
    "key": "matter_kind",
    "label": "本项目解决的是哪一类事？",
    "help": "",
    "type": "choice",
    "required": False,
    "choices": ["小事", "大事"],
}


def _question_block(question: dict) -> dict:
    value = {
        "key": question["key"],
        "label": question["label"],
        "help": question.get("help", ""),
        "type": question["type"],
        "choices": "\n".join(question.get("choices", [])),
    }
    if question.get("required"):
        value["required"] = "on"
    return value


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def call_form_data(
    *,
    programme,
    title="2026 社区微创投",
    slug="wei-chuang-2026",
    rubric=(),
    rubric_initial=0,
    questions=(),
    opens_at=None,
    closes_at=None,
) -> dict:
    now = timezone.now()
    data = nested_form_data(
        {
            "programme": programme.pk,
            "title": title,
            "slug": slug,
            "summary": "面向社区社会组织的微创投。",
            "budget": "300000",
            "min_grant": "5000",
            "max_grant": "30000",
            "opens_at": _local(opens_at or now - timedelta(days=1)),
            "closes_at": _local(closes_at or now + timedelta(days=30)),
            "grace_minutes": "0",
            "max_grant_share_percent": "60",
            "personnel_cap_percent": "30",
            "management_cap_percent": "10",
            "one_application_per_organisation": "on",
            "allow_filed_community_orgs": "on",
            "failure_bar_years": "3",
            "max_attachment_mb": "20",
            "has_screening": "on",
            "has_public_notice": "on",
            "public_notice_days": "7",
            "reviewers_per_application": "5",
            "conflict_lookback_years": "3",
            "aggregation_method": "trimmed_mean",
            "peer_scores_visible": "after_own",
            "comment_required_below_percent": "60",
            "expert_weight_percent": "100",
            "pitch_weight_percent": "50",
            "theme_quotas": "{}",
            "district_quotas": "{}",
            "tranche_schedule": json.dumps(
                [
                    {"percent": 60, "condition": "on_signing"},
                    {"percent": 40, "condition": "final_passed"},
                ]
            ),
            "tranche_due_working_days": "15",
            "expense_tolerance_percent": "10",
            "rubric": inline_formset(
                [{"min_score": "0", "max_score": "", **row} for row in rubric],
                initial=rubric_initial,
            ),
            "questions": streamfield([("question", _question_block(q)) for q in questions]),
        }
    )
    data["themes"] = ["elderly", "community"]
    return data


@pytest.fixture
def staff_client(client, officer):
    client.force_login(officer)
    return client


def test_officer_opens_the_call_list_create_and_edit_pages(staff_client, officer):
    call = CallFactory(title="邻里互助微创投")
    publish_call_questions(call=call, questions=[NEED], actor=officer)
    list_url = reverse("wagtailsnippets_grants_call:list")

    listing = staff_client.get(list_url, {"q": "邻里"})
    assert listing.status_code == 200
    assert "邻里互助微创投" in listing.content.decode()
    assert staff_client.get(list_url, {"programme": call.programme_id}).status_code == 200
    assert staff_client.get(reverse("wagtailsnippets_grants_call:add")).status_code == 200
    edit = staff_client.get(reverse("wagtailsnippets_grants_call:edit", args=[call.pk]))
    assert edit.status_code == 200
    page = edit.content.decode()
    assert 'name="rubric-TOTAL_FORMS"' in page
    assert "need_source" in page  # the latest version's questions are in the editor


def test_officer_opens_programme_and_blocked_list_pages(staff_client):
    programme = ProgrammeFactory(name="2026年姑苏区公益创投大赛")
    entry = BlacklistEntryFactory()
    for name, obj in (("programme", programme), ("blacklistentry", entry)):
        assert staff_client.get(reverse(f"wagtailsnippets_grants_{name}:list")).status_code == 200
        assert staff_client.get(reverse(f"wagtailsnippets_grants_{name}:add")).status_code == 200
        edit_url = reverse(f"wagtailsnippets_grants_{name}:edit", args=[obj.pk])
        assert staff_client.get(edit_url).status_code == 200
    search = staff_client.get(
        reverse("wagtailsnippets_grants_blacklistentry:list"), {"q": entry.organisation.name}
    )
    assert entry.organisation.name in search.content.decode()
    edit = staff_client.get(reverse("wagtailsnippets_grants_programme:edit", args=[programme.pk]))
    assert 'name="officers"' in edit.content.decode()


def test_officer_creates_a_call_with_rubric_and_questions(staff_client, officer):
    programme = ProgrammeFactory()
    data = call_form_data(
        programme=programme,
        rubric=[
            {"label": "需求", "weight": "40", "position": "0", "guidance": "需求是否真实"},
            {"label": "设计", "weight": "60", "position": "1", "guidance": ""},
        ],
        questions=[NEED, KIND],
    )

    response = staff_client.post(reverse("wagtailsnippets_grants_call:add"), data)

    assert response.status_code == 302, response.context["form"].errors
    call = Call.objects.get(slug="wei-chuang-2026")
    assert call.themes == ["elderly", "community"]
    assert call.created_by == officer
    assert [row["percent"] for row in call.tranche_schedule] == [60, 40]
    assert [(c.label, c.weight) for c in call.rubric.order_by("position")] == [
        ("需求", 40),
        ("设计", 60),
    ]
    form = CallForm.objects.get(call=call)
    assert form.version == 1
    assert form.questions == [NEED, KIND]


def test_bad_questions_are_refused_and_nothing_is_saved(staff_client):
    programme = ProgrammeFactory()
    data = call_form_data(
        programme=programme, questions=[{**KIND, "choices": []}, NEED, {**NEED, "label": "重复"}]
    )

    response = staff_client.post(reverse("wagtailsnippets_grants_call:add"), data)

    assert response.status_code == 200
    assert "questions" in response.context["form"].errors
    assert not Call.objects.filter(slug="wei-chuang-2026").exists()
    assert not CallForm.objects.exists()


def _edit(client, call, **kwargs):
    rubric = [
        {
            "id": str(c.pk),
            "label": c.label,
            "weight": str(c.weight),
            "position": str(c.position),
            "guidance": c.guidance,
        }
        for c in call.rubric.order_by("position")
    ]
    data = call_form_data(
        programme=call.programme,
        title=call.title,
        slug=call.slug,
        rubric=rubric,
        rubric_initial=len(rubric),
        opens_at=call.opens_at,
        closes_at=call.closes_at,
        **kwargs,
    )
    return client.post(reverse("wagtailsnippets_grants_call:edit", args=[call.pk]), data)


def test_changing_questions_publishes_version_2_and_earlier_application_keeps_version_1(
    staff_client, officer, applicant, organisation
):
    # given: a call with version 1 and an application started on it
    call = CallFactory()
    RubricCriterion.objects.create(call=call, label="需求", weight=100)
    publish_call_questions(call=call, questions=[NEED], actor=officer)
    earlier = app_svc.start_application(call=call, organisation=organisation, actor=applicant)

    # when: the officer adds a question in the admin
    response = _edit(staff_client, call, questions=[NEED, KIND])

    # then
    assert response.status_code == 302, response.context["form"].errors
    assert list(CallForm.objects.filter(call=call).values_list("version", flat=True)) == [2, 1]
    earlier.refresh_from_db()
    assert earlier.form.version == 1
    assert earlier.form.questions == [NEED]
    assert CallForm.objects.get(call=call, version=2).questions == [NEED, KIND]
    assert call.rubric.count() == 1


def test_saving_unchanged_questions_creates_no_version(staff_client, officer):
    call = CallFactory()
    publish_call_questions(call=call, questions=[NEED, KIND], actor=officer)

    response = _edit(staff_client, call, questions=[NEED, KIND])

    assert response.status_code == 302, response.context["form"].errors
    assert CallForm.objects.filter(call=call).count() == 1


def test_a_call_without_questions_gets_no_empty_version(staff_client):
    call = CallFactory()

    assert _edit(staff_client, call).status_code == 302
    assert not CallForm.objects.filter(call=call).exists()


def test_new_applications_get_the_latest_version(officer, applicant, organisation):
    call = CallFactory()
    publish_call_questions(call=call, questions=[NEED], actor=officer)
    publish_call_questions(call=call, questions=[NEED, KIND], actor=officer)

    application = app_svc.start_application(call=call, organisation=organisation, actor=applicant)

    assert application.form.version == 2
    assert application.form.questions == [NEED, KIND]


def test_publishing_the_same_questions_twice_is_a_no_op(officer):
    call = CallFactory()
    first = publish_call_questions(call=call, questions=[NEED], actor=officer)

    again = publish_call_questions(call=call, questions=[dict(NEED)], actor=officer)

    assert first.version == 1 and again is None
    assert CallForm.objects.filter(call=call).count() == 1


def test_only_officers_may_publish_questions(applicant):
    call = CallFactory()
    with pytest.raises(PermissionDenied):
        publish_call_questions(call=call, questions=[NEED], actor=applicant)
    assert not CallForm.objects.exists()


def test_superuser_without_role_may_manage_calls(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert client.get(reverse("wagtailsnippets_grants_call:list")).status_code == 200
    assert client.get(reverse("wagtailsnippets_grants_call:add")).status_code == 200


@pytest.mark.parametrize("persona", ["applicant", "outsider"])
def test_applicant_and_outsider_are_kept_out(client, request, persona):
    call = CallFactory()
    client.force_login(request.getfixturevalue(persona))
    for url in (
        reverse("wagtailsnippets_grants_call:list"),
        reverse("wagtailsnippets_grants_call:add"),
        reverse("wagtailsnippets_grants_call:edit", args=[call.pk]),
        reverse("wagtailsnippets_grants_programme:list"),
        reverse("wagtailsnippets_grants_blacklistentry:list"),
    ):
        assert client.get(url).status_code in (302, 403), url
    data = call_form_data(programme=call.programme, slug="sneaky")
    assert client.post(reverse("wagtailsnippets_grants_call:add"), data).status_code in (302, 403)
    assert not Call.objects.filter(slug="sneaky").exists()


def test_finance_staff_cannot_manage_calls(client):
    user = UserFactory()
    MembershipFactory(user=user, role=Role.FINANCE, organisation=None)
    client.force_login(user)
    assert client.get(reverse("wagtailsnippets_grants_call:list")).status_code in (302, 403)


@pytest.mark.parametrize("name", ["call", "programme", "blacklistentry"])
def test_admin_list_uses_the_same_queries_for_1_and_30_rows(
    staff_client, django_assert_num_queries, name
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make = {
        "call": CallFactory,
        "programme": ProgrammeFactory,
        "blacklistentry": BlacklistEntryFactory,
    }[name]
    url = reverse(f"wagtailsnippets_grants_{name}:list")
    make()
    staff_client.get(url)  # warm caches (content types, site) once
    with CaptureQueriesContext(connection) as one:
        assert staff_client.get(url).status_code == 200
    make.create_batch(29)
    with django_assert_num_queries(len(one)):
        assert staff_client.get(url).status_code == 200
