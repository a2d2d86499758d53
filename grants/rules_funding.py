"""Permissions of agreements, tranches and disbursements (issue #5)."""

from __future__ import annotations

import rules  # noqa: F401
