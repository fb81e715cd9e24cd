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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dosing.core import findingschema, rules
from dosing.core.columns import EventColumns, from_events
from dosing.core.errors import SENSITIVE_FIELDS
from dosing.core.frames import FindingFrame
from dosing.core.profile import Profile
from dosing.io.logfile import InvalidCell, LogRead

# The finding fields of contract §3, in output order (JSON objects and CSV columns).
FINDING_COLUMNS = findingschema.COLUMNS  # the one finding shape (dosing.core.findingschema)
INVALID_RULE = "INPUT_INVALID"


# Rows evaluated at once: the rules' working arrays grow with this, not with the log. Chunks hold whole
# patients (a patient's history is never split), so a chunk's findings are exactly that patient's findings.
CHUNK_ROWS = 1 << 20


@dataclass
class CheckResult:
    """The findings of a batch check (INPUT_INVALID first, in line order; then by patient, date, line).

    The findings themselves are produced a batch at a time by `batches()`, so a
    log of any size is written without holding a dict per finding; `records`
    gathers them all (for small logs and tests).
    """

    invalid: list[dict]  # the INPUT_INVALID finding rows
    summary: dict[str, int]  # rule -> count, in the rules' display order
    rows_checked: int  # readable rows the rules ran over
    rows_invalid: int  # rows (lines) that could not be read
    severities_found: set[str] = field(default_factory=set)
    padded_ids: int = 0  # distinct patient ids with leading or trailing blanks (kept exactly)
    unknown_columns: list[str] = field(default_factory=list)
    widest_id: int = 0  # the longest patient id among the findings (for the table's column)
    last_line: int = 0  # the highest line number among the findings
    chunks: list = field(default_factory=list, repr=False)  # () -> FindingTable, one per chunk of patients

    @property
    def total(self) -> int:
        return sum(self.summary.values())

    def batches(self) -> Iterator[list[dict]]:
        """JSON-ready finding rows (date as ISO text or None, basis as a dict), a batch at a time, in order."""
        if self.invalid:
            yield self.invalid
        for table in self.chunks:
            yield from table().batches(iso=True)

    def frames(self) -> Iterator[FindingFrame]:
        """The rules' findings (not the INPUT_INVALID rows) as column batches, in order (dosing.core.frames)."""
        for table in self.chunks:
            yield from table().frames()

    @property
    def records(self) -> list[dict]:
        return [r for batch in self.batches() for r in batch]

    @property
    def findings(self) -> pd.DataFrame:
        """The finding rows as a DataFrame with the columns of FINDING_COLUMNS."""
        return pd.DataFrame.from_records(self.records, columns=list(FINDING_COLUMNS))

    def severities(self) -> Iterable[str]:
        return iter(self.severities_found)


def check_log(log: LogRead, profile: Profile, as_of: dt.date, chunk_rows: int | None = None) -> CheckResult:
    """Check a strictly read log: the readable rows through the rules, the unreadable ones as INPUT_INVALID."""
    result = check_columns(log.columns, profile, as_of, log.invalid, chunk_rows)
    result.unknown_columns = list(log.unknown_columns)
    return result


def check_events(events, profile: Profile, as_of: dt.date, chunk_rows: int | None = None) -> CheckResult:
    """Check validated Event models (e.g. the store's `all_events()`).

    As for a log, an event dated after `as_of` is not checked but reported as
    INPUT_INVALID (its line is the event's `line`, for the store its id).
    """
    later = [e for e in events if e.date > as_of]
    invalid = [InvalidCell(e.line or 0, "date", e.date.isoformat(),
                           f"a date on or before today ({as_of.isoformat()})", e.patient_id, None) for e in later]
    kept = [e for e in events if e.date <= as_of]
    return check_columns(from_events(kept), profile, as_of, invalid, chunk_rows)


