"""A trigram index for site search on PostgreSQL: substring matches of 3+ characters use it.

SQLite (the demo database) has no pg_trgm; there the search scans its small table.
"""

from django.db import migrations


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm", params=None)
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS cms_searchentry_haystack_trgm "
        "ON cms_searchentry USING gin (haystack gin_trgm_ops)",
        params=None,
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS cms_searchentry_haystack_trgm", params=None)


class Migration(migrations.Migration):
    dependencies = [("cms", "0003_public_site_pages_search_settings")]

    operations = [migrations.RunPython(create_trigram_index, drop_trigram_index)]
