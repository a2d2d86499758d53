"""Start-up configuration: a bad value stops the project with a message that names it."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    for name in (
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "HTTPS",
        "TASKS_IMMEDIATE",
        "EMAIL_BACKEND",
        "REDIS_URL",
    ):
        base.pop(name, None)
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env(**extra: str) -> dict[str, str]:
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "yichuang.example.org",
        # Production shares one cache between processes, so publishing purges every page cache.
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        **extra,
    }


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("garbage", "DATABASE_URL='garbage' is malformed"),
        ("mysql://user@db/yichuang", "unsupported database"),
        ("postgres://postgres@127.0.0.1:5432", "has no database name"),
    ],
)
def test_malformed_database_url_stops_start_up_with_a_clear_message(url, message):
    result = run_manage("check", DEBUG="true", DATABASE_URL=url)

    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_database_url_password_is_never_printed():
    result = run_manage(
        "check", DEBUG="true", DATABASE_URL="postgres://yc:s3cr3t-pass@db.internal/"
    )

    assert result.returncode != 0
    assert "s3cr3t-pass" not in result.stderr
    assert "***" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "false", "ALLOWED_HOSTS": "x.org"}, "SECRET_KEY is not set"),
        (
            {"DEBUG": "false", "SECRET_KEY": "short", "ALLOWED_HOSTS": "x.org"},
            "SECRET_KEY is too weak",
        ),
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"DEBUG": "true", "EMAIL_PORT": "smtp"}, "EMAIL_PORT='smtp' is not a whole number"),
        (
            {"DEBUG": "true", "STRIPE_SECRET_KEY": "pk_live_123"},
            "STRIPE_SECRET_KEY must start with sk_",
        ),
        (production_env(ALLOWED_HOSTS=""), "ALLOWED_HOSTS is empty"),
    ],
)
def test_bad_environment_values_are_refused_by_name(env, message):
    result = run_manage("check", **env)

    assert result.returncode != 0
    assert message in result.stderr


def test_production_settings_pass_check_deploy_without_warnings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_models_and_migrations_agree():
    result = run_manage("makemigrations", "--check", "--dry-run", DEBUG="true")

    assert result.returncode == 0, result.stdout + result.stderr


def test_chinese_is_the_default_language_and_shanghai_the_time_zone(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True


def test_check_deploy_warns_when_the_page_cache_is_not_shared_between_processes():
    env = production_env()
    del env["REDIS_URL"]

    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **env)

    assert result.returncode != 0
    assert "cms.W001" in result.stdout + result.stderr


def test_s3_storage_keeps_private_files_without_a_url():
    """With a bucket set, uploads go to S3; private files (attachments, vouchers) never get a URL."""
    script = (
        "from django.core.files.storage import storages\n"
        "print(storages['default'].url('news/a.jpg'))\n"
        "try:\n"
        "    storages['private'].url('applications/1/budget.pdf')\n"
        "except ValueError as exc:\n"
        "    print('refused:', exc)\n"
    )
    result = run_manage(
        "shell",
        "-c",
        script,
        **production_env(
            AWS_STORAGE_BUCKET_NAME="yichuang-files",
            AWS_S3_ENDPOINT_URL="https://s3.example.org",
            AWS_PRIVATE_BUCKET_NAME="yichuang-private",
        ),
    )

    assert result.returncode == 0, result.stderr
    assert "https://s3.example.org/yichuang-files/media/news/a.jpg" in result.stdout
    assert "refused: Private files have no public URL" in result.stdout


@pytest.mark.postgres
def test_postgresql_sessions_run_without_jit(db):
    """JIT compiling cost a dashboard 170 ms per request at city scale (bench/RESULTS.md)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
