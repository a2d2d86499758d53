from __future__ import annotations

from ninja import Router, Schema

router = Router()


class MembershipOut(Schema):
    role: str
    organisation_id: int | None
    organisation: str | None


class MeOut(Schema):
    username: str
    display_name: str
    preferred_language: str
    memberships: list[MembershipOut]


@router.get("", response=MeOut, summary="The signed-in user and their roles")
def me(request):
    user = request.user
    memberships = [
        MembershipOut(
            role=m.role,
            organisation_id=m.organisation_id,
            organisation=m.organisation.name if m.organisation else None,
        )
        for m in user.memberships.filter(is_active=True).select_related("organisation")
    ]
    return MeOut(
        username=user.username,
        display_name=str(user),
        preferred_language=user.preferred_language,
        memberships=memberships,
    )
