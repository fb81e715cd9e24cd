"""The clinic's worklist: for every patient at once, the worst open finding, the next check, overdue or not.

One `rules.evaluate` over every patient's events (columns), then column-wise
reductions per patient: no assessment per patient, no Python object per event.
A finding is *open* while nothing newer has answered it: a trough finding until
a later trough is recorded, a creatinine rise until a later creatinine, a blood
pressure finding until a later blood pressure, a dose finding until a later dose
or weight. CHECK_OVERDUE is not counted among the open findings: the overdue
mark comes from the next check's window as of today, which says the same thing.
The patient page and the report use `open_keys` so all three agree.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from dosing.core import rules
from dosing.core.columns import EventColumns, day_to_date
from dosing.core.history import History
from dosing.core.profile import SEVERITY_RANK, Profile
from dosing.core.rules import schedule

# rule -> the measured columns whose later value answers (closes) a finding of the rule
CLOSED_BY: dict[str, tuple[str, ...]] = {
    "TROUGH_LOW": ("trough",), "TROUGH_HIGH": ("trough",), "TROUGH_UPPER_BAND": ("trough",),
    "TROUGH_TIMING": ("trough",), "CREATININE_RISE": ("creatinine",), "BP_HIGH": ("sbp", "dbp"),
    "BP_SEVERE": ("sbp", "dbp"), "DOSE_ABOVE_CEILING": ("dose", "dose_rate", "weight"),
    "DOSE_BELOW_EFFECTIVE": ("dose", "dose_rate", "weight"), "WEIGHT_JUMP": ("weight",),
    "DOSE_JUMP": ("dose", "dose_rate"),
}
NOT_LISTED = frozenset({"CHECK_OVERDUE"})
"""Rules the worklist does not count as open findings (the overdue mark shows them)."""


@dataclass(frozen=True)
class Status:
    """One patient's line of the worklist."""

    patient_id: str
    severity: str | None
    """The most serious open finding's severity (alert, warn, info), or None."""
    rule: str | None
    """That finding's rule id."""
    open_count: int
    overdue: bool
    next_title: str | None
    """The earliest next check (its stream's title), or None when no check is due."""
    next_stream: str | None
    next_due_by: dt.date | None
    last_date: dt.date
    stopped: bool

    @property
    def needs_action(self) -> bool:
        """An open alert or warning, or a check overdue."""
        return self.overdue or self.severity in ("alert", "warn")

    def urgency(self) -> tuple:
        """Sort key, most urgent first: alert, warn, overdue, info, then the earliest due date, then id."""
        rank = SEVERITY_RANK.get(self.severity, -1) if self.severity else -1
        level = 0 if self.severity == "alert" else 1 if self.severity == "warn" else 2 if self.overdue else \
            3 if self.severity else 4
        due = self.next_due_by.toordinal() if self.next_due_by else 10**9
        return (level, -rank, not self.overdue, due, self.patient_id)


def open_mask(h: History, rule: str, rows: np.ndarray) -> np.ndarray:
    """For hit rows of `rule`: True where no later row of the same patient answers the finding."""
    cols = CLOSED_BY.get(rule)
    if cols is None or not len(rows):
        return np.ones(len(rows), dtype=bool)
    answered = np.zeros(h.n, dtype=bool)
    for c in cols:
        if c in h.v:
            answered |= h.has(c)
    latest = h.last_idx(answered)[h.row_gend[rows]]
    return latest <= rows


def open_keys(table: rules.FindingTable) -> set[tuple[int, str]]:
    """(line, rule) of every open finding in a finding table (CHECK_OVERDUE left out)."""
    h = table.history
    out: set[tuple[int, str]] = set()
    for hits in table.hits:
        if hits.rule in NOT_LISTED:
            continue
        rows = hits.rows[open_mask(h, hits.rule, hits.rows)]
        out.update((int(line), hits.rule) for line in h.line[rows].tolist())
    return out


def worklist(cols: EventColumns, profile: Profile, as_of: dt.date) -> list[Status]:
    """Every patient's worklist line from one evaluation of the rules over all their events, by id."""
    if not len(cols):
        return []
    table = rules.evaluate(cols, profile, as_of)
    return statuses(table, as_of)


