"""The funder dashboard's bar chart, drawn on the server as SVG coordinates (no JavaScript).

Horizontal bars, one group per call (or programme): they stay readable on a narrow phone screen,
where vertical bars with Chinese labels under them would overlap. Colours come from CSS classes per
figure (``grants/static/grants/finance.css``), so the page needs no inline style; the template
also prints the numbers in a table for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from grants.budget import yuan

WIDTH = 360  # the SVG scales to the screen width; 360 user units = a phone's CSS width
LABEL_HEIGHT = 22
BAR_HEIGHT = 16
BAR_GAP = 3
GROUP_GAP = 14
LEFT = 4
VALUE_SPACE = 110  # room right of the longest bar for its amount
CHART_FIGURES = ("awarded", "paid", "spent", "unspent")


@dataclass(frozen=True)
class Bar:
    figure: str
    label: str
    y: float
    width: float
    value: Decimal

    @property
    def text(self) -> str:
        return yuan(self.value)


@dataclass
class Group:
    label: str
    y: float
    bars: list[Bar] = field(default_factory=list)


@dataclass
class BarChart:
    width: int = WIDTH
    height: int = 0
    left: int = LEFT
    bar_height: int = BAR_HEIGHT
    groups: list[Group] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    @property
    def is_empty(self) -> bool:
        return not self.groups


def bar_chart(rows, labels: dict[str, str], figures=CHART_FIGURES) -> BarChart:
    """``rows``: objects with ``label`` and ``figures``; one group of bars per row."""
    rows = list(rows)
    chart = BarChart(legend=[(key, labels[key]) for key in figures])
    peak = max(
        (max(row.figures[key], Decimal(0)) for row in rows for key in figures), default=Decimal(0)
    )
    scale = (WIDTH - LEFT - VALUE_SPACE) / float(peak) if peak > 0 else 0.0
    y = 0.0
    for row in rows:
        group = Group(label=row.label, y=y + LABEL_HEIGHT - 5)
        y += LABEL_HEIGHT
        for key in figures:
            value = row.figures[key]
            width = max(float(value), 0.0) * scale
            group.bars.append(Bar(key, labels[key], y, round(width, 1), value))
            y += BAR_HEIGHT + BAR_GAP
        y += GROUP_GAP
        chart.groups.append(group)
    chart.height = int(y)
    return chart
