"""Per-patient history state, computed column-wise: sorting, forward fills, doses in force, baseline.

Everything here works on whole arrays grouped by patient, so the same code
serves one patient's ten visits and a clinic's million rows. Rules
(`dosing.core.rules`) and the schedule (`dosing.core.rules.schedule`) read this state.
"""
from __future__ import annotations

import numpy as np

from dosing.core.columns import START, STOP, EventColumns
from dosing.core.profile import Profile
from dosing.core.wording import DEFAULT_PRODUCT

EPS = 1e-9


def ge(x, t):
    """x >= t, tolerant of float noise (a value typed exactly at a threshold counts as at it)."""
    return x >= t - EPS * np.maximum(1.0, np.abs(t))


def gt(x, t):
    return x > t + EPS * np.maximum(1.0, np.abs(t))


def lt(x, t):
    return x < t - EPS * np.maximum(1.0, np.abs(t))


def sort_order(codes: np.ndarray, day: np.ndarray, line: np.ndarray) -> np.ndarray | None:
    """The stable order by (patient code, day, line), as np.lexsort gives it; None when already in that order.

    When the three ranges fit in 63 bits they are packed into one int64 key:
    a stable argsort of one key is several times faster than lexsort of three,
    and ties keep their input order in both.
    """
    n = len(day)
    if n < 2:
        return None
    spans = []
    for a in (codes, day, line):
        lo, hi = int(a.min()), int(a.max())
        spans.append((lo, hi - lo + 1))
    (c0, _), (d0, dn), (l0, ln) = spans
    if spans[0][1] * dn * ln < 2 ** 63:
        key = (codes.astype(np.int64) - c0) * (dn * ln) + (day.astype(np.int64) - d0) * ln + (line.astype(np.int64) - l0)
        if bool((key[1:] >= key[:-1]).all()):
            return None
        return np.argsort(key, kind="stable")
    order = np.lexsort((line, day, codes))
    return None if bool((order[1:] > order[:-1]).all()) else order


def _read_only(a: np.ndarray) -> np.ndarray:
    """A read-only view: a History built without copying must never write into its caller's arrays."""
    v = a.view()
    v.flags.writeable = False
    return v


