"""Expenses reported against budget lines, overrun approvals and clawbacks (追回)."""

from __future__ import annotations

__all__: list[str] = []
