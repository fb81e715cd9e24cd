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
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from dosing.core import (
    schedule,  # registers CHECK_OVERDUE  # noqa: F401
    units,
)
from dosing.core.columns import EventColumns
from dosing.core.frames import BasisEntry, FindingFrame, RuleFindings, TextColumn, distinct, iso_day
from dosing.core.history import History, ge, gt, lt
from dosing.core.profile import SEVERITY_RANK, Profile
from dosing.core.registry import BASIS, MESSAGES, RULES, Hits, message, rule


def _hits(h: History, rule_id: str, mask: np.ndarray, measure: str, value: np.ndarray, unit: str,
          threshold, comparison: str, **extra: np.ndarray | float) -> Hits:
    """The rows where `mask` holds, with the value, threshold and extra columns there (a number given for
    an extra column is the same on every row: no full-length array is made for it)."""
    rows = np.flatnonzero(mask)
    thr = np.broadcast_to(np.asarray(threshold, dtype=float), (h.n,))[rows]
    return Hits(rule_id, rows, measure, value[rows], unit, thr, comparison,
                {k: a[rows] if isinstance(a, np.ndarray) else np.full(len(rows), float(a))
                 for k, a in extra.items()})


def fmt(x: float, places: int = 3) -> str:
    return _fmt(float(x), places)


@functools.lru_cache(maxsize=1 << 16)
def _fmt(x: float, places: int) -> str:
    # Cached: a batch formats the same few hundred readings tens of thousands of times.
    return units.format_number(x, places)


def fmt_apart(x: float, other: float, places: int = 3) -> str:
    """x with enough decimals to tell it from `other` (0.1503 beside a ceiling of 0.15, not 0.15)."""
    x, other = float(x), float(other)
    for p in range(places, 9):
        if _fmt(x, p) != _fmt(other, p) or x == other:
            return _fmt(x, p)
    return _fmt(x, 8)


def _date(day) -> str:
    return _iso(int(day))


_iso = iso_day


# ------------------------------------------------------------------ drug levels
@rule("TROUGH_LOW")
def trough_low(h: History) -> Hits:
    t, low = h.v["trough"], h.profile.canonical("trough_low")
    return _hits(h, "TROUGH_LOW", lt(t, low), "trough", t, "ng/mL", low, "<",
                 high=h.profile.canonical("trough_high"))


@message("TROUGH_LOW")
def _(c: dict) -> str:
    return (f"Trough {fmt_apart(c['value'], c['threshold'])} ng/mL is below the recommended range "
            f"({fmt(c['threshold'])}–{fmt(c['high'])} ng/mL); check adherence and timing before changing the dose.")


@rule("TROUGH_HIGH")
def trough_high(h: History) -> Hits:
    t, high = h.v["trough"], h.profile.canonical("trough_high")
    return _hits(h, "TROUGH_HIGH", gt(t, high), "trough", t, "ng/mL", high, ">",
                 low=h.profile.canonical("trough_low"))


@message("TROUGH_HIGH")
def _(c: dict) -> str:
    return (f"Trough {fmt_apart(c['value'], c['threshold'])} ng/mL is above the recommended range "
            f"({fmt(c['low'])}–{fmt(c['threshold'])} ng/mL); review the dose, creatinine and blood pressure.")


@rule("TROUGH_UPPER_BAND")
def trough_upper_band(h: History) -> Hits:
    t = h.v["trough"]
    band, high = h.profile.canonical("trough_upper_band"), h.profile.canonical("trough_high")
    mask = ge(t, band) & ~gt(t, high)
    return _hits(h, "TROUGH_UPPER_BAND", mask, "trough", t, "ng/mL", band, ">=", high=high)


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
                 tol=tol)


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
                 sbp=s, dbp=d, ts=ts, td=td, by_sys=by_sys.astype(float))
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
    alert_at = h.profile.canonical("ceiling_alert_rate")
    mask = h.dose_set & gt(h.rate, c)
    # Graded: far above the ceiling (profile ceiling_alert_rate) is an alert, not the rule's usual warning.
    return _hits(h, "DOSE_ABOVE_CEILING", mask, "dose", h.rate, "mg/kg/day", c, ">",
                 mg=h.mg, from_weight=h.rate_from_weight.astype(float),
                 alert_at=alert_at, grade_alert=ge(h.rate, alert_at).astype(float))


