"""The monitoring schedule of contract §4, column-wise: windows, reasons, overdue checks.

Two streams of checks are followed, because the paper spaces them differently
late on: **renal** (a creatinine result; blood pressure is taken with it) and
**level** (a 12-hour trough). Each *anchor* (a start, a dose increase, a check
of the stream, or a stop) opens the window of the next check:

* start / dose increase on day D: first check in D+7 … D+14 (paper, l.247-249);
  a decrease restarts this only if the profile says so (default: no);
* after check k (counting from the last trigger), k ≤ 2: the next is two weeks on
  (± tolerance), the paper's "two further checks at two weekly intervals";
* after that, monthly (± tolerance) while creatinine rise < 30%, blood pressure
  below the BP_HIGH threshold and the trough within [low, upper band);
  otherwise it stays two-weekly (an interpretation: the paper implies it);
* after a creatinine check at or above the significant rise (30%), the next
  creatinine check is due within the profile's `creatinine_rise_recheck`
  (an interpretation of the paper's "close monitoring"), sooner than two-weekly;
* from about six months after the start, if stable and normotensive, the level
  stream spaces out to the profile's late interval; renal stays monthly
  (paper: "renal function should continue to be monitored on a monthly basis").
  Disease control, which the paper also asks for, is not in the log: the reason
  says so, and the clinician decides;
* a stop closes both streams.

A window that closes with no check of its stream (before the next anchor, or
before the as-of date) is CHECK_OVERDUE, dated the day the window closed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from dosing.core.columns import day_to_date
from dosing.core.history import History, ge, lt
from dosing.core.registry import MESSAGES, Hits, rule

STREAMS = {"renal": "creatinine", "level": "trough"}
STREAM_TITLES = {"renal": "creatinine and blood pressure check", "level": "trough level check"}

# reason codes
R_START, R_INCREASE, R_DECREASE, R_FORTNIGHT, R_MONTHLY, R_UNSTABLE, R_LATE, R_NONE, R_RISE = range(9)
NONE_DAY = np.iinfo(np.int64).max


@dataclass
class Windows:
    """Per sorted row: the window the row opens in one stream (NONE_DAY where it opens none)."""

    stream: str
    anchor: np.ndarray  # bool
    due_from: np.ndarray  # int64 day ordinals
    due_by: np.ndarray
    reason: np.ndarray  # int8 reason codes
    ordinal: np.ndarray  # checks since the last trigger, counting this one
    unstable: dict[str, np.ndarray]  # what was not stable at the row (for reasons)


def _stability(h: History) -> dict[str, np.ndarray]:
    """What is not stable as of each row (latest values of the patient): arrays of bools."""
    p = h.profile
    # A trough or creatinine given but unreadable counts as the latest of its kind, of unknown value: not stable.
    t_idx = h.last_idx(h.has("trough") | h.was_lost("trough"))
    t = h.take(h.v["trough"], t_idx)
    trough_bad = np.isnan(t) | lt(t, p.canonical("trough_low")) | ge(t, p.canonical("trough_upper_band"))
    lost_c = h.was_lost("creatinine")
    r_idx = h.last_idx(h.rise_applies | lost_c)
    rise = h.take(h.rise, r_idx)
    creat_unknown = (r_idx >= 0) & lost_c[np.maximum(r_idx, 0)]
    creat_bad = (~np.isnan(rise) & ge(rise, p.canonical("creatinine_rise"))) | creat_unknown
    bp_idx = h.last_idx(h.has("sbp") | h.has("dbp"))
    s, d = h.take(h.v["sbp"], bp_idx), h.take(h.v["dbp"], bp_idx)
    bp_bad = ge(s, p.canonical("bp_high_systolic")) | ge(d, p.canonical("bp_high_diastolic"))
    bp_unknown = np.isnan(s) & np.isnan(d)
    return {"trough": trough_bad, "creatinine": creat_bad, "blood pressure": bp_bad, "bp_unknown": bp_unknown,
            "trough_idx": t_idx, "bp_idx": bp_idx, "creatinine_unknown": creat_unknown}


def windows(h: History, stream: str, stab: dict[str, np.ndarray] | None = None) -> Windows:
    p = h.profile
    stab = stab if stab is not None else _stability(h)
    # A check is a value recorded, or one given but unreadable: the sample was taken that day (no CHECK_OVERDUE
    # for a check that was done), and its lost value keeps the patient "not stable" (see _stability).
    measured = h.has(STREAMS[stream]) | h.was_lost(STREAMS[stream])
    check = measured & h.in_tx & ~h.trigger
    anchor = (h.in_tx & (h.trigger | measured)) | h.is_stop
    cnt = np.cumsum(check)
    last_trig = h.last_idx(h.trigger)
    ordinal = np.where(last_trig >= 0, cnt - cnt[np.maximum(last_trig, 0)], 0)

    unstable = stab["trough"] | stab["creatinine"] | stab["blood pressure"] | stab["bp_unknown"]
    since_start = h.day - np.nan_to_num(h.course_start_day, nan=0).astype(np.int64)
    late = ~unstable & (since_start >= p.days("late_phase_after"))

    d = h.day.astype(np.int64)
    f_int, f_tol = p.days("fortnightly_interval"), p.days("fortnightly_tolerance")
    m_int, m_tol = p.days("monthly_interval"), p.days("monthly_tolerance")
    l_int, l_tol = p.days("late_level_interval"), p.days("late_level_tolerance")
    n_fortnightly = int(p.number("fortnightly_checks"))

    due_from = np.full(h.n, NONE_DAY, dtype=np.int64)
    due_by = np.full(h.n, NONE_DAY, dtype=np.int64)
    reason = np.full(h.n, R_NONE, dtype=np.int8)

    def put(mask, lo, hi, code):
        due_from[mask] = lo[mask] if isinstance(lo, np.ndarray) else lo
        due_by[mask] = hi[mask] if isinstance(hi, np.ndarray) else hi
        reason[mask] = code

    is_check = anchor & check
    fortnight = is_check & (ordinal <= n_fortnightly)
    after = is_check & (ordinal > n_fortnightly)
    put(after & unstable, d + f_int - f_tol, d + f_int + f_tol, R_UNSTABLE)
    monthly = after & ~unstable
    if stream == "level":
        put(monthly & late, d + l_int - l_tol, d + l_int + l_tol, R_LATE)
        put(monthly & ~late, d + m_int - m_tol, d + m_int + m_tol, R_MONTHLY)
    else:
        put(monthly, d + m_int - m_tol, d + m_int + m_tol, R_MONTHLY)
    put(fortnight, d + f_int - f_tol, d + f_int + f_tol, R_FORTNIGHT)
    trig = anchor & h.trigger
    lo, hi = d + p.days("first_check_from"), d + p.days("first_check_by")
    put(trig & h.course_start, lo, hi, R_START)
    put(trig & h.increase & ~h.course_start, lo, hi, R_INCREASE)
    put(trig & h.decrease & ~h.course_start, lo, hi, R_DECREASE)
    if stream == "renal":
        # A significant rise: the next creatinine sooner than any other window would ask (close monitoring).
        rise = anchor & measured & h.rise_applies & ge(h.rise, p.canonical("creatinine_rise"))
        soon = p.days("creatinine_rise_recheck")
        rise &= (d + soon) <= due_by
        put(rise, d + 1, d + soon, R_RISE)
    return Windows(stream, anchor, due_from, due_by, reason, ordinal, stab)


@rule("CHECK_OVERDUE", takes_as_of=True)
def overdue(h: History, as_of: dt.date | None):
    """CHECK_OVERDUE hits: windows that closed with no check of their stream."""
    stab = _stability(h)
    rows, value, thr, day, extra_stream, extra_next, extra_anchor_day = [], [], [], [], [], [], []
    as_of_day = as_of.toordinal() if as_of else None
    for stream in STREAMS:
        w = windows(h, stream, stab)
        nxt = h.next_idx(w.anchor)
        opens = w.anchor & (w.due_by != NONE_DAY)
        nxt_day = np.where(nxt >= 0, h.day[np.maximum(nxt, 0)], NONE_DAY)
        missed_before_next = opens & (nxt >= 0) & (nxt_day > w.due_by)
        if as_of_day is not None:
            missed_open = opens & (nxt < 0) & (as_of_day > w.due_by)
        else:
            missed_open = np.zeros(h.n, dtype=bool)
        mask = missed_before_next | missed_open
        idx = np.flatnonzero(mask)
        end = np.where(nxt >= 0, nxt_day, as_of_day if as_of_day is not None else 0)
        rows.append(idx)
        value.append((end - h.day)[idx].astype(float))
        thr.append((w.due_by - h.day)[idx].astype(float))
        day.append(w.due_by[idx])
        extra_stream.append(np.full(len(idx), 0 if stream == "renal" else 1, dtype=float))
        extra_next.append(np.where(nxt >= 0, nxt_day, -1)[idx].astype(float))
        extra_anchor_day.append(h.day[idx].astype(float))
        # reason code of the window that was missed
        extra_anchor_day[-1] = np.vstack([h.day[idx], w.reason[idx], w.due_from[idx]]).T.astype(float) \
            if len(idx) else np.zeros((0, 3))
    rows_a = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    anchor_info = np.concatenate(extra_anchor_day) if rows else np.zeros((0, 3))
    return Hits(
        "CHECK_OVERDUE", rows_a.astype(np.int64), "days between checks",
        np.concatenate(value), "day", np.concatenate(thr), ">",
        extra={
            "stream": np.concatenate(extra_stream),
            "next_day": np.concatenate(extra_next),
            "anchor_day": anchor_info[:, 0] if len(anchor_info) else np.zeros(0),
            "reason": anchor_info[:, 1] if len(anchor_info) else np.zeros(0),
            "due_from": anchor_info[:, 2] if len(anchor_info) else np.zeros(0),
            "due_by": np.concatenate(day).astype(float),
        },
        date=np.concatenate(day),
    )


REASON_TEXT = {
    R_START: "first check {lo}–{hi} days after the start on {anchor} (paper: 'one to two weeks after starting treatment')",
    R_INCREASE: "first check {lo}–{hi} days after the dose increase on {anchor} (paper: 'or a dose increment')",
    R_DECREASE: "first check {lo}–{hi} days after the dose decrease on {anchor} (profile: decreases restart the schedule)",
    R_FORTNIGHT: "two-weekly check after the check on {anchor} (paper: 'two further checks at two weekly intervals')",
    R_MONTHLY: "monthly review: stable at the check on {anchor} (creatinine rise below threshold, blood pressure "
               "below threshold, trough in range)",
    R_UNSTABLE: "stays two-weekly: not stable at the check on {anchor} ({unstable})",
    R_RISE: "creatinine {rise} above baseline at the check on {anchor}: recheck within {hi} days "
            "(profile: creatinine_rise_recheck, an interpretation of the paper's 'close monitoring')",
    R_LATE: "trough checks spaced out: past the late phase (paper: 'about six months'), normotensive, creatinine rise below threshold "
            "(the paper also asks for well-controlled disease: the clinician's judgement); renal function "
            "stays monthly",
}


def reason_text(code: int, anchor_day: int, due_from: int, due_by: int, unstable: str = "", rise: str = "") -> str:
    """Why a window is open; its day counts come from the window itself (so from the profile)."""
    return REASON_TEXT.get(int(code), "").format(
        anchor=day_to_date(anchor_day).isoformat(), unstable=unstable, rise=rise or "significantly",
        lo=int(due_from - anchor_day), hi=int(due_by - anchor_day))


def _overdue_message(c: dict) -> str:
    what = STREAM_TITLES["renal" if c["stream"] == 0 else "level"]
    due_by = day_to_date(c["due_by"]).isoformat()
    why = reason_text(c["reason"], c["anchor_day"], c["due_from"], c["due_by"], "see the check's findings")
    if c["next_day"] >= 0:
        done = f"the next one was on {day_to_date(c['next_day']).isoformat()}, {int(c['value'])} days after {day_to_date(c['anchor_day']).isoformat()}"
    else:
        done = f"none is recorded {int(c['value'])} days after {day_to_date(c['anchor_day']).isoformat()}"
    return f"A {what} was due by {due_by} ({why}); {done}."


MESSAGES["CHECK_OVERDUE"] = _overdue_message


@dataclass(frozen=True)
class DueCheck:
    """The next check of one stream for one patient: its window and why."""

    stream: str
    title: str
    due_from: dt.date
    due_by: dt.date
    reason: str
    overdue: bool
    """The window has passed (as of the date asked, or the row's own date) with no check of its stream recorded."""

    @property
    def status(self) -> str:
        return "window passed, none recorded" if self.overdue else "next"


def unstable_text(h: History, stab: dict[str, np.ndarray], row: int) -> str:
    parts = []
    if stab["trough"][row]:
        ti = stab["trough_idx"][row]
        if ti < 0:
            parts.append("no trough yet")
        elif np.isnan(h.v["trough"][ti]):
            parts.append("latest trough unreadable")
        else:
            parts.append(f"trough {h.v['trough'][ti]:g} ng/mL not in range")
    if stab["creatinine"][row]:
        parts.append("latest creatinine unreadable" if stab["creatinine_unknown"][row]
                     else "creatinine rise at or above threshold")
    if stab["blood pressure"][row]:
        bi = stab["bp_idx"][row]
        parts.append(f"blood pressure {h.v['sbp'][bi]:g}/{h.v['dbp'][bi]:g} mmHg high")
    if stab["bp_unknown"][row] and not stab["blood pressure"][row]:
        parts.append("no blood pressure recorded")
    return "; ".join(parts)


def due_table(h: History, as_of: dt.date | None, *, at_each_row: bool = False) -> list[list[DueCheck]]:
    """For every sorted row, the checks due after it (one per stream), computing windows once.

    `overdue` is judged as of `as_of`, or with `at_each_row` as of each row's own date: a window that
    closed before the row, with no check of its stream since, is marked at that row (the replay's view
    of the timeline), never shown as an open "next check"."""
    stab = _stability(h)
    per_stream = []
    for stream in STREAMS:
        w = windows(h, stream, stab)
        per_stream.append((stream, w, h.last_idx(w.anchor)))
    out = []
    for row in range(h.n):
        checks = []
        for stream, w, last in per_stream:
            idx = int(last[row])
            if idx < 0 or w.due_by[idx] == NONE_DAY:
                continue
            rise = f"{h.rise[idx] * 100:.1f}%" if w.reason[idx] == R_RISE else ""
            text = reason_text(w.reason[idx], h.day[idx], w.due_from[idx], w.due_by[idx], unstable_text(h, stab, idx),
                               rise)
            when = int(h.day[row]) if at_each_row else (as_of.toordinal() if as_of is not None else None)
            late = bool(when is not None and when > w.due_by[idx])
            checks.append(DueCheck(stream, STREAM_TITLES[stream], day_to_date(w.due_from[idx]),
                                   day_to_date(w.due_by[idx]), text, late))
        out.append(checks)
    return out


def due_after(h: History, row: int, as_of: dt.date | None) -> list[DueCheck]:
    """The checks due after sorted row `row` (its patient's state at that point), one per stream."""
    return due_table(h, as_of)[row]
