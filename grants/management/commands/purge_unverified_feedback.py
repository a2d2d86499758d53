"""Delete resident feedback (群众评议) nobody confirmed with the SMS code, a week after it was sent.

Unconfirmed responses hold a comment, a hashed number and an IP address that no resident stood
behind; they never count. Run it daily (cron or a systemd timer, like ``close_public_notices``).
"""

from django.core.management.base import BaseCommand

from grants.services.feedback import purge_unverified_responses


class Command(BaseCommand):
    help = "Delete resident feedback responses never confirmed with their code (after 7 days)."

    def handle(self, *args, **options):
        purged = purge_unverified_responses()
        self.stdout.write(f"Deleted {purged} unconfirmed feedback response(s).")
