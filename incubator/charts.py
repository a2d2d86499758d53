"""The capacity progress chart, drawn on the server as SVG coordinates (no JavaScript library).

``progress_chart`` turns a list of assessments into the lines, points and labels the template draws
inside an ``<svg>``; colours come from CSS classes per dimension, so the page needs no inline style
and works under a strict CSP. The template also prints the numbers as a table for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise

from incubator.enums_incubation import DIMENSION_MAX, CapacityDimension

WIDTH, HEIGHT = 640, 340
LEFT, RIGHT, TOP, BOTTOM = 48, 40, 16, 44
GRID_STEP = 5
MAX_DATE_LABELS = 3


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: int


@dataclass(frozen=True)
class Series:
    code: str
    label: Promise | str
    points: tuple[Point, ...]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    top: int = TOP
    bottom_edge: int = HEIGHT - BOTTOM
    series: list[Series] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    @property
    def is_empty(self) -> bool:
        return not self.x_ticks


def _y(value: int) -> float:
    plot = HEIGHT - BOTTOM - TOP
    return TOP + plot * (1 - value / DIMENSION_MAX)


def _x(index: int, count: int) -> float:
    plot = WIDTH - RIGHT - LEFT
    if count == 1:
        return LEFT + plot / 2
    # A little margin so the first and last points do not sit on the axes.
    margin = plot * 0.06
    return LEFT + margin + (plot - 2 * margin) * index / (count - 1)


def progress_chart(assessments) -> Chart:
    """One line per dimension (0–25) across the assessments, oldest on the left."""
    rows = sorted(assessments, key=lambda a: (a.assessed_on, a.pk or 0))
    count = len(rows)
    chart = Chart(
        y_ticks=[Tick(_y(v), str(v)) for v in range(0, DIMENSION_MAX + 1, GRID_STEP)],
    )
    if not count:
        return chart
    # At most MAX_DATE_LABELS dates under the axis, evenly spread with the first and the last, so
    # they never overlap however many assessments there are.
    labelled = {round(k * (count - 1) / (MAX_DATE_LABELS - 1)) for k in range(MAX_DATE_LABELS)}
    chart.x_ticks = [
        Tick(_x(i, count), row.assessed_on.isoformat() if i in labelled else "")
        for i, row in enumerate(rows)
    ]
    for code, label in CapacityDimension.choices:
        points = tuple(
            Point(_x(i, count), _y(row.score(code)), row.score(code)) for i, row in enumerate(rows)
        )
        chart.series.append(Series(code, label, points))
    return chart
