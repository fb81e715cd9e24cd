"""A `Chart` (dosing.report.charts) as an inline SVG: the same series, band and lines the TUI draws.

Self-contained: no fonts, scripts or links are fetched; text is escaped.
"""
from __future__ import annotations

import datetime as dt
from html import escape

from dosing.report.charts import Chart

WIDTH, HEIGHT = 760, 200
LEFT, RIGHT, TOP, BOTTOM = 56, 230, 24, 30
SEVERITY_FILL = {"alert": "#c62828", "warn": "#e08a00", "info": "#1565c0", None: "#2e7d32"}
LINE_STROKE = {"red": "#c62828", "yellow": "#e08a00", "cyan": "#1565c0", "green": "#2e7d32"}


def _num(x: float) -> str:
    from dosing.core import units

    return units.format_number(x, 1)


def chart_svg(chart: Chart, width: int = WIDTH, height: int = HEIGHT) -> str:
    """The chart as one <svg> element (a title, the plot, a date axis, labelled lines and a legend)."""
    title = escape(f"{chart.title} ({chart.unit})")
    out = [f'<svg width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{title}" class="chart">',
           f'<text x="4" y="14" font-size="13" font-weight="bold">{title}</text>']
    if chart.empty:
        out.append(f'<text x="{LEFT}" y="{height // 2}" font-size="12" fill="#666">nothing recorded yet</text>')
        out.append("</svg>")
        return "".join(out)
    lo, hi = chart.value_range()
    first, last = chart.date_range()
    d0, d1 = first.toordinal(), last.toordinal()
    pw, ph = width - LEFT - RIGHT, height - TOP - BOTTOM

    def x(d: dt.date) -> float:
        return LEFT + (pw / 2 if d1 == d0 else (d.toordinal() - d0) / (d1 - d0) * pw)

    def y(v: float) -> float:
        return TOP + (hi - v) / (hi - lo) * ph

    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#bbb"/>')
    for b in chart.bands:
        top, bottom = y(max(b.low, b.high)), y(min(b.low, b.high))
        out.append(f'<rect class="band" x="{LEFT}" y="{top:.1f}" width="{pw}" height="{bottom - top:.1f}" '
                   f'fill="#2e7d32" fill-opacity="0.13"><title>{escape(b.label)}</title></rect>')
    for ln in chart.lines:
        yy = y(ln.value)
        colour = LINE_STROKE.get(ln.style, "#e08a00")
        out.append(f'<line class="threshold" x1="{LEFT}" x2="{LEFT + pw}" y1="{yy:.1f}" y2="{yy:.1f}" '
                   f'stroke="{colour}" stroke-dasharray="5 3"/>')
        out.append(f'<text x="{LEFT + pw + 4}" y="{yy + 4:.1f}" font-size="10" fill="{colour}">'
                   f'{escape(_num(ln.value))} {escape(chart.unit)}: {escape(ln.label)}</text>')
        out.append(f'<text x="{LEFT - 4}" y="{yy + 4:.1f}" font-size="10" text-anchor="end">'
                   f'{escape(_num(ln.value))}</text>')
    for v in (lo, hi):
        out.append(f'<text x="{LEFT - 4}" y="{y(v) + 4:.1f}" font-size="10" text-anchor="end" fill="#666">'
                   f'{escape(_num(v))}</text>')
    ticks = [first, last] if d1 != d0 else [first]
    if d1 - d0 > 20:
        ticks.insert(1, dt.date.fromordinal((d0 + d1) // 2))
    for t in ticks:
        anchor = "start" if t == first and d1 != d0 else "end" if t == last and d1 != d0 else "middle"
        out.append(f'<text x="{x(t):.1f}" y="{height - 10}" font-size="10" text-anchor="{anchor}" '
                   f'fill="#444">{t.isoformat()}</text>')
    for s in chart.series:
        pts = sorted(s.points, key=lambda p: p.date)
        if len(pts) > 1 or (s.step and pts):
            coords = []
            for i, p in enumerate(pts):
                if s.step and i:
                    coords.append(f"{x(p.date):.1f},{y(pts[i - 1].value):.1f}")
                coords.append(f"{x(p.date):.1f},{y(p.value):.1f}")
            if s.step:
                coords.append(f"{LEFT + pw:.1f},{y(pts[-1].value):.1f}")
            out.append(f'<polyline class="series" data-series="{escape(s.label)}" fill="none" stroke="#555" '
                       f'stroke-width="1.2" points="{" ".join(coords)}"/>')
        for p in pts:
            fill = SEVERITY_FILL.get(p.severity, SEVERITY_FILL[None])
            label = f"{p.date.isoformat()}: {_num(p.value)} {chart.unit}" + (f" ({p.severity})" if p.severity else "")
            out.append(f'<circle class="point" data-series="{escape(s.label)}" data-date="{p.date.isoformat()}" '
                       f'data-value="{p.value:.6g}" cx="{x(p.date):.1f}" cy="{y(p.value):.1f}" r="3.5" '
                       f'fill="{fill}"><title>{escape(label)}</title></circle>')
    legend = "   ".join(f"{s.marker} {s.label}" for s in chart.series)
    out.append(f'<text x="{LEFT + pw}" y="14" font-size="10" text-anchor="end" fill="#444">{escape(legend)}</text>')
    out.append("</svg>")
    return "".join(out)
