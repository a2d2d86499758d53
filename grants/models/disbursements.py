"""Disbursements (支付): the two-person payment workflow of tranches, domestic vouchers and Stripe Connect payouts."""

from __future__ import annotations

__all__: list[str] = []
