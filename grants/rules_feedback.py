"""Permissions of resident feedback, 群众评议 (issue #6).

The public page (``/pingyi/<token>/``) needs no account: the unguessable link is the key. Behind it:

- ``grants.manage_feedback`` (officers): open and close a project's feedback page, its closing day
  and mode, and see the full list of responses with the last four digits of each number;
- ``grants.moderate_feedback`` (officers): exclude a response with a reason, or count it again;
- ``grants.view_feedback``: the figures and comments on the application page, for officers,
  evaluators and the organisation's own members (never any phone digits for the latter two);
- ``grants.print_feedback_poster``: the QR poster, for officers and the organisation (which puts
  it up in the community).
"""

from __future__ import annotations

import rules

from accounts.enums import Role
from accounts.rules import has_role
from grants.rules import is_applicant_member, is_officer

is_evaluator = has_role(Role.EVALUATOR)

rules.add_perm("grants.manage_feedback", is_officer)
rules.add_perm("grants.moderate_feedback", is_officer)
rules.add_perm("grants.view_feedback", is_officer | is_evaluator | is_applicant_member)
rules.add_perm("grants.print_feedback_poster", is_officer | is_applicant_member)
