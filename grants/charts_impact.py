"""Bar charts of the impact dashboard, drawn on the server as SVG coordinates (no JavaScript).

Same approach as ``incubator.charts`` (whose line-chart helpers do not fit bars): Python computes the geometry, the template draws it, colours come from
CSS classes (no inline style, so a strict CSP holds) and a table next to the chart gives the numbers
for screen readers. Bars are horizontal with the label above them, so long Chinese indicator names
fit on a phone. In the target-vs-reached chart every indicator has its own scale (people, sessions
and hours cannot share an axis); the numbers are written at the end of each bar.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from grants.selectors_impact import Impact

# About the width of a phone in CSS pixels, so the labels stay readable when the SVG shrinks.
WIDTH = 400
VALUE_SPACE = 120  # right of the longest bar, for the number
LABEL_HEIGHT = 24
BAR_HEIGHT = 16
BAR_GAP = 3
GROUP_GAP = 12
TOP = 4
MIN_VISIBLE = 2  # a tiny but non-zero value still shows a sliver


@dataclass(frozen=True)
class Bar:
    code: str  # CSS class suffix: target, reached, excellent, good, pass, fail
    series: Promise | str
    x: float
    y: float
    width: float
    height: float
    value: str

    @property
    def text_x(self) -> float:
        return self.x + self.width + 6

    @property
    def text_y(self) -> float:
        return self.y + self.height - 2


@dataclass(frozen=True)
class Group:
    label: str
    label_y: float
    bars: tuple[Bar, ...]


@dataclass
class BarChart:
    width: int = WIDTH
    height: int = TOP
    groups: list[Group] = field(default_factory=list)
    legend: list[tuple[str, Promise | str]] = field(default_factory=list)

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    @property
    def is_empty(self) -> bool:
        return not self.groups


def number_text(value: Decimal | int | None) -> str:
    """2400.00 → "2,400", 12.50 → "12.5", None → "–"."""
    if value is None:
        return "–"
    number = Decimal(value)
    if number == number.to_integral_value():
        return f"{number:,.0f}"
    return f"{number.normalize():,f}"


def _width(value: Decimal | int | None, scale: Decimal) -> float:
    if not value or not scale or value <= 0:
        return 0.0
    plot = WIDTH - VALUE_SPACE
    return max(MIN_VISIBLE, float(Decimal(value) / scale) * plot)


def _add_group(chart: BarChart, label: str, bars: list[tuple[str, object, Decimal | int | None]],
               *, scale: Decimal | int | None, suffix: str = "") -> None:  # fmt: skip
    y = chart.height + LABEL_HEIGHT
    label_y = y - 6
    drawn = []
    for code, series, value in bars:
        text = number_text(value) + suffix
        drawn.append(Bar(code, series, 0, y, _width(value, Decimal(scale or 0)), BAR_HEIGHT, text))
        y += BAR_HEIGHT + BAR_GAP
    chart.groups.append(Group(label, label_y, tuple(drawn)))
    chart.height = int(y - BAR_GAP + GROUP_GAP)


def targets_chart(rows) -> BarChart:
    """Two bars per row, target and reached, each row on its own scale.

    ``rows``: (label, target, reached, percent or None) with Decimal|int|None numbers. Rows with
    neither a target nor a reached figure are left out.
    """
    chart = BarChart(legend=[("target", _("Target")), ("reached", _("Reached"))])
    for label, target, reached, share in rows:
        if target is None and reached is None:
            continue
        scale = max((value for value in (target, reached) if value is not None), default=0)
        bars = [
            ("target", _("Target"), target),
            ("reached", _("Reached"), reached),
        ]
        _add_group(chart, label, bars, scale=scale)
        if share is not None:
            # The share of the target reached, after the reached figure.
            group = chart.groups[-1]
            reached_bar = group.bars[1]
            chart.groups[-1] = Group(
                group.label,
                group.label_y,
                (group.bars[0], _with_value(reached_bar, f"{reached_bar.value} ({share}%)")),
            )
    chart.height = max(chart.height, TOP + 1)
    return chart


def _with_value(bar: Bar, value: str) -> Bar:
    return Bar(bar.code, bar.series, bar.x, bar.y, bar.width, bar.height, value)


def grades_chart(grades: list[tuple[str, str, int]]) -> BarChart:
    """One bar per grade (优秀, 良好, 合格, 不合格), all on the scale of the largest count."""
    chart = BarChart()
    if not any(count for _code, _label, count in grades):
        return chart
    scale = max(count for _code, _label, count in grades)
    for code, label, count in grades:
        _add_group(chart, label, [(code, label, count)], scale=scale)
    return chart


def target_rows(impact: Impact) -> list[tuple[str, object, object, object]]:
    """The rows of the target-vs-reached chart: beneficiaries first, then every indicator."""
    rows = []
    if impact.beneficiaries_target or impact.beneficiaries_reached:
        rows.append(
            (
                gettext("Beneficiaries (people)"),
                impact.beneficiaries_target or None,
                impact.beneficiaries_reached,
                impact.beneficiaries_percent,
            )
        )
    for indicator in impact.indicators:
        label = f"{indicator.name}（{indicator.unit}）" if indicator.unit else indicator.name
        if indicator.rate:
            label = gettext("%(indicator)s, average") % {"indicator": label}
        rows.append((label, indicator.target, indicator.reached, indicator.percent))
    return rows


def impact_charts(impact: Impact) -> tuple[BarChart, BarChart]:
    return targets_chart(target_rows(impact)), grades_chart(impact.grades)
