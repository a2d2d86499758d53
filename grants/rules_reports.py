"""Permissions of milestone plans and reports (issue #6)."""

from __future__ import annotations

import rules  # noqa: F401
