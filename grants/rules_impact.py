"""Permissions of the impact dashboard and annual report (issue #6)."""

from __future__ import annotations

import rules  # noqa: F401
