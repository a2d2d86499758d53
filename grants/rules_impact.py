"""Permissions of the impact dashboard and annual report (issue #6).

Programme officers and finance staff see every funded project's figures, money included; nobody
else does (applicants see their own project's figures on their application page).
"""

from __future__ import annotations

import rules

from accounts.rules import is_finance
from grants.rules import is_officer

rules.add_perm("grants.view_impact", is_officer | is_finance)
