"""A member registers their organisation and keeps its profile up to date."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from accounts.enums import Role
from accounts.models import Membership
from incubator.credit_code import make_credit_code
from incubator.enums import OrganisationType
from incubator.models import Organisation
from incubator.services import register_organisation, update_organisation
from tests.factories import CommunityFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

VALID_CODE = make_credit_code(authority="5", kind="2", area="500108", serial="MJ1234567")


@pytest.fixture
def newcomer(db):
    """Signed up and verified, no organisation yet."""
    return UserFactory(username="nina", display_name="倪娜")


@pytest.fixture
def place(db):
    community = CommunityFactory(name="东路社区")
    return {"community": community, "district": community.parent.parent}


def _form_data(place, **overrides):
    data = {
        "name": "南岸区夕阳红养老服务中心",
        "org_type": OrganisationType.SOCIAL_SERVICE,
        "credit_code": VALID_CODE,
        "registration_date": "2019-05-20",
        "registration_authority": "南岸区民政局",
        "rating": "4A",
        "rating_expires_on": "2028-12-31",
        "district": place["district"].pk,
        "community": place["community"].pk,
        "address": "南坪东路 8 号",
        "contact_name": "刘主任",
        "contact_phone": "023-62888888",
        "contact_email": "office@xiyanghong.example.org",
        "description": "为社区高龄老人提供助餐、助浴服务。",
        "website": "",
    }
    data.update(overrides)
    return data


def _zh(message: str) -> str:
    """What the user sees for one of our messages in the default language, as HTML."""
    with translation.override("zh-hans"):
        return escape(translation.gettext(message))


def test_member_registers_organisation_and_becomes_its_applicant(client, newcomer, place):
    client.force_login(newcomer)

    response = client.post(reverse("incubator:organisation_create"), _form_data(place))

    organisation = Organisation.objects.get(credit_code=VALID_CODE)
    assert response.status_code == 302
    assert response.url == reverse("incubator:organisation_detail", args=[organisation.pk])
    assert Membership.objects.filter(
        user=newcomer, organisation=organisation, role=Role.APPLICANT, is_active=True
    ).exists()
    dashboard = client.get(reverse("accounts:dashboard")).content.decode()
    assert "南岸区夕阳红养老服务中心" in dashboard
    assert VALID_CODE in dashboard


def test_pasted_code_with_spaces_is_stored_normalised(client, newcomer, place):
    client.force_login(newcomer)
    pasted = f"{VALID_CODE[:8]} {VALID_CODE[8:]}".lower()

    client.post(reverse("incubator:organisation_create"), _form_data(place, credit_code=pasted))

    assert Organisation.objects.filter(credit_code=VALID_CODE).exists()


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            VALID_CODE[:-1],
            "A unified social credit code has 18 characters; this one has %(count)d.",
        ),
        (
            VALID_CODE[:15] + "IO" + VALID_CODE[17],
            "A unified social credit code cannot contain %(chars)s (I, O, Z, S and V are never used).",
        ),
        (
            VALID_CODE[:17] + ("0" if VALID_CODE[17] != "0" else "1"),
            "The check character of this unified social credit code is wrong; please check for a typing mistake.",
        ),
    ],
    ids=["length", "characters", "check"],
)
def test_invalid_code_is_explained_in_the_form(client, newcomer, place, code, message):
    client.force_login(newcomer)

    response = client.post(
        reverse("incubator:organisation_create"), _form_data(place, credit_code=code)
    )

    assert response.status_code == 200
    page = response.content.decode()
    expected = _zh(message).split("%(")[0]  # the fixed part before any parameter
    assert expected in page
    assert not Organisation.objects.exists()


def test_duplicate_code_says_already_registered(client, newcomer, place):
    OrganisationFactory(credit_code=VALID_CODE)
    client.force_login(newcomer)

    response = client.post(reverse("incubator:organisation_create"), _form_data(place))

    assert response.status_code == 200
    assert _zh("An organisation with this unified social credit code is already registered.") in (
        response.content.decode()
    )
    assert not Membership.objects.filter(user=newcomer).exists()


def test_registered_type_without_code_is_refused_in_the_form(client, newcomer, place):
    client.force_login(newcomer)

    response = client.post(
        reverse("incubator:organisation_create"), _form_data(place, credit_code="")
    )

    assert response.status_code == 200
    assert (
        _zh("A registered organisation must give its unified social credit code.")
        in response.content.decode()
    )


def test_community_outside_the_district_is_refused_in_the_form(client, newcomer, place):
    client.force_login(newcomer)
    elsewhere = CommunityFactory()

    response = client.post(
        reverse("incubator:organisation_create"), _form_data(place, community=elsewhere.pk)
    )

    assert response.status_code == 200
    assert _zh("This community is not in the district chosen above.") in response.content.decode()


@pytest.mark.skipif(
    not (Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo").exists(),
    reason="the zh_Hans catalogue is compiled centrally at the end",
)
@pytest.mark.parametrize(
    "message",
    [
        "A unified social credit code has 18 characters; this one has %(count)d.",
        "A unified social credit code cannot contain %(chars)s (I, O, Z, S and V are never used).",
        "The check character of this unified social credit code is wrong; please check for a typing mistake.",
        "An organisation with this unified social credit code is already registered.",
    ],
)
def test_credit_code_messages_are_translated_into_chinese(message):
    with translation.override("zh-hans"):
        assert re.search(r"[\u4e00-\u9fff]", translation.gettext(message))


def test_applicant_edits_profile(client, applicant, organisation):
    client.force_login(applicant)
    url = reverse("incubator:organisation_detail", args=[organisation.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="contact_phone"' in page.content.decode()

    data = {
        "name": organisation.name,
        "org_type": organisation.org_type,
        "credit_code": organisation.credit_code,
        "district": organisation.district_id,
        "contact_name": "新联系人",
        "contact_phone": "13700000000",
    }
    response = client.post(url, data)

    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.contact_name == "新联系人"


def test_officer_sees_any_organisation(client, officer, organisation):
    client.force_login(officer)
    response = client.get(reverse("incubator:organisation_detail", args=[organisation.pk]))
    assert response.status_code == 200
    assert organisation.name in response.content.decode()


def test_service_refuses_outsider_even_without_the_view(outsider, organisation):
    with pytest.raises(PermissionDenied):
        update_organisation(
            actor=outsider, organisation=organisation, data={"contact_name": "黑客"}
        )
    organisation.refresh_from_db()
    assert organisation.contact_name != "黑客"


def test_service_registers_in_one_transaction(newcomer, place):
    # given: the membership cannot be created (an unknown field stops the service first)
    with pytest.raises(ValueError):
        register_organisation(actor=newcomer, data={"name": "X", "members": []})
    # when: a valid registration fails validation, nothing is left behind
    with pytest.raises(ValidationError):
        register_organisation(
            actor=newcomer,
            data={
                "name": "无代码中心",
                "org_type": OrganisationType.SOCIAL_SERVICE,
                "district": place["district"],
            },
        )
    assert not Organisation.objects.exists()
    assert not Membership.objects.filter(user=newcomer).exists()


def test_inactive_user_cannot_register(newcomer, place):
    newcomer.is_active = False
    with pytest.raises(PermissionDenied):
        register_organisation(
            actor=newcomer,
            data={
                "name": "停用账户的机构",
                "org_type": OrganisationType.COMMUNITY_ORG,
                "district": place["district"],
            },
        )
