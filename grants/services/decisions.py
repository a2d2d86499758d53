"""The decision step of a call: publish its 公示 (public notice), approve after it, or decide a call
that has no 公示. Objections lodged during the window live in ``grants.services.objections``.

Lock order everywhere (the same as ``grants.services.ranking``): call → applications in
primary-key order → objections. Each action runs in one transaction: either every application of
the call follows it or none does. The per-application transitions go through the shared runner
(``_run_transition``: permission ``grants.decide_application``, django-fsm-log row with the reason,
notifications to the applicant and the officers written in the transaction, e-mails on commit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.enums import Role
from accounts.models import User
from grants.enums import ApplicationState, ObjectionState
from grants.models import Application, Call, Notification, Objection, PublicNotice
from grants.selectors_decisions import NOTICE_STATES, decision_reason, undecided_applications
from grants.services import notifications
from grants.services.applications import _run_transition
from grants.services.errors import TransitionRefused

S = ApplicationState
# Notices announce their dates in Beijing time, whatever the reader's time zone.
NOTICE_TIME_ZONE = ZoneInfo("Asia/Shanghai")
NOTICE_CLOSED_VERB = "public_notice_closed"

# The reason a not-recommended application is rejected with when the officer wrote none on its
# review summary. Stored in the site's language; letters show it in the applicant's language.
DEFAULT_REJECTION_REASON = gettext_lazy(
    "The project was not recommended for funding after the expert review and ranking of this call."
)


@dataclass
class DecisionResult:
    approved: list[Application] = field(default_factory=list)
    rejected: list[Application] = field(default_factory=list)
    # On the 公示 with an open objection: approval waits for the answer.
    waiting: list[Application] = field(default_factory=list)


def notice_closes_at(published_at: datetime, days: int) -> datetime:
    """End of the 公示 window: 24:00 Beijing time of the ``days``-th calendar day after publication.

    Calendar days, counted from the day after publishing (自发布次日起算), the way notices state
    "公示期7天": published on 3 March at 10:00 with 7 days, objections close at the end of
    10 March. Holidays do not extend it; a call needing working days sets more days.
    """
    published_day = timezone.localtime(published_at, NOTICE_TIME_ZONE).date()
    last_day = published_day + timedelta(days=days)
    return datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=NOTICE_TIME_ZONE)


def notice_last_day(notice: PublicNotice):
    """The last calendar day (Beijing time) on which objections are accepted."""
    return (
        timezone.localtime(notice.closes_at, NOTICE_TIME_ZONE) - timedelta(microseconds=1)
    ).date()


def default_notice_title(call: Call) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Public notice of the results of “%(call)s”") % {"call": call.title}


def _require_call(actor, perm: str, call: Call) -> None:
    if actor is None or not actor.has_perm(perm, call):
        raise PermissionDenied(_("Only programme officers may publish and decide the results."))


def _lock_call(call: Call | int) -> Call:
    pk = call.pk if isinstance(call, Call) else call
    return Call.objects.select_for_update().select_related("programme").get(pk=pk)


def _lock_applications(call: Call, states) -> list[Application]:
    """The call's applications in ``states``, locked in primary-key order (only their own rows)."""
    return list(
        Application.objects.select_for_update(of=("self",))
        .filter(call=call, state__in=list(states))
        .select_related("call__programme", "organisation", "review_summary")
        .order_by("pk")
    )


def _refuse_undecided(call: Call) -> None:
    undecided = undecided_applications(call=call)
    if undecided:
        listed = "；".join(
            f"{application.reference} {application.title or ''}（{application.get_state_display()}）"
            for application in undecided
        )
        raise TransitionRefused(
            _(
                "Every application must be recommended or not recommended first. Still in "
                "screening or review: %(applications)s"
            )
            % {"applications": listed}
        )


def rejection_reason(application: Application) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return decision_reason(application) or str(DEFAULT_REJECTION_REASON)


def is_default_rejection_reason(text: str) -> bool:
    """Whether ``text`` is the default reason in any of the site's languages."""
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            if (text or "").strip() == str(DEFAULT_REJECTION_REASON):
                return True
    return False


