"""The outsider persona (mallory) never reaches anyone else's organisation: 404, as if absent."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.enums import Role
from incubator.models import Organisation
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_outsider_gets_404_on_someone_elses_profile(client, outsider, applicant, organisation):
    client.force_login(outsider)
    url = reverse("incubator:organisation_detail", args=[organisation.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "改名"}).status_code == 404
    organisation.refresh_from_db()
    assert organisation.name != "改名"


def test_missing_and_forbidden_organisations_look_the_same(client, outsider, organisation):
    client.force_login(outsider)
    assert client.get(reverse("incubator:organisation_detail", args=[999_999])).status_code == 404


def test_outsider_list_shows_only_their_own(client, outsider, applicant, organisation):
    client.force_login(outsider)
    page = client.get(reverse("incubator:organisation_list")).content.decode()
    assert organisation.name not in page
    own = Organisation.objects.get(memberships__user=outsider)
    assert own.name in page


def test_anonymous_visitors_are_sent_to_login(client, organisation):
    for url in (
        reverse("incubator:organisation_list"),
        reverse("incubator:organisation_create"),
        reverse("incubator:organisation_detail", args=[organisation.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_officer_list_shows_every_organisation(client, officer, applicant, outsider, organisation):
    client.force_login(officer)
    page = client.get(reverse("incubator:organisation_list")).content.decode()
    for org in Organisation.objects.all():
        assert org.name in page


def test_social_worker_member_may_view_but_not_edit(client, organisation):
    worker = UserFactory(username="sam")
    MembershipFactory(user=worker, organisation=organisation, role=Role.SOCIAL_WORKER)
    client.force_login(worker)
    url = reverse("incubator:organisation_detail", args=[organisation.pk])

    page = client.get(url).content.decode()
    assert organisation.name in page
    assert 'name="contact_phone"' not in page
    client.post(url, {"name": "社工改名", "org_type": organisation.org_type})
    organisation.refresh_from_db()
    assert organisation.name != "社工改名"


def test_former_member_loses_access(client, applicant, organisation):
    applicant.memberships.update(is_active=False)
    client.force_login(applicant)
    assert (
        client.get(reverse("incubator:organisation_detail", args=[organisation.pk])).status_code
        == 404
    )


def test_predicates(applicant, officer, outsider, organisation):
    assert applicant.has_perm("incubator.view_organisation", organisation)
    assert applicant.has_perm("incubator.change_organisation", organisation)
    assert officer.has_perm("incubator.change_organisation", organisation)
    assert not outsider.has_perm("incubator.view_organisation", organisation)
    assert not outsider.has_perm("incubator.change_organisation", organisation)
    # without an object (how Wagtail asks), only officers manage the directory
    assert officer.has_perm("incubator.change_organisation")
    assert not applicant.has_perm("incubator.change_organisation")
