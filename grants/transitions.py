"""Which service runs each transition of an application, with its label and the input it needs.

The officer pages, their bulk actions and the API all start actions by transition code (the name of
the ``@transition`` method on ``Application``); this table is the one place that maps a code to the
service function, so that no caller can run a transition without its service (lock, permission,
log, notifications).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from grants.models import Application


class Reason:
    NONE = "none"
    OPTIONAL = "optional"
    REQUIRED = "required"


@dataclass(frozen=True)
class Action:
    code: str
    label: Promise
    reason: str
    run: Callable[..., Application]
    # Irreversible or negative for the applicant: the page asks for care (a red button).
    destructive: bool = False
    # Officers may select many rows and run it on all of them.
    bulk: bool = False
    # The area panel of the officer page that offers this action with more choices (the
    # evaluations panel asks for the evaluator); a page may leave its plain button out.
    panel: str = ""

    @property
    def needs_reason(self) -> bool:
        return self.reason == Reason.REQUIRED


def _services():
    # Imported late: the services import models and notification machinery that are not needed
    # to describe the actions (and this keeps the import graph one-way).
    from grants.services import applications

    return applications


def _submit(*, application, actor, reason, revision_due_at):
    return _services().submit_application(application=application, actor=actor)


def _start_screening(*, application, actor, reason, revision_due_at):
    return _services().start_screening(application=application, actor=actor)


def _accept_for_review(*, application, actor, reason, revision_due_at):
    return _services().accept_for_review(application=application, actor=actor)


def _return_for_revision(*, application, actor, reason, revision_due_at):
    return _services().return_for_revision(
        application=application, actor=actor, reason=reason, revision_due_at=revision_due_at
    )


def _mark_ineligible(*, application, actor, reason, revision_due_at):
    return _services().mark_ineligible(application=application, actor=actor, reason=reason)


def _review_services():
    from grants.services import review_transitions

    return review_transitions


def _start_pitch(*, application, actor, reason, revision_due_at):
    return _review_services().start_pitch(application=application, actor=actor)


def _finish_review(*, application, actor, reason, revision_due_at):
    return _review_services().finish_review(application=application, actor=actor)


def _approve(*, application, actor, reason, revision_due_at):
    return _review_services().approve_application(
        application=application, actor=actor, reason=reason
    )


def _reject(*, application, actor, reason, revision_due_at):
    return _review_services().reject_application(
        application=application, actor=actor, reason=reason
    )


def _withdraw(*, application, actor, reason, revision_due_at):
    return _services().withdraw_application(application=application, actor=actor, reason=reason)


def _evaluation_services():
    from grants.services import evaluations

    return evaluations


def _start_mid_term(*, application, actor, reason, revision_due_at):
    # Without an evaluator chosen (the API, a plain button) the officer evaluates; the
    # evaluations panel reassigns.
    evaluation = _evaluation_services().start_evaluation(
        application=application, kind="mid_term", actor=actor
    )
    return Application.objects.get(pk=evaluation.application_id)


def _start_final_evaluation(*, application, actor, reason, revision_due_at):
    evaluation = _evaluation_services().start_evaluation(
        application=application, kind="final", actor=actor
    )
    return Application.objects.get(pk=evaluation.application_id)


def _terminate(*, application, actor, reason, revision_due_at):
    return _services().terminate_application(application=application, actor=actor, reason=reason)


ACTIONS: dict[str, Action] = {
    action.code: action
    for action in (
        Action("submit", pgettext_lazy("action", "Submit"), Reason.NONE, _submit),
        Action(
            "start_screening",
            pgettext_lazy("action", "Start eligibility screening"),
            Reason.NONE,
            _start_screening,
            bulk=True,
        ),
        Action(
            "accept_for_review",
            pgettext_lazy("action", "Accept for expert review"),
            Reason.NONE,
            _accept_for_review,
            bulk=True,
        ),
        Action(
            "return_for_revision",
            pgettext_lazy("action", "Return for revision"),
            Reason.REQUIRED,
            _return_for_revision,
            bulk=True,
        ),
        Action(
            "mark_ineligible",
            pgettext_lazy("action", "Mark ineligible"),
            Reason.REQUIRED,
            _mark_ineligible,
            destructive=True,
        ),
        Action(
            "start_pitch",
            pgettext_lazy("action", "Send to the live pitch"),
            Reason.NONE,
            _start_pitch,
            bulk=True,
        ),
        Action(
            "finish_review",
            pgettext_lazy("action", "Close the review"),
            Reason.NONE,
            _finish_review,
            bulk=True,
        ),
        Action("approve", pgettext_lazy("action", "Approve funding"), Reason.OPTIONAL, _approve),
        Action(
            "reject",
            pgettext_lazy("action", "Reject"),
            Reason.REQUIRED,
            _reject,
            destructive=True,
        ),
        Action(
            "withdraw",
            pgettext_lazy("action", "Withdraw"),
            Reason.OPTIONAL,
            _withdraw,
            destructive=True,
        ),
        Action(
            "start_mid_term",
            pgettext_lazy("action", "Start the mid-term evaluation"),
            Reason.NONE,
            _start_mid_term,
            panel="evaluations",
        ),
        Action(
            "start_final_evaluation",
            pgettext_lazy("action", "Start the final evaluation"),
            Reason.NONE,
            _start_final_evaluation,
            panel="evaluations",
        ),
        Action(
            "terminate",
            pgettext_lazy("action", "Terminate the project"),
            Reason.REQUIRED,
            _terminate,
            destructive=True,
        ),
    )
}
BULK_ACTIONS = [action for action in ACTIONS.values() if action.bulk]


def available_actions(*, application: Application, user) -> list[Action]:
    """The actions ``user`` may run on ``application`` now, in the order of ``ACTIONS``.

    Asks django-fsm (source state, conditions such as the call's screening stage, and the
    django-rules permission of each transition), so the buttons never offer what the service refuses.
    """
    codes = {
        transition.name for transition in application.get_available_user_state_transitions(user)
    }
    return [action for code, action in ACTIONS.items() if code in codes]


def run_action(
    code: str,
    *,
    application: Application,
    actor,
    reason: str = "",
    revision_due_at: datetime | None = None,
) -> Application:
    """Run the service of transition ``code``.

    Raises ``KeyError`` for an unknown code, and whatever the service raises: ``PermissionDenied``,
    ``TransitionRefused``, ``ValidationError`` (e.g. a missing reason, keyed "reason").
    """
    return ACTIONS[code].run(
        application=application, actor=actor, reason=reason or "", revision_due_at=revision_due_at
    )