def publish_public_notice(
    *, call: Call, actor, title: str | None = None, body: str = "", contact: str = ""
) -> PublicNotice:
    """Publish the call's 公示: recommended projects go on it, the others are rejected.

    Side effects, all in one transaction (locks: call, then its decided applications by pk):
    - a ``PublicNotice`` published now, open for ``call.public_notice_days`` calendar days
      (see ``notice_closes_at``);
    - ``publish_notice`` on every recommended application (recommended → public_notice);
    - ``reject`` on every not-recommended one, with its review summary's decision reason or
      ``DEFAULT_REJECTION_REASON``;
    - notifications to each organisation and the officers (e-mails on commit).

    Refused (``TransitionRefused``, nothing changes) for a call without 公示, while any
    application is still in screening or review (they are listed), or when nothing is
    recommended. Publishing again returns the existing notice and changes nothing.
    """
    _require_call(actor, "grants.publish_public_notice", call)
    with transaction.atomic():
        call = _lock_call(call)
        existing = PublicNotice.objects.filter(call=call).first()
        if existing is not None:
            return existing  # Published already: a second press has no second effect.
        if not call.has_public_notice:
            raise TransitionRefused(
                _(
                    "This call has no public notice (公示): approve the recommended applications "
                    "directly."
                )
            )
        _refuse_undecided(call)
        applications = _lock_applications(call, (S.RECOMMENDED, S.NOT_RECOMMENDED))
        if not any(application.state == S.RECOMMENDED for application in applications):
            raise TransitionRefused(
                _("No application of this call is recommended: there is nothing to publish.")
            )
        now = timezone.now()
        notice = PublicNotice.objects.create(
            call=call,
            title=(title or "").strip() or default_notice_title(call),
            body=(body or "").strip(),
            contact=(contact or "").strip(),
            published_at=now,
            closes_at=notice_closes_at(now, call.public_notice_days),
            published_by=actor,
        )
        closes = timezone.localtime(notice.closes_at, NOTICE_TIME_ZONE).strftime("%Y-%m-%d %H:%M")
        for application in applications:
            if application.state == S.RECOMMENDED:
                _run_transition(
                    application,
                    name="publish_notice",
                    actor=actor,
                    target=S.PUBLIC_NOTICE,
                    description=_("On the public notice; objections until %(closes)s.")
                    % {"closes": closes},
                )
            else:
                _run_transition(
                    application,
                    name="reject",
                    actor=actor,
                    target=S.REJECTED,
                    description=rejection_reason(application),
                )
    return notice


def decide_without_notice(*, call: Call, actor) -> DecisionResult:
    """A call without 公示: approve every recommended application, reject every other one.

    Same refusals as ``publish_public_notice`` for undecided applications; running it again
    finds nothing left to decide and changes nothing.
    """
    _require_call(actor, "grants.publish_public_notice", call)
    result = DecisionResult()
    with transaction.atomic():
        call = _lock_call(call)
        if call.has_public_notice:
            raise TransitionRefused(
                _("This call has a public notice (公示): publish it; approval follows its window.")
            )
        _refuse_undecided(call)
        for application in _lock_applications(call, (S.RECOMMENDED, S.NOT_RECOMMENDED)):
            if application.state == S.RECOMMENDED:
                result.approved.append(
                    _run_transition(application, name="approve", actor=actor, target=S.APPROVED)
                )
            else:
                result.rejected.append(
                    _run_transition(
                        application,
                        name="reject",
                        actor=actor,
                        target=S.REJECTED,
                        description=rejection_reason(application),
                    )
                )
    return result


