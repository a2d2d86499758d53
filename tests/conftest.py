"""Personas and fixtures for the whole suite.

alice is an applicant (member of her organisation), oscar an officer, rita a reviewer, and mallory
an outsider: signed in, but with no role that concerns anyone else's data.
"""

from __future__ import annotations

import os

import pytest
from django.db import connection

from accounts.enums import Role
from tests.factories import PASSWORD, MembershipFactory, OrganisationFactory, UserFactory

pytest_plugins = ["tests.stripe_server"]


def pytest_collection_modifyitems(config, items):
    """Row-lock and concurrency tests run only where the database has real row locks."""
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    if on_postgres:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters (allauth) live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def organisation(db):
    return OrganisationFactory(name="南岸区彩虹社会工作服务中心")


@pytest.fixture
def applicant(db, organisation):
    user = UserFactory(username="alice", display_name="王丽")
    MembershipFactory(user=user, organisation=organisation, role=Role.APPLICANT)
    return user


@pytest.fixture
def officer(db):
    user = UserFactory(username="oscar", display_name="陈官员")
    MembershipFactory(user=user, organisation=None, role=Role.OFFICER)
    return user


@pytest.fixture
def reviewer(db):
    user = UserFactory(username="rita", display_name="李专家")
    MembershipFactory(user=user, organisation=None, role=Role.REVIEWER)
    return user


@pytest.fixture
def outsider(db):
    """Signed in, member of another organisation: must never see alice's data."""
    user = UserFactory(username="mallory", display_name="外人")
    MembershipFactory(user=user, role=Role.APPLICANT)
    return user


@pytest.fixture
def db_vendor():
    return connection.vendor


@pytest.fixture
def english(client, settings):
    """Messages in English: for tests that read the English msgids (zh-hans is the site default)."""
    from django.utils import translation

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield
