"""The rules of contract §3, each defined once, column-wise, over a `History`.

`evaluate(cols, profile, as_of)` runs every rule (and the schedule's
CHECK_OVERDUE) and returns a `FindingTable`. The one-patient path
(`dosing.core.assess`) and the batch checker (`dosing.batch.engine`) both call it, so they
cannot drift apart. Messages are written by one function per rule, applied to
the (sparse) hits only.
"""
from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from dosing.core import (
    schedule,  # registers CHECK_OVERDUE  # noqa: F401
    units,
)
from dosing.core.columns import EventColumns, day_to_date
from dosing.core.history import History, ge, gt, lt
from dosing.core.profile import SEVERITY_RANK, Profile
from dosing.core.registry import BASIS, MESSAGES, RULES, Hits, message, rule


def _hits(h: History, rule_id: str, mask: np.ndarray, measure: str, value: np.ndarray, unit: str,
          threshold, comparison: str, **extra: np.ndarray) -> Hits:
    rows = np.flatnonzero(mask)
    thr = np.broadcast_to(np.asarray(threshold, dtype=float), (h.n,))[rows]
    return Hits(rule_id, rows, measure, value[rows], unit, thr, comparison, {k: a[rows] for k, a in extra.items()})


def fmt(x: float, places: int = 3) -> str:
    return _fmt(float(x), places)


@functools.lru_cache(maxsize=1 << 16)
def _fmt(x: float, places: int) -> str:
    # Cached: a batch formats the same few hundred readings tens of thousands of times.
    return units.format_number(x, places)


def _date(day) -> str:
    return _iso(int(day))


@functools.lru_cache(maxsize=1 << 16)
def _iso(day: int) -> str:
    return day_to_date(day).isoformat()


# ------------------------------------------------------------------ drug levels
@rule("TROUGH_LOW")
def trough_low(h: History) -> Hits:
    t, low = h.v["trough"], h.profile.canonical("trough_low")
    return _hits(h, "TROUGH_LOW", lt(t, low), "trough", t, "ng/mL", low, "<",
                 high=np.full(h.n, h.profile.canonical("trough_high")))


@message("TROUGH_LOW")
def _(c: dict) -> str:
    return (f"Trough {fmt(c['value'])} ng/mL is below the recommended range "
            f"({fmt(c['threshold'])}–{fmt(c['high'])} ng/mL); check adherence and timing before changing the dose.")


@rule("TROUGH_HIGH")
def trough_high(h: History) -> Hits:
    t, high = h.v["trough"], h.profile.canonical("trough_high")
    return _hits(h, "TROUGH_HIGH", gt(t, high), "trough", t, "ng/mL", high, ">",
                 low=np.full(h.n, h.profile.canonical("trough_low")))


@message("TROUGH_HIGH")
def _(c: dict) -> str:
    return (f"Trough {fmt(c['value'])} ng/mL is above the recommended range "
            f"({fmt(c['low'])}–{fmt(c['threshold'])} ng/mL); review the dose, creatinine and blood pressure.")


@rule("TROUGH_UPPER_BAND")
def trough_upper_band(h: History) -> Hits:
    t = h.v["trough"]
    band, high = h.profile.canonical("trough_upper_band"), h.profile.canonical("trough_high")
    mask = ge(t, band) & ~gt(t, high)
    return _hits(h, "TROUGH_UPPER_BAND", mask, "trough", t, "ng/mL", band, ">=", high=np.full(h.n, high))


@message("TROUGH_UPPER_BAND")
def _(c: dict) -> str:
    return (f"Trough {fmt(c['value'])} ng/mL is in the upper band ({fmt(c['threshold'])}–{fmt(c['high'])} ng/mL), "
            f"where the paper's patients had toxicity; check creatinine and blood pressure.")


@rule("TROUGH_TIMING")
def trough_timing(h: History) -> Hits:
    hrs = h.v["hours_post_dose"]
    target = h.profile.canonical("trough_interval")
    tol = h.profile.canonical("trough_timing_tolerance")
    twelve = np.isin(h.product, [k for k, p in h.profile.products.items() if p.twelve_hourly])
    outside = lt(hrs, target - tol) | gt(hrs, target + tol)
    mask = twelve & h.has("trough") & outside
    return _hits(h, "TROUGH_TIMING", mask, "hours after dose", hrs, "h", target, "outside",
                 tol=np.full(h.n, tol))


