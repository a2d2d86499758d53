"""The organisation directory and profiles: /organisations/ and /organisations/<pk>/ (issue #8).

Listed: registered organisations (credit code), and filed community organisations with a public
(funded) project. Shown: public fields only, and public projects only.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.enums import Role
from cms.demo_projects import build_project_pages
from cms.models import HomePage, OrganisationIndexPage
from grants.enums import ApplicationState
from grants.enums_evaluations import EvaluationKind, EvaluationState
from grants.models import Evaluation
from incubator.enums import OrganisationType
from tests.factories import (
    DistrictFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.grants.factories_reports import funded_project

pytestmark = pytest.mark.django_db
S = ApplicationState

SECRETS = ("保密联系人乙", "13987654321", "private-contact@example.org", "保密街99号")


@pytest.fixture
def pages(site):
    for home in HomePage.objects.all():
        build_project_pages(home, home.locale.language_code)
    return site


def organisation_with_secrets(**fields):
    organisation = OrganisationFactory(
        contact_name=SECRETS[0],
        contact_phone=SECRETS[1],
        contact_email=SECRETS[2],
        address=SECRETS[3],
        **fields,
    )
    MembershipFactory(
        user=UserFactory(username="member-x", display_name="机构成员王五"),
        organisation=organisation,
        role=Role.APPLICANT,
    )
    return organisation


def filed(name: str):
    """A filed community organisation: no credit code, so not in any public register."""
    return OrganisationFactory(name=name, org_type=OrganisationType.COMMUNITY_ORG, credit_code=None)


def test_directory_lists_registered_and_funded_organisations_in_both_languages(
    client, pages, english
):
    funded = filed("崇川区邻里守望互助队")
    funded_project(organisation=funded)
    registered = OrganisationFactory(name="已登记的社会工作服务中心")
    draft_only = filed("只有草稿的社区队伍")
    funded_project(organisation=draft_only, state=S.DRAFT, agreement=False)
    rejected_only = filed("申报被拒的社区队伍")
    funded_project(organisation=rejected_only, state=S.REJECTED, agreement=False)
    filed("从未申报的社区队伍")

    zh = client.get("/organisations/")
    en = client.get("/en/organisations/")

    assert zh.status_code == en.status_code == 200
    for response, prefix in ((zh, ""), (en, "/en")):
        body = response.content.decode()
        assert "崇川区邻里守望互助队" in body
        assert f'href="{prefix}/organisations/{funded.pk}/"' in body
        assert f'href="{prefix}/organisations/{registered.pk}/"' in body
        for hidden in ("只有草稿的社区队伍", "申报被拒的社区队伍", "从未申报的社区队伍"):
            assert hidden not in body
    assert "Organisation directory" in en.content.decode()
    assert "1 funded project" in en.content.decode()


def test_registered_organisation_profile_never_reveals_its_unfunded_applications(
    client, pages, english
):
    organisation = OrganisationFactory(name="只申报过的登记机构")
    funded_project(
        organisation=organisation, title="评审中的秘密申请", state=S.IN_REVIEW, agreement=False
    )
    funded_project(
        organisation=organisation, title="被拒的秘密申请", state=S.REJECTED, agreement=False
    )

    response = client.get(f"/en/organisations/{organisation.pk}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "只申报过的登记机构" in body
    assert "评审中的秘密申请" not in body
    assert "被拒的秘密申请" not in body
    assert "No funded project yet." in body


def test_directory_searches_by_name_and_filters_by_district_and_type(client, pages):
    district = DistrictFactory(name="崇川区")
    funded_project(
        organisation=OrganisationFactory(
            name="崇川区阳光助老服务社", district=district, org_type=OrganisationType.SOCIAL_SERVICE
        )
    )
    funded_project(
        organisation=OrganisationFactory(
            name="海门区青少年发展基金会", org_type=OrganisationType.FOUNDATION
        )
    )

    by_name = client.get("/organisations/", {"q": "阳光"}).content.decode()
    by_district = client.get("/organisations/", {"district": district.pk}).content.decode()
    by_type = client.get("/organisations/", {"type": "foundation"}).content.decode()
    nothing = client.get("/organisations/", {"q": "不存在的名字"}).content.decode()

    assert "崇川区阳光助老服务社" in by_name and "海门区青少年发展基金会" not in by_name
    assert "崇川区阳光助老服务社" in by_district and "海门区青少年发展基金会" not in by_district
    assert "海门区青少年发展基金会" in by_type and "崇川区阳光助老服务社" not in by_type
    assert "崇川区阳光助老服务社" not in nothing and "海门区青少年发展基金会" not in nothing
    assert 'for="organisation-q"' in by_name  # the search box has a label


def _list_queries(client) -> int:
    # Every measurement starts from an empty cache (whole-page cache, share image, site root
    # paths): saving rows purges those, so only a cold request compares with another.
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/organisations/")
    assert response.status_code == 200
    return len(queries)


def test_directory_query_count_is_the_same_for_1_and_30_organisations(
    client, pages, django_assert_max_num_queries
):
    funded_project(organisation=OrganisationFactory(name="机构00"))
    _list_queries(client)  # warm the per-process caches
    one = _list_queries(client)
    for number in range(1, 30):
        funded_project(organisation=OrganisationFactory(name=f"机构{number:02d}"))

    cache.clear()

    with django_assert_max_num_queries(one):
        response = client.get("/organisations/")

    assert response.content.decode().count('class="card organisation-card"') == 20  # one page
    assert 'rel="next"' in response.content.decode()


def test_profile_shows_public_fields_and_never_the_private_ones(client, pages, english):
    organisation = organisation_with_secrets(
        name="崇川区彩虹社会工作服务中心",
        registration_date=datetime.date(2019, 4, 18),
        registration_authority="南通市崇川区民政局",
        rating="4A",
        rating_expires_on=timezone.localdate() + datetime.timedelta(days=300),
        description="专注社区独居老人关爱与邻里互助。",
        website="https://caihong.example.org",
    )
    funded_project(organisation=organisation, title="楼道长守望探访计划")

    for url in (f"/organisations/{organisation.pk}/", f"/en/organisations/{organisation.pk}/"):
        response = client.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        for public in (
            "崇川区彩虹社会工作服务中心",
            organisation.credit_code,
            "2019-04-18",
            "南通市崇川区民政局",
            "4A",
            "专注社区独居老人关爱与邻里互助。",
            "https://caihong.example.org",
            "楼道长守望探访计划",
        ):
            assert public in body, public
        for secret in (*SECRETS, "机构成员王五", "member-x"):
            assert secret not in body, secret
    en_body = client.get(f"/en/organisations/{organisation.pk}/").content.decode()
    assert "Track record" in en_body
    assert "<title>崇川区彩虹社会工作服务中心 ·" in en_body
    assert (
        f'<link rel="canonical" href="http://testserver/en/organisations/{organisation.pk}/">'
        in en_body
    )


def test_directory_never_shows_private_fields(client, pages):
    organisation = organisation_with_secrets(name="有联系方式的机构")
    funded_project(organisation=organisation)

    body = client.get("/organisations/").content.decode()

    assert "有联系方式的机构" in body
    for secret in SECRETS:
        assert secret not in body


def test_profile_is_404_for_a_filed_organisation_without_a_public_project(client, pages):
    organisation = filed("只提交过申请的社区队伍")
    funded_project(organisation=organisation, state=S.SUBMITTED, agreement=False)

    assert client.get(f"/organisations/{organisation.pk}/").status_code == 404
    assert client.get(f"/en/organisations/{organisation.pk}/").status_code == 404
    assert client.get("/organisations/999999/").status_code == 404


def test_track_record_lists_only_public_projects_with_final_grades(client, pages, english):
    organisation = OrganisationFactory()
    completed = funded_project(
        organisation=organisation, title="已结项的助老项目", state=S.COMPLETED
    )
    Evaluation.objects.create(
        application=completed,
        kind=EvaluationKind.FINAL,
        evaluator=UserFactory(username="eva-final"),
        state=EvaluationState.SUBMITTED,
        total="92.00",
        grade="excellent",
        passed=True,
        submitted_at=timezone.now(),
    )
    funded_project(organisation=organisation, title="进行中的项目")
    funded_project(
        organisation=organisation, title="未获资助的申请", state=S.REJECTED, agreement=False
    )

    body = client.get(f"/en/organisations/{organisation.pk}/").content.decode()

    assert "已结项的助老项目" in body
    assert "进行中的项目" in body
    assert "未获资助的申请" not in body
    assert "Excellent" in body
    assert f'href="/en/projects/{completed.pk}/"' in body


def test_organisation_index_slug_is_fixed(pages):
    from django.core.exceptions import ValidationError

    page = OrganisationIndexPage.objects.get(locale__language_code="en")
    page.slug = "directory"

    with pytest.raises(ValidationError):
        page.full_clean()


def test_language_switcher_on_a_profile_leads_to_the_same_profile(client, pages):
    organisation = OrganisationFactory()
    funded_project(organisation=organisation)

    zh = client.get(f"/organisations/{organisation.pk}/").content.decode()

    assert f'name="next" value="/en/organisations/{organisation.pk}/"' in zh
