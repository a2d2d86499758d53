"""bin/backup and bin/restore: a backup restored into a fresh database is the same site.

The scripts run for real (pg_dump, createdb, pg_restore, manage.py migrate --check) against the
test database; the restored copy is a scratch ``yc_restore_*`` database, dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Sum

from grants.enums import LedgerKind
from grants.models import Application, LedgerEntry
from tests.grants import factories_finance as finance
from tests.grants import factories_review as review

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(settings.BASE_DIR)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def libpq(name: str | None = None) -> dict:
    db = connection.settings_dict
    params = {
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "dbname": name or db["NAME"],
    }
    return {key: value for key, value in params.items() if value}


def script_env() -> dict[str, str]:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    url = (
        f"postgres://{db.get('USER') or ''}{password}@{db.get('HOST') or ''}"
        f"{':' + str(db['PORT']) if db.get('PORT') else ''}/{db['NAME']}"
    )
    return {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "yichuang.settings_test"}


def run(*args, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, *map(str, args)],
        env=script_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def drop(name: str) -> None:
    with psycopg.connect(**libpq("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_exists(name: str) -> bool:
    with psycopg.connect(**libpq("postgres")) as admin:
        return bool(
            admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        )


def test_backup_restores_into_a_fresh_database(tmp_path):
    # given: a funded project (award and a paid tranche in the ledger) with an attachment
    project = finance.funded_project(award=Decimal("20000.00"), tranches_paid=1)
    attachment = review.attach(project, "%PDF-1.4 项目申报书".encode())
    private_root, media_root = tmp_path / "private", tmp_path / "media"
    stored = private_root / attachment.file.name
    stored.parent.mkdir(parents=True)
    shutil.copyfile(attachment.file.path, stored)
    (media_root / "images").mkdir(parents=True)
    (media_root / "images" / "封面.png").write_bytes(PNG)
    applications = Application.objects.count()
    ledger_rows = LedgerEntry.objects.count()
    ledger_sum = LedgerEntry.objects.aggregate(total=Sum("amount"))["total"]
    assert ledger_rows == 2 and ledger_sum == Decimal("30000.00")

    # when: the real bin/backup
    backups = tmp_path / "backups"
    out = run(
        ROOT / "bin" / "backup", "--output-dir", backups,
        "--media-root", media_root, "--private-root", private_root,
    )  # fmt: skip
    print(out.stdout)
    (folder,) = backups.iterdir()
    assert folder.name.startswith("yichuang-") and not folder.name.endswith(".partial")
    assert {p.name for p in folder.iterdir()} == {
        "database.dump", "files.tar", "manifest.json", "SHA256SUMS",
    }  # fmt: skip
    check = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout

    # and bin/restore into a fresh database
    name = f"yc_restore_{uuid.uuid4().hex[:10]}"
    restored_private, restored_media = tmp_path / "r-private", tmp_path / "r-media"
    try:
        out = run(
            ROOT / "bin" / "restore", folder, "--database", name,
            "--media-root", restored_media, "--private-root", restored_private,
        )  # fmt: skip
        print(out.stdout)
        assert "all checks passed" in out.stdout

        # then: the same rows and money, and PostgreSQL's guards came back with the schema
        with psycopg.connect(**libpq(name)) as restored:
            count = restored.execute("SELECT count(*) FROM grants_application").fetchone()[0]
            assert count == applications
            rows, total = restored.execute(
                "SELECT count(*), sum(amount) FROM grants_ledgerentry"
            ).fetchone()
            assert (rows, total) == (ledger_rows, ledger_sum)
            paid = restored.execute(
                "SELECT sum(amount) FROM grants_ledgerentry WHERE kind = %s",
                [LedgerKind.TRANCHE_PAID],
            ).fetchone()[0]
            assert paid == Decimal("10000.00")
            with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="append-only"):
                restored.execute("UPDATE grants_ledgerentry SET amount = amount + 1")
            restored.rollback()
            with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="append-only"):
                restored.execute("DELETE FROM grants_ledgerentry")
            restored.rollback()
            index = restored.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'cms_searchentry_haystack_trgm'"
            ).fetchone()
            assert index and "gin_trgm_ops" in index[0]
            assert restored.execute("SELECT similarity('益创', '益创')").fetchone()[0] == 1

        # the files are back where the rows point
        assert (restored_private / attachment.file.name).read_bytes() == (
            "%PDF-1.4 项目申报书".encode()
        )
        assert (restored_media / "images" / "封面.png").read_bytes() == PNG

        # a restore never overwrites a database that exists
        again = run(ROOT / "bin" / "restore", folder, "--database", name, "--no-files", check=False)
        assert again.returncode == 1 and "createdb" in again.stderr
    finally:
        drop(name)
    assert not database_exists(name)

    # a damaged backup is refused before anything is created
    with (folder / "database.dump").open("r+b") as dump:
        dump.seek(100)
        byte = dump.read(1)
        dump.seek(100)
        dump.write(bytes([byte[0] ^ 0xFF]))
    damaged = run(ROOT / "bin" / "restore", folder, "--database", name, check=False)
    assert damaged.returncode == 1 and "checksum" in damaged.stderr
    assert not database_exists(name)

    # the next night's backup with --keep 1 leaves only itself
    run(
        ROOT / "bin" / "backup", "--output-dir", backups, "--keep", "1",
        "--media-root", media_root, "--private-root", private_root,
    )  # fmt: skip
    (newest,) = backups.iterdir()
    assert newest.name > folder.name
