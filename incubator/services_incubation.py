"""One service per user action on an incubation application: the only code that writes them.

Every action runs in ``transaction.atomic()``, locks the application row (``select_for_update``),
checks the actor's permission through django-rules (the permission the transition declares), runs
the django-fsm transition with ``by=actor`` and ``description=reason`` so django-fsm-log writes the
audit row in the same transaction, saves, and writes in-app notifications whose e-mails are queued
with ``transaction.on_commit``. Repeating an action already done returns the application unchanged.

Services return the freshly locked instance: use the returned object, not the one passed in.
Training, mentoring and assessments are in ``services_incubation_programme``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django_fsm import can_proceed

from accounts.enums import EmailFrequency, Role
from accounts.models import User
from grants.services.errors import TransitionRefused
from incubator.enums_incubation import (
    LIVE_STATES,
    MODES_WITH_SPACE,
    IncubationMode,
    IncubationState,
)
from incubator.models import IncubationApplication, Intake, Organisation

I = IncubationState  # noqa: E741
MONEY_LIMIT = Decimal("99999999.99")  # max_digits=10, decimal_places=2


# --- Locking, checks, notifications ----------------------------------------------------------------


def lock_application(application: IncubationApplication | int) -> IncubationApplication:
    pk = application.pk if isinstance(application, IncubationApplication) else application
    return (
        IncubationApplication.objects.select_for_update(of=("self",))
        .select_related("intake__base", "organisation")
        .get(pk=pk)
    )


def require(actor, perm: str, obj) -> None:
    if actor is None or not actor.has_perm(perm, obj):
        raise PermissionDenied(gettext_lazy("You may not do this."))


def _transition_permission(method) -> str:
    (permission,) = {t.permission for t in method._django_fsm.transitions.values()}
    return permission


def _members(organisation_id: int):
    return User.objects.filter(
        is_active=True,
        memberships__is_active=True,
        memberships__role=Role.APPLICANT,
        memberships__organisation_id=organisation_id,
    ).distinct()


def _managers(application: IncubationApplication):
    named = application.intake.base.managers.filter(is_active=True)
    if named.exists():
        return named
    return User.objects.filter(
        is_active=True, memberships__is_active=True, memberships__role=Role.OFFICER
    ).distinct()


def _texts(verb: str, values: dict) -> tuple[str, str]:
    """Title and body in the active language."""
    titles = {
        "apply": _("%(organisation)s applied to %(base)s"),
        "admit": _("%(organisation)s is admitted to %(base)s"),
        "reject": _("%(organisation)s is not admitted to %(base)s"),
        "sign_agreement": _("Incubation agreement signed with %(base)s"),
        "graduate": _("%(organisation)s graduated from %(base)s"),
        "withdraw": _("%(organisation)s withdrew its application to %(base)s"),
        "terminate": _("Incubation of %(organisation)s at %(base)s terminated"),
    }
    title = titles.get(verb, _("%(organisation)s at %(base)s: %(state)s")) % values
    body = _("%(organisation)s · %(intake)s: now “%(state)s”.") % values
    if values.get("reason"):
        body += "\n" + _("Reason: %(reason)s") % values
    if verb == "apply":
        body += "\n" + _("An answer is due by %(due)s.") % values
    return title, body


def notify(
    *,
    application: IncubationApplication,
    verb: str,
    actor,
    to_members: bool,
    to_managers: bool,
    reason: str = "",
) -> int:
    """In-app notifications (each in its recipient's language); e-mails after commit."""
    from grants.models import Notification
    from grants.tasks import send_notification_emails

    people: dict[int, User] = {}
    if to_managers:
        people.update({user.pk: user for user in _managers(application)})
    if to_members:
        people.update({user.pk: user for user in _members(application.organisation_id)})
    if actor is not None:
        people.pop(actor.pk, None)
    url = reverse("incubation:application", args=[application.pk])
    rows = []
    for user in people.values():
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            values = {
                "organisation": application.organisation.name,
                "base": application.intake.base.name,
                "intake": application.intake.name,
                "state": application.get_state_display(),
                "reason": reason,
                "due": application.review_due_on.isoformat(),
            }
            title, body = _texts(verb, values)
        rows.append(
            Notification(
                recipient=user, verb=f"incubation_{verb}", title=title[:300], body=body, url=url
            )
        )
    rows = Notification.objects.bulk_create(rows)
    immediate = [
        row.pk
        for row in rows
        if row.recipient.email_frequency == EmailFrequency.IMMEDIATELY and row.recipient.email
    ]
    if immediate:
        transaction.on_commit(lambda: send_notification_emails.enqueue(immediate))
    return len(rows)


def _refuse(application: IncubationApplication, message=None):
    raise TransitionRefused(
        message
        or _("This is not possible while the application is “%(state)s”.")
        % {"state": application.get_state_display()}
    )


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Please give a reason; the organisation will read it.")})
    return reason


def blocking_reasons(application: IncubationApplication, name: str) -> list[str]:
    """Why the conditions of transition ``name`` fail now, in words (empty when they hold)."""
    if name == "sign_agreement":
        missing = application.agreement_shortfalls()
        return [_("Still missing: %(items)s.") % {"items": "、".join(missing)}] if missing else []
    if name == "start_incubation":
        return (
            []
            if (application.service_goals or "").strip()
            else [_("Write the service plan first.")]
        )
    if name == "graduate":
        return [str(check.detail) for check in application.graduation_shortfalls()]
    return []


def _run(
    application: IncubationApplication | int,
    *,
    name: str,
    actor,
    reason: str = "",
    prepare: Callable[[IncubationApplication], None] | None = None,
    notify_members: bool = True,
    notify_managers: bool = False,
) -> IncubationApplication:
    """Lock, check permission, no-op if done already, (prepare fields,) transition, save, notify."""
    with transaction.atomic():
        application = lock_application(application)
        method = getattr(application, name)
        require(actor, _transition_permission(method), application)
        target = next(iter(method._django_fsm.transitions.values())).target
        if application.state == target:
            return application  # done already: running an action twice has one effect
        if not can_proceed(method, False):
            _refuse(application)
        if prepare is not None:
            prepare(application)
        if not can_proceed(method):
            reasons = blocking_reasons(application, name)
            _refuse(application, " ".join(reasons) if reasons else None)
        method(by=actor, description=reason or None)
        application.save()
        notify(
            application=application,
            verb=name,
            actor=actor,
            to_members=notify_members,
            to_managers=notify_managers,
            reason=reason,
        )
    return application


# --- Applying --------------------------------------------------------------------------------------


def apply_for_incubation(
    *, intake: Intake, organisation: Organisation, actor: User, requested_mode: str, motivation: str
) -> IncubationApplication:
    """An applicant member applies for the organisation (入驻申请) to an open intake.

    The answer is due within 5 working days. An organisation has one live application or
    incubation at a time: applying again returns ``TransitionRefused`` naming the one it has.
    """
    require(actor, "incubator.apply_for_incubation", organisation)
    errors = {}
    motivation = (motivation or "").strip()
    if not motivation:
        errors["motivation"] = _("Tell the base what the organisation does and needs.")
    intake = Intake.objects.select_related("base").get(pk=intake.pk)
    if requested_mode not in intake.modes:
        errors["requested_mode"] = _("This intake does not offer that mode.")
    if errors:
        raise ValidationError(errors)
    today = timezone.localdate()
    if not intake.is_open(today):
        raise TransitionRefused(
            _("This intake takes applications from %(opens)s to %(closes)s.")
            % {"opens": intake.opens_on.isoformat(), "closes": intake.closes_on.isoformat()}
        )
    with transaction.atomic():
        # The organisation row serialises two members pressing Apply at once; the partial unique
        # constraint (one live application per organisation) is the last line of defence.
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        existing = (
            IncubationApplication.objects.filter(organisation=organisation, state__in=LIVE_STATES)
            .select_related("intake__base")
            .first()
        )
        if existing is not None:
            raise TransitionRefused(
                _("%(organisation)s already has an application at %(base)s (“%(state)s”).")
                % {
                    "organisation": organisation.name,
                    "base": existing.intake.base.name,
                    "state": existing.get_state_display(),
                }
            )
        now = timezone.now()
        try:
            with transaction.atomic():
                application = IncubationApplication.objects.create(
                    intake=intake,
                    organisation=organisation,
                    applied_by=actor,
                    requested_mode=requested_mode,
                    motivation=motivation,
                    applied_at=now,
                    review_due_on=IncubationApplication.review_due_for(timezone.localdate(now)),
                )
        except IntegrityError:
            raise TransitionRefused(
                _("The organisation already has an incubation application in progress.")
            ) from None
        notify(
            application=application, verb="apply", actor=actor, to_members=False, to_managers=True
        )
    return application


# --- Transitions -----------------------------------------------------------------------------------


def start_review(*, application, actor: User) -> IncubationApplication:
    return _run(application, name="start_review", actor=actor, notify_members=True)


def admit(*, application, actor: User, reason: str = "") -> IncubationApplication:
    return _run(application, name="admit", actor=actor, reason=(reason or "").strip())


def reject(*, application, actor: User, reason: str) -> IncubationApplication:
    return _run(application, name="reject", actor=actor, reason=_require_reason(reason))


def _clean_agreement(mode: str, space: str, subsidy, term_start, term_end) -> dict:
    errors = {}
    if mode not in IncubationMode.values:
        errors["mode"] = _("Choose the mode of incubation.")
    space = (space or "").strip()
    if mode in MODES_WITH_SPACE and not space:
        errors["space"] = _("In-house incubation needs a space, e.g. 孵化室 A-203.")
    if mode == IncubationMode.CLOUD:
        space = ""
    try:
        subsidy = Decimal(str(subsidy if subsidy not in (None, "") else "0"))
    except InvalidOperation:
        errors["subsidy"] = _("Enter an amount in yuan, e.g. 20000 or 20000.50.")
        subsidy = Decimal("0")
    if not subsidy.is_finite() or subsidy < 0 or subsidy > MONEY_LIMIT:
        errors["subsidy"] = _("Enter an amount in yuan between 0 and 99,999,999.99.")
    elif subsidy != subsidy.quantize(Decimal("0.01")):
        errors["subsidy"] = _("Enter an amount in yuan with at most two decimals.")
    if not term_start:
        errors["term_start"] = _("Give the first day of the term.")
    if not term_end:
        errors["term_end"] = _("Give the last day of the term.")
    elif term_start and term_end <= term_start:
        errors["term_end"] = _("The term must end after it starts.")
    if errors:
        raise ValidationError(errors)
    return {
        "mode": mode,
        "space": space,
        "subsidy": subsidy,
        "term_start": term_start,
        "term_end": term_end,
    }


def sign_agreement(
    *,
    application,
    actor: User,
    mode: str,
    space: str,
    subsidy: Decimal | str | int,
    term_start: date,
    term_end: date,
) -> IncubationApplication:
    """Record the incubation agreement's terms and mark it signed (孵化协议)."""
    terms = _clean_agreement(mode, space, subsidy, term_start, term_end)

    def prepare(locked: IncubationApplication) -> None:
        for name, value in terms.items():
            setattr(locked, name, value)

    return _run(application, name="sign_agreement", actor=actor, prepare=prepare)


def start_incubation(*, application, actor: User) -> IncubationApplication:
    return _run(application, name="start_incubation", actor=actor)


def graduate(*, application, actor: User, reason: str = "") -> IncubationApplication:
    """出壳: only when every criterion of the intake holds; the refusal lists those that fail."""
    return _run(application, name="graduate", actor=actor, reason=(reason or "").strip())


def withdraw(*, application, actor: User, reason: str = "") -> IncubationApplication:
    return _run(
        application,
        name="withdraw",
        actor=actor,
        reason=(reason or "").strip(),
        notify_members=True,
        notify_managers=True,
    )


def terminate(*, application, actor: User, reason: str) -> IncubationApplication:
    return _run(application, name="terminate", actor=actor, reason=_require_reason(reason))


# --- Other writes on the application ---------------------------------------------------------------

MANAGE = "incubator.manage_incubation_application"
PLAN_STATES = (I.ADMITTED, I.AGREEMENT_SIGNED, I.INCUBATING)


def save_service_plan(
    *, application, actor: User, goals: str, services: list[str]
) -> IncubationApplication:
    """The service plan (服务计划): goals and the services the base will provide."""
    goals = (goals or "").strip()
    if not goals:
        raise ValidationError({"goals": _("Write the goals of the incubation.")})
    services = [item.strip()[:200] for item in services if item and item.strip()]
    with transaction.atomic():
        application = lock_application(application)
        require(actor, MANAGE, application)
        if application.state not in PLAN_STATES:
            _refuse(application)
        application.service_goals = goals
        application.planned_services = services
        application.save(update_fields=["service_goals", "planned_services", "updated_at"])
    return application


def attest_financial_system(*, application, actor: User, attested: bool) -> IncubationApplication:
    """The base confirms (or withdraws its confirmation) that a basic financial system is in place."""
    with transaction.atomic():
        application = lock_application(application)
        require(actor, MANAGE, application)
        if application.state != I.INCUBATING:
            _refuse(application)
        if attested and application.financial_system_attested_on is None:
            application.financial_system_attested_on = timezone.localdate()
        elif not attested:
            application.financial_system_attested_on = None
        application.save(update_fields=["financial_system_attested_on", "updated_at"])
    return application


def record_handback(*, application, actor: User, handed_back_on: date) -> IncubationApplication:
    """The graduate (or terminated organisation) handed its space back on ``handed_back_on``."""
    if handed_back_on is None or handed_back_on > timezone.localdate():
        raise ValidationError(
            {"handed_back_on": _("Give the day the space was handed back (not in the future).")}
        )
    with transaction.atomic():
        application = lock_application(application)
        require(actor, MANAGE, application)
        if application.handback_due_on is None:
            _refuse(application, _("This organisation has no space to hand back."))
        if application.handed_back_on is not None:
            return application
        application.handed_back_on = handed_back_on
        application.save(update_fields=["handed_back_on", "updated_at"])
    return application


# --- The action table ------------------------------------------------------------------------------


class Reason:
    NONE, OPTIONAL, REQUIRED = "none", "optional", "required"


@dataclass(frozen=True)
class Action:
    code: str
    label: Promise
    reason: str
    run: Callable[..., IncubationApplication]
    destructive: bool = False

    @property
    def needs_reason(self) -> bool:
        return self.reason == Reason.REQUIRED

    @property
    def takes_reason(self) -> bool:
        return self.reason != Reason.NONE


# Every transition except sign_agreement, which has its own form with the agreement's terms.
ACTIONS: dict[str, Action] = {
    action.code: action
    for action in (
        Action("start_review", pgettext_lazy("action", "Start the review"), Reason.NONE, start_review),
        Action("admit", pgettext_lazy("action", "Admit"), Reason.OPTIONAL, admit),
        Action("reject", pgettext_lazy("action", "Do not admit"), Reason.REQUIRED, reject, destructive=True),
        Action("start_incubation", pgettext_lazy("action", "Start incubation (move in)"), Reason.NONE, start_incubation),
        Action("graduate", pgettext_lazy("action", "Graduate (出壳)"), Reason.OPTIONAL, graduate),
        Action("withdraw", pgettext_lazy("action", "Withdraw the application"), Reason.OPTIONAL, withdraw, destructive=True),
        Action("terminate", pgettext_lazy("action", "Terminate the incubation"), Reason.REQUIRED, terminate, destructive=True),
    )
}  # fmt: skip


@dataclass(frozen=True)
class ActionChoice:
    action: Action
    blocked_by: list[str]  # why the transition's conditions fail now; empty when it can run


def actions_for(*, application: IncubationApplication, user) -> list[ActionChoice]:
    """The actions ``user`` may run from the application's state, with any unmet conditions.

    Asks django-fsm for the source state and the permission; conditions are evaluated separately so
    the page can say what is missing instead of hiding the button.
    """
    choices = []
    for transition in application.get_all_state_transitions():
        if transition.source not in (application.state, "*") or transition.name not in ACTIONS:
            continue
        if not transition.has_perm(application, user):
            continue
        choices.append(
            ActionChoice(ACTIONS[transition.name], blocking_reasons(application, transition.name))
        )
    order = list(ACTIONS)
    return sorted(choices, key=lambda choice: order.index(choice.action.code))


def can_sign_agreement(*, application: IncubationApplication, user) -> bool:
    return application.state == I.ADMITTED and user.has_perm(MANAGE, application)


def run_action(code: str, *, application, actor, reason: str = "") -> IncubationApplication:
    """Run the service of transition ``code`` (``KeyError`` for an unknown code)."""
    action = ACTIONS[code]
    extra = {"reason": reason or ""} if action.takes_reason else {}
    return action.run(application=application, actor=actor, **extra)
