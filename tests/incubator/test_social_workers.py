"""Social workers: profiles, certificate rules and the 持证率 by organisation and district."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.enums import Role
from incubator import selectors_community as selectors
from incubator import services_community as services
from incubator.enums_community import CertificateLevel as L
from incubator.models import SocialWorker
from tests.factories import DistrictFactory, MembershipFactory, OrganisationFactory, UserFactory
from tests.incubator.factories_community import SocialWorkerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def worked_district():
    """District 南岸区: org A 2 of 4 certified (50%), org B 1 of 3 (33.3%; one who left is not
    counted); district 3 of 7 = 42.9%. District 渝中区 has an organisation without social workers."""
    district = DistrictFactory(name="南岸区")
    org_a = OrganisationFactory(name="甲社工中心", district=district)
    org_b = OrganisationFactory(name="乙社工中心", district=district)
    for level in (L.ASSISTANT, L.INTERMEDIATE, L.NONE, L.NONE):
        SocialWorkerFactory(organisation=org_a, certificate_level=level)
    for level in (L.SENIOR, L.NONE, L.NONE):
        SocialWorkerFactory(organisation=org_b, certificate_level=level)
    SocialWorkerFactory(organisation=org_b, certificate_level=L.SENIOR, is_active=False)
    empty = DistrictFactory(name="渝中区")
    OrganisationFactory(name="丙协会", district=empty)
    return district, org_a, org_b, empty


def test_certification_rate_rounds_half_up_to_one_decimal():
    assert selectors.certification_rate(1, 3) == Decimal("33.3")
    assert selectors.certification_rate(2, 3) == Decimal("66.7")
    assert selectors.certification_rate(3, 7) == Decimal("42.9")
    assert selectors.certification_rate(1, 8) == Decimal("12.5")
    assert selectors.certification_rate(0, 0) is None


def test_certification_rate_by_organisation_on_worked_data(worked_district):
    district, org_a, org_b, _empty = worked_district

    rows = selectors.with_rates(selectors.certification_by_organisation())

    figures = {row.name: (row.total, row.certified, row.rate) for row in rows}
    assert figures == {
        "甲社工中心": (4, 2, Decimal("50.0")),
        "乙社工中心": (3, 1, Decimal("33.3")),
    }  # 丙协会 has nobody to count and is left out
    assert selectors.certification_of(organisation=org_b)["senior"] == 1


def test_certification_rate_by_district_on_worked_data(worked_district):
    by_name = {row["name"]: row for row in selectors.certification_by_district()}

    nanan = by_name["南岸区"]
    assert (nanan["total"], nanan["certified"], nanan["rate"]) == (7, 3, Decimal("42.9"))
    assert (nanan["assistant"], nanan["intermediate"], nanan["senior"]) == (1, 1, 1)
    assert (by_name["渝中区"]["total"], by_name["渝中区"]["rate"]) == (0, None)


def test_district_rate_is_one_query_whatever_the_number_of_districts(
    worked_district, django_assert_num_queries
):
    for _ in range(5):
        SocialWorkerFactory(certificate_level=L.ASSISTANT)
    with django_assert_num_queries(1):
        selectors.certification_by_district()


# --- Database rules ----------------------------------------------------------------------------


def test_a_certified_level_needs_a_certificate_number():
    with pytest.raises(IntegrityError), transaction.atomic():
        SocialWorkerFactory(certificate_level=L.SENIOR, certificate_number=None)


def test_a_number_without_a_level_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        SocialWorkerFactory(certificate_level=L.NONE, certificate_number="SW1")


def test_certificate_numbers_are_unique_but_many_have_none():
    SocialWorkerFactory(certificate_level=L.ASSISTANT, certificate_number="sw-001")
    SocialWorkerFactory(certificate_level=L.NONE)
    SocialWorkerFactory(certificate_level=L.NONE)  # several NULLs are fine
    with pytest.raises(IntegrityError), transaction.atomic():
        SocialWorkerFactory(certificate_level=L.INTERMEDIATE, certificate_number=" SW-001 ")


# --- Services ----------------------------------------------------------------------------------


def _data(**overrides):
    data = {
        "name": "周静",
        "user": None,
        "certificate_level": L.INTERMEDIATE,
        "certificate_number": "2023350100123",
        "certificate_date": None,
        "training_hours": Decimal("36.5"),
        "is_active": True,
    }
    data.update(overrides)
    return data


def test_applicant_member_adds_a_social_worker(applicant, organisation):
    worker = services.create_social_worker(actor=applicant, organisation=organisation, data=_data())

    assert worker.organisation == organisation
    assert worker.is_certified and worker.training_hours == Decimal("36.5")


def test_outsider_cannot_add_social_workers_to_another_organisation(outsider, organisation):
    with pytest.raises(PermissionDenied):
        services.create_social_worker(actor=outsider, organisation=organisation, data=_data())
    assert not SocialWorker.objects.exists()


def test_a_duplicate_certificate_number_is_explained(applicant, organisation):
    SocialWorkerFactory(certificate_level=L.ASSISTANT, certificate_number="2023350100123")
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            services.create_social_worker(actor=applicant, organisation=organisation, data=_data())
        assert "already registered" in str(error.value.message_dict["certificate_number"])


def test_linked_user_must_be_a_member_of_the_organisation(applicant, organisation):
    stranger = UserFactory()
    with pytest.raises(ValidationError) as error:
        services.create_social_worker(
            actor=applicant, organisation=organisation, data=_data(user=stranger)
        )
    assert "user" in error.value.message_dict


# --- Pages -------------------------------------------------------------------------------------


def test_organisation_page_shows_the_rate_to_its_members(client, applicant, organisation):
    for level in (L.ASSISTANT, L.NONE, L.NONE, L.SENIOR):
        SocialWorkerFactory(organisation=organisation, certificate_level=level)
    client.force_login(applicant)

    response = client.get(reverse("community:organisation_social_workers", args=[organisation.pk]))

    assert response.status_code == 200
    assert "50.0%" in response.content.decode()
    assert reverse("community:social_worker_create", args=[organisation.pk]).encode() in (
        response.content
    )


def test_applicant_adds_and_edits_a_social_worker_through_the_pages(
    client, applicant, organisation
):
    client.force_login(applicant)
    response = client.post(
        reverse("community:social_worker_create", args=[organisation.pk]),
        {
            "name": "李敏",
            "certificate_level": L.ASSISTANT,
            "certificate_number": "a2024001",
            "certificate_date": "2024-06-01",
            "training_hours": "20",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    worker = SocialWorker.objects.get(name="李敏")
    assert worker.certificate_number == "A2024001"

    response = client.post(
        reverse("community:social_worker_edit", args=[worker.pk]),
        {"name": "李敏", "certificate_level": L.NONE, "training_hours": "24"},
    )

    assert response.status_code == 302
    worker = SocialWorker.objects.get(pk=worker.pk)
    assert (worker.is_certified, worker.is_active, worker.certificate_number) == (
        False,
        False,
        None,
    )


def test_form_error_for_certificate_without_number_is_shown_in_english(
    client, applicant, organisation
):
    client.force_login(applicant)
    client.cookies["django_language"] = "en"
    response = client.post(
        reverse("community:social_worker_create", args=[organisation.pk]),
        {"name": "李敏", "certificate_level": L.SENIOR, "training_hours": "0"},
    )
    assert response.status_code == 200
    assert not SocialWorker.objects.exists()
    assert "Give the number printed on the certificate." in response.content.decode()


def test_social_worker_member_sees_but_cannot_add(client, organisation):
    member = MembershipFactory(organisation=organisation, role=Role.SOCIAL_WORKER).user
    client.force_login(member)
    assert (
        client.get(
            reverse("community:organisation_social_workers", args=[organisation.pk])
        ).status_code
        == 200
    )
    assert (
        client.get(reverse("community:social_worker_create", args=[organisation.pk])).status_code
        == 403
    )


@pytest.mark.parametrize("name", ["organisation_social_workers", "social_worker_create"])
def test_outsider_gets_404_and_anonymous_is_sent_to_log_in(client, outsider, organisation, name):
    url = reverse(f"community:{name}", args=[organisation.pk])
    assert client.get(url).status_code == 302
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_outsider_cannot_edit_another_organisations_social_worker(client, outsider):
    worker = SocialWorkerFactory()
    client.force_login(outsider)
    assert client.get(reverse("community:social_worker_edit", args=[worker.pk])).status_code == 404


def test_report_is_for_officers(client, officer, applicant, worked_district):
    url = reverse("community:certification_report")
    assert client.get(url).status_code == 302
    client.force_login(applicant)
    assert client.get(url).status_code == 403
    client.force_login(officer)

    response = client.get(url)

    assert response.status_code == 200
    body = response.content.decode()
    assert "42.9%" in body and "50.0%" in body and "33.3%" in body


# --- Query counts ------------------------------------------------------------------------------


def _count(client, url) -> int:
    client.get(url)  # warm per-process caches before counting
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_organisation_page_costs_the_same_for_1_and_30_social_workers(
    client, applicant, organisation, django_assert_max_num_queries
):
    client.force_login(applicant)
    url = reverse("community:organisation_social_workers", args=[organisation.pk])
    SocialWorkerFactory(organisation=organisation, certificate_level=L.ASSISTANT)
    one = _count(client, url)
    for i in range(29):
        SocialWorkerFactory(organisation=organisation, certificate_level=list(L)[i % 4])
    with django_assert_max_num_queries(one):
        assert client.get(url).status_code == 200


def test_report_costs_the_same_for_1_and_30_organisations(
    client, officer, django_assert_max_num_queries
):
    client.force_login(officer)
    url = reverse("community:certification_report")
    SocialWorkerFactory(certificate_level=L.SENIOR)
    one = _count(client, url)
    for _ in range(29):
        SocialWorkerFactory(certificate_level=L.ASSISTANT)
    with django_assert_max_num_queries(one):
        assert client.get(url).status_code == 200
