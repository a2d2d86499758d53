"""Registration: consent, ID-number checksum, encryption at rest, one profile per person."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import translation

from accounts.enums import Role
from incubator import services_volunteers as svc
from incubator.enums_volunteers import CONSENT_VERSION, Skill
from incubator.models import Volunteer
from incubator.personal_data import (
    decrypt,
    make_id_number,
    mask_id_number,
    mask_phone,
    validate_id_number,
)
from tests.factories import CommunityFactory, UserFactory
from tests.incubator.factories_volunteers import VALID_ID, OrganiserFactory, in_english

pytestmark = pytest.mark.django_db


def _data(community, **overrides):
    return {
        "real_name": "林小雨",
        "phone": "13912345678",
        "id_number": VALID_ID,
        "skills": [Skill.VISITING, Skill.IT],
        "community": community,
        **overrides,
    }


# --- The ID-number checker (GB 11643, ISO 7064 mod 11-2) ----------------------------------------


def test_the_standards_worked_example_passes_and_a_lower_case_x_is_accepted():
    # 11010519491231002X is the worked example of GB 11643-1999.
    assert validate_id_number("11010519491231002x") == "11010519491231002X"
    assert validate_id_number(" 3206 0219 9003 0712 3" + VALID_ID[17]) == VALID_ID


def test_a_number_with_a_wrong_check_character_is_refused_with_a_clear_message():
    wrong = VALID_ID[:17] + ("0" if VALID_ID[17] != "0" else "1")
    with translation.override("en"), pytest.raises(ValidationError) as error:
        validate_id_number(wrong)
    assert "last character does not match" in in_english(error.value)


@pytest.mark.parametrize(
    ("number", "words"),
    [
        ("3206021990030712", "has 18 characters; this one has 16"),
        ("320602199003071", "old 15-digit ID number"),
        ("32060219900307123A", "17 digits followed by a digit or the letter X"),
        (make_id_number("32060219901307123"), "not a valid date"),
    ],
)
def test_malformed_numbers_say_what_is_wrong(number, words):
    with translation.override("en"), pytest.raises(ValidationError) as error:
        validate_id_number(number)
    assert words in in_english(error.value)


def test_masking_hides_the_birth_date_and_the_middle_of_the_phone():
    assert mask_id_number("320602199003071234") == "3206**********1234"
    assert mask_phone("13912345678") == "139****5678"
    assert mask_id_number("") == "" and mask_phone("") == ""


# --- Registration --------------------------------------------------------------------------------


def test_a_signed_in_user_registers_with_consent_and_the_id_number_is_encrypted_at_rest():
    # given
    user = UserFactory()
    community = CommunityFactory()
    # when
    volunteer = svc.register_volunteer(actor=user, data=_data(community), consent=True)
    # then: consent is recorded with the text version, and the user holds the volunteer role
    volunteer.refresh_from_db()
    assert volunteer.consent_version == CONSENT_VERSION and volunteer.consent_at
    assert volunteer.id_number == VALID_ID
    assert user.memberships.filter(role=Role.VOLUNTEER, is_active=True).exists()
    # and the database column holds a Fernet token, not the number
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM incubator_volunteer WHERE id = %s", [volunteer.pk])
        (stored,) = cursor.fetchone()
    assert VALID_ID not in stored and VALID_ID[-8:] not in stored
    assert decrypt(stored) == VALID_ID
    assert volunteer.id_number_index and VALID_ID not in volunteer.id_number_index


def test_registration_without_consent_records_nothing():
    user = UserFactory()
    with translation.override("en"), pytest.raises(ValidationError) as error:
        svc.register_volunteer(actor=user, data=_data(CommunityFactory()), consent=False)
    assert "agree to how your data is used" in in_english(error.value)
    assert not Volunteer.objects.exists()


def test_registering_twice_returns_the_first_profile():
    user = UserFactory()
    first = svc.register_volunteer(actor=user, data=_data(CommunityFactory()), consent=True)
    again = svc.register_volunteer(
        actor=user, data=_data(CommunityFactory(), real_name="别人"), consent=True
    )
    assert again.pk == first.pk and Volunteer.objects.count() == 1


def test_one_id_number_registers_one_volunteer():
    svc.register_volunteer(actor=UserFactory(), data=_data(CommunityFactory()), consent=True)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        svc.register_volunteer(
            actor=UserFactory(), data=_data(CommunityFactory(), phone="13700000000"), consent=True
        )
    assert "already registered" in in_english(error.value)


def test_the_id_number_is_optional():
    volunteer = svc.register_volunteer(
        actor=UserFactory(), data=_data(CommunityFactory(), id_number=""), consent=True
    )
    assert volunteer.id_number == "" and volunteer.id_number_index == ""


def test_community_must_be_a_community_not_a_district():
    community = CommunityFactory()
    with pytest.raises(ValidationError) as error:
        svc.register_volunteer(
            actor=UserFactory(), data=_data(community.parent.parent), consent=True
        )
    assert "community" in error.value.message_dict


def test_editing_with_an_empty_id_number_keeps_the_stored_one():
    user = UserFactory()
    volunteer = svc.register_volunteer(actor=user, data=_data(CommunityFactory()), consent=True)
    svc.update_volunteer(
        actor=user,
        volunteer=volunteer,
        data=_data(volunteer.community, id_number="", phone="13800001111"),
    )
    volunteer.refresh_from_db()
    assert volunteer.id_number == VALID_ID and volunteer.phone == "13800001111"


def test_an_organiser_registers_a_volunteer_on_paper_for_their_organisation(organisation):
    organiser = OrganiserFactory(organisation=organisation).user
    volunteer = svc.register_volunteer_on_paper(
        actor=organiser,
        organisation=organisation,
        data=_data(CommunityFactory()),
        consent_on_paper=True,
    )
    assert volunteer.user is None and volunteer.registered_by_organisation == organisation
    assert volunteer.consent_note


def test_an_outsider_cannot_register_volunteers_for_another_organisation(organisation, outsider):
    with pytest.raises(PermissionDenied):
        svc.register_volunteer_on_paper(
            actor=outsider,
            organisation=organisation,
            data=_data(CommunityFactory()),
            consent_on_paper=True,
        )


# --- The registration page -----------------------------------------------------------------------


def test_the_registration_page_shows_the_checksum_error_in_the_users_language(client):
    user = UserFactory()
    client.force_login(user)
    community = CommunityFactory()
    wrong = VALID_ID[:17] + ("0" if VALID_ID[17] != "0" else "1")
    with translation.override("en"):
        response = client.post(
            reverse("volunteering:register"),
            {"real_name": "林小雨", "phone": "13912345678", "id_number": wrong,
             "community": community.pk, "consent": "on"},
            HTTP_ACCEPT_LANGUAGE="en",
        )  # fmt: skip
    assert response.status_code == 200
    assert not Volunteer.objects.exists()
    assert "id_number" in response.context["form"].errors


def test_the_registration_page_registers_and_redirects_to_next(client):
    user = UserFactory()
    client.force_login(user)
    community = CommunityFactory()
    response = client.post(
        reverse("volunteering:register"),
        {"real_name": "林小雨", "phone": "139 1234 5678", "id_number": VALID_ID.lower(),
         "community": community.pk, "consent": "on", "skills": ["visiting"],
         "next": reverse("volunteering:rewards")},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == reverse("volunteering:rewards")
    volunteer = Volunteer.objects.get(user=user)
    assert volunteer.phone == "13912345678" and volunteer.skills == ["visiting"]


def test_anonymous_visitors_are_sent_to_log_in_before_registering(client):
    response = client.get(reverse("volunteering:register"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
