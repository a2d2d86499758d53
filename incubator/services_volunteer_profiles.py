"""Volunteer registration: the profile, consent, the ID number (checked, encrypted, indexed).

Part of the volunteering services (see ``incubator.services_volunteers`` for the common rules:
keyword-only, ``actor``, permission checked here, ``transaction.atomic``). Re-exported there.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.enums import Role
from accounts.models import Membership, User
from incubator.enums import CommunityLevel
from incubator.enums_volunteers import CONSENT_VERSION, OFFLINE_CONSENT_NOTE, Skill
from incubator.models import Organisation, Volunteer
from incubator.personal_data import blind_index, validate_id_number, validate_mobile

__all__ = ["register_volunteer", "register_volunteer_on_paper", "update_volunteer"]


def _require(actor: User | None, perm: str, obj: Any = None) -> None:
    if actor is None or not actor.has_perm(perm, obj):
        raise PermissionDenied(_("You may not do this."))


PROFILE_FIELDS = ("real_name", "phone", "id_number", "skills", "community", "teams")


def _clean_profile(data: dict[str, Any], *, partial_id: bool = False) -> dict[str, Any]:
    """Validate and normalise profile input; raises ``ValidationError`` keyed by field."""
    unknown = set(data) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not volunteer profile fields: {sorted(unknown)}")
    errors: dict[str, Any] = {}
    values = dict(data)
    values["real_name"] = (data.get("real_name") or "").strip()
    if not values["real_name"]:
        errors["real_name"] = _("Please give your real name: it appears on your certificate.")
    values["phone"] = (data.get("phone") or "").replace(" ", "").replace("-", "")
    try:
        validate_mobile(values["phone"])
    except ValidationError as error:
        errors["phone"] = error
    if "id_number" in data:
        raw = data.get("id_number") or ""
        if raw.strip():
            try:
                values["id_number"] = validate_id_number(raw)
            except ValidationError as error:
                errors["id_number"] = error
        elif partial_id:
            values.pop("id_number")  # left empty on the edit form: keep the stored number
        else:
            values["id_number"] = ""
    skills = list(dict.fromkeys(data.get("skills") or []))
    if set(skills) - set(Skill.values):
        errors["skills"] = _("Choose skills from the list.")
    values["skills"] = skills
    community = data.get("community")
    if community is not None and community.level != CommunityLevel.COMMUNITY:
        errors["community"] = _("Choose a community (社区), not a district or sub-district.")
    if errors:
        raise ValidationError(errors)
    return values


def _save_volunteer(volunteer: Volunteer, values: dict[str, Any]) -> Volunteer:
    teams = values.pop("teams", None)
    for field, value in values.items():
        setattr(volunteer, field, value)
    if "id_number" in values:
        volunteer.id_number_index = blind_index(volunteer.id_number)
    if volunteer.id_number_index and (
        Volunteer.objects.filter(id_number_index=volunteer.id_number_index)
        .exclude(pk=volunteer.pk)
        .exists()
    ):
        raise ValidationError(
            {"id_number": _("A volunteer with this ID number is already registered.")}
        )
    try:
        with transaction.atomic():
            volunteer.save()
    except IntegrityError as error:  # two registrations with one ID number at the same moment
        raise ValidationError(
            {"id_number": _("A volunteer with this ID number is already registered.")}
        ) from error
    if teams is not None:
        volunteer.teams.set(teams)
    return volunteer


def register_volunteer(*, actor: User, data: dict[str, Any], consent: bool) -> Volunteer:
    """The signed-in ``actor`` registers as a volunteer, agreeing to the current consent text.

    Registering again returns the existing profile unchanged. Gives the actor the volunteer role.
    """
    _require(actor, "incubator.register_as_volunteer")
    if not consent:
        raise ValidationError(
            {"consent": _("You can only register if you agree to how your data is used.")}
        )
    values = _clean_profile(data)
    with transaction.atomic():
        # Lock the account row: a double submit registers once.
        User.objects.select_for_update().filter(pk=actor.pk).first()
        existing = Volunteer.objects.filter(user=actor).first()
        if existing is not None:
            return existing
        volunteer = Volunteer(
            user=actor,
            consent_at=timezone.now(),
            consent_version=CONSENT_VERSION,
            registered_by=actor,
        )
        _save_volunteer(volunteer, values)
        Membership.objects.get_or_create(
            user=actor, role=Role.VOLUNTEER, organisation=None, defaults={"is_active": True}
        )
    actor._volunteer_id = volunteer.pk
    return volunteer


def register_volunteer_on_paper(
    *, actor: User, organisation: Organisation, data: dict[str, Any], consent_on_paper: bool
) -> Volunteer:
    """An organiser registers someone without an account (e.g. an older resident without a
    smartphone) who signed the consent form on paper. The organisation answers for the record."""
    _require(actor, "incubator.register_volunteer_on_paper", organisation)
    if not consent_on_paper:
        raise ValidationError(
            {"consent": _("Register a volunteer only after they have signed the consent form.")}
        )
    values = _clean_profile(data)
    with transaction.atomic():
        volunteer = Volunteer(
            consent_at=timezone.now(),
            consent_version=CONSENT_VERSION,
            consent_note=str(OFFLINE_CONSENT_NOTE),
            registered_by=actor,
            registered_by_organisation=organisation,
        )
        return _save_volunteer(volunteer, values)


def update_volunteer(*, actor: User, volunteer: Volunteer, data: dict[str, Any]) -> Volunteer:
    """The volunteer (or an officer) edits the profile. An empty ID number keeps the stored one."""
    _require(actor, "incubator.view_volunteer", volunteer)
    values = _clean_profile(data, partial_id=True)
    with transaction.atomic():
        volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
        return _save_volunteer(volunteer, values)