def statuses(table: rules.FindingTable, as_of: dt.date) -> list[Status]:
    """The worklist lines of an evaluated table (one per patient in the table)."""
    h = table.history
    g = len(h.starts)
    worst = np.full(g, -1, dtype=np.int64)
    worst_order = np.full(g, 10**6, dtype=np.int64)
    worst_rule = np.full(g, "", dtype=object)
    count = np.zeros(g, dtype=np.int64)
    for hits in table.hits:
        if hits.rule in NOT_LISTED or not len(hits.rows):
            continue
        rows = hits.rows[open_mask(h, hits.rule, hits.rows)]
        if not len(rows):
            continue
        gid = h.gid[rows]
        np.add.at(count, gid, 1)
        rank = SEVERITY_RANK[h.profile.severity(hits.rule)]
        order = rules.RULE_ORDER.get(hits.rule, 99)
        better = (rank > worst[gid]) | ((rank == worst[gid]) & (order < worst_order[gid]))
        sel = gid[better]  # a patient repeated here gets the same values: no need to make them unique
        worst[sel], worst_order[sel], worst_rule[sel] = rank, order, hits.rule
    ends = np.append(h.starts[1:], h.n) - 1
    nxt_day = np.full(g, schedule.NONE_DAY, dtype=np.int64)
    nxt_stream = np.full(g, "", dtype=object)
    late = np.zeros(g, dtype=bool)
    as_of_day = as_of.toordinal()
    stab = schedule._stability(h)
    for stream in schedule.STREAMS:
        w = schedule.windows(h, stream, stab)
        last = h.last_idx(w.anchor)[ends]
        has = last >= 0
        due_by = np.where(has, w.due_by[np.maximum(last, 0)], schedule.NONE_DAY)
        late |= has & (due_by != schedule.NONE_DAY) & (as_of_day > due_by)
        earlier = due_by < nxt_day
        nxt_day = np.where(earlier, due_by, nxt_day)
        nxt_stream = np.where(earlier, stream, nxt_stream)
    by_rank = {v: k for k, v in SEVERITY_RANK.items()}
    dates: dict[int, dt.date] = {}  # a clinic's patients share few distinct days: one date object each

    def date(day: int) -> dt.date:
        d = dates.get(day)
        if d is None:
            d = dates[day] = day_to_date(day)
        return d

    titles = schedule.STREAM_TITLES
    out = []
    # Python lists, not numpy scalars, in the one loop that runs per patient (20,000 on a clinic's list)
    patients, last_days, stopped = h.patient[ends].tolist(), h.day[ends].tolist(), h.is_stop[ends].tolist()
    columns = zip(patients, last_days, stopped, worst.tolist(), worst_rule.tolist(), count.tolist(), late.tolist(),
                  nxt_stream.tolist(), nxt_day.tolist())
    for pid, last_day, stop, rank, rule, n_open, overdue, stream, next_day in columns:
        next_stream = stream or None
        out.append(Status(
            patient_id=str(pid), severity=by_rank.get(rank), rule=rule or None, open_count=n_open,
            overdue=overdue, next_title=titles[next_stream] if next_stream else None, next_stream=next_stream,
            next_due_by=date(next_day) if next_stream else None, last_date=date(last_day), stopped=stop,
        ))
    return out


NEXT_STEP_RULES = ("CREATININE_RISE", "BP_SEVERE")
"""Open alerts after which the patient page says what the rules do next."""


def next_steps(open_findings, due) -> list[tuple[str, str]]:
    """(sentence, source) for each open CREATININE_RISE or BP_SEVERE: what the schedule and the adjustment
    rules do while it stays open. Built from the finding, the check due (its reason) and the rules' own
    behaviour; nothing new is decided here."""
    from dosing.core.adjust import AGAINST_RAISING

    out = []
    renal = next((d for d in due if d.stream == "renal"), None)
    for f in open_findings:
        if f.rule not in NEXT_STEP_RULES:
            continue
        text = f"{f.rule} is open (since {f.date.isoformat() if f.date else 'its visit'}): "
        if renal is not None:
            text += (f"the next {renal.title} is due by {renal.due_by.isoformat()} ({renal.reason}); ")
        if f.rule in AGAINST_RAISING:
            text += "a dose increase is argued against until a later measurement closes it."
        out.append((text, f.source))
    return out


@dataclass(frozen=True)
class Baseline:
    """The creatinine a rise is measured against, as the core derives it for a patient's latest event."""

    value: float  # µmol/L
    date: dt.date
    assumed: bool
    line: int


def baseline(events, profile: Profile) -> Baseline | None:
    """The baseline creatinine of one patient's events (the core's own derivation), or None."""
    from dosing.core.columns import from_events

    if not events:
        return None
    h = History(from_events(events), profile)
    last = h.n - 1
    b = int(h.baseline_idx[last])
    if b < 0:
        return None
    return Baseline(float(h.v["creatinine"][b]), day_to_date(h.day[b]),
                    bool(h.baseline_assumed[last] or h.baseline_no_start[last]), int(h.line[b]))


def open_findings(events, assessment, profile: Profile, as_of: dt.date) -> list:
    """The assessment's findings still open (the worklist's definition), most serious first."""
    from dosing.core.columns import from_events

    if assessment is None or not events:
        return []
    keys = open_keys(rules.evaluate(from_events(events), profile, as_of))
    found = [f for f in assessment.findings if (f.line, f.rule) in keys and f.rule not in NOT_LISTED]
    return sorted(found, key=lambda f: (-SEVERITY_RANK[f.severity], rules.RULE_ORDER.get(f.rule, 99),
                                        f.date or dt.date.min))
