"""The visit store's rows: Events to canonical values plus what was typed, and back.

A value is stored in its kind's canonical unit (for SQL and audit) and as
entered: the text typed ('154 lb'), its magnitude and its pint unit, from
which the Quantity is rebuilt exactly. Reading back does not re-validate: the
profile or today's date may have changed since, and a saved visit must always
read back as it was saved.
"""
from __future__ import annotations

import datetime as dt
import functools
import math
import sqlite3
from collections.abc import Iterable
from typing import Any

from dosing.core import units
from dosing.core.columns import CANONICAL
from dosing.core.errors import InputError, StoreError
from dosing.core.models import Event, Patient, check_patient_id

QUANTITY_FIELDS: dict[str, str] = dict(CANONICAL)  # field -> unit kind
TEXT_FIELDS = ("patient_id", "date", "event", "product", "note")
ENTERABLE = frozenset(QUANTITY_FIELDS) | frozenset(TEXT_FIELDS)
EVENT_COLUMNS = ("id", "first", "amends", "reason", "source", "batch", "patient_id", "date", "event", "product",
                  *QUANTITY_FIELDS, "note", "saved_at", "entered_by", "entered_host")
SELECT = f"SELECT {', '.join('e.' + c for c in EVENT_COLUMNS)} FROM event e"
CURRENT = "NOT EXISTS (SELECT 1 FROM event n WHERE n.amends = e.id)"



def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def author() -> tuple[str, str | None]:
    """Who is saving (the OS user) and from where (the SSH client's address, when over SSH)."""
    import getpass
    import os

    try:
        user = getpass.getuser()
    except (OSError, KeyError, ImportError):
        user = f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"
    ssh = os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_CLIENT") or ""
    return user, (ssh.split()[0] if ssh.split() else None)


def patient_from_row(row: tuple) -> Patient:
    return Patient.model_construct(patient_id=row[0], prior_cyclosporine_nephrotoxicity=bool(row[1]), label=row[2])


def insert_patient(c: sqlite3.Connection, patient: Patient) -> None:
    c.execute("INSERT INTO patient (patient_id, prior_cyclosporine_nephrotoxicity, label, saved_at) "
              "VALUES (?, ?, ?, ?)",
              (patient.patient_id, int(patient.prior_cyclosporine_nephrotoxicity), patient.label, now()))


def event_row(event: Event, entered: dict[str, str] | None) -> dict[str, Any]:
    """The values to store for an event: canonical columns and the entered text of each field."""
    if not isinstance(event, Event):
        raise StoreError("could not save: expected a validated Event")
    row: dict[str, Any] = {
        "patient_id": check_patient_id(event.patient_id), "date": event.date.isoformat(), "event": event.event,
        "product": event.product, "note": event.note,
    }
    for field in ("patient_id", "note", "product"):
        _check_text(field, row[field])
    typed: dict[str, tuple[str, float | None, str | None]] = {}
    entered = dict(entered or {})
    unknown = set(entered) - ENTERABLE
    if unknown:
        raise StoreError(f"could not save: 'entered' names fields that events do not have: {sorted(unknown)}")
    for field, kind in QUANTITY_FIELDS.items():
        q = getattr(event, field)
        if q is None:
            row[field] = None
            if entered.get(field, "").strip():
                raise InputError(field, entered[field], "no entered text for a field left empty")
            entered.pop(field, None)
            continue
        unit, shown, factor = _unit(q, kind, field)
        magnitude = float(q.magnitude)
        value = magnitude * factor  # exactly units.to_canonical(q, kind)
        if not math.isfinite(value):
            raise InputError(field, f"{magnitude} {shown}", "a finite number")
        row[field] = value
        text = entered.pop(field, None)
        if text is None:
            text = f"{_number(magnitude)} {shown}"
        elif not _same(units.to_canonical(units.parse(text, kind, field), kind), value):
            raise InputError(field, text, f"entered text that matches the saved value {units.format_quantity(q)}")
        typed[field] = (text, magnitude, unit)
    for field, text in entered.items():
        if not isinstance(text, str):
            raise InputError(field, text, "the text as it was typed")
        _check_text(field, text)
        typed[field] = (text, None, None)
    row["entered"] = typed
    return row


def _check_text(field: str, text: str | None) -> None:
    """Text that can be stored and exported as UTF-8 CSV: no NUL character, no lone surrogate."""
    if text is None:
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(field, text, "text without unpaired surrogate characters") from None
    if "\x00" in text:
        raise InputError(field, text, "text without NUL characters")


