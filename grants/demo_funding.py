"""Demo agreements, tranches, disbursements on the funded projects of ``grants.demo_projects``."""

from __future__ import annotations


def seed(*, stdout) -> None:
    pass
