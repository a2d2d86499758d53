"""Who may do what in volunteering: django-rules permissions, asked by views and services alike.

People:
- a *volunteer* is a user with a ``Volunteer`` profile; they act on their own sign-ups, hours,
  redemptions and certificates;
- an *organiser* of an organisation is an active member with an organisation role (applicant or
  social worker): they run its activities, enter and approve hours, issue certificates, export;
- *officers* run the platform: everything above, plus the reward catalogue and full ID numbers.

Nobody approves their own hours, even an organiser who volunteers at their own activity.
"""

from __future__ import annotations

import rules

from accounts.rules import is_officer, is_signed_in
from incubator.enums_volunteers import ORGANISER_ROLES


def organiser_organisation_ids(user) -> frozenset[int]:
    """Organisations whose activities ``user`` runs (cached on the user object for the request)."""
    if not (user and user.is_authenticated and user.is_active):
        return frozenset()
    cached = getattr(user, "_volunteering_organiser_ids", None)
    if cached is None:
        cached = frozenset(
            user.memberships.filter(
                is_active=True, role__in=sorted(ORGANISER_ROLES), organisation__isnull=False
            ).values_list("organisation_id", flat=True)
        )
        user._volunteering_organiser_ids = cached
    return cached


def volunteer_id_of(user) -> int | None:
    """The id of the user's volunteer profile, or None (cached on the user object)."""
    if not (user and user.is_authenticated and user.is_active):
        return None
    if not hasattr(user, "_volunteer_id"):
        from incubator.models import Volunteer

        user._volunteer_id = (
            Volunteer.objects.filter(user=user).values_list("pk", flat=True).first()
        )
    return user._volunteer_id


@rules.predicate
def has_volunteer_profile(user) -> bool:
    return volunteer_id_of(user) is not None


@rules.predicate
def is_organiser(user) -> bool:
    return bool(organiser_organisation_ids(user))


@rules.predicate
def is_organiser_of_organisation(user, organisation) -> bool:
    return organisation is not None and organisation.pk in organiser_organisation_ids(user)


@rules.predicate
def is_organiser_of_activity(user, activity) -> bool:
    return activity is not None and activity.organisation_id in organiser_organisation_ids(user)


@rules.predicate
def is_organiser_of_hours(user, record) -> bool:
    return record is not None and record.activity.organisation_id in organiser_organisation_ids(
        user
    )


@rules.predicate
def is_published(user, activity) -> bool:
    return activity is not None and activity.published


@rules.predicate
def is_volunteer_self(user, volunteer) -> bool:
    return volunteer is not None and volunteer.pk == volunteer_id_of(user)


@rules.predicate
def is_own_hours(user, record) -> bool:
    return record is not None and record.volunteer_id == volunteer_id_of(user)


@rules.predicate
def is_own_redemption(user, redemption) -> bool:
    return redemption is not None and redemption.volunteer_id == volunteer_id_of(user)


rules.add_perm("incubator.register_as_volunteer", is_signed_in)
rules.add_perm("incubator.register_volunteer_on_paper", is_officer | is_organiser_of_organisation)
rules.add_perm("incubator.use_volunteering_workspace", is_officer | is_organiser)
rules.add_perm(
    "incubator.view_volunteer_activity", is_published | is_officer | is_organiser_of_activity
)
rules.add_perm("incubator.create_volunteer_activity", is_officer | is_organiser_of_organisation)
rules.add_perm("incubator.manage_volunteer_activity", is_officer | is_organiser_of_activity)
rules.add_perm("incubator.sign_up_for_activity", has_volunteer_profile & is_published)
rules.add_perm("incubator.enter_own_hours", has_volunteer_profile)
rules.add_perm(
    "incubator.decide_volunteer_hours", (is_officer | is_organiser_of_hours) & ~is_own_hours
)
rules.add_perm("incubator.export_volunteer_hours", is_officer | is_organiser)
rules.add_perm("incubator.see_full_id_numbers", is_officer)
rules.add_perm("incubator.view_volunteer", is_officer | is_volunteer_self)
rules.add_perm("incubator.manage_volunteer_teams", is_officer | is_organiser_of_organisation)
rules.add_perm("incubator.issue_volunteer_certificate", is_officer | is_organiser_of_organisation)
rules.add_perm("incubator.manage_rewards", is_officer)
rules.add_perm("incubator.redeem_reward", has_volunteer_profile)
rules.add_perm("incubator.fulfil_redemption", is_officer)
rules.add_perm("incubator.cancel_redemption", is_officer | is_own_redemption)
