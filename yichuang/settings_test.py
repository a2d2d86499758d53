"""Test settings: the real settings module, with the environment a test run needs.

DATABASE_URL is left as the caller set it (CI points it at PostgreSQL; unset means SQLite).
"""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x7Qp2mZ9vL4kR8sT1wY6nB3cF5hJ0dG" * 2)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("TASKS_IMMEDIATE", "true")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

from yichuang.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
MEDIA_ROOT = BASE_DIR / "var" / "test-media"  # noqa: F405
STORAGES["private"]["OPTIONS"]["location"] = str(BASE_DIR / "var" / "test-private")  # noqa: F405
PAGE_CACHE_SECONDS = 0  # no page cache in tests; tests/cms/test_page_cache.py turns it on
