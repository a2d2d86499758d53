"""The eligibility rules, one by one, with the reasons an officer and an applicant read."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from grants import eligibility
from grants.enums import ApplicationState, RuleSeverity
from grants.models import BudgetLine, CallForm
from grants.services import applications as svc
from incubator.enums import OrganisationType
from tests.factories import (
    ApplicationFactory,
    BlacklistEntryFactory,
    CallFactory,
    CommunityFactory,
    OrganisationFactory,
)


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests read the reasons' English msgids; zh_Hans wording is covered by test_translations."""
    with translation.override("en"):
        yield


S = ApplicationState
pytestmark = pytest.mark.django_db


def result(application, code, now=None):
    results = {r.code: r for r in eligibility.evaluate(application, now=now or timezone.now())}
    return results.get(code)


def test_complete_application_passes_every_hard_rule():
    application = ApplicationFactory()
    application.partner_communities.add(CommunityFactory())
    results = eligibility.evaluate(application, now=timezone.now())
    assert not [r for r in results if r.blocks]
    assert all(r.reason for r in results)


def test_deadline_uses_the_server_clock_and_grace():
    call = CallFactory(grace_minutes=15)
    application = ApplicationFactory(call=call)
    assert result(application, "deadline", now=call.closes_at + timedelta(minutes=14)).passed
    late = result(application, "deadline", now=call.closes_at + timedelta(minutes=16))
    assert late.blocks
    assert timezone.localtime(call.submission_deadline).strftime("%Y-%m-%d %H:%M") in late.reason


def test_returned_application_may_be_resubmitted_until_the_revision_deadline():
    now = timezone.now()
    call = CallFactory(opens_at=now - timedelta(days=30), closes_at=now - timedelta(days=1))
    application = ApplicationFactory(
        call=call, state=S.RETURNED, revision_due_at=now + timedelta(days=3)
    )
    assert result(application, "deadline").passed


def test_call_not_yet_open_blocks():
    call = CallFactory()
    application = ApplicationFactory(call=call)
    early = result(application, "call_open", now=call.opens_at - timedelta(hours=1))
    assert early.blocks


def test_second_submitted_application_of_the_organisation_blocks():
    call = CallFactory()
    organisation = OrganisationFactory()
    first = ApplicationFactory(call=call, organisation=organisation, state=S.SUBMITTED)
    # The call allowed several, then the officer switched to one per organisation.
    second = ApplicationFactory(call=call, organisation=organisation, holds_call_slot=False)
    outcome = result(second, "one_per_organisation")
    assert outcome.blocks
    assert first.reference in outcome.reason


def test_withdrawn_application_does_not_count_as_applied():
    call = CallFactory()
    organisation = OrganisationFactory()
    ApplicationFactory(
        call=call, organisation=organisation, state=S.WITHDRAWN, holds_call_slot=False
    )
    assert result(
        ApplicationFactory(call=call, organisation=organisation), "one_per_organisation"
    ).passed


def test_filed_community_organisation_only_where_the_call_allows():
    organisation = OrganisationFactory(org_type=OrganisationType.COMMUNITY_ORG, credit_code=None)
    allowed = ApplicationFactory(organisation=organisation)
    assert result(allowed, "organisation_type").passed
    assert result(allowed, "credit_code").passed
    closed = ApplicationFactory(
        organisation=organisation, call=CallFactory(allow_filed_community_orgs=False)
    )
    assert result(closed, "organisation_type").blocks


def test_invalid_credit_code_blocks():
    organisation = OrganisationFactory()
    # Written behind the validators' back, as an import from an old system might.
    type(organisation).objects.filter(pk=organisation.pk).update(credit_code="52320602000000001X")
    organisation.refresh_from_db()
    outcome = result(ApplicationFactory(organisation=organisation), "credit_code")
    assert outcome.blocks
    assert "52320602000000001X" in outcome.reason