def check_columns(cols: EventColumns, profile: Profile, as_of: dt.date,
                  invalid: list[InvalidCell] | tuple = (), chunk_rows: int | None = None) -> CheckResult:
    """Every rule over the columns, plus INPUT_INVALID findings for the cells that could not be read.

    The rows are evaluated in chunks of whole patients of about `chunk_rows`
    rows. A first pass counts the findings (the summary comes before them in
    the output); the findings are then written chunk by chunk. With one chunk
    its evaluation is kept; with several, each chunk is evaluated again when
    its findings are written, so memory stays bounded by the chunk.
    """
    chunk_rows = chunk_rows or CHUNK_ROWS
    if cols.patient_code is None and len(cols):
        _, codes = np.unique(cols.patient.astype(str), return_inverse=True)
        cols.patient_code = codes.astype(np.int64)
    parts = patient_chunks(cols.patient_code, chunk_rows) if cols.patient_code is not None and len(cols) else []
    records = invalid_records(invalid, profile)
    counts = Counter(r["rule"] for r in records)
    widest = max((len(r["patient_id"]) for r in records), default=0)
    last_line = max((r["line"] for r in records), default=0)
    chunks = []
    severities: set[str] = {profile.severity(r) for r in counts}  # the INPUT_INVALID rows'
    for idx in parts:
        table = rules.evaluate(_take(cols, idx), profile, as_of)
        h = table.history
        for x in table.hits:
            counts[x.rule] += len(x.rows)
            severities |= rules.hit_severities(x, profile)
        if table.hits:
            rows = np.concatenate([x.rows for x in table.hits])
            first = np.unique(h.code[rows], return_index=True)[1]
            widest = max(widest, max(map(len, h.patient[rows[first]].tolist())))
            last_line = max(last_line, int(h.line[rows].max()))
        if len(parts) == 1:
            chunks.append(lambda table=table: table)
        elif table.hits:
            chunks.append(lambda idx=idx: rules.evaluate(_take(cols, idx), profile, as_of))
        del table, h
    order = sorted(counts, key=lambda r: (rules.RULE_ORDER.get(r, 99), r))
    return CheckResult(
        invalid=records,
        summary={r: counts[r] for r in order},
        rows_checked=len(cols),
        rows_invalid=len({c.line for c in invalid}),
        severities_found=severities,
        padded_ids=_padded_ids(cols),
        widest_id=widest,
        last_line=last_line,
        chunks=chunks,
    )


def patient_chunks(codes: np.ndarray, chunk_rows: int) -> list[np.ndarray | None]:
    """Row indices of each chunk: whole patients, in patient-code order.

    A chunk ends at the first patient boundary at or after `chunk_rows` rows,
    so a patient's history is never split (a patient longer than `chunk_rows`
    simply makes its chunk longer). One chunk covering every row is `[None]`.
    """
    n = len(codes)
    if n <= chunk_rows:
        return [None]
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])  # each patient's first row
    cuts = []
    pos = 0
    while True:
        # The first patient start at or after pos + chunk_rows; if none, the rest is the last chunk.
        k = int(np.searchsorted(starts, pos + chunk_rows, side="left"))
        if k >= len(starts):
            break
        cut = int(starts[k])
        if cut == pos:  # cannot happen (starts are increasing), kept as a guard against an endless loop
            break
        cuts.append(cut)
        pos = cut
    return [np.sort(order[lo:hi]) for lo, hi in zip([0, *cuts], [*cuts, n])]


def _take(cols: EventColumns, idx: np.ndarray | None) -> EventColumns:
    if idx is None:
        return cols
    return EventColumns(
        patient=cols.patient[idx], day=cols.day[idx], event=cols.event[idx], product=cols.product[idx],
        line=cols.line[idx], values={k: a[idx] for k, a in cols.values.items()},
        patient_code=None if cols.patient_code is None else cols.patient_code[idx], lost={k: a[idx] for k, a in cols.lost.items()},
    )


def invalid_records(invalid: Iterable[InvalidCell], profile: Profile) -> list[dict]:
    """INPUT_INVALID finding rows, one per problem; patient and date when those cells were readable."""
    severity, source = profile.severity(INVALID_RULE), profile.source(INVALID_RULE)
    out = []
    for c in invalid:
        out.append(findingschema.record(
            patient_id=c.patient_id if c.patient_id is not None else "",
            date=c.date.isoformat() if c.date is not None else None,
            rule=INVALID_RULE, severity=severity, message=invalid_message(c), measure=c.column or "row",
            source=source, line=c.line, column=c.column or None,
            basis={"cell": c.value} if c.value else {},
        ))
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
