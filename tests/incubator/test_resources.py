"""Charitable resources: donors, in-kind donations and matching pledges (配套资金)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.forms import modelform_factory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django_fsm_log.models import StateLog

from incubator import services_community as services
from incubator.enums_community import PledgeState
from incubator.models import InKindDonation, MatchingPledge, matching_due
from tests.factories import ApplicationFactory, ProgrammeFactory
from tests.incubator.factories_community import (
    DonorFactory,
    InKindDonationFactory,
    MatchingPledgeFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal


# --- matching_due: pure, worked examples from the model docstring ------------------------------


def _pledge(*, ratio="1", cap="50000", matched="0", state=PledgeState.ACTIVE) -> MatchingPledge:
    # Not saved: matching_due is pure and needs no database.
    return MatchingPledge(ratio=D(ratio), cap_amount=D(cap), matched_amount=D(matched), state=state)


@pytest.mark.parametrize(
    ("ratio", "cap", "matched", "donated", "due"),
    [
        ("1", "50000", "0", "3000", "3000.00"),  # 1:1
        ("1", "50000", "45000", "3000", "3000.00"),  # still room under the cap
        ("1", "50000", "48000", "4000", "2000.00"),  # only what is left of the cap
        ("1", "50000", "50000", "100", "0.00"),  # cap reached
        ("0.5", "50000", "0", "3000", "1500.00"),  # 1:0.5
        ("2", "10000", "0", "3000", "6000.00"),  # 1:2
        ("0", "10000", "0", "3000", "0.00"),  # ratio 0 matches nothing
        ("1.5", "10000", "0", "100.01", "150.01"),  # 150.015 rounds down to the fen
        ("1", "10000", "0", "0", "0.00"),
    ],
)
def test_matching_due_worked_examples(ratio, cap, matched, donated, due):
    assert matching_due(_pledge(ratio=ratio, cap=cap, matched=matched), D(donated)) == D(due)


@pytest.mark.parametrize(
    "state", [PledgeState.PLEDGED, PledgeState.FULFILLED, PledgeState.CANCELLED]
)
def test_only_an_active_pledge_matches(state):
    assert matching_due(_pledge(state=state), D("1000")) == D("0.00")


def test_a_negative_donation_is_a_programming_error():
    with pytest.raises(ValueError):
        matching_due(_pledge(), D("-1"))


def test_record_match_adds_up_to_the_cap_and_then_fulfils_the_pledge():
    pledge = MatchingPledgeFactory(cap_amount=D("5000"), state=PledgeState.ACTIVE)

    assert services.record_match(pledge=pledge, donated_amount=D("3000")) == D("3000.00")
    assert services.record_match(pledge=pledge, donated_amount=D("3000")) == D("2000.00")
    assert services.record_match(pledge=pledge, donated_amount=D("3000")) == D("0.00")

    pledge = MatchingPledge.objects.get(pk=pledge.pk)
    assert (pledge.matched_amount, pledge.state) == (D("5000.00"), PledgeState.FULFILLED)


# --- Database rules ----------------------------------------------------------------------------


def test_a_pledge_targets_a_project_or_a_programme_pool_not_both():
    application = ApplicationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        MatchingPledgeFactory(application=application, programme=ProgrammeFactory())


def test_a_pledge_needs_a_target():
    with pytest.raises(IntegrityError), transaction.atomic():
        MatchingPledgeFactory(application=None, programme=None)


@pytest.mark.parametrize(
    ("field", "value"),
    [("cap_amount", D("0")), ("cap_amount", D("-1")), ("ratio", D("-0.5"))],
)
def test_cap_must_be_positive_and_ratio_not_negative(field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        MatchingPledgeFactory(**{field: value})


def test_matched_amount_never_exceeds_the_cap():
    pledge = MatchingPledgeFactory(cap_amount=D("100"))
    with pytest.raises(IntegrityError), transaction.atomic():
        MatchingPledge.objects.filter(pk=pledge.pk).update(matched_amount=D("100.01"))


def test_the_admin_form_explains_a_pledge_with_two_targets():
    # given the form the Wagtail snippet builds (the protected state is not on it)
    form_class = modelform_factory(
        MatchingPledge, fields=["donor", "application", "programme", "ratio", "cap_amount"]
    )
    data = {
        "donor": DonorFactory().pk,
        "application": ApplicationFactory().pk,
        "programme": ProgrammeFactory().pk,
        "ratio": "1",
        "cap_amount": "1000",
    }
    # when both targets are given
    with translation.override("en"):
        form = form_class(data)
        valid = form.is_valid()
    # then the officer reads why
    assert not valid
    assert form.non_field_errors() == [
        "A pledge matches either one project or a programme's pool, not both."
    ]
    # and one target is accepted
    data["application"] = ""
    assert form_class(data).is_valid()


def test_an_in_kind_donation_goes_to_a_project_or_an_organisation():
    with pytest.raises(IntegrityError), transaction.atomic():
        InKindDonationFactory(organisation=None, application=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        InKindDonationFactory(application=ApplicationFactory())


# --- Pledge states -----------------------------------------------------------------------------


def _logs(pledge):
    return list(
        StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(MatchingPledge), object_id=pledge.pk
        ).values_list("transition", flat=True)
    )


@pytest.mark.parametrize(
    ("start", "action", "end"),
    [
        (PledgeState.PLEDGED, "activate", PledgeState.ACTIVE),
        (PledgeState.ACTIVE, "fulfil", PledgeState.FULFILLED),
        (PledgeState.PLEDGED, "cancel", PledgeState.CANCELLED),
        (PledgeState.ACTIVE, "cancel", PledgeState.CANCELLED),
    ],
)
def test_officer_moves_a_pledge_and_the_move_is_logged(officer, start, action, end):
    pledge = MatchingPledgeFactory(state=start)

    pledge = services.change_pledge_state(actor=officer, pledge=pledge, action=action)

    assert MatchingPledge.objects.get(pk=pledge.pk).state == end
    assert _logs(pledge) == [action]


@pytest.mark.parametrize(
    ("start", "action"),
    [
        (PledgeState.PLEDGED, "fulfil"),
        (PledgeState.FULFILLED, "cancel"),
        (PledgeState.CANCELLED, "activate"),
        (PledgeState.FULFILLED, "activate"),
    ],
)
def test_forbidden_pledge_moves_are_refused(officer, start, action):
    pledge = MatchingPledgeFactory(state=start)
    with pytest.raises(services.ActionRefused):
        services.change_pledge_state(actor=officer, pledge=pledge, action=action)
    assert MatchingPledge.objects.get(pk=pledge.pk).state == start


def test_repeating_a_pledge_move_changes_nothing(officer):
    pledge = MatchingPledgeFactory(state=PledgeState.ACTIVE)
    services.change_pledge_state(actor=officer, pledge=pledge, action="activate")
    assert _logs(pledge) == []


def test_applicant_cannot_move_pledges(applicant):
    pledge = MatchingPledgeFactory()
    with pytest.raises(PermissionDenied):
        services.change_pledge_state(actor=applicant, pledge=pledge, action="activate")


# --- Pages -------------------------------------------------------------------------------------


def test_officer_activates_a_pledge_from_the_resources_page(client, officer):
    pledge = MatchingPledgeFactory(donor=DonorFactory(name="南岸区爱心企业联合会"))
    client.force_login(officer)

    page = client.get(reverse("community:resources"))
    assert "南岸区爱心企业联合会" in page.content.decode()
    response = client.post(reverse("community:pledge_action", args=[pledge.pk, "activate"]))

    assert response.status_code == 302
    assert MatchingPledge.objects.get(pk=pledge.pk).state == PledgeState.ACTIVE


@pytest.mark.parametrize("tab", ["pledges", "donations", "donors"])
def test_resources_page_is_for_officers(client, applicant, outsider, tab):
    url = reverse("community:resources") + f"?tab={tab}"
    assert client.get(url).status_code == 302
    for person in (applicant, outsider):
        client.force_login(person)
        assert client.get(url).status_code == 403


def test_outsider_cannot_post_a_pledge_action(client, outsider):
    pledge = MatchingPledgeFactory()
    client.force_login(outsider)
    response = client.post(reverse("community:pledge_action", args=[pledge.pk, "cancel"]))
    assert response.status_code == 403
    assert MatchingPledge.objects.get(pk=pledge.pk).state == PledgeState.PLEDGED


def test_officer_manages_donors_in_the_wagtail_admin(client, officer, applicant):
    client.force_login(officer)
    assert client.get(reverse("wagtailsnippets_incubator_donor:list")).status_code == 200
    assert officer.has_perm("incubator.add_matchingpledge")
    assert not applicant.has_perm("incubator.add_matchingpledge")


def _count(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("tab", ["pledges", "donations", "donors"])
def test_resources_page_costs_the_same_for_1_and_30_rows(
    client, officer, tab, django_assert_max_num_queries
):
    client.force_login(officer)
    url = reverse("community:resources") + f"?tab={tab}"

    def add():
        MatchingPledgeFactory(application=ApplicationFactory(), programme=None)
        InKindDonationFactory(application=ApplicationFactory(), organisation=None)

    add()
    one = _count(client, url)
    for _ in range(29):
        add()
    assert InKindDonation.objects.count() == 30
    with django_assert_max_num_queries(one):
        assert client.get(url).status_code == 200