@message("TROUGH_TIMING")
def _(c: dict) -> str:
    lo, hi = c["threshold"] - c["tol"], c["threshold"] + c["tol"]
    return (f"Trough drawn {fmt(c['value'])} h after the dose; a 12-hour trough is drawn {fmt(lo)}–{fmt(hi)} h "
            f"after it, so this level is not a true trough and should not drive a dose change.")


# ------------------------------------------------------------------ kidney
@rule("CREATININE_RISE")
def creatinine_rise(h: History) -> Hits:
    thr = h.profile.canonical("creatinine_rise")
    mask = h.rise_applies & ge(h.rise, thr)
    return _hits(h, "CREATININE_RISE", mask, "creatinine rise", h.rise * 100.0, "%", thr * 100.0, ">=",
                 creatinine=h.v["creatinine"], baseline=h.baseline,
                 baseline_day=h.take(h.day, h.baseline_idx),
                 assumed=(h.baseline_assumed | h.baseline_no_start).astype(float))


@message("CREATININE_RISE")
def _(c: dict) -> str:
    assumed = " (baseline assumed: no creatinine on or before the first start, so the first one recorded)" \
        if c["assumed"] else ""
    return (f"Creatinine {fmt(c['creatinine'])} µmol/L is {fmt(c['value'], 1)}% above the baseline "
            f"{fmt(c['baseline'])} µmol/L of {_date(c['baseline_day'])}{assumed}; "
            f"a rise of {fmt(c['threshold'])}% or more is significant: review the dose.")


# ------------------------------------------------------------------ blood pressure
def _bp(h: History, which: str):
    p = h.profile
    s, d = h.v["sbp"], h.v["dbp"]
    sev = ge(s, p.canonical("bp_severe_systolic")) | ge(d, p.canonical("bp_severe_diastolic"))
    high = ge(s, p.canonical("bp_high_systolic")) | ge(d, p.canonical("bp_high_diastolic"))
    if which == "BP_SEVERE":
        ts, td, mask = p.canonical("bp_severe_systolic"), p.canonical("bp_severe_diastolic"), sev
    else:
        ts, td, mask = p.canonical("bp_high_systolic"), p.canonical("bp_high_diastolic"), high & ~sev
    by_sys = ge(s, ts)
    value = np.where(by_sys, s, d)
    threshold = np.where(by_sys, ts, td)
    hits = _hits(h, which, mask, "blood pressure", value, "mmHg", threshold, ">=",
                 sbp=s, dbp=d, ts=np.full(h.n, ts), td=np.full(h.n, td), by_sys=by_sys.astype(float))
    return hits


@rule("BP_HIGH")
def bp_high(h: History) -> Hits:
    return _bp(h, "BP_HIGH")


@rule("BP_SEVERE")
def bp_severe(h: History) -> Hits:
    return _bp(h, "BP_SEVERE")


def _bp_message(kind: str):
    def msg(c: dict) -> str:
        return (f"Blood pressure {fmt(c['sbp'])}/{fmt(c['dbp'])} mmHg is {kind}: at or above "
                f"{fmt(c['ts'])}/{fmt(c['td'])} mmHg (systolic or diastolic); tacrolimus raises blood pressure, "
                f"so confirm the reading and review.")

    return msg


MESSAGES["BP_HIGH"] = _bp_message("high")
MESSAGES["BP_SEVERE"] = _bp_message("severely high")


# ------------------------------------------------------------------ dose
@rule("DOSE_ABOVE_CEILING")
def dose_above_ceiling(h: History) -> Hits:
    c = h.profile.canonical("ceiling_rate")
    mask = h.dose_set & gt(h.rate, c)
    return _hits(h, "DOSE_ABOVE_CEILING", mask, "dose", h.rate, "mg/kg/day", c, ">",
                 mg=h.mg, from_weight=h.rate_from_weight.astype(float))


