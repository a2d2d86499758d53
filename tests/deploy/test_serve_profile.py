"""The production profile, started for real: `bin/serve` (what `make serve` runs) on a free port
against the test database, with gunicorn, whitenoise, Redis and a task worker.

One test, because starting the profile costs seconds (minutes when static files must be compressed
first): it checks everything an operator would look at after `make serve`, then stops it the way
Ctrl-C does.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.utils import timezone

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 600  # a first collectstatic compresses every static file (gzip + brotli)

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _free_port(start: int = 8150, stop: int = 8200) -> int:
    # bench/run.py takes 8100–8139: a benchmark and this test can run side by side.
    for port in range(start, stop):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {start}–{stop - 1}")


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.fixture
def redis_url():
    """A Redis of the test's own (a fresh machine has the binary, not a running server)."""
    binary = shutil.which("redis-server")
    if binary is None:  # no binary: a Redis that is already running, as on a developer machine
        yield "redis://127.0.0.1:6379/1"
        return
    port = _free_port(start=8140, stop=8150)
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def served(tmp_path, redis_url):
    """bin/serve on a free port; yields (base URL, process); stopped with SIGTERM afterwards."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        # Its own keys: Wagtail caches the site's root paths, which differ between databases.
        "CACHE_KEY_PREFIX": f"serve-test-{uuid.uuid4().hex[:8]}",
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "WEB_CONCURRENCY": "2",
        "SECRET_KEY": "serve-profile-test-" + uuid.uuid4().hex * 2,
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "TASKS_IMMEDIATE": "false",
        "PAGE_CACHE_SECONDS": "0",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the real settings, not the test ones
    env.pop(
        "DJANGO_ALLOW_ASYNC_UNSAFE", None
    )  # set for Playwright by tests/browser; never in production
    log = tmp_path / "serve.log"
    with log.open("w") as handle:
        process = subprocess.Popen(
            [str(ROOT / "bin" / "serve")],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, f"bin/serve stopped:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"no answer:\n{log.read_text()[-3000:]}"
            try:
                if requests.get(f"{base}/healthz/", timeout=10).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or a worker still booting
                pass
            time.sleep(0.5)
        yield base, process, log
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # the group bin/serve leads
                process.wait()


def test_make_serve_runs_the_site_the_production_way(served):
    # given: the public site (home page in each language)
    from cms.demo import build_site

    build_site()
    # and: a user who signs in with a password the production hashers accept
    user = UserFactory(username="serve_probe")
    User.objects.filter(pk=user.pk).update(
        password=PBKDF2PasswordHasher().encode(PASSWORD, "serveprobesalt", iterations=1000)
    )
    base, process, log = served
    workers = [pid for pid in _children(process.pid) if "db_worker" in _cmdline(pid)]
    assert workers, "no task worker beside gunicorn"
    assert any("gunicorn" in _cmdline(pid) for pid in _children(process.pid))

    # then: the health view answers, through gunicorn
    health = requests.get(f"{base}/healthz/", timeout=10)
    assert health.json() == {"status": "ok"}
    assert "gunicorn" in health.headers.get("Server", "")

    # and: the home page renders in Chinese, with DEBUG off (no debug toolbar, no tracebacks)
    home = requests.get(f"{base}/", timeout=30)
    assert home.status_code == 200
    assert '<html lang="zh-hans">' in home.text
    assert "益创" in home.text

    # and: its stylesheet is a hashed, compressed file served by whitenoise for a year
    css = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', home.text)
    assert css, "no hashed stylesheet link: is the manifest storage on?"
    sheet = requests.get(base + css.group(1), headers={"Accept-Encoding": "gzip, br"}, timeout=10)
    assert sheet.status_code == 200
    assert "max-age=315360000" in sheet.headers["Cache-Control"]
    assert sheet.headers.get("Content-Encoding") in ("br", "gzip")

    # when: the user signs in through the real form (CSRF token and all)
    browser = requests.Session()
    form = browser.get(f"{base}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    signed_in = browser.post(
        f"{base}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "login": "serve_probe", "password": PASSWORD},
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 302, signed_in.text[:2000]

    # then: the session holds across requests (served by any worker: it lives in Redis + PG)
    for _ in range(4):
        me = browser.get(f"{base}/me/", allow_redirects=False, timeout=30)
        assert me.status_code == 200
    assert "serve_probe" in me.text or user.display_name in me.text

    # and: the task worker runs what is queued in the database
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.create(
        args_kwargs={"args": [[]], "kwargs": {}},
        task_path="grants.tasks.send_notification_emails",
        queue_name="default",
        backend_name="default",
        run_after=timezone.now(),
        priority=0,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        queued.refresh_from_db()
        if queued.status == "SUCCESSFUL":
            break
        time.sleep(0.5)
    assert queued.status == "SUCCESSFUL", log.read_text()[-3000:]

    # when: stopped as Ctrl-C / a supervisor would stop it
    children = _children(process.pid)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)

    # then: gunicorn and the worker are gone too
    time.sleep(1)
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()]


def test_check_deploy_is_clean_with_https_on():
    """The profile behind a TLS proxy: `check --deploy` has nothing to say."""
    env = {
        **os.environ,
        "DEBUG": "false",
        "HTTPS": "true",
        "SECRET_KEY": "check-deploy-test-" + uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "yichuang.example.org",
        "REDIS_URL": "redis://127.0.0.1:6379/1",
        "DATABASE_URL": _database_url(),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr
