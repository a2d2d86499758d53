"""A real local Stripe server for the tests: ``localstripe`` (PyPI) on a free 127.0.0.1 port.

Fixtures:
- ``stripe_server`` (session): starts ``localstripe``, waits until it answers, yields its base URL,
  stops it at the end. Skips the test when localstripe is not installed.
- ``stripe_settings``: points the site at it (``STRIPE_API_BASE``) with test keys and a webhook
  secret; returns the settings.

Helpers: ``register_webhook`` makes localstripe deliver its events (signed with the secret) to a
URL; ``signed_delivery`` signs an event payload the way Stripe does (``t=…,v1=HMAC-SHA256``) for the
events localstripe does not send itself (it sends no ``charge.refunded``) or to replay one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

SECRET_KEY = "sk_test_yichuang_local"
PUBLISHABLE_KEY = "pk_test_yichuang_local"
WEBHOOK_SECRET = "whsec_yichuang_local_test_secret"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _executable() -> str | None:
    beside_python = Path(sys.executable).with_name("localstripe")
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("localstripe")


# localstripe keeps its state in the fixed file /tmp/localstripe.pickle, rewritten on every change:
# two test runs at once (or a run killed half-way) corrupt it. Each session's server keeps its
# state in memory only, starting empty.
IN_MEMORY_LOCALSTRIPE = """
from localstripe import resources, server
resources.Store.try_load_from_disk = lambda self: None
resources.Store.dump_to_disk = lambda self: None
server.start()
"""


@pytest.fixture(scope="session")
def stripe_server():
    executable = _executable()
    if executable is None:
        pytest.skip("localstripe is not installed")
    port = _free_port()
    log = tempfile.NamedTemporaryFile(prefix="localstripe-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-c", IN_MEMORY_LOCALSTRIPE, "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=1).close()  # noqa: S310
            break
        except (urllib.error.URLError, ConnectionError, OSError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(
                    f"localstripe did not start: {Path(log.name).read_text()[-2000:]}"
                ) from None
            time.sleep(0.1)
    try:
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        os.unlink(log.name)


@pytest.fixture
def stripe_settings(settings, stripe_server):
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = stripe_server
    return settings


def register_webhook(base: str, name: str, url: str, secret: str = WEBHOOK_SECRET, events=None):
    """Have localstripe POST its events to ``url`` (re-registering ``name`` replaces it)."""
    body = {"url": url, "secret": secret}
    if events is not None:
        body["events"] = list(events)
    request = urllib.request.Request(  # noqa: S310 (our own 127.0.0.1 server)
        f"{base}/_config/webhooks/{name}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=5).close()  # noqa: S310


def silence_webhook(base: str, name: str) -> None:
    """localstripe cannot delete a webhook: point it at an event type that never happens."""
    register_webhook(base, name, "http://127.0.0.1:9/", events=["never.happens"])


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header for ``payload``, computed as Stripe computes it."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signed_delivery(client, event: dict, *, secret: str = WEBHOOK_SECRET, path="/stripe/webhook/"):
    """POST ``event`` to the webhook view with a real signature; returns the response."""
    payload = json.dumps(event).encode()
    return client.post(
        path,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, secret),
    )
