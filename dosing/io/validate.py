"""Validating the split cells column by column into canonical EventColumns (each distinct text once)."""
from __future__ import annotations

import datetime as dt
import functools
import math
import re

import numpy as np
import pandas as pd

from dosing.core import units
from dosing.core.columns import CANONICAL, EVENT_CODES, EventColumns
from dosing.core.errors import SENSITIVE_FIELDS, InputError
from dosing.core.models import Event, check_date, check_patient_id
from dosing.core.plausibility import ZERO_ALLOWED, canonical_limits, expected_text
from dosing.core.profile import Profile
from dosing.io import csvsafe
from dosing.io.cells import NUMERIC_FIELDS, WHOLE_ROW, InvalidCell, LogRead
from dosing.io.split import REPEATED_HEADER, LazyCells, Table

_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d+,\d+\s*$")


def _number_problem(text: str, unit: str, example: str, number: str) -> tuple[float, str | None]:
    """(value, None) for a plain number, (nan, None) for a blank cell, (nan, expected) otherwise.

    The grammar is the one `units.parse` reads for the number of "7.5 mg/day":
    the same regular expression, then float(), then a finiteness check.
    """
    if not text.strip():
        return math.nan, None
    m = units._NUMBER.match(text)
    if m and not m.group(2):
        value = float(m.group(1))
        if math.isfinite(value):
            return value, None
        return math.nan, f"a finite number in {unit}"
    if _DECIMAL_COMMA.match(text):
        return math.nan, f"a number with a decimal point, not a comma (e.g. {text.strip().replace(',', '.')})"
    if m and m.group(2):
        return math.nan, (f"a plain number: the unit belongs in the header (e.g. '{example}'), not in the cell; "
                          f"this column is read in {unit}")
    return math.nan, f"a plain number in {unit} (the unit is in the header), e.g. '{number}'"


