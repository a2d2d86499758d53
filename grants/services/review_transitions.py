"""Per-application review and decision steps that an officer runs one application at a time.

Call-wide steps (drawing reviewers, ranking and recommending, publishing the 公示, objections) live
in their own service modules; these are the single transitions the officer's action buttons run.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from grants.enums import ApplicationState as S
from grants.models import Application
from grants.services.applications import _require_reason, _run_transition


@transaction.atomic  # select_for_update needs a transaction (the officer's buttons run outside one)
def start_pitch(*, application: Application, actor) -> Application:
    """In review → 路演: the application goes on to the live pitch (calls with a pitch only)."""
    return _run_transition(
        application,
        name="start_pitch",
        actor=actor,
        target=S.DEFENSE,
        refused_message=_("This call has no live pitch."),
    )


@transaction.atomic  # select_for_update needs a transaction (the officer's buttons run outside one)
def finish_review(*, application: Application, actor) -> Application:
    """Close the review of one application once every reviewer on its panel has submitted."""
    return _run_transition(
        application,
        name="finish_review",
        actor=actor,
        target=S.REVIEWED,
        refused_message=_(
            "The review is not finished: every reviewer on the panel must submit their scores "
            "(and the live pitch must be held, if the call has one)."
        ),
    )


@transaction.atomic  # select_for_update needs a transaction (the officer's buttons run outside one)
def approve_application(*, application: Application, actor, reason: str = "") -> Application:
    """Final decision: fund it. Waits for the 公示 window to close with no open objection."""
    return _run_transition(
        application,
        name="approve",
        actor=actor,
        target=S.APPROVED,
        description=reason,
        refused_message=_(
            "Approval waits until the public notice has closed and every objection is answered."
        ),
    )


@transaction.atomic  # select_for_update needs a transaction (the officer's buttons run outside one)
def reject_application(*, application: Application, actor, reason: str) -> Application:
    """Final decision: not funded, with a reason the applicant will read."""
    return _run_transition(
        application,
        name="reject",
        actor=actor,
        target=S.REJECTED,
        description=_require_reason(reason),
    )
