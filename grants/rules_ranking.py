"""Who may see a call's ranking and recommend within its budget (django-rules).

Imported by ``grants.rules`` so that the permissions exist wherever the others do. Per-application
decisions (overrides, public score, bonus) also ask ``grants.decide_application`` on the
application, the permission the ``recommend`` / ``not_recommend`` transitions declare.
"""

from __future__ import annotations

import rules

from grants.rules import is_officer

# The ranking names reviewers next to their scores: officers only, never reviewers or applicants.
rules.add_perm("grants.view_ranking", is_officer)
rules.add_perm("grants.recommend_call", is_officer)
