"""Events as columns: the one shape every rule reads, for one patient or a million rows.

Values are numpy arrays in the core's canonical units (kg, mg/day, mg/kg/day,
ng/mL, µmol/L, mmHg, h; days as proleptic ordinals), NaN where absent. The
units are fixed by `CANONICAL` and converted at the edge: `from_events` for
validated models, the batch reader for whole CSV columns (one factor per column).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from dosing.core import units

VISIT, START, DOSE_CHANGE, STOP = 0, 1, 2, 3
EVENT_CODES = {"visit": VISIT, "start": START, "dose_change": DOSE_CHANGE, "stop": STOP}

# column -> unit kind; the canonical unit of each kind is units.KINDS[kind].canonical
CANONICAL = {
    "weight": "weight",
    "dose": "daily_dose",
    "dose_rate": "dose_rate",
    "trough": "trough",
    "hours_post_dose": "duration",
    "creatinine": "creatinine",
    "sbp": "pressure",
    "dbp": "pressure",
}
VALUE_COLUMNS = tuple(CANONICAL)


@dataclass
class EventColumns:
    """Monitoring-log rows as parallel arrays (any order; the engine sorts)."""

    patient: np.ndarray  # object: patient ids as text
    day: np.ndarray  # int64: date.toordinal()
    event: np.ndarray  # int8 codes
    product: np.ndarray  # object: product key, "" when not given on the row
    line: np.ndarray  # int64: source line (file) or position (models)
    values: dict[str, np.ndarray] = field(default_factory=dict)  # float64, canonical units
    patient_code: np.ndarray | None = None  # int64 codes, when the caller already has them
    lost: dict[str, np.ndarray] = field(default_factory=dict)  # field -> bool: a cell given but unreadable

    def __post_init__(self) -> None:
        n = len(self.day)
        for name in VALUE_COLUMNS:
            if name not in self.values:
                self.values[name] = np.full(n, np.nan)

    def __len__(self) -> int:
        return len(self.day)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]


def from_events(events) -> EventColumns:
    """Validated Event models to columns, converting each quantity once to canonical units."""
    n = len(events)
    vals = {name: np.full(n, np.nan) for name in VALUE_COLUMNS}
    for i, e in enumerate(events):
        for name, kind in CANONICAL.items():
            q = getattr(e, name)
            if q is not None:
                vals[name][i] = units.to_canonical(q, kind)
    return EventColumns(
        patient=np.array([e.patient_id for e in events], dtype=object),
        day=np.array([e.date.toordinal() for e in events], dtype=np.int64),
        event=np.array([EVENT_CODES[e.event] for e in events], dtype=np.int8),
        product=np.array([e.product or "" for e in events], dtype=object),
        line=np.array([e.line if e.line is not None else i + 1 for i, e in enumerate(events)], dtype=np.int64),
        values=vals,
    )


def concat(*parts: EventColumns) -> EventColumns:
    """The rows of several column sets one after the other (values a part lacks are NaN, lost is False)."""
    fields = sorted({f for c in parts for f in c.values})
    lost = sorted({f for c in parts for f in c.lost})
    return EventColumns(
        patient=np.concatenate([c.patient for c in parts]).astype(object),
        day=np.concatenate([c.day for c in parts]).astype(np.int64),
        event=np.concatenate([c.event for c in parts]).astype(np.int8),
        product=np.concatenate([c.product for c in parts]).astype(object),
        line=np.concatenate([c.line for c in parts]).astype(np.int64),
        values={f: np.concatenate([c.values[f] if f in c.values else np.full(len(c), np.nan) for c in parts])
                for f in fields},
        lost={f: np.concatenate([c.lost[f] if f in c.lost else np.zeros(len(c), bool) for c in parts])
              for f in lost},
    )


def day_to_date(day: int) -> dt.date:
    return dt.date.fromordinal(int(day))
