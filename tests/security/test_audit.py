"""Supply chain and secrets: CI audits the locked dependencies, and no secret is committed.

The audit itself needs pypi.org and runs in CI (``make audit`` from ``.ci/run``); these tests check
that CI really runs it, that it fails when it could not check a package, and that the repository
holds no live key and production refuses a development one.
"""

from __future__ import annotations

import re
import secrets
import subprocess
from pathlib import Path

import pytest

from tests.test_settings import production_env, run_manage

ROOT = Path(__file__).resolve().parent.parent.parent

# Live Stripe keys, webhook secrets, AWS access keys, private keys. Test keys (sk_test_) and the
# localstripe fixtures are fine; tests/ is left out (its keys are fake by construction).
SECRET_PATTERNS = {
    "Stripe live key": re.compile(r"\b[sr]k_live_[0-9A-Za-z]{16,}"),
    "Stripe webhook secret": re.compile(r"\bwhsec_[0-9A-Za-z]{24,}"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH )?PRIVATE KEY-----"),
}
SKIPPED_DIRS = {".git", ".venv", ".tools", "var", "tests", "node_modules", ".hypothesis"}
SKIPPED_SUFFIXES = {".mo", ".png", ".jpg", ".jpeg", ".webp", ".gif", ".pdf", ".xlsx", ".ico"}


def _repository_files():
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT)
        if relative.parts and relative.parts[0] in SKIPPED_DIRS:
            continue
        if any(part in SKIPPED_DIRS or part == "__pycache__" for part in relative.parts):
            continue
        if path.is_file() and path.suffix.lower() not in SKIPPED_SUFFIXES:
            yield relative, path


def test_ci_runs_the_dependency_audit_after_the_tests():
    steps = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip().startswith("make ")
    ]

    audit = next(s for s in steps if s.startswith("make audit"))
    assert steps.index(audit) > steps.index(next(s for s in steps if s.startswith("make test")))


def test_the_audit_never_passes_silently_when_it_could_not_check():
    """Plain pip-audit says "No known vulnerabilities found" after checking nothing; ours does not."""
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^audit:.*\n\t.*bin/audit", makefile, re.MULTILINE)

    strict = subprocess.run(
        [str(ROOT / "bin" / "audit")], capture_output=True, text=True, timeout=300
    )
    lenient = subprocess.run(
        [str(ROOT / "bin" / "audit"), "--allow-unreachable"],
        capture_output=True,
        text=True,
        timeout=300,
    )

    locked = re.search(
        r"audit: (\d+) locked packages, (\d+) checked, (\d+) vulnerable", strict.stdout
    )
    assert locked, strict.stdout + strict.stderr
    total, checked, vulnerable = map(int, locked.groups())
    assert total > 100  # the whole lock, dev tools included
    if vulnerable:
        assert strict.returncode == lenient.returncode == 1
    elif checked < total:  # advisories unreachable (as on these CI machines)
        assert strict.returncode == 1 and "could NOT be checked" in strict.stdout
        assert lenient.returncode == 0 and "AUDIT WARNING" in lenient.stdout
    else:
        assert strict.returncode == lenient.returncode == 0


def test_no_secret_is_committed():
    found = []
    for relative, path in _repository_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for name, pattern in SECRET_PATTERNS.items():
            if pattern.search(text):
                found.append(f"{relative}: {name}")

    assert not found, "\n".join(found)


def test_the_scan_would_find_a_committed_key():
    # the patterns are live: each recognises what it is meant to catch
    samples = {
        "Stripe live key": "sk_live_" + secrets.token_hex(12),
        "Stripe webhook secret": "whsec_" + secrets.token_hex(16),
        "AWS access key": "AKIA" + "ABCDEFGHIJKLMNOP",
        "private key": "-----BEGIN RSA PRIVATE KEY-----",
    }
    for name, sample in samples.items():
        assert SECRET_PATTERNS[name].search(f"KEY = '{sample}'"), name


@pytest.mark.parametrize(
    "key",
    [
        "django-insecure-yichuang-development-only-key-do-not-use-in-production",
        "a" * 60,
    ],
)
def test_production_refuses_a_development_or_weak_secret_key(key):
    result = run_manage("check", **production_env(SECRET_KEY=key))

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr
