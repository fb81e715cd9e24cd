"""A replayed case as charts on one date axis: dose (mg/kg/day), trough, creatinine and blood pressure.

A thin adapter over `tui.widgets.plot`: it turns a `Replay` into `Chart`s and
draws them one under the other, then a strip of the case's steps on the same
axis (stated dates ●, approximated ○, the current step ▲). The plot code
places each chart's dates by its own first and last point, so every chart gets
two blank anchor points at the case's first and last dates: that keeps one
axis for all. Thresholds come from the profile; colours from the findings.
"""
from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual.widget import Widget

from tui.widgets.plot import LEFT, Chart, Line, Point, Series, render_chart

SEVERITY_RANK = {"info": 0, "warn": 1, "alert": 2}
BASIS_MARK = {"stated": "●", "approximated": "○"}


def _severity(step, prefixes: tuple[str, ...]) -> str | None:
    sevs = [f.severity for f in step.findings if f.rule.startswith(prefixes)]
    return max(sevs, key=SEVERITY_RANK.__getitem__) if sevs else None


def _series(r, key: str, label: str, marks: tuple[str, str], prefixes: tuple[str, ...]) -> list[Series]:
    """One series per date basis, so stated and approximated dates are told apart."""
    out = []
    for basis, mark in zip(("stated", "approximated"), marks):
        pts = [Point(s.date, s.measured[key], _severity(s, prefixes)) for s in r.steps
               if key in s.measured and s.date_basis == basis]
        if pts:
            out.append(Series(f"{label} ({basis} date)", mark, pts))
    return out


def _anchored(chart: Chart, first: dt.date, last: dt.date) -> Chart:
    """The chart with blank points at the case's first and last dates (one date axis for all charts)."""
    pts = [p for s in chart.series for p in s.points]
    if not pts:
        return chart
    v = pts[0].value
    anchor = Series("", " ", [Point(first, v), Point(last, v)])
    return Chart(chart.title, chart.unit, [anchor, *chart.series], chart.lines)


def case_charts(r, profile) -> list[Chart]:
    """The four charts of a replayed case, thresholds from the profile."""
    p = profile
    dose = Chart("Dose in force", "mg/kg/day",
                 _series(r, "dose_rate", "dose", ("◆", "◇"), ("DOSE_",)), [
                     Line(p.canonical("ceiling_rate"), "DOSE_ABOVE_CEILING above", "yellow"),
                     Line(p.canonical("effective_floor_rate"), "DOSE_BELOW_EFFECTIVE below", "cyan")])
    trough = Chart("Trough", "ng/mL", _series(r, "trough", "trough", ("●", "○"), ("TROUGH_",)), [
        Line(p.canonical("trough_high"), "TROUGH_HIGH above", "red"),
        Line(p.canonical("trough_upper_band"), "TROUGH_UPPER_BAND from", "yellow"),
        Line(p.canonical("trough_low"), "TROUGH_LOW below", "cyan")])
    base = next((s.measured["baseline_creatinine"] for s in r.steps if "baseline_creatinine" in s.measured), None)
    lines = [] if base is None else [
        Line(base * (1 + p.canonical("creatinine_rise")),
             f"+{p.values['creatinine_rise'].text} of baseline (CREATININE_RISE)", "red"),
        Line(base, "baseline", "green")]
    creat = Chart("Creatinine", "µmol/L", _series(r, "creatinine", "creatinine", ("●", "○"), ("CREATININE_",)),
                  lines)
    bp = Chart("Blood pressure", "mmHg", [
        *_series(r, "sbp", "systolic", ("▲", "△"), ("BP_",)),
        *_series(r, "dbp", "diastolic", ("▼", "▽"), ("BP_",))], [
        Line(p.canonical("bp_severe_systolic"), "BP_SEVERE systolic from", "red"),
        Line(p.canonical("bp_high_systolic"), "BP_HIGH systolic from", "yellow"),
        Line(p.canonical("bp_severe_diastolic"), "BP_SEVERE diastolic from", "red"),
        Line(p.canonical("bp_high_diastolic"), "BP_HIGH diastolic from", "yellow")])
    first, last = r.steps[0].date, r.steps[-1].date
    return [_anchored(c, first, last) for c in (dose, trough, creat, bp)]


def step_strip(r, current: int, width: int) -> Text:
    """The steps on the charts' date axis: ● stated, ○ approximated, ▲ the current step (by index, 0-based)."""
    plot_w = max(width, LEFT + 12) - LEFT - 1
    d0, d1 = r.steps[0].date.toordinal(), r.steps[-1].date.toordinal()

    def col(d: dt.date) -> int:
        return plot_w // 2 if d1 == d0 else round((d.toordinal() - d0) / (d1 - d0) * (plot_w - 1))

    cells = [" "] * plot_w
    for s in r.steps:
        if cells[col(s.date)] != "●":  # a stated date wins a shared cell
            cells[col(s.date)] = BASIS_MARK.get(s.date_basis, "?")
    out = Text()
    out.append(f"{'steps':>{LEFT - 1}} ┤", style="dim")
    here = col(r.steps[current].date)
    for i, ch in enumerate(cells):
        out.append("▲" if i == here else ch, style="bold reverse" if i == here else "")
    s = r.steps[current]
    out.append(f"\n  ● stated date   ○ approximated date   ▲ step {current + 1}: {s.date.isoformat()} "
               f"({s.date_basis}) {s.event}\n")
    return out


def render_timeline(r, profile, current: int, width: int, plot_height: int = 5) -> Text:
    """All four charts and the step strip, as one text."""
    out = Text()
    if r.notice:
        out.append(f"{r.notice}\n", style="bold magenta")
    for c in case_charts(r, profile):
        if c.empty:
            out.append(f"{c.title} ({c.unit})\n", style="bold")
            out.append("  not given in this case\n", style="dim")
        else:
            out.append_text(render_chart(c, width, plot_height))
    out.append_text(step_strip(r, current, width))
    return out


class CaseTimeline(Widget):
    """The case's timeline, drawn to the widget's width, with the current step marked."""

    DEFAULT_CSS = "CaseTimeline { height: auto; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.replay = None
        self.profile = None
        self.current = 0

    def show(self, replay, profile, current: int) -> None:
        self.replay, self.profile, self.current = replay, profile, current
        self.refresh(layout=True)

    def render(self) -> Text:
        if self.replay is None:
            return Text("")
        return render_timeline(self.replay, self.profile, self.current, self.size.width or 80)

    def get_content_height(self, container, viewport, width: int) -> int:
        if self.replay is None:
            return 1
        return len(render_timeline(self.replay, self.profile, self.current, width).plain.splitlines())