@pytest.mark.parametrize(
    ("kind", "days_ago", "barred"),
    [
        ("abnormal_activity", 300, True),
        ("abnormal_activity", 400, False),
        ("serious_violation", 700, True),
        ("serious_violation", 750, False),
        ("major_violation", 1000, True),
        ("major_violation", 1100, False),
    ],
)
def test_blocked_lists_bar_for_their_years(kind, days_ago, barred):
    organisation = OrganisationFactory()
    BlacklistEntryFactory(
        organisation=organisation,
        kind=kind,
        listed_on=timezone.localdate() - timedelta(days=days_ago),
    )
    outcome = result(ApplicationFactory(organisation=organisation), "blacklists")
    assert outcome.blocks is barred
    if barred:
        assert "barred until" in outcome.reason


def test_terminated_project_bars_the_organisation(officer):
    organisation = OrganisationFactory()
    failed = ApplicationFactory(organisation=organisation, state=S.ACTIVE)
    svc.terminate_application(application=failed, actor=officer, reason="项目未按协议执行")
    outcome = result(ApplicationFactory(organisation=organisation), "failure_bar")
    assert outcome.blocks
    assert "3" in outcome.reason


def test_failure_bar_off_when_the_call_says_zero_years(officer):
    organisation = OrganisationFactory()
    failed = ApplicationFactory(organisation=organisation, state=S.ACTIVE)
    svc.terminate_application(application=failed, actor=officer, reason="未执行")
    call = CallFactory(failure_bar_years=0)
    assert result(ApplicationFactory(organisation=organisation, call=call), "failure_bar") is None


def _budget(application, *lines):
    BudgetLine.objects.filter(application=application).delete()
    BudgetLine.objects.bulk_create(
        BudgetLine(
            application=application,
            category=c,
            description=c,
            amount=Decimal(a),
            matching_amount=Decimal(m),
        )
        for c, a, m in lines
    )


def test_requested_amount_within_min_and_max():
    application = ApplicationFactory()
    _budget(application, ("activity", "35000", "0"))
    over = result(application, "max_grant")
    assert over.blocks
    _budget(application, ("activity", "3000", "0"))
    assert result(application, "min_grant").blocks


def test_grant_share_needs_matching_where_the_call_requires_it():
    application = ApplicationFactory(
        call=CallFactory(requires_matching=True, max_grant_share_percent=60)
    )
    _budget(application, ("activity", "20000", "5000"))
    outcome = result(application, "matching")
    assert outcome.blocks
    assert "80" in outcome.reason  # 20,000 of 25,000 = 80 %
    _budget(application, ("activity", "20000", "15000"))
    assert result(application, "matching").passed


def test_personnel_and_management_caps():
    application = ApplicationFactory()
    _budget(
        application,
        ("activity", "10000", "0"),
        ("personnel", "8000", "0"),
        ("management", "2000", "0"),
    )
    assert result(application, "personnel_cap").blocks  # 40 % > 30 %
    assert result(application, "management_cap").passed  # 10 % = 10 %


def test_missing_sections_are_listed_in_one_result():
    call = CallFactory()
    form = CallForm.objects.create(
        call=call,
        version=1,
        questions=[{"key": "q1", "label": "是否首次申报", "type": "yesno", "required": True}],
    )
    application = ApplicationFactory(call=call, form=form, need="", indicators=[], budget=False)
    outcome = result(application, "required_sections")
    assert outcome.blocks
    for missing in ("need", "indicator", "budget line", "是否首次申报"):
        assert missing in outcome.reason


@pytest.mark.parametrize("code", ["rating_current", "partner_community", "registered_a_year"])
def test_soft_flags_go_to_screening_without_blocking(code):
    organisation = OrganisationFactory(
        rating="3A",
        rating_expires_on=timezone.localdate() - timedelta(days=1),
        registration_date=timezone.localdate() - timedelta(days=100),
    )
    outcome = result(ApplicationFactory(organisation=organisation), code)
    assert outcome.severity == RuleSeverity.SOFT
    assert outcome.flagged and not outcome.blocks


def test_soft_flags_do_not_stop_submission(applicant, organisation):
    application = ApplicationFactory(organisation=organisation)  # no partner community
    submitted = svc.submit_application(application=application, actor=applicant)
    assert submitted.state == S.SUBMITTED
    assert submitted.eligibility_soft_flags >= 1
