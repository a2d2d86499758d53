from django.core.management.base import BaseCommand

from cms.search import rebuild_index


class Command(BaseCommand):
    help = "Rebuild the site search index (calls, projects, organisations, news, pages)."

    def handle(self, *args, **options):
        counts = rebuild_index()
        summary = ", ".join(f"{kind} {count}" for kind, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Search index rebuilt: {summary}."))
