"""The workspace /me/, preferences and personal API tokens."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from wagtail.models import APIToken

from accounts.enums import EmailFrequency, Role

pytestmark = pytest.mark.django_db


def test_workspace_greets_and_lists_roles_and_organisations(client, applicant, organisation):
    organisation.rating = "4A"
    organisation.rating_expires_on = "2099-12-31"
    organisation.save()
    client.force_login(applicant)

    page = client.get(reverse("accounts:dashboard")).content.decode()

    assert "王丽" in page
    with translation.override("zh-hans"):
        assert str(Role.APPLICANT.label) in page
    assert organisation.name in page
    assert organisation.credit_code in page
    assert "4A" in page
    assert "2099-12-31" in page
    assert reverse("incubator:organisation_detail", args=[organisation.pk]) in page
    assert 'href="/admin/"' not in page


def test_expired_rating_is_shown_as_expired(client, applicant, organisation):
    organisation.rating = "3A"
    organisation.rating_expires_on = "2020-01-01"
    organisation.save()
    client.force_login(applicant)
    client.cookies["django_language"] = "en"

    page = client.get(reverse("accounts:dashboard")).content.decode()

    assert "3A" in page
    assert "(expired)" in page


def test_staff_roles_get_a_link_to_the_admin(client, officer):
    client.force_login(officer)
    assert 'href="/admin/"' in client.get(reverse("accounts:dashboard")).content.decode()


def test_private_pages_send_anonymous_visitors_to_login(client):
    for name in ("accounts:dashboard", "accounts:preferences", "accounts:api_tokens"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_saving_preferred_language_switches_the_interface(client, applicant):
    client.force_login(applicant)

    response = client.post(
        reverse("accounts:preferences"),
        {"preferred_language": "en", "email_frequency": EmailFrequency.DAILY},
        follow=True,
    )

    applicant.refresh_from_db()
    assert applicant.preferred_language == "en"
    assert applicant.email_frequency == EmailFrequency.DAILY
    assert client.cookies["django_language"].value == "en"
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "Your preferences have been saved." in page


def test_token_key_is_shown_once_and_works_until_revoked(client, applicant):
    client.force_login(applicant)

    # when: alice creates a token
    page = client.post(reverse("accounts:api_tokens"), {"name": "数据报送脚本"}).content.decode()

    # then: the key is on that page only
    token = APIToken.objects.get(user=applicant)
    key = next(
        word
        for word in page.replace("<", " ").replace(">", " ").split()
        if word.startswith("wagtail_")
    )
    assert APIToken.hash_token(key) == token.key_hash
    assert key not in client.get(reverse("accounts:api_tokens")).content.decode()
    assert "数据报送脚本" in client.get(reverse("accounts:api_tokens")).content.decode()

    # and: it authenticates the API until revoked
    api = reverse("api-v1:me")
    assert client.__class__().get(api, HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    client.post(reverse("accounts:revoke_api_token", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.__class__().get(api, HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_outsider_cannot_revoke_someone_elses_token(client, applicant, outsider):
    token, _key = APIToken.create_token(user=applicant, name="alice's")
    client.force_login(outsider)

    response = client.post(reverse("accounts:revoke_api_token", args=[token.pk]))

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert "alice's" not in client.get(reverse("accounts:api_tokens")).content.decode()


def test_revoke_needs_post(client, applicant):
    token, _key = APIToken.create_token(user=applicant, name="x")
    client.force_login(applicant)
    assert client.get(reverse("accounts:revoke_api_token", args=[token.pk])).status_code == 405


def test_token_list_costs_the_same_for_1_and_30_tokens(
    client, applicant, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(applicant)
    url = reverse("accounts:api_tokens")
    APIToken.create_token(user=applicant, name="t0")
    client.get(url)  # warm per-process caches (site, settings) before counting
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    for n in range(29):
        APIToken.create_token(user=applicant, name=f"t{n + 1}")
    with django_assert_num_queries(len(queries)):
        client.get(url)


def test_workspace_links_applicants_to_their_applications_and_officers_to_the_officer_workspace(
    client, applicant, officer
):
    client.force_login(applicant)
    page = client.get("/me/").content.decode()
    assert "/me/applications/" in page
    assert "/workspace/" not in page

    client.force_login(officer)
    page = client.get("/me/").content.decode()
    assert "/workspace/" in page
