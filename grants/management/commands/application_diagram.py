"""Write docs/application-states.md: the application state machine, generated from the code.

The diagram is built by introspecting the ``@transition`` methods of ``Application``, so it cannot
drift from the machine; ``tests/grants/test_diagram.py`` fails when the committed file is stale.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation

from grants.enums import ApplicationState
from grants.models import Application

DIAGRAM_PATH = Path(settings.BASE_DIR) / "docs" / "application-states.md"


def render_diagram() -> str:
    """The Markdown file: a Mermaid stateDiagram-v2 of every state and transition, in English."""
    field = Application._meta.get_field("state")
    edges = set()
    for transition in field.get_all_transitions(Application):
        permission = transition.permission or ""
        conditions = ", ".join(condition.__name__ for condition in transition.conditions or [])
        edges.add(
            (
                str(transition.source),
                str(transition.target),
                transition.name,
                permission,
                conditions,
            )
        )
    edges = sorted(
        edges, key=lambda edge: (list(ApplicationState.values).index(edge[0]), edge[2], edge[1])
    )
    used = {edge[0] for edge in edges} | {edge[1] for edge in edges}
    lines = [
        "# Application states",
        "",
        "Generated from the `@transition` methods of `grants.models.Application` by",
        "`manage.py application_diagram`; do not edit by hand (a test fails when it is stale).",
        "Stages a call switches off (screening, live pitch, public notice) are skipped by the",
        "transitions' conditions. States not yet reachable are filled in by later issues.",
        "",
        "```mermaid",
        "stateDiagram-v2",
    ]
    with translation.override("en"):
        for code, label in ApplicationState.choices:
            lines.append(f'    state "{label} ({code})" as {code}')
    lines.append(f"    [*] --> {ApplicationState.DRAFT}")
    for source, target, name, _permission, conditions in edges:
        label = f"{name} [{conditions}]" if conditions else name
        lines.append(f"    {source} --> {target}: {label}")
    lines.append("```")
    lines += [
        "",
        "| transition | from | to | permission | conditions |",
        "|---|---|---|---|---|",
    ]
    for source, target, name, permission, conditions in edges:
        lines.append(
            f"| `{name}` | `{source}` | `{target}` | `{permission}` | {conditions or '—'} |"
        )
    unreachable = [code for code in ApplicationState.values if code not in used]
    if unreachable:
        lines += [
            "",
            "States without transitions yet: "
            + ", ".join(f"`{code}`" for code in unreachable)
            + ".",
        ]
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = "Write docs/application-states.md (a Mermaid diagram of the application state machine)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Fail if the file is stale; write nothing."
        )

    def handle(self, *args, check=False, **options):
        text = render_diagram()
        current = DIAGRAM_PATH.read_text(encoding="utf-8") if DIAGRAM_PATH.exists() else ""
        if check:
            if current != text:
                raise SystemExit(f"{DIAGRAM_PATH} is stale: run `manage.py application_diagram`.")
            self.stdout.write("up to date")
            return
        DIAGRAM_PATH.parent.mkdir(parents=True, exist_ok=True)
        DIAGRAM_PATH.write_text(text, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote {DIAGRAM_PATH}"))
