"""Sign-up, check-in and check-out by QR code, entered hours and their approval: hours are counted in
half hours, capped by the activity, and never twice."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from incubator import services_volunteers as svc
from incubator.enums_volunteers import HoursSource, HoursState, PointsKind, SignupState
from incubator.models import HoursRecord, PointsEntry, VolunteerSignup
from incubator.models.volunteers import round_down_to_unit
from incubator.selectors_volunteers import points_balance, volunteer_summary
from tests.factories import UserFactory
from tests.incubator.factories_volunteers import (
    ActivityFactory,
    HoursRecordFactory,
    OrganiserFactory,
    SignupFactory,
    VolunteerFactory,
    in_english,
)

pytestmark = pytest.mark.django_db


def _running(**kwargs):
    """An activity that started an hour ago and ends in three hours (4 h long)."""
    now = timezone.now()
    return ActivityFactory(
        starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=3), **kwargs
    )


def _checked_in(activity, volunteer, *, minutes_ago: int):
    signup = SignupFactory(activity=activity, volunteer=volunteer)
    svc.check_in(actor=volunteer.user, token=activity.checkin_token)
    VolunteerSignup.objects.filter(pk=signup.pk).update(
        checked_in_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return signup


# --- Rounding ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "hours"),
    [
        (0, "0"),
        (29, "0"),
        (30, "0.5"),
        (59, "0.5"),
        (60, "1"),
        (89, "1"),
        (90, "1.5"),
        (179, "2.5"),
    ],
)
def test_time_is_rounded_down_to_half_hours(minutes, hours):
    assert round_down_to_unit(timedelta(minutes=minutes)) == Decimal(hours)


# --- Sign-up ----------------------------------------------------------------------------------------


def test_a_volunteer_signs_up_once_and_signing_up_again_changes_nothing():
    volunteer = VolunteerFactory()
    activity = ActivityFactory()
    first = svc.sign_up(actor=volunteer.user, activity=activity)
    again = svc.sign_up(actor=volunteer.user, activity=activity)
    assert first.pk == again.pk and VolunteerSignup.objects.count() == 1


def test_the_database_allows_one_signup_per_volunteer_and_activity():
    signup = SignupFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        VolunteerSignup.objects.create(activity=signup.activity, volunteer=signup.volunteer)


def test_the_last_place_goes_to_one_volunteer_and_the_next_is_told_it_is_full():
    activity = ActivityFactory(slots=1)
    svc.sign_up(actor=VolunteerFactory().user, activity=activity)
    with translation.override("en"), pytest.raises(svc.VolunteeringRefused) as refused:
        svc.sign_up(actor=VolunteerFactory().user, activity=activity)
    assert "all places" in in_english(refused.value)
    assert activity.signups.count() == 1


def test_a_cancelled_place_is_free_again_and_the_volunteer_may_rejoin():
    activity = ActivityFactory(slots=1)
    first, second = VolunteerFactory(), VolunteerFactory()
    svc.sign_up(actor=first.user, activity=activity)
    svc.cancel_signup(actor=first.user, activity=activity)
    svc.sign_up(actor=second.user, activity=activity)
    with pytest.raises(svc.VolunteeringRefused):
        svc.sign_up(actor=first.user, activity=activity)  # full again
    svc.cancel_signup(actor=second.user, activity=activity)
    rejoined = svc.sign_up(actor=first.user, activity=activity)
    assert rejoined.state == SignupState.SIGNED_UP and rejoined.cancelled_at is None


def test_cancelling_twice_is_a_no_op_and_a_checked_in_signup_cannot_be_cancelled():
    volunteer = VolunteerFactory()
    upcoming = ActivityFactory()
    svc.sign_up(actor=volunteer.user, activity=upcoming)
    first = svc.cancel_signup(actor=volunteer.user, activity=upcoming)
    again = svc.cancel_signup(actor=volunteer.user, activity=upcoming)
    assert again.cancelled_at == first.cancelled_at
    activity = _running()
    _checked_in(activity, volunteer, minutes_ago=10)
    with pytest.raises(svc.VolunteeringRefused):
        svc.cancel_signup(actor=volunteer.user, activity=activity)
    organiser = OrganiserFactory(organisation=activity.organisation).user
    with pytest.raises(svc.VolunteeringRefused):
        svc.cancel_signup(actor=organiser, activity=activity, volunteer=volunteer)


def test_a_volunteer_cannot_cancel_once_the_activity_has_started_but_the_organiser_can():
    volunteer = VolunteerFactory()
    activity = _running()
    SignupFactory(activity=activity, volunteer=volunteer)
    with pytest.raises(svc.VolunteeringRefused):
        svc.cancel_signup(actor=volunteer.user, activity=activity)
    organiser = OrganiserFactory(organisation=activity.organisation).user
    signup = svc.cancel_signup(actor=organiser, activity=activity, volunteer=volunteer)
    assert signup.state == SignupState.CANCELLED


def test_unpublished_and_ended_activities_take_no_sign_ups():
    volunteer = VolunteerFactory()
    with pytest.raises(PermissionDenied):
        svc.sign_up(actor=volunteer.user, activity=ActivityFactory(published=False))
    ended = ActivityFactory(
        starts_at=timezone.now() - timedelta(hours=5), ends_at=timezone.now() - timedelta(hours=1)
    )
    with pytest.raises(svc.VolunteeringRefused):
        svc.sign_up(actor=volunteer.user, activity=ended)


def test_a_user_without_a_volunteer_profile_cannot_sign_up():
    with pytest.raises(PermissionDenied):
        svc.sign_up(actor=UserFactory(), activity=ActivityFactory())


def test_an_organiser_signs_up_a_volunteer_but_an_outsider_cannot(outsider):
    activity = ActivityFactory()
    organiser = OrganiserFactory(organisation=activity.organisation).user
    volunteer = VolunteerFactory(user=None, registered_by_organisation=activity.organisation)
    signup = svc.sign_up(actor=organiser, activity=activity, volunteer=volunteer)
    assert signup.volunteer == volunteer
    with pytest.raises(PermissionDenied):
        svc.sign_up(actor=outsider, activity=activity, volunteer=VolunteerFactory())


# --- Check-in and check-out -------------------------------------------------------------------------


def test_check_in_then_check_out_records_approved_hours_rounded_down_and_pays_points():
    # given a volunteer who checked in 2 h 50 min ago
    volunteer = VolunteerFactory()
    activity = _running()
    _checked_in(activity, volunteer, minutes_ago=170)
    # when they check out
    signup, record = svc.check_out(actor=volunteer.user, token=activity.checkin_token)
    # then 2.5 hours are recorded, approved, and 2.5 points paid
    assert record.hours == Decimal("2.5") and record.source == HoursSource.CHECKIN
    assert record.state == HoursState.APPROVED and record.signup == signup
    entry = PointsEntry.objects.get(hours_record=record)
    assert entry.amount == Decimal("2.5") and entry.kind == PointsKind.EARNED
    assert points_balance(volunteer) == Decimal("2.5")


def test_hours_are_capped_by_the_length_of_the_activity():
    volunteer = VolunteerFactory()
    now = timezone.now()
    activity = ActivityFactory(
        starts_at=now - timedelta(minutes=100), ends_at=now + timedelta(minutes=10)
    )  # 1 h 50 min → 1.5 h at most
    _checked_in(activity, volunteer, minutes_ago=600)
    _, record = svc.check_out(actor=volunteer.user, token=activity.checkin_token)
    assert record.hours == Decimal("1.5")


def test_less_than_half_an_hour_records_no_hours():
    volunteer = VolunteerFactory()
    activity = _running()
    _checked_in(activity, volunteer, minutes_ago=20)
    signup, record = svc.check_out(actor=volunteer.user, token=activity.checkin_token)
    assert record is None and signup.checked_out_at is not None
    assert not HoursRecord.objects.exists()


def test_checking_out_again_returns_the_first_record_and_pays_once():
    volunteer = VolunteerFactory()
    activity = _running()
    _checked_in(activity, volunteer, minutes_ago=65)
    _, first = svc.check_out(actor=volunteer.user, token=activity.checkin_token)
    _, again = svc.check_out(actor=volunteer.user, token=activity.checkin_token)
    assert first.pk == again.pk
    assert HoursRecord.objects.count() == 1 and PointsEntry.objects.count() == 1
    assert volunteer_summary(volunteer).approved_hours == Decimal("1")


def test_checking_in_twice_keeps_the_first_time():
    volunteer = VolunteerFactory()
    activity = _running()
    signup = _checked_in(activity, volunteer, minutes_ago=30)
    signup.refresh_from_db()
    again = svc.check_in(actor=volunteer.user, token=activity.checkin_token)
    assert again.checked_in_at == signup.checked_in_at


def test_check_in_needs_a_sign_up_and_opens_an_hour_before_the_start():
    volunteer = VolunteerFactory()
    activity = _running()
    with translation.override("en"), pytest.raises(svc.VolunteeringRefused) as refused:
        svc.check_in(actor=volunteer.user, token=activity.checkin_token)
    assert "sign up" in in_english(refused.value)
    later = ActivityFactory(starts_at=timezone.now() + timedelta(hours=2))
    SignupFactory(activity=later, volunteer=volunteer)
    with translation.override("en"), pytest.raises(svc.VolunteeringRefused) as refused:
        svc.check_in(actor=volunteer.user, token=later.checkin_token)
    assert "opens an hour before" in in_english(refused.value)


def test_check_out_before_check_in_is_refused():
    volunteer = VolunteerFactory()
    activity = _running()
    SignupFactory(activity=activity, volunteer=volunteer)
    with pytest.raises(svc.VolunteeringRefused):
        svc.check_out(actor=volunteer.user, token=activity.checkin_token)


def test_check_out_after_entered_hours_does_not_count_the_activity_twice():
    volunteer = VolunteerFactory()
    activity = _running()
    _checked_in(activity, volunteer, minutes_ago=90)
    svc.enter_hours(actor=volunteer.user, activity=activity, hours="1.5")
    _, record = svc.check_out(actor=volunteer.user, token=activity.checkin_token)
    assert record is None
    assert HoursRecord.objects.filter(volunteer=volunteer).count() == 1


# --- Entered hours and approval -----------------------------------------------------------------------


def test_entered_hours_wait_for_approval_and_pay_points_once_when_approved():
    # given a volunteer's entered hours
    volunteer = VolunteerFactory()
    activity = _running(points_per_hour=Decimal("2"))
    SignupFactory(activity=activity, volunteer=volunteer)
    record = svc.enter_hours(actor=volunteer.user, activity=activity, hours="2", note="忘记扫码")
    assert record.state == HoursState.PENDING and points_balance(volunteer) == 0
    assert volunteer_summary(volunteer).pending_hours == Decimal("2")
    # when the organiser approves them (twice: a double click)
    organiser = OrganiserFactory(organisation=activity.organisation).user
    svc.approve_hours(actor=organiser, record=record)
    approved = svc.approve_hours(actor=organiser, record=record)
    # then they count, at the activity's rate, once
    assert approved.state == HoursState.APPROVED and approved.approved_by == organiser
    assert points_balance(volunteer) == Decimal("4")
    assert PointsEntry.objects.filter(volunteer=volunteer).count() == 1
    assert volunteer_summary(volunteer).approved_hours == Decimal("2")


def test_rejected_hours_need_a_reason_earn_nothing_and_may_be_entered_again():
    volunteer = VolunteerFactory()
    activity = _running()
    SignupFactory(activity=activity, volunteer=volunteer)
    record = svc.enter_hours(actor=volunteer.user, activity=activity, hours="3")
    organiser = OrganiserFactory(organisation=activity.organisation).user
    with pytest.raises(ValidationError):
        svc.reject_hours(actor=organiser, record=record, reason=" ")
    rejected = svc.reject_hours(actor=organiser, record=record, reason="活动只进行了两小时")
    assert rejected.state == HoursState.REJECTED and rejected.decision_note
    with pytest.raises(svc.VolunteeringRefused):
        svc.approve_hours(actor=organiser, record=rejected)
    assert points_balance(volunteer) == 0
    again = svc.enter_hours(actor=volunteer.user, activity=activity, hours="2")
    assert again.state == HoursState.PENDING


def test_approved_hours_cannot_be_rejected_afterwards():
    record = HoursRecordFactory(activity=_running())
    SignupFactory(activity=record.activity, volunteer=record.volunteer)
    officer_user = OrganiserFactory(organisation=record.activity.organisation).user
    svc.approve_hours(actor=officer_user, record=record)
    with pytest.raises(svc.VolunteeringRefused):
        svc.reject_hours(actor=officer_user, record=record, reason="写错了")


@pytest.mark.parametrize(
    ("hours", "words"),
    [("0", "more than zero"), ("-1", "more than zero"), ("1.2", "half hours"),
     ("abc", "as a number"), ("4.5", "at most")],
)  # fmt: skip
def test_entered_hours_must_be_positive_half_hours_within_the_activity(hours, words):
    volunteer = VolunteerFactory()
    activity = _running()  # 4 hours long
    SignupFactory(activity=activity, volunteer=volunteer)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        svc.enter_hours(actor=volunteer.user, activity=activity, hours=hours)
    assert words in in_english(error.value)


def test_hours_cannot_be_entered_twice_for_one_activity_nor_without_a_sign_up():
    volunteer = VolunteerFactory()
    activity = _running()
    with pytest.raises(svc.VolunteeringRefused):
        svc.enter_hours(actor=volunteer.user, activity=activity, hours="1")
    SignupFactory(activity=activity, volunteer=volunteer)
    svc.enter_hours(actor=volunteer.user, activity=activity, hours="1")
    with translation.override("en"), pytest.raises(svc.VolunteeringRefused) as refused:
        svc.enter_hours(actor=volunteer.user, activity=activity, hours="1")
    assert "already recorded" in in_english(refused.value)


def test_nobody_approves_their_own_hours_not_even_an_organiser():
    activity = _running()
    organiser = OrganiserFactory(organisation=activity.organisation).user
    own = VolunteerFactory(user=organiser)
    SignupFactory(activity=activity, volunteer=own)
    record = svc.enter_hours(actor=organiser, activity=activity, hours="2")
    with pytest.raises(PermissionDenied):
        svc.approve_hours(actor=organiser, record=record)


def test_an_organiser_of_another_organisation_cannot_approve(outsider):
    record = HoursRecordFactory(activity=_running())
    other = OrganiserFactory().user
    for actor in (other, outsider, record.volunteer.user):
        with pytest.raises(PermissionDenied):
            svc.approve_hours(actor=actor, record=record)
    assert HoursRecord.objects.get(pk=record.pk).state == HoursState.PENDING


def test_an_officer_approves_hours_anywhere(officer):
    record = HoursRecordFactory(activity=_running())
    assert svc.approve_hours(actor=officer, record=record).state == HoursState.APPROVED


# --- Database constraints: the last line of defence --------------------------------------------------


@pytest.mark.parametrize("hours", ["0", "-0.5", "1.2", "0.3"])
def test_the_database_refuses_hours_that_are_not_positive_half_hours(hours):
    with pytest.raises(IntegrityError), transaction.atomic():
        HoursRecordFactory(hours=Decimal(hours))


def test_the_database_refuses_a_second_record_for_one_check_in():
    signup = SignupFactory()
    HoursRecordFactory(
        volunteer=signup.volunteer, activity=signup.activity, signup=signup,
        source=HoursSource.CHECKIN, state=HoursState.REJECTED,
    )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        HoursRecordFactory(
            volunteer=signup.volunteer, activity=signup.activity, signup=signup,
            source=HoursSource.CHECKIN,
        )  # fmt: skip


def test_the_database_refuses_a_second_live_record_for_one_activity():
    record = HoursRecordFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        HoursRecordFactory(volunteer=record.volunteer, activity=record.activity)


def test_the_database_refuses_check_in_hours_without_a_sign_up():
    with pytest.raises(IntegrityError), transaction.atomic():
        HoursRecordFactory(source=HoursSource.CHECKIN, signup=None)


# --- Every transition and the forbidden ones ---------------------------------------------------------


def test_hours_transitions_pending_to_approved_or_rejected_only():
    from django_fsm import TransitionNotAllowed

    user = UserFactory()
    approved = HoursRecordFactory()
    approved.approve(by=user)
    assert approved.state == HoursState.APPROVED
    with pytest.raises(TransitionNotAllowed):
        approved.reject(by=user, note="x")
    rejected = HoursRecordFactory()
    rejected.reject(by=user, note="x")
    with pytest.raises(TransitionNotAllowed):
        rejected.approve(by=user)


def test_signup_transitions_cancel_and_rejoin_and_not_after_check_in():
    from django_fsm import TransitionNotAllowed

    signup = SignupFactory()
    signup.cancel()
    assert signup.state == SignupState.CANCELLED
    with pytest.raises(TransitionNotAllowed):
        signup.cancel()
    signup.rejoin()
    assert signup.state == SignupState.SIGNED_UP
    with pytest.raises(TransitionNotAllowed):
        signup.rejoin()
    signup.checked_in_at = timezone.now()
    with pytest.raises(TransitionNotAllowed):
        signup.cancel()
