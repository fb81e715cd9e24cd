"""What a patient's plots show, as data: series, the target band, threshold lines, one date range.

Built once from the core's assessment and the stored events; the TUI draws it
in braille cells (`tui.widgets.plot`) and the report as SVG (`dosing.report.svg`),
so both draw the same points against the same lines. Values are in the core's
canonical units; every line's value comes from the active profile and names its
rule; the colour of a point is the severity of the finding the core made there.
No rule is evaluated here.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the TUI's first screen imports these classes before the core (pint) is loaded
    from dosing.core.profile import Profile


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
    step: bool = False
    """Drawn as a step (a value in force until the next), e.g. the daily dose."""


@dataclass(frozen=True)
class Line:
    """A horizontal reference line: a band edge or a threshold, with what it is."""

    value: float
    label: str
    style: str = "yellow"


@dataclass(frozen=True)
class Band:
    """A shaded range of values (the target range), with what it is."""

    low: float
    high: float
    label: str


@dataclass
class Chart:
    title: str
    unit: str
    series: list[Series] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    dates: tuple[dt.date, dt.date] | None = None
    """The date axis (shared by every chart of a patient); None: the span of the points."""

    @property
    def empty(self) -> bool:
        return not any(s.points for s in self.series)

    def date_range(self) -> tuple[dt.date, dt.date]:
        if self.dates is not None:
            return self.dates
        days = [p.date for s in self.series for p in s.points]
        return min(days), max(days)

    def value_range(self) -> tuple[float, float]:
        """The value axis: every point, line and band, padded; never below zero for non-negative data."""
        values = [p.value for s in self.series for p in s.points] + [ln.value for ln in self.lines]
        values += [x for b in self.bands for x in (b.low, b.high)]
        lo, hi = min(values), max(values)
        if hi - lo < 1e-9:
            lo, hi = lo - 1, hi + 1
        pad = (hi - lo) * 0.08
        return (max(lo - pad, 0.0) if lo >= 0 else lo - pad), hi + pad


def _canonical(events, name: str, kind: str) -> list[tuple[dt.date, float, int]]:
    from dosing.core import units

    out = []
    for e in sorted(events, key=lambda e: (e.date, e.line or 0)):
        q = getattr(e, name)
        if q is not None:
            out.append((e.date, units.to_canonical(q, kind), e.line or 0))
    return out


def _severity_by_line(assessment, prefix: tuple[str, ...]) -> dict[int, str]:
    from dosing.core.profile import SEVERITY_RANK

    out: dict[int, str] = {}
    for s in assessment.per_event if assessment else []:
        sevs = [f.severity for f in s["findings"] if f.rule.startswith(prefix)]
        if sevs:
            out[s["line"]] = max(sevs, key=lambda x: SEVERITY_RANK[x])
    return out


def patient_charts(events, assessment, profile: Profile, as_of: dt.date | None = None) -> list[Chart]:
    """Trough, creatinine, blood pressure and daily dose of one patient, on one date axis."""
    p = profile
    dates = [e.date for e in events]
    span = (min(dates), max(max(dates), as_of or max(dates))) if dates else None

    sev = _severity_by_line(assessment, ("TROUGH_",))
    low, band, high = p.canonical("trough_low"), p.canonical("trough_upper_band"), p.canonical("trough_high")
    trough = Chart("Trough against its target range", "ng/mL", [Series("trough", "●", [
        Point(d, v, sev.get(line)) for d, v, line in _canonical(events, "trough", "trough")])], [
        Line(high, "TROUGH_HIGH above", "red"),
        Line(band, "TROUGH_UPPER_BAND from", "yellow"),
        Line(low, "TROUGH_LOW below", "cyan"),
    ], [Band(low, band, "target range (below the upper band)")], span)

    sev = _severity_by_line(assessment, ("CREATININE_",))
    lines, bands = [], []
    rises = [s["creatinine_rise"] for s in (assessment.per_event if assessment else []) if s.get("creatinine_rise")]
    if rises:
        base = rises[-1]["baseline"].value
        top = base * (1 + p.canonical("creatinine_rise"))
        lines = [Line(top, f"+{p.values['creatinine_rise'].text} of baseline (CREATININE_RISE)", "red"),
                 Line(base, f"baseline of {rises[-1]['baseline_date'].isoformat()}", "green")]
        bands = [Band(base, top, "below the CREATININE_RISE line")]
    creat = Chart("Creatinine against the rise line", "µmol/L", [Series("creatinine", "●", [
        Point(d, v, sev.get(line)) for d, v, line in _canonical(events, "creatinine", "creatinine")])],
        lines, bands, span)

    sev = _severity_by_line(assessment, ("BP_",))
    bp = Chart("Blood pressure against its thresholds", "mmHg", [
        Series("systolic", "▲", [Point(d, v, sev.get(line)) for d, v, line in _canonical(events, "sbp", "pressure")]),
        Series("diastolic", "▼", [Point(d, v, sev.get(line)) for d, v, line in _canonical(events, "dbp", "pressure")]),
    ], [
        Line(p.canonical("bp_severe_systolic"), "BP_SEVERE systolic from", "red"),
        Line(p.canonical("bp_high_systolic"), "BP_HIGH systolic from", "yellow"),
        Line(p.canonical("bp_severe_diastolic"), "BP_SEVERE diastolic from", "red"),
        Line(p.canonical("bp_high_diastolic"), "BP_HIGH diastolic from", "yellow"),
    ], [], span)

    sev = _severity_by_line(assessment, ("DOSE_",))
    doses: list[Point] = []
    for s in assessment.per_event if assessment else []:
        d = s["dose"]
        value = d.daily_dose.value if d is not None and d.daily_dose is not None else 0.0 if d is None else None
        if value is None:
            continue
        if doses and doses[-1].value == value and doses[-1].severity == sev.get(s["line"]):
            continue
        doses.append(Point(s["date"], value, sev.get(s["line"])))
    if doses and all(pt.value == 0.0 for pt in doses):
        doses = []
    dose = Chart("Daily dose in force", "mg/day", [Series("dose", "■", doses, step=True)], [], [], span)
    return [trough, creat, bp, dose]
