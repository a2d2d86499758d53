from __future__ import annotations

from ninja import Router, Schema

from accounts.selectors import active_memberships

router = Router()


class MembershipOut(Schema):
    role: str
    role_label: str
    organisation_id: int | None
    organisation: str | None
    community_id: int | None


class MeOut(Schema):
    username: str
    display_name: str
    email: str
    preferred_language: str
    roles: list[str]
    memberships: list[MembershipOut]


@router.get("", response=MeOut, summary="The signed-in user and their roles")
def me(request):
    user = request.user
    memberships = [
        MembershipOut(
            role=m.role,
            role_label=str(m.get_role_display()),
            organisation_id=m.organisation_id,
            organisation=m.organisation.name if m.organisation else None,
            community_id=m.community_id,
        )
        for m in active_memberships(user=user)
    ]
    return MeOut(
        username=user.username,
        display_name=str(user),
        email=user.email,
        preferred_language=user.preferred_language,
        roles=sorted({m.role for m in memberships}),
        memberships=memberships,
    )
