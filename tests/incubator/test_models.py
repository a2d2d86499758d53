"""Database constraints and model validation of the directory."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from incubator.enums import CommunityLevel, OrganisationType
from incubator.models import Community, Organisation
from tests.factories import (
    CommunityFactory,
    DistrictFactory,
    OrganisationFactory,
    SubdistrictFactory,
)

pytestmark = pytest.mark.django_db


def test_database_refuses_registered_type_without_credit_code():
    district = DistrictFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(
            name="无代码的社会团体",
            org_type=OrganisationType.SOCIAL_GROUP,
            credit_code=None,
            district=district,
        )


def test_filed_community_organisation_needs_no_credit_code():
    organisation = Organisation.objects.create(
        name="幸福里社区老年协会",
        org_type=OrganisationType.COMMUNITY_ORG,
        credit_code=None,
        district=DistrictFactory(),
    )
    organisation.full_clean()


def test_empty_code_is_stored_as_null_so_many_filed_organisations_coexist():
    district = DistrictFactory()
    for name in ("甲社区志愿队", "乙社区读书会"):
        Organisation.objects.create(
            name=name, org_type=OrganisationType.COMMUNITY_ORG, credit_code="", district=district
        )
    assert Organisation.objects.filter(credit_code__isnull=True).count() == 2


def test_database_refuses_duplicate_credit_code():
    existing = OrganisationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationFactory(credit_code=existing.credit_code)


def test_database_refuses_rating_expiry_without_rating():
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationFactory(rating="", rating_expires_on="2027-12-31")


def test_community_must_lie_in_the_chosen_district():
    community = CommunityFactory()
    other_district = DistrictFactory()
    organisation = OrganisationFactory.build(district=other_district, community=community)
    with pytest.raises(ValidationError) as caught:
        organisation.full_clean()
    assert "community" in caught.value.message_dict


def test_district_field_must_be_a_district():
    subdistrict = SubdistrictFactory()
    organisation = OrganisationFactory.build(district=subdistrict)
    with pytest.raises(ValidationError) as caught:
        organisation.full_clean()
    assert "district" in caught.value.message_dict


# Community hierarchy: 区 → 街道 → 社区


def test_district_with_a_parent_is_refused():
    district = DistrictFactory()
    with pytest.raises(ValidationError) as caught:
        Community(name="错区", level=CommunityLevel.DISTRICT, parent=district).full_clean()
    assert "parent" in caught.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Community.objects.create(name="错区", level=CommunityLevel.DISTRICT, parent=district)


def test_community_directly_under_a_district_is_refused():
    district = DistrictFactory()
    with pytest.raises(ValidationError) as caught:
        Community(name="跳级社区", level=CommunityLevel.COMMUNITY, parent=district).full_clean()
    assert "parent" in caught.value.message_dict


def test_subdistrict_without_parent_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        Community.objects.create(name="孤立街道", level=CommunityLevel.SUBDISTRICT, parent=None)


def test_same_name_twice_under_one_parent_is_refused():
    subdistrict = SubdistrictFactory()
    CommunityFactory(name="花园社区", parent=subdistrict)
    with pytest.raises(IntegrityError), transaction.atomic():
        CommunityFactory(name="花园社区", parent=subdistrict)


def test_valid_hierarchy_gives_full_name_and_district():
    district = DistrictFactory(name="南岸区")
    subdistrict = SubdistrictFactory(name="南坪街道", parent=district)
    community = CommunityFactory(name="东路社区", parent=subdistrict)
    community.full_clean()
    assert community.full_name == "南岸区南坪街道东路社区"
    assert community.district_pk == district.pk
    assert district.district_pk == district.pk
