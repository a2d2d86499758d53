"""Helpers shared by bin/backup and bin/restore: settings, libpq parameters, the catalogue.

Imported by the two scripts (their folder is on ``sys.path``); it reads settings through Django so
that both see exactly what the site sees.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"


def ensure_django(script: str) -> None:
    """Re-run ``script`` with the project's virtualenv when started with a Python without Django."""
    try:
        import django  # noqa: F401
    except ImportError:
        if VENV_PYTHON.exists() and Path(sys.executable) != VENV_PYTHON:
            os.execv(VENV_PYTHON, [str(VENV_PYTHON), script, *sys.argv[1:]])  # noqa: S606
        raise
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yichuang.settings")


PREFIX = "yichuang-"


def fail(message: str, *, tool: str = "backup") -> None:
    print(f"{tool}: {message}", file=sys.stderr)
    sys.exit(1)


def database_settings() -> dict:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        fail(
            "DATABASE_URL is not PostgreSQL. The SQLite demo database is one file: stop the site "
            "and copy it (var/yichuang.sqlite3)."
        )
    return db


def pg_environment(db: dict, name: str | None = None) -> dict[str, str]:
    """The libpq variables for the pg_* tools (the password never appears on a command line)."""
    env = dict(os.environ)
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if db.get(key):
            env[variable] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    if (db.get("OPTIONS") or {}).get("sslmode"):
        env["PGSSLMODE"] = db["OPTIONS"]["sslmode"]
    env["PGDATABASE"] = name or db["NAME"]
    return env


def conninfo(db: dict, name: str | None = None) -> str:
    import psycopg.conninfo

    params = {
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "dbname": name or db["NAME"],
        "sslmode": (db.get("OPTIONS") or {}).get("sslmode"),
    }
    return psycopg.conninfo.make_conninfo(**{k: v for k, v in params.items() if v})


def catalogue(cursor) -> dict:
    """What must survive a restore: row counts, ledger totals, triggers, indexes, extensions."""
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname"
    )
    tables = [row[0] for row in cursor.fetchall()]
    counts = {}
    for table in tables:
        # Table names come from pg_class, quoted: no user input reaches the SQL.
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608
        counts[table] = cursor.fetchone()[0]
    ledger = {}
    if "grants_ledgerentry" in tables:
        cursor.execute(
            "SELECT kind, sum(amount)::text FROM grants_ledgerentry GROUP BY kind ORDER BY kind"
        )
        ledger = dict(cursor.fetchall())
    cursor.execute(
        "SELECT c.relname || '.' || t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE NOT t.tgisinternal AND n.nspname = 'public' ORDER BY 1"
    )
    triggers = [row[0] for row in cursor.fetchall()]
    cursor.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1")
    indexes = [row[0] for row in cursor.fetchall()]
    cursor.execute("SELECT extname FROM pg_extension ORDER BY 1")
    extensions = [row[0] for row in cursor.fetchall()]
    migrations = {}
    if "django_migrations" in tables:
        cursor.execute("SELECT app, max(name) FROM django_migrations GROUP BY app ORDER BY app")
        migrations = dict(cursor.fetchall())
    return {
        "row_counts": counts,
        "ledger_totals": ledger,
        "triggers": triggers,
        "indexes": indexes,
        "extensions": extensions,
        "latest_migrations": migrations,
    }


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
