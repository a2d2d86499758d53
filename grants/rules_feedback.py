"""Permissions of resident feedback, 群众评议 (issue #6)."""

from __future__ import annotations

import rules  # noqa: F401
