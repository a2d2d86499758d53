"""The volunteering pages: what each person can open and do, anonymous and outsider included."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from incubator.enums_volunteers import HoursState, RedemptionState, SignupState
from incubator.models import (
    HoursRecord,
    PointsEntry,
    Redemption,
    VolunteerActivity,
    VolunteerSignup,
    VolunteerTeam,
)
from tests.factories import ApplicationFactory, CommunityFactory, UserFactory
from tests.incubator.factories_volunteers import (
    ActivityFactory,
    HoursRecordFactory,
    OrganiserFactory,
    RewardFactory,
    SignupFactory,
    VolunteerFactory,
)

pytestmark = pytest.mark.django_db


def _running(**kwargs):
    now = timezone.now()
    return ActivityFactory(
        starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=3), **kwargs
    )


MANAGE_URLS = [
    "volunteering:manage_activity",
    "volunteering:activity_edit",
    "volunteering:activity_qr",
]
WORKSPACE_URLS = [
    "volunteering:manage",
    "volunteering:hours_pending",
    "volunteering:teams",
    "volunteering:register_on_paper",
    "volunteering:activity_create",
]
OFFICER_URLS = ["volunteering:rewards_manage"]
VOLUNTEER_URLS = ["volunteering:profile", "volunteering:profile_edit", "volunteering:register"]


# --- Anonymous ---------------------------------------------------------------------------------------


def test_anonymous_visitors_see_the_public_pages(client):
    activity = ActivityFactory(title="重阳节敬老活动")
    RewardFactory(name="理发服务")
    assert "重阳节敬老活动" in client.get(reverse("volunteering:activity_list")).content.decode()
    assert (
        client.get(reverse("volunteering:activity_detail", args=[activity.pk])).status_code == 200
    )
    assert "理发服务" in client.get(reverse("volunteering:rewards")).content.decode()


def test_anonymous_visitors_are_sent_to_log_in_everywhere_else(client):
    activity = ActivityFactory()
    urls = [reverse(name) for name in WORKSPACE_URLS + OFFICER_URLS + VOLUNTEER_URLS]
    urls += [reverse(name, args=[activity.pk]) for name in MANAGE_URLS]
    urls += [reverse("volunteering:checkin", args=[activity.checkin_token])]
    urls += [reverse("volunteering:enter_hours", args=[activity.pk])]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    response = client.post(reverse("volunteering:activity_signup", args=[activity.pk]))
    assert "/accounts/login/" in response["Location"]
    assert not VolunteerSignup.objects.exists()


def test_unpublished_activities_are_hidden_from_the_public(client, outsider):
    activity = ActivityFactory(published=False, title="内部筹备会")
    assert "内部筹备会" not in client.get(reverse("volunteering:activity_list")).content.decode()
    assert (
        client.get(reverse("volunteering:activity_detail", args=[activity.pk])).status_code == 404
    )
    client.force_login(outsider)
    assert (
        client.get(reverse("volunteering:activity_detail", args=[activity.pk])).status_code == 404
    )
    client.force_login(OrganiserFactory(organisation=activity.organisation).user)
    assert (
        client.get(reverse("volunteering:activity_detail", args=[activity.pk])).status_code == 200
    )


def test_ended_activities_leave_the_public_list(client):
    now = timezone.now()
    ActivityFactory(
        title="已结束的活动", starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1)
    )
    assert "已结束的活动" not in client.get(reverse("volunteering:activity_list")).content.decode()


# --- The outsider (mallory runs another organisation) -------------------------------------------------


def test_the_outsider_cannot_open_or_change_anyone_elses_activity(client, outsider):
    activity = ActivityFactory()
    SignupFactory(activity=activity)
    client.force_login(outsider)
    for name in MANAGE_URLS:
        assert client.get(reverse(name, args=[activity.pk])).status_code == 404, name
    signup = activity.signups.get()
    for url in (
        reverse("volunteering:activity_publish", args=[activity.pk]),
        reverse("volunteering:roster_add", args=[activity.pk]),
        reverse("volunteering:roster_hours", args=[activity.pk, signup.pk]),
    ):
        assert (
            client.post(url, {"published": "0", "phone": "13900000000", "hours": "1"}).status_code
            == 404
        )
    assert VolunteerActivity.objects.get(pk=activity.pk).published


def test_the_outsider_cannot_decide_other_organisations_hours(client, outsider):
    record = HoursRecordFactory(activity=_running())
    client.force_login(outsider)
    assert client.post(reverse("volunteering:hours_approve", args=[record.pk])).status_code == 404
    assert (
        client.post(
            reverse("volunteering:hours_reject", args=[record.pk]), {"reason": "x"}
        ).status_code
        == 404
    )
    assert HoursRecord.objects.get(pk=record.pk).state == HoursState.PENDING
    # and the pending list shows them nothing of it
    response = client.get(reverse("volunteering:hours_pending"))
    assert (
        response.status_code == 200 and record.volunteer.real_name not in response.content.decode()
    )


def test_the_outsider_cannot_manage_rewards_or_cancel_others_redemptions(client, outsider):
    volunteer = VolunteerFactory()
    redemption = Redemption.objects.create(volunteer=volunteer, reward=RewardFactory(), points=10)
    client.force_login(outsider)
    assert client.get(reverse("volunteering:rewards_manage")).status_code == 403
    assert (
        client.post(reverse("volunteering:redemption_fulfil", args=[redemption.pk])).status_code
        == 403
    )
    assert (
        client.post(reverse("volunteering:redemption_cancel", args=[redemption.pk])).status_code
        == 404
    )
    assert Redemption.objects.get(pk=redemption.pk).state == RedemptionState.REQUESTED


def test_a_volunteer_without_an_organisation_has_no_workspace(client):
    client.force_login(VolunteerFactory().user)
    for name in WORKSPACE_URLS + OFFICER_URLS:
        assert client.get(reverse(name)).status_code == 403, name


def test_a_user_without_a_profile_is_sent_to_registration(client):
    client.force_login(UserFactory())
    for name in ("volunteering:profile", "volunteering:profile_edit"):
        response = client.get(reverse(name))
        assert response["Location"] == reverse("volunteering:register")
    activity = ActivityFactory()
    response = client.post(reverse("volunteering:activity_signup", args=[activity.pk]))
    assert response["Location"].startswith(reverse("volunteering:register"))


# --- The volunteer ------------------------------------------------------------------------------------


def test_a_volunteer_signs_up_and_cancels_on_the_activity_page(client):
    volunteer = VolunteerFactory()
    activity = ActivityFactory()
    client.force_login(volunteer.user)
    client.post(reverse("volunteering:activity_signup", args=[activity.pk]))
    page = client.get(reverse("volunteering:activity_detail", args=[activity.pk])).content.decode()
    assert reverse("volunteering:activity_cancel", args=[activity.pk]) in page
    client.post(reverse("volunteering:activity_cancel", args=[activity.pk]))
    assert VolunteerSignup.objects.get().state == SignupState.CANCELLED


def test_the_qr_link_checks_in_and_out_and_the_profile_shows_the_hours(client):
    volunteer = VolunteerFactory()
    activity = _running()
    SignupFactory(activity=activity, volunteer=volunteer)
    client.force_login(volunteer.user)
    url = reverse("volunteering:checkin", args=[activity.checkin_token])
    assert 'value="checkin"' in client.get(url).content.decode()
    client.post(url, {"action": "checkin"})
    signup = VolunteerSignup.objects.get()
    VolunteerSignup.objects.filter(pk=signup.pk).update(
        checked_in_at=timezone.now() - timedelta(minutes=95)
    )
    assert 'value="checkout"' in client.get(url).content.decode()
    client.post(url, {"action": "checkout"})
    client.post(url, {"action": "checkout"})  # the double tap
    assert HoursRecord.objects.get().hours == Decimal("1.5")
    assert PointsEntry.objects.count() == 1
    profile = client.get(reverse("volunteering:profile")).content.decode()
    assert 'id="approved-hours">1.5<' in profile and 'id="points-balance">1.5<' in profile


def test_an_unknown_qr_token_is_a_404(client):
    client.force_login(VolunteerFactory().user)
    assert client.get(reverse("volunteering:checkin", args=["nope"])).status_code == 404


def test_a_volunteer_enters_hours_and_redeems_a_reward(client, officer):
    volunteer = VolunteerFactory()
    activity = _running()
    SignupFactory(activity=activity, volunteer=volunteer)
    client.force_login(volunteer.user)
    client.post(reverse("volunteering:enter_hours", args=[activity.pk]), {"hours": "3"})
    record = HoursRecord.objects.get()
    assert record.state == HoursState.PENDING
    client.force_login(officer)
    client.post(reverse("volunteering:hours_approve", args=[record.pk]))
    reward = RewardFactory(points_cost=Decimal("2"), stock=3)
    client.force_login(volunteer.user)
    response = client.post(
        reverse("volunteering:reward_redeem", args=[reward.pk]), {"quantity": "1"}
    )
    assert response["Location"] == reverse("volunteering:profile")
    redemption = Redemption.objects.get()
    response = client.post(
        reverse("volunteering:reward_redeem", args=[reward.pk]), {"quantity": "1"}
    )
    assert response["Location"] == reverse("volunteering:rewards")  # 1 point left: refused
    assert Redemption.objects.count() == 1
    client.post(reverse("volunteering:redemption_cancel", args=[redemption.pk]))
    assert Redemption.objects.get().state == RedemptionState.CANCELLED


# --- The organiser ------------------------------------------------------------------------------------


def test_an_organiser_creates_publishes_and_runs_an_activity(client, organisation):
    organiser = OrganiserFactory(organisation=organisation).user
    application = ApplicationFactory(organisation=organisation)
    community = CommunityFactory()
    client.force_login(organiser)
    starts = timezone.localtime() + timedelta(days=3)
    response = client.post(
        reverse("volunteering:activity_create"),
        {
            "organisation": organisation.pk, "title": "楼道清洁日", "description": "清理楼道杂物",
            "application": application.pk, "community": community.pk, "place": "3号楼",
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "slots": "8", "points_per_hour": "1", "publish": "1",
        },
    )  # fmt: skip
    activity = VolunteerActivity.objects.get()
    assert response["Location"] == reverse("volunteering:manage_activity", args=[activity.pk])
    assert activity.published and activity.application == application
    page = client.get(response["Location"]).content.decode()
    assert activity.checkin_token in page  # the QR link
    qr = client.get(reverse("volunteering:activity_qr", args=[activity.pk]))
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    client.post(reverse("volunteering:activity_publish", args=[activity.pk]), {"published": "0"})
    assert not VolunteerActivity.objects.get().published


def test_the_activity_form_refuses_an_end_before_the_start(client, organisation):
    client.force_login(OrganiserFactory(organisation=organisation).user)
    starts = timezone.localtime() + timedelta(days=3)
    response = client.post(
        reverse("volunteering:activity_create"),
        {
            "organisation": organisation.pk, "title": "x", "community": CommunityFactory().pk,
            "place": "y", "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (starts - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "slots": "8", "points_per_hour": "1",
        },
    )  # fmt: skip
    assert response.status_code == 200 and not VolunteerActivity.objects.exists()


def test_an_organiser_adds_a_paper_volunteer_enters_and_approves_their_hours(client, organisation):
    organiser = OrganiserFactory(organisation=organisation).user
    activity = _running(organisation=organisation)
    paper = VolunteerFactory(
        user=None, registered_by_organisation=organisation, phone="13600000001"
    )
    client.force_login(organiser)
    client.post(reverse("volunteering:roster_add", args=[activity.pk]), {"phone": "13600000001"})
    signup = VolunteerSignup.objects.get(volunteer=paper)
    client.post(reverse("volunteering:roster_hours", args=[activity.pk, signup.pk]), {"hours": "2"})
    record = HoursRecord.objects.get(volunteer=paper)
    client.post(reverse("volunteering:hours_approve", args=[record.pk]), {"back": "activity"})
    assert HoursRecord.objects.get(pk=record.pk).state == HoursState.APPROVED
    assert PointsEntry.objects.get(volunteer=paper).amount == Decimal("2")


def test_an_organiser_rejects_with_a_reason(client, organisation):
    record = HoursRecordFactory(activity=_running(organisation=organisation))
    client.force_login(OrganiserFactory(organisation=organisation).user)
    client.post(reverse("volunteering:hours_reject", args=[record.pk]), {"reason": ""})
    assert HoursRecord.objects.get(pk=record.pk).state == HoursState.PENDING
    client.post(reverse("volunteering:hours_reject", args=[record.pk]), {"reason": "未到场"})
    assert HoursRecord.objects.get(pk=record.pk).state == HoursState.REJECTED


def test_an_organiser_creates_a_team_naming_the_organisations_projects(client, organisation):
    application = ApplicationFactory(organisation=organisation)
    other_application = ApplicationFactory()
    client.force_login(OrganiserFactory(organisation=organisation).user)
    client.post(
        reverse("volunteering:teams"),
        {
            "organisation": organisation.pk,
            "name": "彩虹志愿服务队",
            "applications": [other_application.pk],
        },
    )
    assert not VolunteerTeam.objects.exists()
    client.post(
        reverse("volunteering:teams"),
        {
            "organisation": organisation.pk,
            "name": "彩虹志愿服务队",
            "applications": [application.pk],
        },
    )
    team = VolunteerTeam.objects.get()
    assert list(team.applications.all()) == [application]
    assert list(application.volunteer_teams.all()) == [team]


def test_an_organiser_registers_a_volunteer_on_paper(client, organisation):
    client.force_login(OrganiserFactory(organisation=organisation).user)
    community = CommunityFactory()
    response = client.post(
        reverse("volunteering:register_on_paper"),
        {"organisation": organisation.pk, "real_name": "王阿婆", "phone": "13611112222",
         "community": community.pk, "consent_on_paper": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    assert organisation.registered_volunteers.get().real_name == "王阿婆"


def test_an_officer_manages_the_catalogue_and_hands_rewards_over(client, officer):
    client.force_login(officer)
    client.post(
        reverse("volunteering:rewards_manage"),
        {"name": "超市购物券", "points_cost": "20", "stock": "5", "is_active": "on"},
    )
    volunteer = VolunteerFactory()
    record = HoursRecordFactory(volunteer=volunteer, hours=Decimal("30"), state=HoursState.APPROVED)
    from incubator.services_volunteer_points import award_points_for_hours, redeem_reward

    award_points_for_hours(record=record, actor=None)
    from incubator.models import RewardItem

    redemption = redeem_reward(actor=volunteer.user, reward=RewardItem.objects.get())
    assert (
        volunteer.real_name in client.get(reverse("volunteering:rewards_manage")).content.decode()
    )
    client.post(reverse("volunteering:redemption_fulfil", args=[redemption.pk]))
    assert Redemption.objects.get().state == RedemptionState.FULFILLED


@pytest.mark.parametrize(
    ("state", "shown"),
    [("screening", False), ("returned", False), ("rejected", False), ("active", True)],
)
def test_public_activity_names_its_project_only_once_the_project_is_funded(client, state, shown):
    application = ApplicationFactory(title="楼道长守望探访计划", state=state)
    activity = ActivityFactory(organisation=application.organisation, application=application)

    response = client.get(reverse("volunteering:activity_detail", args=[activity.pk]))

    assert response.status_code == 200
    assert ("楼道长守望探访计划" in response.content.decode()) is shown