def _per_unique(cells: np.ndarray, fn, sort: bool = False, keep: list | None = None,
                coded: tuple[np.ndarray, np.ndarray] | None = None):
    """Apply fn once per distinct cell text: (codes, list of fn results); `keep` receives the texts.

    `coded` is the splitter's (codes, distinct texts) of the same cells, when it has them (no hashing again).
    """
    n = len(cells)
    if coded is not None:
        codes, distinct = coded
        if sort:
            order = np.argsort(distinct, kind="stable")
            rank = np.empty(len(order), dtype=np.intp)
            rank[order] = np.arange(len(order))
            codes, distinct = rank[codes], distinct[order]
        texts = distinct.tolist()
        if keep is not None:
            keep.extend(texts)
        return codes, [fn(u) for u in texts]
    # A mostly empty column (dose, weight, event) hashes only its filled cells; a sample decides cheaply.
    if not sort and n and (cells[:: max(1, n // 512)] == "").mean() > 0.5:
        blank = cells == ""
        if 2 * int(blank.sum()) > n:
            filled = np.flatnonzero(~blank)
            sub, uniques = pd.factorize(cells[filled])
            codes = np.full(n, len(uniques), dtype=np.intp)
            codes[filled] = sub
            uniques = [*uniques, ""]
            if keep is not None:
                keep.extend(uniques)
            return codes, [fn(u) for u in uniques]
    codes, uniques = pd.factorize(cells, sort=sort)
    if keep is not None:
        keep.extend(uniques)
    return codes, [fn(u) for u in uniques]


# What losing one cell means for the rest of its row (shown with the INPUT_INVALID finding): the other
# values are checked, and the checks that needed this one say what they did without it.
LOST_CONSEQUENCE = {
    "event": "the row is read as a visit",
    "product": "the product in force before this row is kept",
    "weight": "mg/kg/day uses the latest readable weight before this row",
    "dose": "the dose in force from this row on is unknown to tacro (no dose rule or jump check uses it)",
    "dose_rate": "the dose in force from this row on is unknown to tacro (no dose rule or jump check uses it)",
    "trough": "the row still counts as a trough check done that day; no trough rule uses a value for it, and the "
              "schedule treats the level as unknown (not stable)",
    "hours_post_dose": "the sample's timing is not judged",
    "creatinine": "the row still counts as a creatinine check done that day; no rise is computed for it, and the "
                  "schedule treats creatinine as unknown (not stable)",
    "sbp": "no blood pressure rule uses this row's reading",
    "dbp": "no blood pressure rule uses this row's reading",
}
# Cells without which a row has no place in a history: an unreadable one refuses the row.
ROW_FIELDS = ("patient_id", "date")


def validate_table(table: Table, profile: Profile, as_of: dt.date) -> LogRead:
    """Hold every cell to what the Event model accepts, column by column (each distinct text once).

    A bad cell costs only that cell: it is reported (InvalidCell) and left out of the row, whose other
    values are kept and checked (`LogRead.columns.lost` marks the cells left out). A row is refused
    whole only when its patient_id or date cannot be read (it has no place in a history), besides the
    structural refusals of the splitter (field count, undecodable bytes, repeated header).
    Cross-field problems lose the cells they concern: a dose given both ways (both), a pressure
    without its pair (the one given), a diastolic not below the systolic (both), hours_post_dose
    without a trough (the hours). A start or dose_change whose dose is missing keeps its event: the
    start happened, its dose is unknown.
    """
    h, n = table.header, len(table.lines)
    cells = table.cells
    ok = np.ones(n, dtype=bool)  # the row is kept
    lost: dict[str, np.ndarray] = {}  # field -> the cell had text that was not used
    problems: list[tuple[str, np.ndarray, list[str | None], np.ndarray]] = []  # (field, codes, expected per uniq)

    def note(fld: str, codes: np.ndarray, expected: list[str | None]) -> np.ndarray | None:
        bad_u = np.array([e is not None for e in expected], dtype=bool)
        if bad_u.any():
            bad = bad_u[codes]
            if fld in ROW_FIELDS:
                ok[bad] = False
            else:
                lost[fld] = lost[fld] | bad if fld in lost else bad
            problems.append((fld, codes, expected, bad))
            return bad
        return None

    # patient_id: kept exactly, except that tacro's own export neutralisation ("'-5" for "-5",
    # dosing.io.csvsafe) is undone here, once, so `check` and `import` see the same ids.
    coded, table.coded = table.coded, {}  # each column's codes are dropped once used (memory)
    pid_cells = cells["patient_id"]
    pid_distinct = coded["patient_id"][1] if "patient_id" in coded else pd.unique(pid_cells)
    if n and any(t.startswith("'") for t in pid_distinct):
        pid_cells = cells["patient_id"] = np.array([csvsafe.restore(t) for t in pid_cells], dtype=object)
        coded.pop("patient_id", None)  # two texts may now be one id
    if "note" in cells:
        notes = coded["note"][1] if "note" in coded else cells["note"]
        if any(t[:1] == "'" for t in notes):
            cells["note"] = np.array([csvsafe.restore(t) if t[:1] == "'" else t for t in cells["note"]],
                                     dtype=object)
    pid_texts: list[str] = []
    pid_codes, pid_res = _per_unique(pid_cells, lambda u: _try(check_patient_id, u), sort=True, keep=pid_texts,
                                     coded=coded.pop("patient_id", None))
    note("patient_id", pid_codes, [e for _, e in pid_res])
    pid_ok = ~np.array([e is not None for _, e in pid_res], dtype=bool)[pid_codes] if n else np.zeros(0, bool)

    # date: the model's check (ISO 8601, from 1950, not after as_of).
    def date_of(u: str):
        d, e = _try(lambda v: check_date("date", v, as_of), u)
        return (d.toordinal() if d is not None else 0), e

    d_codes, d_res = _per_unique(cells["date"], date_of, coded=coded.pop("date", None))
    note("date", d_codes, [e for _, e in d_res])
    day = np.array([d for d, _ in d_res], dtype=np.int64)[d_codes] if n else np.zeros(0, np.int64)
    date_ok = ~np.array([e is not None for _, e in d_res], dtype=bool)[d_codes] if n else np.zeros(0, bool)

    # A repeated header row: its patient_id and date cells are the header's own (compared once per distinct text).
    rep = np.zeros(n, dtype=bool)
    pid_name, date_name = h.cells[h.positions["patient_id"]], h.cells[h.positions["date"]]
    pid_is_name = np.array([u == pid_name for u in pid_texts] or [False])
    if pid_is_name.any():
        rep = pid_is_name[pid_codes] & (cells["date"] == date_name)

    event = np.zeros(n, dtype=np.int8)
    if "event" in cells:
        def event_of(u: str):
            name, e = _try(Event._event, u)
            return (EVENT_CODES[name] if name else 0), e

        e_codes, e_res = _per_unique(cells["event"], event_of, coded=coded.pop("event", None))
        note("event", e_codes, [e for _, e in e_res])
        event = np.array([c for c, _ in e_res], dtype=np.int8)[e_codes]

    product = np.full(n, "", dtype=object)
    if "product" in cells:
        def product_of(u: str):
            if not u.strip():
                return "", None
            key, e = _try(lambda v: profile.product(v).key, u)
            return key or "", e

        p_codes, p_res = _per_unique(cells["product"], product_of, coded=coded.pop("product", None))
        note("product", p_codes, [e for _, e in p_res])
        product = np.array([k for k, _ in p_res] or [""], dtype=object)[p_codes]

    limits = canonical_limits(profile)
    values: dict[str, np.ndarray] = {}
    for fld in NUMERIC_FIELDS:
        if fld not in cells:
            continue
        unit = h.units[fld]
        kind = "dose_rate" if fld == "dose_rate" else CANONICAL[fld]
        factor = units.column_factor(unit, kind, fld)
        example = f"{h.names[fld]} [{unit}]"
        number = units.KINDS[kind].example.split()[0]
        codes, res = _per_unique(cells[fld], lambda u: _number_problem(u, unit, example, number),  # noqa: B023
                                 coded=coded.pop(fld, None))
        raw_u = np.array([v for v, _ in res] or [math.nan], dtype=float)
        expected = [e for _, e in res]
        with np.errstate(invalid="ignore", over="ignore"):
            canon_u = raw_u * factor
        present = ~np.isnan(raw_u)
        low, high = limits[fld]
        with np.errstate(invalid="ignore"):
            implausible = present & (~np.isfinite(canon_u) | (canon_u < 0) | (canon_u < low) | (canon_u > high)
                                     | ((canon_u == 0) & (fld not in ZERO_ALLOWED)))
        if implausible.any():
            why = expected_text(fld, profile)
            expected = [why if implausible[i] else e for i, e in enumerate(expected)]
        bad = note(fld, codes, expected)
        values[fld] = canon_u[codes] if n else np.zeros(0)
        if bad is not None:
            values[fld][bad] = np.nan  # the unreadable or implausible cell is left out, not the row

    # Cross-field checks, as Event's model validator, on the values left after the cell checks. Each one
    # reports once per row (not again for a cell already reported) and loses the cells it concerns.
    cross: list[tuple[int, str, str]] = []  # (row, field, expected)
    none = np.zeros(n, dtype=bool)

    def has(fld: str) -> np.ndarray:
        return ~np.isnan(values[fld]) if fld in values else none

    def was_lost(*flds: str) -> np.ndarray:
        out = none
        for f in flds:
            if f in lost:
                out = out | lost[f]
        return out

    def flag(mask: np.ndarray, fld, expected: str, drop: tuple[str, ...] = (), report: np.ndarray | None = None):
        live = mask & ok & ~rep
        rows = np.flatnonzero(live & (True if report is None else report))
        cross.extend((int(i), fld if isinstance(fld, str) else fld(i), expected) for i in rows)
        for f in drop:
            if f in values:
                gone = live & has(f)
                values[f][gone] = np.nan
                lost[f] = lost[f] | gone if f in lost else gone

    flag(has("dose") & has("dose_rate"), "dose", "the dose either as mg/day or as mg/kg/day, not both",
         drop=("dose", "dose_rate"))
    s_has, d_has = has("sbp"), has("dbp")
    flag(s_has != d_has, lambda i: "sbp" if d_has[i] else "dbp", "both systolic and diastolic pressure, or neither",
         drop=("sbp", "dbp"), report=~was_lost("sbp", "dbp"))
    if "sbp" in values and "dbp" in values:
        with np.errstate(invalid="ignore"):
            flag(has("sbp") & has("dbp") & (values["dbp"] >= values["sbp"]), "dbp",
                 "a diastolic pressure below the systolic", drop=("sbp", "dbp"))
    no_dose = ~has("dose") & ~has("dose_rate")
    dose_reported = was_lost("dose", "dose_rate")
    flag((event == EVENT_CODES["start"]) & no_dose, "dose",
         "a dose on a start event (mg/day, or mg/kg/day with a weight)", report=~dose_reported)
    flag((event == EVENT_CODES["dose_change"]) & no_dose, "dose", "the new dose on a dose_change event",
         report=~dose_reported)
    flag(has("hours_post_dose") & ~has("trough"), "hours_post_dose", "a trough to go with it",
         drop=("hours_post_dose",), report=~was_lost("trough"))

    # Collect every problem as InvalidCell, in line then column order.
    invalid = list(table.invalid)
    lines = table.lines
    for i in np.flatnonzero(rep):
        invalid.append(InvalidCell(int(lines[i]), WHOLE_ROW, "", REPEATED_HEADER))
    order = {f: p for f, p in h.positions.items()}
    cell_problems = []
    for fld, codes, expected, bad in problems:
        for i in np.flatnonzero(bad & ~rep):
            value = "" if fld in SENSITIVE_FIELDS else str(cells[fld][i])
            cell_problems.append((int(lines[i]), order[fld],
                                  InvalidCell(int(lines[i]), h.names[fld], value, expected[codes[i]],
                                              row_kept=bool(ok[i]), consequence=_consequence(fld, ok[i]))))
    for row, fld, expected_text_ in cross:
        value = "" if fld not in cells else str(cells[fld][row])
        cell_problems.append((int(lines[row]), order.get(fld, order.get("dose_rate", 0)),
                              InvalidCell(int(lines[row]), h.names.get(fld, "dose" if fld == "dose_rate" else fld),
                                          value, expected_text_, row_kept=bool(ok[row]),
                                          consequence=_consequence(fld, ok[row]))))
    cell_problems.sort(key=lambda t: (t[0], t[1]))
    invalid.extend(c for _, _, c in cell_problems)
    line_index = {int(k): i for i, k in enumerate(lines)} if invalid else {}
    for c in invalid:
        at = line_index.get(c.line)
        if at is not None and not rep[at]:
            c.patient_id = pid_cells[at] if pid_ok[at] else None
            c.date = dt.date.fromordinal(int(day[at])) if date_ok[at] else None
    invalid.sort(key=lambda c: c.line)

    readable = ok & ~rep
    keep = None if readable.all() else np.flatnonzero(readable)

    def sub(a: np.ndarray) -> np.ndarray:
        return a if keep is None else a[keep]

    vals = {f: sub(v) for f, v in values.items()}
    cols = EventColumns(
        patient=sub(pid_cells), day=sub(day), event=sub(event), product=sub(product), line=sub(lines),
        values=vals, patient_code=sub(pid_codes.astype(np.int64)),
        lost={f: sub(m) for f, m in lost.items() if m.any()},
    )
    raw = LazyCells()  # each column's texts made only if asked for (tacro check asks for none)
    for f in cells:
        raw.later(f, functools.partial(_kept_cells, cells, f, keep))
    notes = raw["note"] if "note" in raw else np.full(len(cols), "", dtype=object)
    header_units = dict(h.units)
    return LogRead(cols, invalid, list(h.unknown), header_units, raw, notes, table.rows)


def _kept_cells(cells, field: str, keep: np.ndarray | None) -> np.ndarray:
    return cells[field] if keep is None else cells[field][keep]


def _consequence(fld: str, kept) -> str:
    if not kept:
        return ""
    return LOST_CONSEQUENCE.get(fld, "")


def _try(fn, value):
    """(result, None) or (None, what was expected) for the model's own validators."""
    try:
        return fn(value), None
    except InputError as e:
        return None, e.expected
