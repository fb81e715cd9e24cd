"""Values over time drawn in braille cells (2 x 4 dots per character), with the rule's band and lines.

The chart itself (`Chart`, `Series`, `Point`, `Line`, `Band`) is built without
Textual in `dosing.report.charts`, from the core's assessment; the report draws
the same object as SVG. Braille gives four value steps per text row and two date
steps per column, so a diastolic 82 is not drawn on the 90 line. Each cell takes
the colour of the most serious finding among the points in it (the finding comes
from the core; the plot compares nothing with a threshold). The target band is
shaded; each threshold line is labelled on the value axis and in the legend.
"""
from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual.widget import Widget

from dosing.report.charts import Band, Chart, Line, Point, Series

__all__ = ["Band", "Chart", "Line", "Point", "Series", "SEVERITY_STYLE", "TimePlot", "render_chart", "dot_row"]

LEFT = 8  # width of the value axis
SEVERITY_STYLE = {"alert": "bold red", "warn": "bold yellow", "info": "cyan"}
SEVERITY_ORDER = {None: 0, "info": 1, "warn": 2, "alert": 3}
BAND_STYLE = "on #1f3a2a"
# braille dot bits by (column 0-1, row 0-3) inside a cell
_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))


def dot_row(value: float, lo: float, hi: float, height: int) -> int:
    """The braille dot row (0 at the top, 4 per text row) a value falls on."""
    rows = height * 4
    return max(0, min(rows - 1, round((hi - value) / (hi - lo) * (rows - 1))))


class _Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.w, self.h = width, height
        self.bits = [[0] * width for _ in range(height)]
        self.style: list[list[str]] = [[""] * width for _ in range(height)]
        self.rank = [[-1] * width for _ in range(height)]

    def dot(self, x: int, y: int, style: str, rank: int) -> None:
        if not (0 <= x < self.w * 2 and 0 <= y < self.h * 4):
            return
        cx, cy = x // 2, y // 4
        self.bits[cy][cx] |= _DOTS[x % 2][y % 4]
        if rank >= self.rank[cy][cx]:
            self.rank[cy][cx], self.style[cy][cx] = rank, style

    def segment(self, x0: int, y0: int, x1: int, y1: int, style: str, rank: int) -> None:
        n = max(abs(x1 - x0), abs(y1 - y0), 1)
        for i in range(n + 1):
            self.dot(round(x0 + (x1 - x0) * i / n), round(y0 + (y1 - y0) * i / n), style, rank)