@message("DOSE_ABOVE_CEILING")
def _(c: dict) -> str:
    far = (f" It is at or above {fmt(c['alert_at'])} mg/kg/day ({fmt(c['value'] / c['threshold'], 2)} times the "
           f"ceiling), the profile's alert grade: check for a unit or decimal slip.") if c.get("grade_alert") else ""
    return (f"Dose {_rate(c)} is above the suggested escalation ceiling of {fmt(c['threshold'])} mg/kg/day; "
            f"the paper escalated beyond it only with close monitoring.{far}")


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
    s = f"{fmt_apart(c['value'], c['threshold'])} mg/kg/day"
    if c.get("from_weight") and np.isfinite(c.get("mg", np.nan)):
        s += f" ({fmt(c['mg'])} mg/day by the latest weight)"
    return s


# ------------------------------------------------------------------ dose jump (tenfold slips)
def dose_change_ratio(h: History) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row: (new / old dose, new, old, per kg?) for each dose set against the dose in force before it.

    Total daily doses are compared when both rows have one (given, or from dose x weight), else doses
    per kilogram; NaN where there is nothing to compare (a first dose, a restart after a stop, a zero).
    """
    prev = np.where(h.dose_set, h.prev_dose_row, -1)
    old_mg, old_rate = h.take(h.mg, prev), h.take(h.rate, prev)
    both_mg = ~np.isnan(h.mg) & ~np.isnan(old_mg)
    both_rate = ~np.isnan(h.rate) & ~np.isnan(old_rate)
    new = np.where(both_mg, h.mg, np.where(both_rate, h.rate, np.nan))
    old = np.where(both_mg, old_mg, np.where(both_rate, old_rate, np.nan))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where((old > 0) & (new > 0), new / old, np.nan)
    return ratio, new, old, (~both_mg & both_rate)


@rule("DOSE_JUMP")
def dose_jump(h: History) -> Hits:
    limit = h.profile.number("confirm_dose_ratio")
    ratio, new, old, per_kg = dose_change_ratio(h)
    up = ge(ratio, limit)
    down = ~np.isnan(ratio) & ~gt(ratio, 1.0 / limit)
    prev = np.where(h.dose_set, h.prev_dose_row, -1)
    return _hits(h, "DOSE_JUMP", up | down, "dose change", ratio, "times", np.where(down, 1.0 / limit, limit),
                 "at or beyond", new=new, old=old, per_kg=per_kg.astype(float),
                 old_day=h.take(h.day, prev), limit=limit)


def _jump_dose(x: float, per_kg: float) -> str:
    return f"{fmt(x)} mg/kg/day" if per_kg else f"{units.format_number(x)} mg/day"


@message("DOSE_JUMP")
def _(c: dict) -> str:
    r = c["value"]
    shown = f"{fmt(r, 2)} times" if r >= 1 else f"1/{fmt(1 / r, 1)} of"
    n = fmt(c["limit"])
    return (f"New dose {_jump_dose(c['new'], c['per_kg'])} is {shown} the dose in force since {_date(c['old_day'])} "
            f"({_jump_dose(c['old'], c['per_kg'])}); a change of {n} times or more (or to 1/{n} or less) is more "
            f"likely a slip (0.5 mg / 5 mg, a misplaced decimal point) than a decision: confirm it with the "
            f"prescription before acting on it.")


def _jump_basis(h: History, hits: Hits, texts: RowTexts) -> list[BasisEntry]:
    """The two doses compared and their ratio (instead of the row's readings)."""
    c = hits.extra
    new = distinct(_jump_dose, c["new"], c["per_kg"])
    old = distinct(lambda x, per_kg, day: f"{_jump_dose(x, per_kg)} from {_date(day)}", c["old"], c["per_kg"],
                   c["old_day"])
    ratio = distinct(lambda r, limit: f"{fmt(r, 3)} (limit {fmt(limit)} times, or 1/{fmt(limit)})", hits.value,
                     c["limit"])
    return [BasisEntry("dose", "%s from %s", (new, texts.date(hits.rows))), BasisEntry("previous_dose", "%s", (old,)),
            BasisEntry("ratio", "%s", (ratio,))]


BASIS["DOSE_JUMP"] = _jump_basis


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
    return (f"Weight {fmt(c['weight'])} kg differs by {fmt_apart(c['value'], c['threshold'], 1)}% from {fmt(c['prev'])} kg on "
            f"{_date(c['prev_day'])} (more than {fmt(c['threshold'])}%); check the unit (kg or lb) or confirm "
            f"a real change, which alters the mg/kg/day given.")


# ------------------------------------------------------------------ the table of findings
RULE_ORDER = {r: i for i, r in enumerate((
    "INPUT_INVALID", "DOSE_JUMP", "CREATININE_RISE", "BP_SEVERE", "TROUGH_HIGH", "BP_HIGH", "TROUGH_UPPER_BAND",
    "TROUGH_LOW", "TROUGH_TIMING", "DOSE_ABOVE_CEILING", "DOSE_BELOW_EFFECTIVE", "WEIGHT_JUMP", "CHECK_OVERDUE",
))}


def hit_severities(hits: Hits, profile: Profile) -> set[str]:
    """The severities of a rule's hits: the rule's own, and "alert" for rows its alert grade raised
    (`grade_alert`, e.g. DOSE_ABOVE_CEILING at the profile's ceiling_alert_rate). The same rule as the
    finding rows' severity, so exit codes follow what is printed."""
    if not len(hits.rows):
        return set()
    grade = hits.extra.get("grade_alert")
    raised = grade is not None and bool(np.any(grade > 0))
    base = profile.severity(hits.rule)
    if grade is not None and bool(np.all(grade > 0)):
        return {"alert"}
    return {base, "alert"} if raised else {base}


# Findings stay columns until they are written: `FindingTable.frames()` gives them a batch at a time as
# `FindingFrame`s (each text made once per distinct input), and `batches()` turns those into dicts, so memory
# follows the batch, not the number of findings: a finding-dense log of a million rows never holds a million dicts.
RECORD_BATCH = 4096  # findings per batch of dicts
FRAME_BATCH = 1 << 16  # findings per batch of columns (the JSON writer's)


@dataclass
class FindingTable:
    """Every hit of every rule over a history; `frames()` / `records()` / `batches()` turn them into findings."""

    history: History
    hits: list[Hits]

    def count(self) -> int:
        return sum(len(x.rows) for x in self.hits)

    def records(self) -> list[dict]:
        """Finding rows (contract §3) as plain dicts, ordered by patient, date, line, severity."""
        out: list[dict] = []
        for batch in self.batches():
            out.extend(batch)
        return out

    def batches(self, size: int | None = None, iso: bool = False):
        """The finding rows of `records()`, in the same order, as lists of about `size` rows; with `iso` the
        date is ISO text and the keys are in the output order of dosing.batch.engine.FINDING_COLUMNS."""
        for frame in self.frames(size or RECORD_BATCH):
            yield frame.records(iso)

    def frames(self, size: int | None = None) -> Iterator[FindingFrame]:
        """The findings as column batches of about `size` findings, in output order.

        A batch covers whole patients (the sort key starts with the patient), so
        concatenating the batches gives exactly `records()`.
        """
        h, total, size = self.history, self.count(), size or FRAME_BATCH
        if total <= size or h.n == 0:
            if total:
                yield self.frame(self.hits)
            return
        per_row = np.zeros(h.n, dtype=np.int64)
        for x in self.hits:
            per_row += np.bincount(x.rows, minlength=h.n)
        per_patient = np.cumsum(np.add.reduceat(per_row, h.starts))
        after = np.searchsorted(per_patient, np.arange(size, total, size), side="left") + 1
        cuts = [int(h.starts[g]) for g in np.unique(after) if g < len(h.starts)]
        order = [np.argsort(x.rows, kind="stable") for x in self.hits]
        sorted_rows = [x.rows[o] for x, o in zip(self.hits, order)]
        for lo, hi in zip([0, *cuts], [*cuts, h.n]):
            part = []
            for x, o, r in zip(self.hits, order, sorted_rows):
                a, b = np.searchsorted(r, [lo, hi])
                if b > a:
                    part.append(_subset(x, o[a:b]))
            if part:
                yield self.frame(part)

    def frame(self, all_hits: list[Hits]) -> FindingFrame:
        """These hits as one batch of findings: messages and basis texts made once per distinct input."""
        h, p = self.history, self.history.profile
        texts = RowTexts(h, _union(x.rows for x in all_hits))
        parts = []
        for x in all_hits:
            grade = x.extra.get("grade_alert")
            basis = BASIS.get(x.rule, measured_basis)(h, x, texts)
            _no_repeated_keys(x.rule, basis)
            parts.append(RuleFindings(
                rule=x.rule, severity=p.severity(x.rule), measure=x.measure, unit=x.unit,
                comparison=x.comparison, source=p.source(x.rule), patient=texts.patient(x.rows),
                day=(x.date if x.date is not None else h.day[x.rows]).astype(np.int64), line=h.line[x.rows],
                value=x.value, threshold=x.threshold, message=_messages(x), basis=basis,
                alert=None if grade is None else grade > 0, sort_code=h.code[x.rows],
                rank=RULE_ORDER.get(x.rule, 99)))
        if len(parts) == 1:
            order = np.arange(len(parts[0]))
        else:
            order = np.lexsort((np.concatenate([np.full(len(f), f.rank) for f in parts]),
                                np.concatenate([f.line for f in parts]),
                                np.concatenate([f.day for f in parts]),
                                np.concatenate([f.sort_code for f in parts])))
        return FindingFrame(parts, order)


def _union(parts) -> np.ndarray:
    """The distinct rows of several row arrays, sorted (by sorting: numpy's hashing unique is slower here)."""
    a = np.concatenate(list(parts))
    a.sort()
    return a[np.r_[True, a[1:] != a[:-1]]] if len(a) else a


def _messages(x: Hits) -> TextColumn:
    """The rule's message (registry.MESSAGES, one function of the finding's values) once per distinct input."""
    msg = MESSAGES[x.rule]
    keys = ("value", "threshold", *x.extra)
    return distinct(lambda *values: msg(dict(zip(keys, values))), x.value, x.threshold, *x.extra.values())


def _no_repeated_keys(rule_id: str, basis: list[BasisEntry]) -> None:
    """A finding's basis names each input once: two entries of one key must never both be shown."""
    seen: dict[str, BasisEntry] = {}
    for e in basis:
        other = seen.get(e.key)
        if other is not None:
            both = np.ones(len(e.args[0]) if e.args else 0, dtype=bool)
            for m in (e.present, other.present):
                if m is not None:
                    both &= m
            if both.any():
                raise ValueError(f"{rule_id}: basis key {e.key!r} would be shown twice for one finding")
        seen[e.key] = e


def _subset(x: Hits, idx: np.ndarray) -> Hits:
    """The hits at positions `idx` (positions into x.rows, not history rows)."""
    return Hits(x.rule, x.rows[idx], x.measure, x.value[idx], x.unit, x.threshold[idx], x.comparison,
                {k: a[idx] for k, a in x.extra.items()}, None if x.date is None else x.date[idx])


class RowTexts:
    """For one batch: the texts of history rows that several rules show (patient, date, readings), made once
    over the distinct rows with hits and taken for each rule's rows."""

    def __init__(self, h: History, rows: np.ndarray):
        self.h, self.rows = h, rows  # sorted, distinct
        self._cache: dict[str, TextColumn] = {}
        self._asked: tuple[np.ndarray, np.ndarray] | None = None  # the last rows asked for, and their places

    def _at(self, rows: np.ndarray, name: str, make) -> TextColumn:
        col = self._cache.get(name)
        if col is None:
            col = self._cache[name] = make()
        if self._asked is None or self._asked[0] is not rows:  # one rule asks for its rows several times
            self._asked = (rows, np.searchsorted(self.rows, rows))
        return col.take(self._asked[1])

    def patient(self, rows: np.ndarray) -> TextColumn:
        h = self.h
        return self._at(rows, "patient id", lambda: distinct(lambda g: str(h.patient[h.starts[g]]), h.gid[self.rows]))

    def date(self, rows: np.ndarray) -> TextColumn:
        """The rows' own dates, ISO."""
        return self._at(rows, "date", lambda: distinct(_iso, self.h.day[self.rows]))

    def reading(self, name: str, rows: np.ndarray) -> tuple[TextColumn, np.ndarray]:
        """A measured column's values as shown (3 decimals at most), and where the rows have one."""
        x = self.h.v[name]
        present = np.isfinite(x[rows])
        return self._at(rows, name, lambda: distinct(lambda v: _fmt(v, 3), x[self.rows],
                                                     where=np.isfinite(x[self.rows]))), present


# The readings a finding's basis shows by default, in this order: each with its date when the row has it.
_BASIS_UNITS = {"trough": "ng/mL", "hours_post_dose": "h", "creatinine": "µmol/L", "sbp": "mmHg", "dbp": "mmHg",
                "weight": "kg"}


def measured_basis(h: History, hits: Hits, texts: RowTexts) -> list[BasisEntry]:
    """The inputs a finding rests on by default: the measured values of its row, each with the row's date."""
    when = texts.date(hits.rows)
    out = []
    for name, unit in _BASIS_UNITS.items():
        shown, present = texts.reading(name, hits.rows)
        out.append(BasisEntry(name, f"%s {unit} on %s", (shown, when), present))
    return out


def _creatinine_basis(h: History, hits: Hits, texts: RowTexts) -> list[BasisEntry]:
    c = hits.extra
    baseline = distinct(lambda b, d, assumed: f"{fmt(b)} µmol/L on {_date(d)}{' (assumed)' if assumed else ''}",
                        c["baseline"], c["baseline_day"], c["assumed"])
    return [*measured_basis(h, hits, texts), BasisEntry("baseline_creatinine", "%s", (baseline,))]


def _dose_basis(h: History, hits: Hits, texts: RowTexts) -> list[BasisEntry]:
    """The dose as judged, and the weight in force it was converted with (where the row has no weight of its
    own: a row's own weight is already in its measured basis, as the same text)."""
    c = hits.extra
    rate = distinct(lambda v, t, fw, mg: _rate({"value": v, "threshold": t, "from_weight": fw, "mg": mg}),
                    hits.value, hits.threshold, c["from_weight"], c["mg"])
    widx = h.weight_idx[hits.rows]
    in_force = (widx >= 0) & ~np.isfinite(h.v["weight"][hits.rows])
    weight = distinct(lambda w, d: f"{fmt(w)} kg on {_date(d)}", h.take(h.v["weight"], widx), h.take(h.day, widx),
                      where=in_force)
    return [*measured_basis(h, hits, texts), BasisEntry("dose", "%s from %s", (rate, texts.date(hits.rows))),
            BasisEntry("weight", "%s", (weight,), in_force)]


def _weight_jump_basis(h: History, hits: Hits, texts: RowTexts) -> list[BasisEntry]:
    prev = distinct(lambda w, d: f"{fmt(w)} kg on {_date(d)}", hits.extra["prev"], hits.extra["prev_day"])
    return [*measured_basis(h, hits, texts), BasisEntry("previous_weight", "%s", (prev,))]


def _timing_basis(h: History, hits: Hits, texts: RowTexts) -> list[BasisEntry]:
    product = distinct(str, h.product[hits.rows])
    return [*measured_basis(h, hits, texts), BasisEntry("product", "%s", (product,))]


BASIS["CREATININE_RISE"] = _creatinine_basis
BASIS["DOSE_ABOVE_CEILING"] = _dose_basis
BASIS["DOSE_BELOW_EFFECTIVE"] = _dose_basis
BASIS["WEIGHT_JUMP"] = _weight_jump_basis
BASIS["TROUGH_TIMING"] = _timing_basis


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
