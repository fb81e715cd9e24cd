"""Batch checking: every rule of the profile over a whole log (or the store), as finding rows.

The rules are the core's own (`dosing.core.rules.evaluate`, column-wise over all
patients at once); this module only adds the rows that could not be read as
INPUT_INVALID findings and shapes the result for output. Nothing here loops
over rows with Quantities: the reader converts each column once, the engine
works on whole columns, and only the (sparse) findings become Python dicts.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dosing.core import rules
from dosing.core.columns import EventColumns, from_events
from dosing.core.errors import SENSITIVE_FIELDS
from dosing.core.profile import Profile
from dosing.io.logfile import InvalidCell, LogRead

# The finding fields of contract §3, in output order (JSON objects and CSV columns).
FINDING_COLUMNS = (
    "patient_id", "date", "rule", "severity", "message", "measure", "value", "value_unit", "threshold",
    "threshold_unit", "comparison", "source", "line", "column", "basis",
)
INVALID_RULE = "INPUT_INVALID"


@dataclass
class CheckResult:
    """The findings of a batch check (INPUT_INVALID first, in line order; then by patient, date, line)."""

    records: list[dict]  # JSON-ready finding rows: date as ISO text or None, basis as a dict
    summary: dict[str, int]  # rule -> count, in the rules' display order
    rows_checked: int  # readable rows the rules ran over
    rows_invalid: int  # rows (lines) that could not be read
    padded_ids: int = 0  # distinct patient ids with leading or trailing blanks (kept exactly)
    unknown_columns: list[str] = field(default_factory=list)

    @property
    def findings(self) -> pd.DataFrame:
        """The finding rows as a DataFrame with the columns of FINDING_COLUMNS."""
        return pd.DataFrame.from_records(self.records, columns=list(FINDING_COLUMNS))

    def severities(self) -> Iterable[str]:
        return (r["severity"] for r in self.records)


def check_log(log: LogRead, profile: Profile, as_of: dt.date) -> CheckResult:
    """Check a strictly read log: the readable rows through the rules, the unreadable ones as INPUT_INVALID."""
    result = check_columns(log.columns, profile, as_of, log.invalid)
    result.unknown_columns = list(log.unknown_columns)
    return result


def check_events(events, profile: Profile, as_of: dt.date) -> CheckResult:
    """Check validated Event models (e.g. the store's `all_events()`).

    As for a log, an event dated after `as_of` is not checked but reported as
    INPUT_INVALID (its line is the event's `line`, for the store its id).
    """
    later = [e for e in events if e.date > as_of]
    invalid = [InvalidCell(e.line or 0, "date", e.date.isoformat(),
                           f"a date on or before today ({as_of.isoformat()})", e.patient_id, None) for e in later]
    kept = [e for e in events if e.date <= as_of]
    return check_columns(from_events(kept), profile, as_of, invalid)


def check_columns(cols: EventColumns, profile: Profile, as_of: dt.date,
                  invalid: list[InvalidCell] | tuple = ()) -> CheckResult:
    """Every rule over the columns, plus INPUT_INVALID findings for the cells that could not be read."""
    table = rules.evaluate(cols, profile, as_of)
    records = invalid_records(invalid, profile)
    records.extend(_jsonable(r) for r in table.records())
    counts = Counter(r["rule"] for r in records)
    order = sorted(counts, key=lambda r: (rules.RULE_ORDER.get(r, 99), r))
    return CheckResult(
        records=records,
        summary={r: counts[r] for r in order},
        rows_checked=len(cols),
        rows_invalid=len({c.line for c in invalid}),
        padded_ids=_padded_ids(cols),
    )


def invalid_records(invalid: Iterable[InvalidCell], profile: Profile) -> list[dict]:
    """INPUT_INVALID finding rows, one per problem; patient and date when those cells were readable."""
    severity, source = profile.severity(INVALID_RULE), profile.source(INVALID_RULE)
    out = []
    for c in invalid:
        out.append({
            "patient_id": c.patient_id if c.patient_id is not None else "",
            "date": c.date.isoformat() if c.date is not None else None,
            "rule": INVALID_RULE,
            "severity": severity,
            "message": invalid_message(c),
            "measure": c.column or "row",
            "value": None,
            "value_unit": "",
            "threshold": None,
            "threshold_unit": "",
            "comparison": "",
            "source": source,
            "line": c.line,
            "column": c.column or None,
            "basis": {"cell": c.value} if c.value else {},
        })
    return out


def invalid_message(c: InvalidCell) -> str:
    """One sentence: where, what was found (never a patient id or note), what was expected."""
    if not c.column:
        return f"Line {c.line} could not be read: expected {c.expected}. The row was not checked."
    if c.column in SENSITIVE_FIELDS:
        got = "the value (withheld: it may identify a patient)"
    elif c.value.strip():
        got = repr(c.value if len(c.value) <= 60 else c.value[:60] + "…")
    else:
        got = "an empty cell"
    if c.row_kept:  # a bad cell costs only that cell
        then = f": {c.consequence}" if c.consequence else ""
        return (f"Line {c.line}, column {c.column}: {got} could not be read; expected {c.expected}. "
                f"This value was left out and the row's other values were checked{then}.")
    return (f"Line {c.line}, column {c.column}: {got} could not be read; expected {c.expected}. "
            f"The row was not checked.")


def _jsonable(r: dict) -> dict:
    r["date"] = r["date"].isoformat() if r["date"] is not None else None
    return {k: r[k] for k in FINDING_COLUMNS}


def _padded_ids(cols: EventColumns) -> int:
    """How many distinct patient ids have leading or trailing blanks (kept exactly, so worth a warning)."""
    if not len(cols):
        return 0
    codes = cols.patient_code
    if codes is None:
        ids = pd.unique(cols.patient)
    else:  # one row per distinct code, without hashing a million strings again
        first = np.full(int(codes.max()) + 1, -1, dtype=np.int64)
        first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
        ids = cols.patient[first[first >= 0]]
    return sum(1 for p in ids if p != p.strip())