def approve_after_notice(*, call: Call, actor) -> DecisionResult:
    """After the 公示 window: approve every project on it that has no open objection.

    Projects with an open objection (``objection_review``) wait, listed in ``result.waiting``.
    Refused, changing nothing, when the notice is not published or still open, or when every
    remaining project waits for an answer. Running it again approves nothing more.
    """
    _require_call(actor, "grants.publish_public_notice", call)
    result = DecisionResult()
    with transaction.atomic():
        call = _lock_call(call)
        notice = PublicNotice.objects.filter(call=call).first()
        if notice is None:
            raise TransitionRefused(_("The public notice of this call has not been published."))
        if timezone.now() < notice.closes_at:
            raise TransitionRefused(
                _(
                    "The public notice is open until %(closes)s (Beijing time): approval waits "
                    "until it closes."
                )
                % {
                    "closes": timezone.localtime(notice.closes_at, NOTICE_TIME_ZONE).strftime(
                        "%Y-%m-%d %H:%M"
                    )
                }
            )
        applications = _lock_applications(call, NOTICE_STATES)
        open_ids = set(
            Objection.objects.filter(
                application__in=applications, state=ObjectionState.OPEN
            ).values_list("application_id", flat=True)
        )
        for application in applications:
            if application.state != S.PUBLIC_NOTICE or application.pk in open_ids:
                result.waiting.append(application)
        if result.waiting and len(result.waiting) == len(applications):
            raise TransitionRefused(
                _("Approval waits for the answers to the objections on: %(applications)s")
                % {"applications": "；".join(a.title or a.reference for a in result.waiting)}
            )
        for application in applications:
            if application not in result.waiting:
                result.approved.append(
                    _run_transition(application, name="approve", actor=actor, target=S.APPROVED)
                )
    return result


# --- Telling officers ---------------------------------------------------------------------------


def call_officers(call: Call):
    """The programme's named officers, or every officer when the programme names none."""
    officers = User.objects.filter(
        is_active=True, memberships__is_active=True, memberships__role=Role.OFFICER
    )
    named = officers.filter(programmes_run=call.programme_id)
    return list((named if named.exists() else officers).distinct())


def notify_officers(
    *, call: Call, verb: str, texts, url: str, application: Application | None = None
) -> list[Notification]:
    """In-app notification (and e-mail on commit) to the call's officers.

    ``texts()`` returns (title, body) and is called in each recipient's language.
    """
    rows = []
    for user in call_officers(call):
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            title, body = texts()
        rows.append(
            Notification(
                recipient=user,
                application=application,
                verb=verb,
                title=str(title)[:300],
                body=str(body),
                url=url,
            )
        )
    return notifications.deliver(rows)


def close_public_notices(*, now: datetime | None = None) -> list[PublicNotice]:
    """Tell the officers of each call whose 公示 window has closed, once per notice.

    Run by ``manage.py close_public_notices`` (hourly from cron or a systemd timer). Says how many
    projects can now be approved and how many wait for an answer to an objection. The
    notification row itself records that the officers were told, so a second run tells nobody.
    """
    now = now or timezone.now()
    told = []
    for notice in PublicNotice.objects.filter(closes_at__lte=now).select_related("call__programme"):
        url = reverse("grants:decisions_notice", args=[notice.call_id])
        with transaction.atomic():
            # Two runs at once: the second waits here, then sees the first one's rows.
            PublicNotice.objects.select_for_update().filter(pk=notice.pk).first()
            if Notification.objects.filter(verb=NOTICE_CLOSED_VERB, url=url).exists():
                continue
            call = notice.call
            on_notice = Application.objects.filter(call=call, state__in=NOTICE_STATES)
            waiting = (
                on_notice.filter(
                    Q(state=S.OBJECTION_REVIEW) | Q(objections__state=ObjectionState.OPEN)
                )
                .distinct()
                .count()
            )
            ready = on_notice.count() - waiting
            closed = timezone.localtime(notice.closes_at, NOTICE_TIME_ZONE).strftime(
                "%Y-%m-%d %H:%M"
            )

            def texts(call=call, ready=ready, waiting=waiting, closed=closed):
                return (
                    _("The public notice of “%(call)s” has closed") % {"call": call.title},
                    _(
                        "The objection window closed at %(closed)s. %(ready)d project(s) can be "
                        "approved now; %(waiting)d wait for the answer to an objection."
                    )
                    % {"closed": closed, "ready": ready, "waiting": waiting},
                )

            notify_officers(call=call, verb=NOTICE_CLOSED_VERB, texts=texts, url=url)
            told.append(notice)
    return told
