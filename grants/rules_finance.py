"""Permissions of expenses, clawbacks, the funder dashboard and reconciliation (issue #5)."""

from __future__ import annotations

import rules  # noqa: F401
