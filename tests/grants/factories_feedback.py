"""Factories for resident feedback (群众评议) tests."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from grants.enums import ApplicationState
from grants.models.feedback import FeedbackChannel, FeedbackMode, FeedbackResponse, FeedbackState
from grants.services import feedback as svc
from tests.factories import ApplicationFactory, CommunityFactory, OrganisationFactory

S = ApplicationState


def funded_project(
    *, state: str = S.ACTIVE, title: str = "“邻里+”楼道长守望探访计划", organisation=None, **kwargs
):
    application = ApplicationFactory(
        state=state,
        title=title,
        organisation=organisation or OrganisationFactory(name="崇川区和平桥邻里服务社"),
        summary="在和平桥街道三个社区培育楼道长，对独居、失能老人和困境家庭定期守望探访。",
        **kwargs,
    )
    application.partner_communities.add(CommunityFactory(name="钟楼社区"))
    return application


def channel_for(application, *, mode: str = FeedbackMode.PHONE, **kwargs) -> FeedbackChannel:
    return FeedbackChannel.objects.create(application=application, mode=mode, **kwargs)


def verified_response(
    channel: FeedbackChannel,
    *,
    phone: str,
    satisfaction: int = 5,
    comment: str = "",
    household: str = "",
    state: str = FeedbackState.COUNTED,
    days_ago: int = 0,
    **kwargs,
) -> FeedbackResponse:
    """A response as if its code had been typed (set-up only: the services are the real way)."""
    when = timezone.now() - timedelta(days=days_ago)
    return FeedbackResponse.objects.create(
        channel=channel,
        application=channel.application,
        satisfaction=satisfaction,
        comment=comment,
        household=household,
        household_key=svc.household_key(household),
        holds_household=channel.mode == FeedbackMode.HOUSEHOLD,
        phone_hash=svc.phone_hash(channel.pk, phone),
        phone_tail=phone[-4:],
        comment_fingerprint=svc.comment_fingerprint(comment),
        state=state,
        verified_at=when,
        created_at=when,
        exclusion_reason="test" if state == FeedbackState.EXCLUDED else "",
        **kwargs,
    )
