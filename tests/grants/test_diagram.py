from grants.management.commands.application_diagram import DIAGRAM_PATH, render_diagram


def test_committed_state_diagram_matches_the_state_machine():
    committed = DIAGRAM_PATH.read_text(encoding="utf-8") if DIAGRAM_PATH.exists() else ""
    assert committed == render_diagram(), (
        "docs/application-states.md is stale: run `manage.py application_diagram`."
    )


def test_diagram_shows_every_transition_built_so_far():
    text = render_diagram()
    assert "stateDiagram-v2" in text
    for edge in (
        "draft --> submitted: submit",
        "submitted --> screening: start_screening",
        "screening --> in_review: accept_for_review",
        "screening --> returned: return_for_revision",
        "submitted --> ineligible: mark_ineligible",
        "in_review --> withdrawn: withdraw",
        "active --> terminated: terminate",
    ):
        assert edge in text
    assert 'state "Returned for revision (returned)" as returned' in text
