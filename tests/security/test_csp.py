"""Content Security Policy: strict on every page we write, scoped exceptions only where needed.

The header tests read real responses through the test client. The browser tests load pages in
real Chromium: a strict header that the browser does not enforce, or a page of ours that breaks
under it, shows up only there.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from grants.models import Donation
from tests.grants.factories_donations import funded_project

pytestmark = pytest.mark.django_db

STRICT = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
    "frame-src": {"'none'"},
}
STRIPE_ORIGINS = ("https://js.stripe.com", "https://api.stripe.com", "https://hooks.stripe.com")


def policy(response) -> dict[str, set[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


def assert_strict(response) -> None:
    directives = policy(response)
    for name, sources in STRICT.items():
        assert directives.get(name) == sources, (name, directives.get(name))
    assert "'unsafe-inline'" not in str(directives)
    assert "'unsafe-eval'" not in str(directives)
    assert not any(origin in str(directives) for origin in STRIPE_ORIGINS)


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/login/",
        "/gongshi/",
        "/api/v1/calls/open",
        "/api/v1/openapi.json",
        "/api/v1/docs",
        "/no-such-page/",  # a 404 is a page too
    ],
)
def test_anonymous_responses_carry_the_strict_policy(client, url):
    assert_strict(client.get(url))


@pytest.mark.parametrize(
    "url",
    ["/workspace/", "/me/", "/api/v1/me", "/api/v1/applications/mine", "/django-admin/"],
)
def test_signed_in_responses_carry_the_strict_policy(client, officer, url):
    officer.is_superuser = True  # Django's own admin is for superusers; it needs no exception
    officer.save(update_fields=["is_superuser"])
    client.force_login(officer)

    response = client.get(url)

    assert response.status_code == 200, url
    assert_strict(response)


def test_only_the_wagtail_admin_gets_the_relaxed_policy(client, officer):
    # given an officer, who may use the Wagtail admin
    client.force_login(officer)

    # when they open the admin and a page outside it
    admin = client.get("/admin/")
    workspace = client.get("/workspace/")

    # then only the admin allows inline scripts and styles, and it still allows no other origin
    assert admin.status_code == 200
    admin_policy = policy(admin)
    assert "'unsafe-inline'" in admin_policy["script-src"]
    assert "'unsafe-inline'" in admin_policy["style-src"]
    assert admin_policy["default-src"] == {"'self'"}
    assert admin_policy["object-src"] == {"'none'"}
    assert all(
        source in {"'self'", "'unsafe-inline'", "data:", "blob:", "'none'"}
        for sources in admin_policy.values()
        for source in sources
    )
    assert_strict(workspace)


def test_only_the_payment_page_may_load_stripe(client, stripe_settings):
    # given a donation waiting to be paid
    project = funded_project()
    client.post(
        reverse("grants:donations_project", kwargs={"pk": project.pk}),
        {"preset": "other", "custom_amount": "200", "donor_name": "赵六"},
    )
    donation = Donation.objects.get()

    # when the donor opens the payment page, and then the project's donation page
    pay = client.get(reverse("grants:donations_pay", kwargs={"public_id": donation.public_id}))
    donate = client.get(reverse("grants:donations_project", kwargs={"pk": project.pk}))

    # then Stripe.js, its frames and its API are allowed on the payment page only
    assert pay.status_code == 200
    pay_policy = policy(pay)
    assert "https://js.stripe.com" in pay_policy["script-src"]
    assert pay_policy["frame-src"] == {
        "https://js.stripe.com",
        "https://*.js.stripe.com",
        "https://hooks.stripe.com",
    }  # no 'none' left beside them
    assert pay_policy["style-src"] == {"'self'"}
    assert "https://api.stripe.com" in pay_policy["connect-src"]
    assert "'unsafe-inline'" not in str(pay_policy)
    assert_strict(donate)


def test_public_media_on_object_storage_is_allowed_as_images_and_nothing_else():
    from tests.test_settings import production_env, run_manage

    # given production with public media in a bucket behind its own domain
    env = production_env(
        AWS_STORAGE_BUCKET_NAME="yc-media", AWS_S3_CUSTOM_DOMAIN="media.example.org"
    )

    # when the settings are loaded
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings as s; d = s.CONTENT_SECURITY_POLICY['DIRECTIVES'];"
        "print(d['img-src'], d['script-src'], s.CSP_ADMIN_POLICY['img-src'])",
        **env,
    )

    # then images may come from the bucket's domain, on the site and in the admin; scripts may not
    assert result.returncode == 0, result.stderr
    img, script, admin_img = result.stdout.strip().split("] [")
    assert "https://media.example.org" in img and "https://media.example.org" in admin_img
    assert "media.example.org" not in script
