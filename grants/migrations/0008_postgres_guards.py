"""PostgreSQL's last line of defence: an append-only ledger that never pays past the award, and
sealed evaluations. SQLite (the embedded demo database) relies on the services and constraints."""

from django.db import migrations

from grants.ledger_sql import FORWARD_SQL as LEDGER_SQL
from grants.ledger_sql import REVERSE_SQL as LEDGER_REVERSE_SQL
from grants.models.evaluations import SEAL_TRIGGER_REVERSE_SQL, SEAL_TRIGGER_SQL


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # the SQL has "%" of its own

    return run


class Migration(migrations.Migration):
    dependencies = [("grants", "0007_funding_and_evaluation")]

    operations = [
        migrations.RunPython(
            _on_postgresql(LEDGER_SQL + SEAL_TRIGGER_SQL),
            _on_postgresql(SEAL_TRIGGER_REVERSE_SQL + LEDGER_REVERSE_SQL),
        ),
    ]
