"""CSRF on every form: a POST without the token is refused on every route, and every form has one.

The routes are walked from the URL resolver (``_routes.py``), so a new route is covered without
anyone remembering it. Django's CSRF check runs before the view, so the URL arguments need not
name real objects. The few routes that must accept a POST from another site are listed in
``FOREIGN_POSTS`` with the reason, and are checked for the protection they use instead.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from tests.security._routes import project_routes

pytestmark = pytest.mark.django_db

# Routes that accept a POST without a CSRF token, and why that is safe.
FOREIGN_POSTS = {
    "stripe/webhook/": "Stripe posts from its servers; every event is verified by its signature",
}
# The JSON API: django-ninja exempts its views from Django's middleware and checks the token
# itself for session users (403); a script sending "Authorization: Bearer …" needs none. A method
# the route does not have is answered 405 before that check.
API_PREFIX = "api/v1/"
# Paths for the routes written as regular expressions (allauth keys, Wagtail's page server).
REGEX_SAMPLES = {
    "documents/^(\\d+)/(.*)$": "/documents/1/plan.pdf",
    "accounts/^confirm-email/(?P<key>[-:\\w]+)/$": "/accounts/confirm-email/abc/",
    "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": (
        "/accounts/password/reset/key/1-abc/"
    ),
    "^((?:[\\w\\-]+/)*)$": "/",
}
PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
SAMPLE = {"int": "1", "uuid": str(uuid.UUID(int=1)), "slug": "x", "str": "x", None: "x"}

TEMPLATE_DIRS = ("accounts", "incubator", "grants", "cms", "templates")
FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.IGNORECASE | re.DOTALL)
POST_METHOD = re.compile(r"""method\s*=\s*["']?post\b""", re.IGNORECASE)
HX_WRITE = re.compile(r"\bhx-(?:post|put|patch|delete)\s*=", re.IGNORECASE)
# Partials whose htmx buttons post the enclosing form (and so its token): the including template
# is checked instead. Keyed by path from the project root.
PARTIALS_INSIDE_A_FORM = {
    "grants/templates/grants/_row_section.html": "included inside the application form",
}


def sample_path(route: str) -> str:
    if route in REGEX_SAMPLES:
        return REGEX_SAMPLES[route]
    return "/" + PARAMETER.sub(lambda m: SAMPLE.get(m.group("converter"), "x"), route)


@pytest.fixture
def signed_in():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="csrf-root", is_superuser=True, is_staff=True))
    return client


def test_a_post_without_the_token_is_refused_on_every_route(signed_in):
    routes = project_routes()
    assert len(routes) > 200  # the walk found the project, not an empty list
    accepted = []
    for route in sorted(routes):
        if route in FOREIGN_POSTS:
            continue
        response = signed_in.post(sample_path(route), {"anything": "1"})
        refused = response.status_code == 403 or (
            route.startswith(API_PREFIX) and response.status_code == 405
        )
        if not refused:
            accepted.append(f"{route}: {response.status_code}")
    assert not accepted, "POSTs accepted without a CSRF token:\n" + "\n".join(accepted)


def test_the_same_post_with_the_token_gets_through(signed_in):
    # given the token the site hands out with its forms
    signed_in.get(reverse("accounts:preferences"))
    token = signed_in.cookies[settings.CSRF_COOKIE_NAME].value
    # when the language switch is posted with it, then it is not refused
    response = signed_in.post(
        reverse("set_language"), {"language": "en", "next": "/"}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 302


def test_an_api_write_by_a_signed_in_user_needs_the_token(signed_in):
    response = signed_in.post(
        "/api/v1/applications/1/transitions/submit", "{}", content_type="application/json"
    )
    assert response.status_code == 403


def test_the_stripe_webhook_refuses_an_unsigned_event(client):
    response = client.post(
        reverse("grants:donations_webhook"), "{}", content_type="application/json"
    )
    assert response.status_code == 400


def _templates() -> list[Path]:
    root = Path(settings.BASE_DIR)
    return sorted(path for folder in TEMPLATE_DIRS for path in (root / folder).rglob("*.html"))


def test_every_post_form_in_our_templates_carries_the_token():
    root = Path(settings.BASE_DIR)
    templates = _templates()
    assert len(templates) > 50
    missing = []
    posting = 0
    for path in templates:
        text = path.read_text(encoding="utf-8")
        for form in FORM.findall(text):
            opening = form[: form.index(">") + 1]
            posting += bool(POST_METHOD.search(opening))
            if POST_METHOD.search(opening) and "csrf_token" not in form:
                line = text[: text.index(form)].count("\n") + 1
                missing.append(f"{path.relative_to(root)}:{line}: {opening[:80]}")
        # an unclosed <form> (the closing tag in another template) must have the token itself
        opened = len(re.findall(r"<form\b", text, re.IGNORECASE))
        if opened > len(FORM.findall(text)) and "csrf_token" not in text:
            missing.append(f"{path.relative_to(root)}: a <form> closed elsewhere, no token")
    assert posting > 100  # the scan found the site's forms
    assert not missing, "forms posting without {% csrf_token %}:\n" + "\n".join(missing)


def test_every_htmx_write_sends_the_token():
    root = Path(settings.BASE_DIR)
    missing = []
    for path in _templates():
        relative = str(path.relative_to(root))
        text = path.read_text(encoding="utf-8")
        writes = HX_WRITE.search(text) and "csrf_token" not in text
        if writes and relative not in PARTIALS_INSIDE_A_FORM:
            missing.append(relative)
    assert not missing, "htmx writes without a CSRF token in reach:\n" + "\n".join(missing)
