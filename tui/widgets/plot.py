"""Values over time as a text chart, with the rule's lines drawn across it.

Points are placed by date; a point whose event carries a finding of the plotted
rules is drawn in the finding's colour (the finding comes from the core, the
plot does not compare values with thresholds itself).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from rich.text import Text
from textual.widget import Widget

LEFT = 8  # width of the value axis


@dataclass(frozen=True)
class Point:
    date: dt.date
    value: float
    severity: str | None = None
    """The most serious finding on this event for the plotted rules, if any."""


@dataclass(frozen=True)
class Series:
    label: str
    marker: str
    points: list[Point]


@dataclass(frozen=True)
class Line:
    """A horizontal reference line: a band edge or a threshold, with what it is."""

    value: float
    label: str
    style: str = "yellow"


@dataclass
class Chart:
    title: str
    unit: str
    series: list[Series] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(s.points for s in self.series)


SEVERITY_STYLE = {"alert": "bold red", "warn": "bold yellow", "info": "cyan"}


def render_chart(chart: Chart, width: int, height: int) -> Text:
    """The chart as text: a title, `height` plot rows, a date axis and a legend."""
    from dosing.core import units

    out = Text()
    out.append(f"{chart.title} ({chart.unit})\n", style="bold")
    if chart.empty:
        out.append("  nothing recorded yet\n", style="dim")
        return out
    width = max(width, LEFT + 12)
    plot_w = width - LEFT - 1
    pts = [p for s in chart.series for p in s.points]
    values = [p.value for p in pts] + [ln.value for ln in chart.lines]
    lo, hi = min(values), max(values)
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.08
    lo, hi = max(lo - pad, 0.0) if lo >= 0 else lo - pad, hi + pad
    d0 = min(p.date for p in pts).toordinal()
    d1 = max(p.date for p in pts).toordinal()

    def row(v: float) -> int:
        return round((hi - v) / (hi - lo) * (height - 1))

    def col(d: dt.date) -> int:
        if d1 == d0:
            return plot_w // 2
        return round((d.toordinal() - d0) / (d1 - d0) * (plot_w - 1))

    grid: list[list[tuple[str, str]]] = [[(" ", "") for _ in range(plot_w)] for _ in range(height)]
    for ln in chart.lines:
        r = row(ln.value)
        grid[r] = [("╌", ln.style) for _ in range(plot_w)]
    for s in chart.series:
        for p in s.points:
            grid[row(p.value)][col(p.date)] = (s.marker, SEVERITY_STYLE.get(p.severity or "", "bold green"))
    for r in range(height):
        v = hi - (hi - lo) * r / (height - 1)
        label = units.format_number(v, 1) if r in (0, height - 1) or any(row(ln.value) == r for ln in chart.lines) \
            else ""
        line_here = [ln for ln in chart.lines if row(ln.value) == r]
        if line_here:
            label = units.format_number(line_here[0].value, 1)
        out.append(f"{label:>{LEFT - 1}} ┤", style="dim")
        for ch, style in grid[r]:
            out.append(ch, style=style)
        out.append("\n")
    first, last = dt.date.fromordinal(d0).isoformat(), dt.date.fromordinal(d1).isoformat()
    axis = " " * LEFT + first
    if d1 != d0:
        axis += last.rjust(plot_w - len(first) + 1)
    out.append(axis + "\n", style="dim")
    legend = "   ".join(f"{s.marker} {s.label}" for s in chart.series)
    out.append(f"  {legend}\n")
    for ln in chart.lines:
        out.append("  ╌╌ ", style=ln.style)
        out.append(f"{units.format_number(ln.value, 1)} {chart.unit}: {ln.label}\n")
    return out


class TimePlot(Widget):
    """A Chart drawn to the widget's width."""

    DEFAULT_CSS = "TimePlot { height: auto; }"

    def __init__(self, chart: Chart | None = None, plot_height: int = 7, **kwargs) -> None:
        super().__init__(**kwargs)
        self.chart = chart or Chart("", "")
        self.plot_height = plot_height

    def set_chart(self, chart: Chart) -> None:
        self.chart = chart
        self.refresh(layout=True)

    def render(self) -> Text:
        return render_chart(self.chart, self.size.width or 80, self.plot_height)

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(render_chart(self.chart, width, self.plot_height).plain.splitlines())
