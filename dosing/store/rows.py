"""The visit store's rows: Events to canonical values plus what was typed, and back.

A value is stored in its kind's canonical unit (for SQL and audit) and as
entered: the text typed ('154 lb'), its magnitude and its pint unit, from
which the Quantity is rebuilt exactly (dosing.store.entered). Reading back does
not re-validate: the profile or today's date may have changed since, and a
saved visit must always read back as it was saved.
"""
from __future__ import annotations

import datetime as dt
import functools
import math
import sqlite3
from typing import Any

from dosing.core import units
from dosing.core.columns import CANONICAL
from dosing.core.errors import InputError, StoreError
from dosing.core.models import Event, Patient, check_patient_id
from dosing.store import entered as texts
from dosing.store.bulk import EVENT_COLUMNS, IMPORT_COLUMNS, author, now

QUANTITY_FIELDS: dict[str, str] = dict(CANONICAL)  # field -> unit kind
TEXT_FIELDS = ("patient_id", "date", "event", "product", "note")
ENTERABLE = frozenset(QUANTITY_FIELDS) | frozenset(TEXT_FIELDS)


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
            *QUANTITY_FIELDS, "note", "saved_at", "entered_by", "entered_host", "entered"]
    values = [first, amends, reason, source, batch, *(row[k] for k in cols[5:-4]), now(), *author(),
              texts.encode(row["entered"])]
    event_id = c.execute(f"INSERT INTO event ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                         values).lastrowid
    assert event_id is not None  # an INSERT always sets it
    return int(event_id)


def load_events(c: sqlite3.Connection, sql: str, params: tuple) -> list[Event]:
    return [event_from_row(r) for r in c.execute(sql, params).fetchall()]


_ENTERED = EVENT_COLUMNS.index("entered")


def entered_of(r: tuple) -> dict[str, texts.Typed]:
    """The entered texts of a row read with bulk.SELECT."""
    return texts.decode(r[_ENTERED])


def event_from_row(r: tuple) -> Event:
    """An Event as saved (a row read with bulk.SELECT), each quantity in the unit it was entered in (not
    re-validated: the profile or today's date may have changed since, and a saved visit must always read back)."""
    rec = dict(zip(EVENT_COLUMNS, r))
    entered = texts.decode(rec["entered"])
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
# `tacro import` builds whole columns: no Event model or Quantity per row. What it stores is exactly what
# `event_row` would (tests/test_transfer.py; tests/test_logfile_agreement.py: the reader accepts exactly what the
# model accepts). Inserting them is dosing.store.bulk's.
EVENT_NAMES = ("visit", "start", "dose_change", "stop")  # by dosing.core.columns event code


def import_rows(log) -> tuple[list[tuple], list[str | None]]:
    """From a log read without problems: one tuple per event (bulk.IMPORT_COLUMNS) and its entered texts as
    stored (dosing.store.entered: each cell as typed with the column's unit, its magnitude and pint unit), a
    column at a time: one conversion factor per column, each distinct cell parsed and encoded once."""
    cols, raw, n = log.columns, log.raw, len(log.columns)
    pids = cols.patient.tolist()
    iso = {d: dt.date.fromordinal(d).isoformat() for d in set(cols.day.tolist())}
    dates = list(map(iso.__getitem__, cols.day.tolist()))
    events = list(map(EVENT_NAMES.__getitem__, cols.event.tolist()))
    products = [p or None for p in cols.product.tolist()]
    notes = [str(t) for t in raw["note"].tolist()] if "note" in raw else [""] * n
    values: list[list[float | None]] = []
    fragments: dict[str, list[str]] = {}
    for field, kind in QUANTITY_FIELDS.items():
        if field not in raw:
            values.append([None] * n)
            continue
        header_unit = log.header_units[field]
        unit = str(_pint_unit(units.lookup_unit(header_unit, kind, field)))
        factor = _unit_of(_pint_unit(unit), kind, field)[2]
        cells = raw[field].tolist()
        distinct = set(cells)
        magnitude = {t: float(t) for t in distinct if t.strip()}  # each distinct cell once
        value: dict[str, float | None] = {t: m * factor for t, m in magnitude.items()}
        # A fragment ends with a comma, so a row's fragments join with "".join; the last comma is cut below.
        fragment = {t: texts.fragment(field, f"{t.strip()} {header_unit}", m, unit) + ","
                    for t, m in magnitude.items()}
        for blank in distinct - magnitude.keys():
            value[blank], fragment[blank] = None, ""
        values.append(list(map(value.__getitem__, cells)))
        fragments[field] = list(map(fragment.__getitem__, cells))
    rows = list(zip(pids, dates, events, products, *values, notes))
    by_field = [fragments[f] for f in sorted(fragments)]  # texts.encode's order
    entered: list[str | None] = [None] * n
    if by_field:
        entered = [f"{{{s[:-1]}}}" if s else None for s in map("".join, zip(*by_field))]
    return rows, entered


def stored_columns(rows: list[tuple], patients: set[str]):
    """Stored events (bulk.IMPORT_COLUMNS tuples, as bulk.current_rows gives them) of these patients, as columns
    for the rules, without a model per row; `line` is the position among them."""
    import numpy as np

    from dosing.core.columns import EVENT_CODES, EventColumns

    mine = [r for r in rows if r[0] in patients]
    n = len(mine)
    cols = list(zip(*mine)) if n else [()] * len(IMPORT_COLUMNS)
    ordinal = {d: dt.date.fromisoformat(d).toordinal() for d in set(cols[1])}
    return EventColumns(
        patient=np.array(cols[0], dtype=object), day=np.array([ordinal[d] for d in cols[1]], dtype=np.int64),
        event=np.array([EVENT_CODES[e] for e in cols[2]], dtype=np.int8),
        product=np.array([p or "" for p in cols[3]], dtype=object), line=np.arange(1, n + 1, dtype=np.int64),
        values={f: np.array(cols[4 + i], dtype=float) for i, f in enumerate(QUANTITY_FIELDS)},  # None -> nan
    )


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
