"""Real processes for the fault and deployment tests: gunicorn app servers and ``db_worker``s on
the test database, and a browser-like HTTP client that signs in through the form.

The test using them must be ``django_db(transaction=True)``: the processes see only committed rows.
Every process is stopped when its context ends, before pytest-django flushes or drops the database.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from email import message_from_bytes, policy
from pathlib import Path

import psycopg
import requests
from django.conf import settings
from django.db import connection

from tests.factories import PASSWORD

ROOT = Path(settings.BASE_DIR)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def database_url() -> str:
    """The URL of the test database (pytest-django has renamed it to test_…)."""
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
        f"/{db['NAME']}"
    )


def process_env(*, mail_dir: Path | None = None, **extra: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.faults.server_settings",
        "DATABASE_URL": database_url(),
        "DEBUG": "false",
        "HTTPS": "false",
        "TASKS_IMMEDIATE": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)  # each process its own cache: nothing shared but PostgreSQL
    if mail_dir is not None:
        env["EMAIL_BACKEND"] = "django.core.mail.backends.filebased.EmailBackend"
        env["EMAIL_FILE_PATH"] = str(mail_dir)
    env.update(extra)
    return env


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextmanager
def gunicorn(port: int, *, workers: int = 1, log: Path, **env):
    """A production-mode app server on 127.0.0.1:``port``; yields its base URL once it answers."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "yichuang.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        "--no-control-socket",  # its default path is shared by every gunicorn on the machine
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=process_env(**env), stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: _answers(f"{base}/accounts/login/") or process.poll() is not None,
            timeout=60,
            what=f"gunicorn on port {port}",
        )
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-3000:]}")
        yield base
    finally:
        _stop(process)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def start_worker(*, log: Path, **env) -> subprocess.Popen:
    """``manage.py db_worker`` (grants' override: it re-queues tasks of dead workers first)."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--interval",
                "0.2",
                "--no-startup-delay",
                "--no-reload",
            ],
            cwd=ROOT,
            env=process_env(**env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop_worker(process: subprocess.Popen) -> None:
    _stop(process)


def kill(process: subprocess.Popen) -> None:
    """SIGKILL: no handler runs, no transaction is committed, the socket simply closes."""
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def manage(*args: str, **env) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=process_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


def wait_for(predicate, *, timeout: float = 30, what: str = "condition", step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Browser:
    """A signed-in visitor: a cookie jar, and the CSRF token read from each form page."""

    def __init__(self, base: str):
        self.base = base
        self.session = requests.Session()

    def token(self, path: str) -> str:
        page = self.session.get(self.base + path, timeout=30)
        page.raise_for_status()
        match = CSRF_INPUT.search(page.text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, username: str, password: str = PASSWORD) -> None:
        token = self.token("/accounts/login/")
        response = self.session.post(
            self.base + "/accounts/login/",
            data={"login": username, "password": password, "csrfmiddlewaretoken": token},
            timeout=30,
            allow_redirects=False,
        )
        assert response.status_code == 302, f"sign-in of {username} failed: {response.status_code}"

    def post_form(self, path: str, data: dict, *, files=None, form_path: str | None = None):
        token = self.token(form_path or path)
        return self.session.post(
            self.base + path,
            data={**data, "csrfmiddlewaretoken": token},
            files=files,
            timeout=60,
            allow_redirects=False,
        )


def mails(directory: Path) -> list:
    """Every message the file-based backend wrote (several may share a file)."""
    messages = []
    for path in sorted(directory.glob("*.log")):
        for chunk in path.read_bytes().split(b"-" * 79):
            if chunk.strip():
                messages.append(message_from_bytes(chunk.strip(), policy=policy.default))
    return messages


def raw_connection(*, autocommit=False):
    """A psycopg connection to the test database outside Django's: to hold locks, or to watch."""
    db = connection.settings_dict
    return psycopg.connect(
        autocommit=autocommit,
        dbname=db["NAME"],
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
    )
