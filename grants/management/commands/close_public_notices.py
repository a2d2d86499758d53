"""Tell officers when a 公示 window has closed, and delete objections nobody ever verified.

Run it hourly (cron or a systemd timer, like ``send_digests``): each closed notice is announced
once (the notification row records it), so running it more often only costs a query.
"""

from django.core.management.base import BaseCommand

from grants.services.decisions import close_public_notices
from grants.services.objections import purge_unverified_objections


class Command(BaseCommand):
    help = "Notify officers of closed public notices (公示) and purge unverified objections."

    def handle(self, *args, **options):
        for notice in close_public_notices():
            self.stdout.write(f"Closed: {notice.call.title} ({notice.title})")
        purged = purge_unverified_objections()
        if purged:
            self.stdout.write(f"Deleted {purged} unverified objection(s).")
