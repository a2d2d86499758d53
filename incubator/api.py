from __future__ import annotations

from datetime import date

from ninja import Router, Schema

from incubator.selectors import organisations_of

router = Router()


class OrganisationOut(Schema):
    id: int
    name: str
    org_type: str
    credit_code: str | None
    rating: str
    rating_expires_on: date | None
    rating_is_current: bool
    district: str
    community: str | None

    @staticmethod
    def resolve_district(organisation) -> str:
        return organisation.district.name

    @staticmethod
    def resolve_community(organisation) -> str | None:
        return organisation.community.name if organisation.community else None


@router.get(
    "/mine", response=list[OrganisationOut], summary="Organisations the signed-in user belongs to"
)
def my_organisations(request):
    return list(organisations_of(user=request.user))
