"""Visits in and out of the store by whole columns, for `tacro import` and `tacro export`.

No Event model or Quantity per row, and nothing at module level beyond the
standard library: `tacro export` loads neither pint, pydantic nor numpy. What
these functions store and read is exactly what `rows.event_row` /
`rows.event_from_row` would (tests/test_transfer.py: export -> import -> export
byte-identical, and the stored rows compared with the model path's).
"""
from __future__ import annotations

import datetime as dt
import itertools
import sqlite3

from dosing.store.schema import QUANTITY_COLUMNS

EVENT_COLUMNS = ("id", "first", "amends", "reason", "source", "batch", "patient_id", "date", "event", "product",
                 *QUANTITY_COLUMNS, "note", "saved_at", "entered_by", "entered_host", "entered")
SELECT = f"SELECT {', '.join('e.' + c for c in EVENT_COLUMNS)} FROM event e"
CURRENT = "NOT EXISTS (SELECT 1 FROM event n WHERE n.amends = e.id)"
IMPORT_COLUMNS = ("patient_id", "date", "event", "product", *QUANTITY_COLUMNS, "note")
"""An imported or exported event as plain values: the file's fields, every quantity in its canonical unit."""

ROWS_PER_INSERT = 100
"""Rows per INSERT statement: sqlite3 then binds, steps and resets a statement once per hundred rows instead
of once per row, about a quarter of an import's insert cost (callgrind, 20,000 visits)."""


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


def insert_many(c: sqlite3.Connection, table: str, names: list[str], rows: list[tuple]) -> None:
    """INSERT `rows` (tuples in the order of `names`) in statements of up to ROWS_PER_INSERT rows each."""
    width = len(names)
    per = max(1, min(ROWS_PER_INSERT, c.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width))
    one = "(" + ", ".join("?" * width) + ")"
    head = f"INSERT INTO {table} ({', '.join(names)}) VALUES "
    full = head + ", ".join([one] * per)
    for lo in range(0, len(rows), per):
        chunk = rows[lo:lo + per]
        sql = full if len(chunk) == per else head + ", ".join([one] * len(chunk))
        c.execute(sql, list(itertools.chain.from_iterable(chunk)))


def insert_imported(c: sqlite3.Connection, rows: list[tuple], entered: list[str | None], batch: int) -> int:
    """Insert import rows (IMPORT_COLUMNS tuples, each with its entered texts as stored by dosing.store.entered),
    ids assigned in order, with who imported them and when. The caller holds the write lock."""
    if len(entered) != len(rows):
        raise ValueError("one entered value per row")
    n = len(rows)
    if not n:
        return 0
    saved_at = now()
    user, host = author()
    c.executemany("INSERT OR IGNORE INTO patient (patient_id, prior_cyclosporine_nephrotoxicity, label, saved_at) "
                  "VALUES (?, 0, '', ?)", [(p, saved_at) for p in dict.fromkeys(r[0] for r in rows)])
    first_id = c.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM event").fetchone()[0]
    names = ["id", "source", "batch", *IMPORT_COLUMNS, "saved_at", "entered_by", "entered_host", "entered"]
    columns: list = [range(first_id, first_id + n), ["import"] * n, [batch] * n, *zip(*rows),
                     *([x] * n for x in (saved_at, user, host)), entered]
    # A column empty on every row (a field the file does not have, no SSH host) is left to its default NULL
    # rather than bound row by row: None is the slowest parameter sqlite3 binds.
    kept = [i for i, column in enumerate(columns) if column.count(None) < n]
    insert_many(c, "event", [names[i] for i in kept], list(zip(*(columns[i] for i in kept))))
    return n


EXPORT_SQL = f"SELECT {', '.join('e.' + c for c in IMPORT_COLUMNS)} FROM event e WHERE {CURRENT}"


def current_rows(c: sqlite3.Connection, patient_id: str | None = None) -> list[tuple]:
    """Current events as IMPORT_COLUMNS tuples (canonical values), in the order of all_events / events."""
    if patient_id is None:
        return c.execute(f"{EXPORT_SQL} ORDER BY e.patient_id, e.date, e.id").fetchall()
    return c.execute(f"{EXPORT_SQL} AND e.patient_id = ? ORDER BY e.date, e.id", (patient_id,)).fetchall()
