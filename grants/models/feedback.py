"""Resident feedback (群众评议) on funded projects."""

from __future__ import annotations

__all__: list[str] = []
