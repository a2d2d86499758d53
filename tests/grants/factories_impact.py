"""Helpers of the impact tests: funded projects, and the other areas' selectors as given figures.

``sources(monkeypatch, …)`` makes ``grants.selectors_impact`` take the given figures instead of
another area's selector (``grants.selectors_reports`` …), or none (``absent``), as before that
area existed. Tests that build the other areas' real rows live next to these
once their models exist.
"""

from __future__ import annotations

from grants import selectors_impact
from grants.enums import ApplicationState
from tests.factories import ApplicationFactory

S = ApplicationState

MODULES = (
    "grants.selectors_reports",
    "grants.selectors_feedback",
    "grants.selectors_evaluations",
    "grants.selectors_finance",
)


def funded(call, *, state=S.ACTIVE, indicators=None, beneficiaries=120, **kwargs):
    return ApplicationFactory(
        call=call,
        state=state,
        indicators=indicators
        if indicators is not None
        else [{"name": "探访人次", "kind": "output", "target": "2400", "unit": "人次"}],
        beneficiaries_count=beneficiaries,
        **kwargs,
    )


def _selector(data: dict):
    def select(application_ids):
        # Like the real selectors: figures only for the ids asked about.
        return {pk: data[pk] for pk in application_ids if pk in data}

    return select


def sources(
    monkeypatch,
    *,
    progress=None,
    beneficiaries=None,
    hours=None,
    feedback=None,
    grades=None,
    money=None,
    absent=(),
):
    """The other areas' selectors give these figures ({application id: …}); the modules named in
    ``absent`` (e.g. "grants.selectors_finance") do not exist."""
    functions = {
        ("grants.selectors_reports", "indicator_progress"): progress,
        ("grants.selectors_reports", "beneficiaries_reached"): beneficiaries,
        ("grants.selectors_reports", "volunteer_hours"): hours,
        ("grants.selectors_feedback", "feedback_summary"): feedback,
        ("grants.selectors_evaluations", "latest_grades"): grades,
        ("grants.selectors_finance", "project_money"): money,
    }

    def source(module_name, function_name):
        if module_name in absent:
            return None
        return _selector(functions[(module_name, function_name)] or {})

    # Replaced where grants.selectors_impact looks the selectors up, not in sys.modules: the other
    # areas' own views import the real modules.
    monkeypatch.setattr(selectors_impact, "_source", source)


def no_sources(monkeypatch):
    """As before the other areas exist."""
    sources(monkeypatch, absent=MODULES)