@message("DOSE_ABOVE_CEILING")
def _(c: dict) -> str:
    return (f"Dose {_rate(c)} is above the suggested escalation ceiling of {fmt(c['threshold'])} mg/kg/day; "
            f"the paper escalated beyond it only with close monitoring.")


@rule("DOSE_BELOW_EFFECTIVE")
def dose_below_effective(h: History) -> Hits:
    f = h.profile.canonical("effective_floor_rate")
    mask = h.dose_set & lt(h.rate, f)
    return _hits(h, "DOSE_BELOW_EFFECTIVE", mask, "dose", h.rate, "mg/kg/day", f, "<",
                 mg=h.mg, from_weight=h.rate_from_weight.astype(float))


@message("DOSE_BELOW_EFFECTIVE")
def _(c: dict) -> str:
    return (f"Dose {_rate(c)} is below {fmt(c['threshold'])} mg/kg/day, which had low efficacy in other "
            f"autoimmune disease; a deliberately cautious start (e.g. after cyclosporine nephrotoxicity) may be lower.")


def _rate(c: dict) -> str:
    s = f"{fmt(c['value'])} mg/kg/day"
    if c.get("from_weight") and np.isfinite(c.get("mg", np.nan)):
        s += f" ({fmt(c['mg'])} mg/day by the latest weight)"
    return s


# ------------------------------------------------------------------ weight
@rule("WEIGHT_JUMP")
def weight_jump(h: History) -> Hits:
    w = h.v["weight"]
    prev_idx = h.prev_idx(h.has("weight"))
    prev = h.take(w, prev_idx)
    with np.errstate(invalid="ignore", divide="ignore"):
        change = np.abs(w - prev) / prev
    thr = h.profile.canonical("weight_jump")
    mask = ~np.isnan(change) & gt(change, thr)
    return _hits(h, "WEIGHT_JUMP", mask, "weight change", change * 100.0, "%", thr * 100.0, ">",
                 weight=w, prev=prev, prev_day=h.take(h.day, prev_idx))


@message("WEIGHT_JUMP")
def _(c: dict) -> str:
    return (f"Weight {fmt(c['weight'])} kg differs by {fmt(c['value'], 1)}% from {fmt(c['prev'])} kg on "
            f"{_date(c['prev_day'])} (more than {fmt(c['threshold'])}%); check the unit (kg or lb) or confirm "
            f"a real change, which alters the mg/kg/day given.")


# ------------------------------------------------------------------ the table of findings
RULE_ORDER = {r: i for i, r in enumerate((
    "INPUT_INVALID", "CREATININE_RISE", "BP_SEVERE", "TROUGH_HIGH", "BP_HIGH", "TROUGH_UPPER_BAND",
    "TROUGH_LOW", "TROUGH_TIMING", "DOSE_ABOVE_CEILING", "DOSE_BELOW_EFFECTIVE", "WEIGHT_JUMP", "CHECK_OVERDUE",
))}


@dataclass
class FindingTable:
    """Every hit of every rule over a history; `records()` turns them into finding rows."""

    history: History
    hits: list[Hits]

    def count(self) -> int:
        return sum(len(x.rows) for x in self.hits)

    def records(self) -> list[dict]:
        """Finding rows (contract §3) as plain dicts, ordered by patient, date, line, severity."""
        h, p = self.history, self.history.profile
        out: list[dict[str, Any]] = []
        for hits in self.hits:
            msg = MESSAGES[hits.rule]
            sev, src = p.severity(hits.rule), p.source(hits.rule)
            basis_fn = BASIS.get(hits.rule)
            if basis_fn is None:
                basis_fn = functools.partial(_default_basis, measured=_measured(h, hits.rows))
            order = RULE_ORDER.get(hits.rule, 99)
            # Whole columns to Python lists once per rule, not a numpy scalar per finding.
            extra = {k: a.tolist() for k, a in hits.extra.items()}
            values, thresholds = hits.value.tolist(), hits.threshold.tolist()
            days = (hits.date if hits.date is not None else h.day[hits.rows]).tolist()
            patients, lines, codes = (h.patient[hits.rows].tolist(), h.line[hits.rows].tolist(),
                                      h.code[hits.rows].tolist())
            for j, row in enumerate(hits.rows.tolist()):
                c = {k: a[j] for k, a in extra.items()}
                c["value"], c["threshold"], c["row"] = values[j], thresholds[j], row
                day, line = int(days[j]), int(lines[j])
                out.append({
                    "patient_id": str(patients[j]),
                    "date": day_to_date(day),
                    "rule": hits.rule,
                    "severity": sev,
                    "message": msg(c),
                    "measure": hits.measure,
                    "value": _round(values[j], hits.unit),
                    "value_unit": hits.unit,
                    "threshold": _round(thresholds[j], hits.unit),
                    "threshold_unit": hits.unit,
                    "comparison": hits.comparison,
                    "source": src,
                    "basis": basis_fn(h, hits, j, row, c),
                    "line": line,
                    "column": None,
                    "_sort": (int(codes[j]), day, line, order),
                })
        out.sort(key=lambda r: r["_sort"])
        for r in out:
            del r["_sort"]
        return out