def _unit(q: Any, kind: str, field: str) -> tuple[str, str, float]:
    """(pint unit string, unit as shown, factor to canonical) for q's unit: pint's formatting is slow,
    so it runs once per distinct unit, not once per value."""
    if not isinstance(q, units.Quantity):
        units.require(q, kind, field)  # raises: a bare number
    return _unit_of(q.units, kind, field)


@functools.lru_cache(maxsize=256)
def _unit_of(unit: Any, kind: str, field: str) -> tuple[str, str, float]:
    q = units.require(units.Q_(1.0, unit), kind, field)
    return str(unit), units.unit_text(q), units.to_canonical(q, kind)


@functools.lru_cache(maxsize=256)
def _pint_unit(unit: str) -> Any:
    return units.ureg.Unit(unit)


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)


def _number(x: float) -> str:
    """The shortest text that reads back as exactly x, without a trailing '.0'."""
    s = repr(x)
    return s[:-2] if s.endswith(".0") else s


def insert_event(c: sqlite3.Connection, row: dict[str, Any], *, source: str, first: int | None = None,
                  amends: int | None = None, reason: str | None = None, batch: int | None = None) -> int:
    c.execute("INSERT OR IGNORE INTO patient (patient_id, prior_cyclosporine_nephrotoxicity, label, saved_at) "
              "VALUES (?, 0, '', ?)", (row["patient_id"], now()))
    cols = ["first", "amends", "reason", "source", "batch", "patient_id", "date", "event", "product",
            *QUANTITY_FIELDS, "note", "saved_at", "entered_by", "entered_host"]
    values = [first, amends, reason, source, batch, *(row[k] for k in cols[5:-3]), now(), *author()]
    event_id = c.execute(f"INSERT INTO event ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                         values).lastrowid
    assert event_id is not None  # an INSERT always sets it
    c.executemany("INSERT INTO entered (event_id, field, text, value, unit) VALUES (?, ?, ?, ?, ?)",
                  [(event_id, f, *t) for f, t in row["entered"].items()])
    return int(event_id)


def entered_texts(c: sqlite3.Connection, ids: Iterable[int]) -> dict[int, dict[str, tuple[str, float | None, str | None]]]:
    out: dict[int, dict[str, tuple[str, float | None, str | None]]] = {}
    ids = list(ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for event_id, field, text, value, unit in c.execute(
                f"SELECT event_id, field, text, value, unit FROM entered WHERE event_id IN "
                f"({', '.join('?' * len(chunk))})", chunk):
            out.setdefault(event_id, {})[field] = (text, value, unit)
    return out


def load_events(c: sqlite3.Connection, sql: str, params: tuple) -> list[Event]:
    rows = c.execute(sql, params).fetchall()
    entered = entered_texts(c, [r[0] for r in rows])
    return [event_from_row(r, entered.get(r[0], {})) for r in rows]


def event_from_row(r: tuple, entered: dict[str, tuple[str, float | None, str | None]]) -> Event:
    """An Event as saved, each quantity in the unit it was entered in (not re-validated: the
    profile or today's date may have changed since, and a saved visit must always read back)."""
    rec = dict(zip(EVENT_COLUMNS, r))
    data: dict[str, Any] = {
        "patient_id": rec["patient_id"], "date": dt.date.fromisoformat(rec["date"]), "event": rec["event"],
        "product": rec["product"], "note": rec["note"], "line": rec["id"],
    }
    for field, kind in QUANTITY_FIELDS.items():
        value = rec[field]
        if value is None:
            data[field] = None
            continue
        typed = entered.get(field)
        if typed is not None and typed[1] is not None and typed[2]:
            data[field] = units.Q_(typed[1], _pint_unit(typed[2]))
        else:
            data[field] = units.Q_(value, _pint_unit(units.KINDS[kind].canonical))
    return Event.model_construct(**data)


# ---------------------------------------------------------------------------------------------- by columns
# `tacro import` and `tacro export` move whole columns: no Event model or Quantity per row. What they store and
# read is exactly what `event_row` / `event_from_row` would (tests/test_transfer.py: export -> import -> export
# byte-identical; tests/test_logfile_agreement.py: the reader accepts exactly what the model accepts).
EVENT_NAMES = ("visit", "start", "dose_change", "stop")  # by dosing.core.columns event code
IMPORT_COLUMNS = ("patient_id", "date", "event", "product", *QUANTITY_FIELDS, "note")


def import_rows(log) -> tuple[list[tuple], list[tuple]]:
    """From a log read without problems: one tuple per event (IMPORT_COLUMNS) and the entered rows
    (event index, field, text as typed with the column's unit, magnitude, pint unit), a column at a time
    with one conversion factor per column."""
    cols, raw, n = log.columns, log.raw, len(log.columns)
    pids = cols.patient.tolist()
    iso = {d: dt.date.fromordinal(d).isoformat() for d in set(cols.day.tolist())}
    dates = [iso[d] for d in cols.day.tolist()]
    events = [EVENT_NAMES[c] for c in cols.event.tolist()]
    products = [p or None for p in cols.product.tolist()]
    notes = [str(t) for t in raw["note"].tolist()] if "note" in raw else [""] * n
    values: list[list[float | None]] = []
    entered: list[tuple] = []
    for field, kind in QUANTITY_FIELDS.items():
        if field not in raw:
            values.append([None] * n)
            continue
        header_unit = log.header_units[field]
        unit = str(_pint_unit(units.lookup_unit(header_unit, kind, field)))
        factor = _unit_of(_pint_unit(unit), kind, field)[2]
        texts = [c.strip() for c in raw[field].tolist()]
        filled = [i for i, t in enumerate(texts) if t]
        magnitudes = {t: float(t) for t in {texts[i] for i in filled}}  # each distinct cell once
        column: list[float | None] = [None] * n
        for i in filled:
            column[i] = magnitudes[texts[i]] * factor
        suffix = f" {header_unit}"
        entered.extend((i, field, texts[i] + suffix, magnitudes[texts[i]], unit) for i in filled)
        values.append(column)
    rows = list(zip(pids, dates, events, products, *values, notes))
    return rows, entered


def insert_imported(c: sqlite3.Connection, rows: list[tuple], entered: list[tuple], batch: int) -> int:
    """Insert import rows with executemany, ids assigned in order (the caller holds the write lock)."""
    saved_at = now()
    c.executemany("INSERT OR IGNORE INTO patient (patient_id, prior_cyclosporine_nephrotoxicity, label, saved_at) "
                  "VALUES (?, 0, '', ?)", [(p, saved_at) for p in dict.fromkeys(r[0] for r in rows)])
    first_id = c.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM event").fetchone()[0]
    names = ["id", "source", "batch", *IMPORT_COLUMNS, "saved_at"]
    c.executemany(f"INSERT INTO event ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                  [(first_id + i, "import", batch, *r, saved_at) for i, r in enumerate(rows)])
    c.executemany("INSERT INTO entered (event_id, field, text, value, unit) VALUES (?, ?, ?, ?, ?)",
                  [(first_id + i, *t) for i, *t in entered])
    return len(rows)


EXPORT_SQL = f"SELECT {', '.join('e.' + c for c in IMPORT_COLUMNS)} FROM event e WHERE {CURRENT}"


def current_rows(c: sqlite3.Connection, patient_id: str | None = None) -> list[tuple]:
    """Current events as IMPORT_COLUMNS tuples (canonical values), in the order of all_events / events."""
    if patient_id is None:
        return c.execute(f"{EXPORT_SQL} ORDER BY e.patient_id, e.date, e.id").fetchall()
    return c.execute(f"{EXPORT_SQL} AND e.patient_id = ? ORDER BY e.date, e.id", (patient_id,)).fetchall()


# julianday('0001-01-01') is 1721425.5 and that day's proleptic ordinal is 1.
ORDINAL_SQL = "CAST(julianday(e.date) - 1721424.5 AS INTEGER)"
COLUMNS_SELECT = (f"SELECT e.patient_id, {ORDINAL_SQL}, e.event, e.product, e.id, "
                  f"{', '.join('e.' + c for c in QUANTITY_FIELDS)} FROM event e")


def columns_from_rows(rows: list[tuple]):
    """COLUMNS_SELECT rows, ordered by patient, to EventColumns, a column at a time.

    Patient codes come from the order (a new code where the id changes), so no id is hashed."""
    import numpy as np

    from dosing.core.columns import EVENT_CODES, EventColumns

    n = len(rows)
    if not n:
        return EventColumns(np.zeros(0, dtype=object), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int8),
                            np.zeros(0, dtype=object), np.zeros(0, dtype=np.int64))
    cols = list(zip(*rows))
    patient = np.array(cols[0], dtype=object)
    codes = np.zeros(n, dtype=np.int64)
    codes[1:] = np.cumsum(patient[1:] != patient[:-1])
    values = {f: np.array(cols[5 + i], dtype=float) for i, f in enumerate(QUANTITY_FIELDS)}  # None -> nan
    return EventColumns(
        patient=patient, day=np.array(cols[1], dtype=np.int64),
        event=np.array([EVENT_CODES[e] for e in cols[2]], dtype=np.int8),
        product=np.array([p or "" for p in cols[3]], dtype=object), line=np.array(cols[4], dtype=np.int64),
        values=values, patient_code=codes,
    )
