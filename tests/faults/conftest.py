"""Fixtures of the fault tests: the people and a complete draft, committed for real processes."""

from __future__ import annotations

import pytest

from accounts.enums import Role
from tests.factories import ApplicationFactory, CallFactory, MembershipFactory, UserFactory


@pytest.fixture
def draft(transactional_db):
    """A complete draft of an applicant (with an e-mail address) to an open call, and an officer."""
    officer = UserFactory(username="fault-officer")
    MembershipFactory(user=officer, role=Role.OFFICER, organisation=None)
    member = MembershipFactory(role=Role.APPLICANT, user=UserFactory(username="fault-applicant"))
    return ApplicationFactory(
        call=CallFactory(), organisation=member.organisation, created_by=member.user
    )
