"""Permissions of donations, matching funds and Stripe webhooks (issue #5)."""

from __future__ import annotations

import rules  # noqa: F401
