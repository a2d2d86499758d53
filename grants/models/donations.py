"""Donations and matching funds through Stripe, and the webhook events processed exactly once."""

from __future__ import annotations

__all__: list[str] = []
