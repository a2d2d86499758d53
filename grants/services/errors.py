"""Errors the grant services raise; views turn them into a 403, a form error or a message.

- ``django.core.exceptions.PermissionDenied``: the actor may not do this to this application.
- ``TransitionRefused``: the application is not in a state that allows the action (translatable message).
- ``SubmissionRefused``: hard eligibility rules failed; carries every ``RuleResult`` for display.
- ``django.core.exceptions.ValidationError``: bad input (a file, an amount, a missing reason).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from grants.eligibility import RuleResult
    from grants.models import Application


class TransitionRefused(Exception):  # noqa: N818 — it reads as what happened to the request
    """The action is not possible in the application's current state (or the call's setup)."""

    def __init__(self, message, *, application: Application | None = None):
        super().__init__(message)
        self.message = message
        self.application = application

    def __str__(self) -> str:
        return str(self.message)


class AlreadyApplied(TransitionRefused):
    """The organisation already holds this call's one application (``application`` is it)."""


class SubmissionRefused(TransitionRefused):
    """Hard eligibility failures stop the submission; ``results`` holds every rule's outcome."""

    def __init__(self, results: list[RuleResult], *, application: Application | None = None):
        self.results = list(results)
        self.failures = [r for r in self.results if r.blocks]
        reasons = "；".join(str(r.reason) for r in self.failures)
        super().__init__(
            _("The application cannot be submitted: %(reasons)s") % {"reasons": reasons},
            application=application,
        )
