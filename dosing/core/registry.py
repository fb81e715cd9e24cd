"""The one rule registry, and the contract between the rules and the engine that runs them.

Every rule (one module per family in `dosing.core.rules`, the schedule's CHECK_OVERDUE
included) registers here; the engine (`dosing.core.engine`) reads the registry. Neither
imports the other (an import contract in pyproject.toml says so): what they share is
defined here: `Hits` (what a rule returns), `RowTexts` (the texts a basis is made of),
`measured_basis` (the default basis) and `RULE_ORDER` (the order findings are shown in).
A rule is a function of the patient history and the as-of date returning its `Hits` (or None).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from dosing.core.frames import BasisEntry, TextColumn, distinct, iso_day
from dosing.core.history import History
from dosing.core.textfmt import fmt


@dataclass
class Hits:
    """The rows where one rule fired, with everything its findings will show."""

    rule: str
    rows: np.ndarray  # indices into History (sorted rows)
    measure: str
    value: np.ndarray  # canonical floats
    unit: str  # display unit of value and threshold
    threshold: np.ndarray
    comparison: str
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    date: np.ndarray | None = None  # day ordinals, when not the row's own date


Rule = Callable[[History, "dt.date | None"], "Hits | None"]
RULES: dict[str, Rule] = {}
MESSAGES: dict[str, Callable[[dict], str]] = {}
# (history, hits, row texts) -> the basis entries of every hit, column-wise (dosing.core.frames.BasisEntry);
# a rule without one shows its rows' readings (registry.measured_basis).
BASIS: dict[str, Callable[..., list]] = {}


def rule(rule_id: str, *, takes_as_of: bool = False):
    """Register a rule definition under its contract identifier.

    Most rules look only at the history (`fn(h)`); a rule that depends on the
    as-of date (the schedule) registers with `takes_as_of=True` (`fn(h, as_of)`).
    """

    def register(fn):
        RULES[rule_id] = fn if takes_as_of else (lambda h, as_of, _fn=fn: _fn(h))
        return fn

    return register


def message(rule_id: str):
    """Register the one-sentence message writer of a rule."""

    def register(fn):
        MESSAGES[rule_id] = fn
        return fn

    return register


def hits_where(h: History, rule_id: str, mask: np.ndarray, measure: str, value: np.ndarray, unit: str,
          threshold, comparison: str, **extra: np.ndarray | float) -> Hits:
    """The rows where `mask` holds, with the value, threshold and extra columns there (a number given for
    an extra column is the same on every row: no full-length array is made for it)."""
    rows = np.flatnonzero(mask)
    thr = np.broadcast_to(np.asarray(threshold, dtype=float), (h.n,))[rows]
    return Hits(rule_id, rows, measure, value[rows], unit, thr, comparison,
                {k: a[rows] if isinstance(a, np.ndarray) else np.full(len(rows), float(a))
                 for k, a in extra.items()})


# The order findings of one row are shown in (most urgent first).
RULE_ORDER = {r: i for i, r in enumerate((
    "INPUT_INVALID", "DOSE_JUMP", "CREATININE_RISE", "BP_SEVERE", "TROUGH_HIGH", "BP_HIGH", "TROUGH_UPPER_BAND",
    "TROUGH_LOW", "TROUGH_TIMING", "DOSE_ABOVE_CEILING", "DOSE_BELOW_EFFECTIVE", "WEIGHT_JUMP", "CHECK_OVERDUE",
))}



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
        return self._at(rows, "date", lambda: distinct(iso_day, self.h.day[self.rows]))

    def reading(self, name: str, rows: np.ndarray) -> tuple[TextColumn, np.ndarray]:
        """A measured column's values as shown (3 decimals at most), and where the rows have one."""
        x = self.h.v[name]
        present = np.isfinite(x[rows])
        return self._at(rows, name, lambda: distinct(lambda v: fmt(v, 3), x[self.rows],
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

