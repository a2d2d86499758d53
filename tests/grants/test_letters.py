"""Decision letters: PDF in the applicant's language, with the decision and never a reviewer's name."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.enums import Role
from grants import letters
from grants.enums import ApplicationState
from grants.models import Application, PublicNotice
from grants.services import decisions
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.grants.factories_decisions import (
    applicant_of,
    closed_call,
    decided,
    not_recommended,
    recommended,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler's pdftotext"),
]
S = ApplicationState


def _text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF")
    result = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],  # noqa: S607
        input=pdf,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode("utf-8")


@pytest.fixture
def call():
    return closed_call(title="2026年崇川区社区公益微创投")


@pytest.fixture
def reviewer_names(reviewer):
    return [reviewer.display_name, reviewer.username]


def _approved(call, officer, *, language="zh-hans"):
    organisation = OrganisationFactory(name="南通市崇川区夕阳红为老服务中心")
    application = recommended(
        call,
        rank=1,
        score=92.4,
        organisation=organisation,
        title="银龄互助·社区长者食堂",
        reason="项目需求调研扎实，社区参与度高。",
    )
    applicant_of(application, language=language)
    notice = decisions.publish_public_notice(call=call, actor=officer)
    PublicNotice.objects.filter(pk=notice.pk).update(
        published_at=timezone.now() - timedelta(days=9), closes_at=timezone.now()
    )
    decisions.approve_after_notice(call=call, actor=officer)
    return Application.objects.select_related("call__programme", "organisation", "created_by").get(
        pk=application.pk
    )


def test_the_chinese_approval_letter_names_the_organisation_project_and_amount(
    call, officer, reviewer_names
):
    # given
    application = _approved(call, officer)
    # when
    letter = letters.build_letter(application)
    text = _text(letters.render_letter_pdf(letter))
    # then
    assert letter.kind == letters.APPROVED and letter.language == "zh-hans"
    assert "南通市崇川区夕阳红为老服务中心" in text
    assert "银龄互助·社区长者食堂" in text
    assert "20,000" in text
    assert "2026年崇川区社区公益微创投" in text
    assert "92.40" in text
    assert "项目需求调研扎实" in text
    assert application.reference in text
    for name in reviewer_names:
        assert name not in text


def test_the_english_letter_follows_the_applicants_preferred_language(call, officer):
    application = _approved(call, officer, language="en")
    letter = letters.build_letter(application)
    text = _text(letters.render_letter_pdf(letter))
    assert letter.language == "en"
    assert "Notice of funding approval" in text
    assert "Approved for funding" in text
    assert "Grant approved" in text
    assert "南通市崇川区夕阳红为老服务中心" in text
    assert "20,000" in text


def test_a_rejection_letter_gives_the_reasons_and_no_amount(call, officer, reviewer_names):
    # given
    recommended(call)
    application = not_recommended(
        call, rank=7, score=61.25, title="社区书香角", reason="预算中人员费用占比过高。"
    )
    applicant_of(application, language="en")
    decisions.publish_public_notice(call=call, actor=officer)
    application = Application.objects.select_related(
        "call__programme", "organisation", "created_by"
    ).get(pk=application.pk)
    # when
    letter = letters.build_letter(application)
    text = _text(letters.render_letter_pdf(letter))
    # then
    assert letter.kind == letters.REJECTED
    assert letter.reasons == ["预算中人员费用占比过高。"]
    assert "Not funded" in text
    assert "预算中人员费用占比过高。" in text
    assert "社区书香角" in text
    assert "61.25" in text
    assert "Grant approved" not in text
    for name in reviewer_names:
        assert name not in text


def test_without_a_written_reason_the_standard_reason_is_in_the_letters_language(call, officer):
    recommended(call)
    application = not_recommended(call, title="社区书香角")
    applicant_of(application, language="en")
    decisions.publish_public_notice(call=call, actor=officer)
    application = Application.objects.get(pk=application.pk)
    letter = letters.build_letter(application)
    assert letter.reasons == [
        "The project was not recommended for funding after the expert review and ranking of "
        "this call."
    ]


def test_a_rejection_after_an_upheld_objection_gives_the_officers_reason(call, officer):
    application = recommended(call, title="社区书香角")
    decisions.publish_public_notice(call=call, actor=officer)
    from grants.transitions import run_action

    run_action(
        "reject", application=application, actor=officer, reason="异议成立：同一项目重复申报。"
    )
    letter = letters.build_letter(Application.objects.get(pk=application.pk))
    assert letter.reasons == ["异议成立：同一项目重复申报。"]


@pytest.mark.parametrize(
    "state",
    [S.SUBMITTED, S.IN_REVIEW, S.REVIEWED, S.RECOMMENDED, S.PUBLIC_NOTICE, S.OBJECTION_REVIEW],
)
def test_no_letter_before_the_decision(call, state):
    assert letters.build_letter(decided(call, state)) is None


def test_not_recommended_has_a_letter_only_once_the_notice_is_published(call, officer):
    application = not_recommended(call)
    assert letters.letter_kind(application) is None
    PublicNotice.objects.create(
        call=call,
        title="公示",
        published_at=timezone.now(),
        closes_at=timezone.now() + timedelta(days=7),
        published_by=officer,
    )
    application = Application.objects.get(pk=application.pk)
    assert letters.letter_kind(application) == letters.NOT_RECOMMENDED


# --- Download ---------------------------------------------------------------------------------


@pytest.fixture
def approved(call, officer):
    return _approved(call, officer)


def test_the_applicant_downloads_the_letter_from_the_application_page(client, approved):
    member = UserFactory(username="member")
    MembershipFactory(user=member, organisation=approved.organisation, role=Role.APPLICANT)
    client.force_login(member)
    page = client.get(reverse("grants:application_detail", args=[approved.pk]))
    url = reverse("grants:decision_letter", args=[approved.pk])
    assert url in page.content.decode()
    assert "项目需求调研扎实" in page.content.decode()  # the decision reason
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"decision-{approved.reference}.pdf" in response["Content-Disposition"]
    assert "南通市崇川区夕阳红为老服务中心" in _text(response.content)


def test_officers_download_the_letter_too(client, officer, approved):
    client.force_login(officer)
    response = client.get(reverse("grants:officer_decision_letter", args=[approved.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("persona", ["outsider", "reviewer", "applicant"])
def test_nobody_else_gets_the_letter(client, approved, persona, request):
    client.force_login(request.getfixturevalue(persona))
    for name in ("grants:decision_letter", "grants:officer_decision_letter"):
        assert client.get(reverse(name, args=[approved.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, approved):
    response = client.get(reverse("grants:decision_letter", args=[approved.pk]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_no_letter_is_a_404(client, officer, call):
    application = recommended(call)
    client.force_login(officer)
    assert client.get(reverse("grants:decision_letter", args=[application.pk])).status_code == 404


def test_the_applicant_page_hides_the_reason_before_the_decision_is_public(client, call):
    application = recommended(call, reason="内部备注：排名靠前。")
    member = applicant_of(application)
    client.force_login(member)
    page = client.get(reverse("grants:application_detail", args=[application.pk])).content.decode()
    assert "内部备注" not in page
    assert reverse("grants:decision_letter", args=[application.pk]) not in page
