"""Milestone plans and the reports organisations submit against them."""

from __future__ import annotations

__all__: list[str] = []