class History:
    """A sorted view of event columns (by patient, date, source line) with derived state."""

    def __init__(self, cols: EventColumns, profile: Profile):
        self.profile = profile
        codes = cols.patient_code
        if codes is None:
            _, codes = np.unique(cols.patient.astype(str), return_inverse=True)
        codes = np.asarray(codes)
        order = sort_order(codes, cols.day, cols.line)
        self.n = n = len(cols.day)
        if order is None:  # already in order (a log sorted by patient and date): no copies
            self.order = np.arange(n)
            pick = _read_only
        else:
            self.order = order
            def pick(a: np.ndarray) -> np.ndarray:
                return a[order]
        self.patient = pick(cols.patient)
        self.code = pick(codes)
        self.day = pick(cols.day)
        self.event = pick(cols.event)
        self.line = pick(cols.line)
        self.product_raw = pick(cols.product)
        self.v = {k: pick(a) for k, a in cols.values.items()}
        self.lost = {k: pick(a) for k, a in cols.lost.items()}  # cells given but unreadable (dosing.io.validate)
        self.arange = np.arange(n)
        gs = np.ones(n, dtype=bool)
        if n:
            gs[1:] = self.code[1:] != self.code[:-1]
        self.group_start = gs
        self.starts = np.flatnonzero(gs)
        self.gid = np.cumsum(gs) - 1
        self.row_gstart = self.starts[self.gid] if n else np.zeros(0, dtype=np.int64)
        ends = np.append(self.starts[1:], n) - 1 if n else np.zeros(0, dtype=np.int64)
        self.row_gend = ends[self.gid] if n else np.zeros(0, dtype=np.int64)
        self._derive()

    # ------------------------------------------------------------ group helpers
    def last_idx(self, mask: np.ndarray) -> np.ndarray:
        """Index of the latest row at or before each row, same patient, where mask holds; -1 if none."""
        idx = np.where(mask, self.arange, -1)
        acc = np.maximum.accumulate(idx) if self.n else idx
        acc[acc < self.row_gstart] = -1
        return acc

    def prev_idx(self, mask: np.ndarray) -> np.ndarray:
        """Like last_idx but strictly before the row."""
        acc = self.last_idx(mask)
        prev = np.full(self.n, -1, dtype=np.int64)
        if self.n:
            prev[1:] = acc[:-1]
            prev[self.group_start] = -1
        return prev

    def next_idx(self, mask: np.ndarray) -> np.ndarray:
        """Index of the first row strictly after each row, same patient, where mask holds; -1 if none."""
        big = self.n
        idx = np.where(mask, self.arange, big)
        acc = np.minimum.accumulate(idx[::-1])[::-1] if self.n else idx
        nxt = np.full(self.n, -1, dtype=np.int64)
        if self.n:
            nxt[:-1] = acc[1:]
        nxt[(nxt > self.row_gend) | (nxt >= big)] = -1
        return nxt

    @staticmethod
    def take(arr: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """arr[idx] as floats, NaN where idx is -1."""
        out = arr[np.maximum(idx, 0)].astype(float)
        out[idx < 0] = np.nan
        return out

    def group_min(self, values: np.ndarray) -> np.ndarray:
        """Per-row: the minimum of values over the row's patient."""
        if not self.n:
            return values
        return np.minimum.reduceat(values, self.starts)[self.gid]

    def group_max(self, values: np.ndarray) -> np.ndarray:
        if not self.n:
            return values
        return np.maximum.reduceat(values, self.starts)[self.gid]

    def has(self, name: str) -> np.ndarray:
        return ~np.isnan(self.v[name])

    def was_lost(self, name: str) -> np.ndarray:
        """Rows where a value of `name` was given but could not be read (so it is not in `v`)."""
        m = self.lost.get(name)
        return m if m is not None else np.zeros(self.n, dtype=bool)

    # ------------------------------------------------------------ derived state
    def _derive(self) -> None:
        p, v, n = self.profile, self.v, self.n
        # Weight and dose in both forms (mg/day and mg/kg/day) where a weight allows.
        self.weight_idx = self.last_idx(self.has("weight"))
        w = self.take(v["weight"], self.weight_idx)
        has_mg, has_rate = self.has("dose"), self.has("dose_rate")
        # A dose cell that could not be read is still a dose set on that row, of unknown amount: the dose
        # in force from there on is unknown, rather than the previous one carried on by guess.
        self.has_dose = has_mg | has_rate | self.was_lost("dose") | self.was_lost("dose_rate")
        with np.errstate(invalid="ignore", divide="ignore"):
            self.mg = np.where(has_mg, v["dose"], v["dose_rate"] * w)
            self.rate = np.where(has_rate, v["dose_rate"], v["dose"] / w)
        self.rate_from_weight = has_mg & ~np.isnan(self.rate)

        # Treatment courses: a start or dose opens/continues one, a stop ends it.
        is_stop = self.event == STOP
        self.is_stop = is_stop
        dose_marker = (self.has_dose | (self.event == START)) & ~is_stop
        marker = dose_marker | is_stop
        last_m = self.last_idx(marker)
        self.in_tx = (last_m >= 0) & ~is_stop[np.maximum(last_m, 0)]
        prev_m = self.prev_idx(marker)
        prev_in_tx = (prev_m >= 0) & ~is_stop[np.maximum(prev_m, 0)]
        self.dose_row = np.where(self.in_tx, last_m, -1)  # the row whose dose is in force

        old_mg, old_rate = self.take(self.mg, prev_m), self.take(self.rate, prev_m)
        both_mg = ~np.isnan(self.mg) & ~np.isnan(old_mg)
        both_rate = ~np.isnan(self.rate) & ~np.isnan(old_rate)
        new = np.where(both_mg, self.mg, np.where(both_rate, self.rate, np.nan))
        old = np.where(both_mg, old_mg, np.where(both_rate, old_rate, np.nan))
        self.course_start = dose_marker & (~prev_in_tx | (self.event == START))
        cont = dose_marker & prev_in_tx & ~self.course_start
        self.increase = cont & gt(new, old)
        self.decrease = cont & lt(new, old)
        self.prev_dose_row = np.where(cont, prev_m, -1)
        unknown = cont & np.isnan(new) & self.has_dose
        self.dose_set = self.has_dose & ~is_stop & (self.course_start | self.increase | self.decrease | unknown)
        restart_on_decrease = p.flag("decrease_restarts_schedule")
        self.trigger = self.course_start | self.increase | (self.decrease & restart_on_decrease)
        cs_idx = self.last_idx(self.course_start)
        self.course_start_day = np.where(self.in_tx, self.take(self.day, cs_idx), np.nan)

        # Product in force (blank = the default immediate-release capsules).
        prod_given = self.product_raw != ""
        if self.product_raw.dtype != object:
            pidx = self.last_idx(prod_given)
            self.product = np.where(pidx >= 0, self.product_raw[np.maximum(pidx, 0)], DEFAULT_PRODUCT)
        elif not prod_given.any():  # the common case: no product column, or never filled in
            self.product = np.full(n, DEFAULT_PRODUCT, dtype=object)
        else:
            pidx = self.last_idx(prod_given)
            self.product = self.product_raw[np.maximum(pidx, 0)]
            self.product[pidx < 0] = DEFAULT_PRODUCT

        # Baseline creatinine: the latest dated on or before the first start, else the first recorded.
        has_creat = self.has("creatinine")
        explicit_start = self.event == START
        big = np.iinfo(np.int64).max
        first_explicit = self.group_min(np.where(explicit_start, self.day, big))
        first_course = self.group_min(np.where(self.course_start, self.day, big))
        first_start = np.where(first_explicit < big, first_explicit, first_course)
        self.first_start_day = first_start
        cand = np.where(has_creat & (first_start < big) & (self.day <= first_start), self.arange, -1)
        base = self.group_max(cand)
        first_creat = self.group_min(np.where(has_creat, self.arange, big))
        self.baseline_assumed = (base < 0) & (first_creat < big)
        self.baseline_no_start = first_start == big
        self.baseline_idx = np.where(base >= 0, base, np.where(first_creat < big, first_creat, -1)).astype(np.int64)
        self.baseline = self.take(v["creatinine"], self.baseline_idx)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.rise = (v["creatinine"] - self.baseline) / self.baseline
        self.rise_applies = has_creat & (self.baseline_idx >= 0) & (self.arange > self.baseline_idx)
