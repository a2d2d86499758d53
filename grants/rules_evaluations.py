"""Permissions of mid-term and final evaluations and track record (issue #6)."""

from __future__ import annotations

import rules

from grants.rules import is_officer

# Placeholder until the evaluation area defines who concludes an evaluation (officer or the
# assigned evaluator): replace with the real predicate.
rules.add_perm("grants.conclude_evaluation", is_officer)