def render_chart(chart: Chart, width: int, height: int) -> Text:
    """The chart as text: a title, `height` braille rows, a date axis and a legend."""
    from dosing.core import units

    out = Text()
    out.append(f"{chart.title} ({chart.unit})\n", style="bold")
    if chart.empty:
        out.append("  nothing recorded yet\n", style="dim")
        return out
    width = max(width, LEFT + 12)
    height = max(height, 3)
    plot_w = width - LEFT - 1
    lo, hi = chart.value_range()
    first, last = chart.date_range()
    d0, d1 = first.toordinal(), last.toordinal()
    xdots = plot_w * 2

    def x(d: dt.date) -> int:
        if d1 == d0:
            return xdots // 2
        return round((d.toordinal() - d0) / (d1 - d0) * (xdots - 1))

    def y(v: float) -> int:
        return dot_row(v, lo, hi, height)

    canvas = _Canvas(plot_w, height)
    for ln in chart.lines:  # dotted: every other dot
        for xx in range(0, xdots, 2):
            canvas.dot(xx, y(ln.value), ln.style, 0)
    for s in chart.series:
        pts = sorted(s.points, key=lambda p: p.date)
        for a, b in zip(pts, pts[1:]):
            if s.step:
                canvas.segment(x(a.date), y(a.value), x(b.date), y(a.value), "green", 1)
                canvas.segment(x(b.date), y(a.value), x(b.date), y(b.value), "green", 1)
            else:
                canvas.segment(x(a.date), y(a.value), x(b.date), y(b.value), "dim green", 1)
        if s.step and pts:
            canvas.segment(x(pts[-1].date), y(pts[-1].value), xdots - 1, y(pts[-1].value), "green", 1)
        for p in pts:  # a point is a 2x2 block of dots, so it reads as a point, not as the line
            style = SEVERITY_STYLE.get(p.severity or "", "bold green")
            rank = 2 + SEVERITY_ORDER.get(p.severity, 0)
            px, py = x(p.date), y(p.value)
            for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):
                canvas.dot(px - (px % 2) + dx, py + dy if py + dy < height * 4 else py - dy, style, rank)
    band_rows: set[int] = set()
    for band in chart.bands:
        top, bottom = y(max(band.low, band.high)), y(min(band.low, band.high))
        band_rows.update(range(top // 4, bottom // 4 + 1))
    labels: dict[int, str] = {0: units.format_number(hi, 1), height - 1: units.format_number(lo, 1)}
    for ln in chart.lines:
        labels[y(ln.value) // 4] = units.format_number(ln.value, 1)
    for r in range(height):
        out.append(f"{labels.get(r, ''):>{LEFT - 1}} ┤", style="dim")
        shade = BAND_STYLE if r in band_rows else ""
        for cx in range(plot_w):
            bits = canvas.bits[r][cx]
            ch = chr(0x2800 + bits) if bits else " "
            style = canvas.style[r][cx] if bits else ""
            out.append(ch, style=f"{style} {shade}".strip())
        out.append("\n")
    out.append(_date_axis(first, last, plot_w), style="dim")
    legend = "   ".join(f"{s.marker} {s.label}" for s in chart.series)
    out.append(f"  {legend}\n")
    for band in chart.bands:
        out.append("  ░░ ", style=BAND_STYLE)
        out.append(f"{units.format_number(band.low, 1)}–{units.format_number(band.high, 1)} {chart.unit}: "
                   f"{band.label}\n")
    for ln in chart.lines:
        out.append("  ╌╌ ", style=ln.style)
        out.append(f"{units.format_number(ln.value, 1)} {chart.unit}: {ln.label}\n")
    return out


def _date_axis(first: dt.date, last: dt.date, plot_w: int) -> str:
    """The first and last dates under the ends of the plot, and a middle one where there is room."""
    axis = [" "] * plot_w
    a, b = first.isoformat(), last.isoformat()
    axis[:len(a)] = a
    if last != first and plot_w >= 2 * len(a) + 2:
        axis[plot_w - len(b):] = b
        if plot_w >= 3 * len(a) + 6:
            mid = dt.date.fromordinal((first.toordinal() + last.toordinal()) // 2).isoformat()
            start = (plot_w - len(mid)) // 2
            axis[start:start + len(mid)] = mid
    return " " * LEFT + "".join(axis) + "\n"


class TimePlot(Widget):
    """A Chart drawn to the widget's width; `plot_height` rows, or grown with the screen when `grow` is set."""

    DEFAULT_CSS = "TimePlot { height: auto; }"

    def __init__(self, chart: Chart | None = None, plot_height: int = 7, grow: int | None = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.chart = chart or Chart("", "")
        self.plot_height = plot_height
        self.grow = grow
        """When set: the plot takes 1/grow of the screen's height (never less than plot_height)."""

    def set_chart(self, chart: Chart) -> None:
        self.chart = chart
        self.refresh(layout=True)

    def rows(self) -> int:
        if self.grow is None or not self.app.size.height:
            return self.plot_height
        return max(self.plot_height, (self.app.size.height - 6) // self.grow - 4)

    def on_resize(self) -> None:
        self.refresh(layout=True)

    def render(self) -> Text:
        return render_chart(self.chart, self.size.width or 80, self.rows())

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(render_chart(self.chart, width, self.rows()).plain.splitlines())
