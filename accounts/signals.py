from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import Membership
from accounts.services import sync_role_access


@receiver(post_save, sender=Membership, dispatch_uid="accounts_membership_saved")
@receiver(post_delete, sender=Membership, dispatch_uid="accounts_membership_deleted")
def membership_changed(sender, instance: Membership, **kwargs) -> None:
    # Every path that grants or removes a role (admin, seed data, services) goes through here,
    # so staff access can never lag behind the role codes.
    sync_role_access(user=instance.user)