def _round(x: float, unit: str) -> float | None:
    if not math.isfinite(x):
        return None
    return round(float(x), 2) if unit in {"%", "day"} else float(f"{float(x):.6g}")


_BASIS_UNITS = {"trough": "ng/mL", "hours_post_dose": "h", "creatinine": "µmol/L", "sbp": "mmHg", "dbp": "mmHg",
                "weight": "kg"}


def _measured(h: History, rows: np.ndarray) -> tuple[list[str], dict[str, list[float]]]:
    """For the hit rows at once: their dates as text, and each measured column as Python floats."""
    return [_iso(d) for d in h.day[rows].tolist()], {name: h.v[name][rows].tolist() for name in _BASIS_UNITS}


def _default_basis(h: History, hits: Hits, j: int, row: int, c: dict,
                   measured: tuple[list[str], dict[str, list[float]]] | None = None) -> dict[str, str]:
    """The inputs a finding rests on: the measured values of its row, with the date."""
    if measured is None:
        measured, j = _measured(h, np.array([row])), 0
    whens, values = measured
    when = whens[j]
    basis: dict[str, str] = {}
    for name, unit in _BASIS_UNITS.items():
        x = values[name][j]
        if math.isfinite(x):
            basis[name] = f"{_fmt(x, 3)} {unit} on {when}"
    if hits.rule == "CREATININE_RISE":
        base_note = " (assumed)" if c.get("assumed") else ""
        basis["baseline_creatinine"] = f"{fmt(c['baseline'])} µmol/L on {_date(c['baseline_day'])}{base_note}"
    if hits.rule in ("DOSE_ABOVE_CEILING", "DOSE_BELOW_EFFECTIVE"):
        basis["dose"] = _rate(c) + f" from {when}"
        if h.weight_idx[row] >= 0:
            basis["weight"] = f"{fmt(h.v['weight'][h.weight_idx[row]])} kg on {_date(h.day[h.weight_idx[row]])}"
    if hits.rule == "WEIGHT_JUMP":
        basis["previous_weight"] = f"{fmt(c['prev'])} kg on {_date(c['prev_day'])}"
    if hits.rule == "TROUGH_TIMING":
        basis["product"] = str(h.product[row])
    return basis


def evaluate(cols: EventColumns, profile: Profile, as_of: dt.date | None = None,
             rules: tuple[str, ...] | None = None) -> FindingTable:
    """Run every rule of the profile (and the schedule) over the columns."""
    h = History(cols, profile)
    hits = []
    for rule_id in sorted(RULES, key=lambda r: RULE_ORDER.get(r, 99)):
        if rules is None or rule_id in rules:
            hits.append(RULES[rule_id](h, as_of))
    return FindingTable(h, [x for x in hits if x is not None and len(x.rows)])


def worst(severities) -> str | None:
    """The highest severity among findings, or None."""
    best = None
    for s in severities:
        if best is None or SEVERITY_RANK[s] > SEVERITY_RANK[best]:
            best = s
    return best
