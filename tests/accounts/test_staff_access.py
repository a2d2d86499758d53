"""Staff access follows role codes: officer and finance work in the Wagtail admin; nobody else."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.enums import Role
from accounts.models import Membership, RoleGroup
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.OFFICER, Role.FINANCE])
def test_staff_role_makes_staff_and_opens_the_admin(client, role):
    user = UserFactory()
    MembershipFactory(user=user, role=role, organisation=None)

    user.refresh_from_db()
    assert user.is_staff
    client.force_login(user)
    assert client.get("/admin/").status_code == 200


def test_applicant_is_not_staff_and_is_kept_out_of_the_admin(client, applicant):
    applicant.refresh_from_db()
    assert not applicant.is_staff
    client.force_login(applicant)
    response = client.get("/admin/")
    assert response.status_code == 302


def test_losing_the_role_removes_staff_access(client, officer):
    Membership.objects.get(user=officer).delete()
    officer.refresh_from_db()
    assert not officer.is_staff
    client.force_login(officer)
    assert client.get("/admin/").status_code == 302


def test_deactivated_membership_removes_staff_access(officer):
    membership = Membership.objects.get(user=officer)
    membership.is_active = False
    membership.save()
    officer.refresh_from_db()
    assert not officer.is_staff


def test_role_groups_are_linked_by_code_so_the_group_name_does_not_matter():
    # given: a group with any (here Chinese) name, linked to the officer role by code
    group = Group.objects.create(name="项目官员（可编辑栏目）")
    RoleGroup.objects.create(role=Role.OFFICER, group=group)
    user = UserFactory()

    # when / then: the role brings the group, losing it takes it away
    membership = MembershipFactory(user=user, role=Role.OFFICER, organisation=None)
    assert list(user.groups.all()) == [group]
    group.name = "Programme officers"
    group.save()
    membership.delete()
    assert not user.groups.exists()


def test_superuser_keeps_staff_without_roles():
    user = UserFactory(is_superuser=True, is_staff=True)
    membership = MembershipFactory(user=user, role=Role.REVIEWER, organisation=None)
    membership.delete()
    user.refresh_from_db()
    assert user.is_staff


def test_officer_manages_the_directory_in_the_admin(client, officer, organisation):
    client.force_login(officer)
    list_url = reverse("wagtailsnippets_incubator_organisation:list")

    page = client.get(list_url, {"q": organisation.name[:4]})
    assert page.status_code == 200
    assert organisation.name in page.content.decode()
    assert client.get(list_url, {"org_type": organisation.org_type}).status_code == 200
    edit = client.get(
        reverse("wagtailsnippets_incubator_organisation:edit", args=[organisation.pk])
    )
    assert edit.status_code == 200

    community = organisation.district
    community_edit = client.get(
        reverse("wagtailsnippets_incubator_community:edit", args=[community.pk])
    )
    assert community_edit.status_code == 200
    assert 'name="parent"' in community_edit.content.decode()


def test_finance_cannot_manage_the_directory(client):
    user = UserFactory()
    MembershipFactory(user=user, role=Role.FINANCE, organisation=None)
    client.force_login(user)
    response = client.get(reverse("wagtailsnippets_incubator_organisation:list"))
    assert response.status_code in (302, 403)
