"""One patient's history, assessed: findings, the dose in force, and the checks due next.

This is what the TUI, the replay and `tacro adjust` call. It runs the very same
column-wise rules as the batch checker (`dosing.core.rules.evaluate`), on a table of
one patient's events, then turns the hits into Finding models.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from dosing.core import clock, rules
from dosing.core.columns import EventColumns, from_events
from dosing.core.history import History
from dosing.core.models import Event, Finding, Measure
from dosing.core.profile import Profile, default_profile
from dosing.core.rules import schedule


@dataclass(frozen=True)
class DoseInForce:
    """The regimen recorded as in force after an event (not a suggestion)."""

    since: dt.date
    product: str
    daily_dose: Measure | None  # mg/day, when known (given, or from rate x weight)
    rate: Measure | None  # mg/kg/day, when known (given, or from mg/day / weight)
    weight: Measure | None
    weight_date: dt.date | None


@dataclass
class Assessment:
    """Findings, dose in force and checks due for one patient, as of a date."""

    patient_id: str
    as_of: dt.date
    events: list[Event]
    findings: list[Finding]
    due: list[schedule.DueCheck]
    dose: DoseInForce | None
    per_event: list[dict] = field(default_factory=list)
    """For each event in date order: its findings, creatinine rise, dose in force and checks due after it."""
    order: list[int] = field(default_factory=list)
    """Position in the input of each event in date order."""


def findings_of(table: rules.FindingTable) -> list[Finding]:
    """Finding models for every record of a finding table."""
    return [record_to_finding(r) for r in table.records()]


def record_to_finding(r: dict) -> Finding:
    r = dict(r)
    r["value"] = Measure(value=r["value"], unit=_unit(r["value_unit"])) if r["value"] is not None else None
    r["threshold"] = Measure(value=r["threshold"], unit=_unit(r["threshold_unit"])) \
        if r["threshold"] is not None else None
    del r["value_unit"], r["threshold_unit"]
    return Finding(**r)


def _unit(u: str) -> str:
    return "days" if u == "day" else u


def assess(events: list[Event], profile: Profile | None = None, as_of: dt.date | None = None) -> Assessment:
    """Assess one patient's events (any order) as of a date (default today)."""
    if not events:
        raise ValueError("assess needs at least one event")
    ids = {e.patient_id for e in events}
    if len(ids) != 1:
        raise ValueError("assess takes one patient's events; use dosing.batch.engine for many")
    result = assess_columns(from_events(events), profile, as_of)
    result.events = [events[i] for i in result.order]
    for step, ev in zip(result.per_event, result.events):
        step["event"] = ev
    return result


def assess_columns(cols: EventColumns, profile: Profile | None = None,
                   as_of: dt.date | None = None) -> Assessment:
    """Assess one patient's events given as columns (e.g. from the strict log reader)."""
    profile = profile or default_profile()
    as_of = as_of or clock.today()
    table = rules.evaluate(cols, profile, as_of)
    h = table.history
    if len(set(h.code.tolist())) != 1:
        raise ValueError("assess takes one patient's events; use dosing.batch.engine for many")
    findings = findings_of(table)
    by_line: dict[int, list[Finding]] = {}
    for f in findings:
        if f.line is not None:
            by_line.setdefault(f.line, []).append(f)
    per_event = []
    due_rows = schedule.due_table(h, None, at_each_row=True)  # each event's view: a passed window is overdue
    for row in range(h.n):
        rise = None
        if h.rise_applies[row]:
            b = int(h.baseline_idx[row])
            rise = {"creatinine": Measure(value=float(h.v["creatinine"][row]), unit="µmol/L"),
                    "baseline": Measure(value=float(h.baseline[row]), unit="µmol/L"),
                    "baseline_date": dt.date.fromordinal(int(h.day[b])),
                    "rise": Measure(value=round(float(h.rise[row]) * 100, 2), unit="%"),
                    "assumed": bool(h.baseline_assumed[row] or h.baseline_no_start[row])}
        per_event.append({
            "event": None,
            "line": int(h.line[row]),
            "date": dt.date.fromordinal(int(h.day[row])),
            "findings": [f for f in by_line.get(int(h.line[row]), []) if f.rule != "CHECK_OVERDUE"],
            "creatinine_rise": rise,
            "dose": _dose_in_force(h, row),
            "due": due_rows[row],
        })
    return Assessment(
        patient_id=str(h.patient[0]), as_of=as_of, events=[], findings=findings,
        due=schedule.due_after(h, h.n - 1, as_of), dose=_dose_in_force(h, h.n - 1), per_event=per_event,
        order=[int(i) for i in h.order],
    )


def _dose_in_force(h: History, row: int) -> DoseInForce | None:
    d = int(h.dose_row[row])
    if d < 0:
        return None
    mg, rate = h.mg[d], h.rate[d]
    w_idx = int(h.weight_idx[row])
    weight = h.v["weight"][w_idx] if w_idx >= 0 else np.nan
    if np.isnan(mg) and not np.isnan(h.v["dose_rate"][d]) and np.isfinite(weight):
        mg = h.v["dose_rate"][d] * weight
    return DoseInForce(
        since=dt.date.fromordinal(int(h.day[d])),
        product=str(h.product[row]),
        daily_dose=Measure(value=float(mg), unit="mg/day") if np.isfinite(mg) else None,
        rate=Measure(value=float(rate), unit="mg/kg/day") if np.isfinite(rate) else None,
        weight=Measure(value=float(weight), unit="kg") if np.isfinite(weight) else None,
        weight_date=dt.date.fromordinal(int(h.day[w_idx])) if w_idx >= 0 else None,
    )
