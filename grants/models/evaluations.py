"""Mid-term and final evaluations (中期评估, 结项评估): templates, evaluator workspace, sealed scores."""

from __future__ import annotations

__all__: list[str] = []
