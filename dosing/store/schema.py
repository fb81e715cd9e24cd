"""The visit store's schema: one list of migrations, applied in order, recorded in PRAGMA user_version.

Saved visits are append-only: triggers refuse any UPDATE or DELETE of an event
(which carries what was entered for it), so a correction can only be a new
version that names the one it amends. Plain CHECK constraints (not STRICT
tables) keep the file readable by any sqlite3 from 3.8 on, so it can be backed
up without tacro.
"""
from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable, Iterator

from dosing.store import entered

# PRAGMA application_id: 'TACR'. Marks the file as a tacro store, so tacro never
# writes its tables into some other program's SQLite database.
APPLICATION_ID = 0x54414352

QUANTITY_COLUMNS = ("weight", "dose", "dose_rate", "trough", "hours_post_dose", "creatinine", "sbp", "dbp")
"""The event table's value columns, in canonical units (the same names and order as dosing.core.columns.CANONICAL)."""


def _real(col: str) -> str:
    return f"{col} REAL CHECK ({col} IS NULL OR (typeof({col}) = 'real' AND {col} >= 0))"


def _append_only(table: str) -> list[str]:
    message = f"rows of {table} are never changed or deleted; save an amendment instead"
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END",
    ]


_EVENT_INDEXES = (
    "CREATE INDEX event_by_patient ON event(patient_id, date, id)",
    "CREATE INDEX event_by_first ON event(first)",
    "CREATE INDEX event_by_batch ON event(batch)",
)

_V1 = [
    # The current record of each patient; earlier records move to patient_history.
    """CREATE TABLE patient (
        patient_id TEXT PRIMARY KEY NOT NULL
            CHECK (typeof(patient_id) = 'text' AND length(patient_id) BETWEEN 1 AND 64),
        prior_cyclosporine_nephrotoxicity INTEGER NOT NULL CHECK (prior_cyclosporine_nephrotoxicity IN (0, 1)),
        label TEXT NOT NULL CHECK (typeof(label) = 'text'),
        saved_at TEXT NOT NULL
    )""",
    """CREATE TABLE patient_history (
        id INTEGER PRIMARY KEY,
        patient_id TEXT NOT NULL REFERENCES patient(patient_id),
        prior_cyclosporine_nephrotoxicity INTEGER NOT NULL,
        label TEXT NOT NULL,
        saved_at TEXT NOT NULL,
        replaced_at TEXT NOT NULL
    )""",
    # One row per import: how many visits it brought, so a partial import would show.
    """CREATE TABLE import_batch (
        id INTEGER PRIMARY KEY,
        count INTEGER NOT NULL CHECK (count >= 0),
        saved_at TEXT NOT NULL
    )""",
    # Every version of every event. Values in canonical units (kg, mg/day, mg/kg/day,
    # ng/mL, umol/L, h, mmHg); what was typed is in `entered`.
    f"""CREATE TABLE event (
        id INTEGER PRIMARY KEY,
        first INTEGER REFERENCES event(id),
        amends INTEGER UNIQUE REFERENCES event(id),
        reason TEXT CHECK ((amends IS NULL AND reason IS NULL) OR (amends IS NOT NULL AND length(trim(reason)) > 0)),
        source TEXT NOT NULL CHECK (source IN ('entry', 'import', 'amendment')),
        batch INTEGER REFERENCES import_batch(id),
        patient_id TEXT NOT NULL REFERENCES patient(patient_id),
        date TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
        event TEXT NOT NULL CHECK (event IN ('start', 'dose_change', 'visit', 'stop')),
        product TEXT CHECK (product IS NULL OR typeof(product) = 'text'),
        {", ".join(_real(c) for c in QUANTITY_COLUMNS)},
        note TEXT NOT NULL CHECK (typeof(note) = 'text'),
        saved_at TEXT NOT NULL,
        CHECK ((first IS NULL) = (amends IS NULL))
    )""",
    *_EVENT_INDEXES,
    # Exactly what was typed for a field ('154 lb'), and that quantity's magnitude and pint unit.
    """CREATE TABLE entered (
        event_id INTEGER NOT NULL REFERENCES event(id),
        field TEXT NOT NULL,
        text TEXT NOT NULL,
        value REAL,
        unit TEXT,
        PRIMARY KEY (event_id, field)
    )""",
    *_append_only("event"),
    *_append_only("entered"),
    *_append_only("patient_history"),
    *_append_only("import_batch"),
    "CREATE TRIGGER patient_no_delete BEFORE DELETE ON patient "
    "BEGIN SELECT RAISE(ABORT, 'patients are never deleted'); END",
]

# Who saved each version of an event (audit): the OS user, and the client's host when the terminal is
# reached over SSH. NULL for rows saved before this step (their author was not recorded).
_V2 = [
    "ALTER TABLE event ADD COLUMN entered_by TEXT CHECK (entered_by IS NULL OR typeof(entered_by) = 'text')",
    "ALTER TABLE event ADD COLUMN entered_host TEXT CHECK (entered_host IS NULL OR typeof(entered_host) = 'text')",
]



_EVENT_V3 = f"""CREATE TABLE event_v3 (
        id INTEGER PRIMARY KEY,
        first INTEGER REFERENCES event(id),
        amends INTEGER UNIQUE REFERENCES event(id),
        reason TEXT CHECK ((amends IS NULL AND reason IS NULL) OR (amends IS NOT NULL AND length(trim(reason)) > 0)),
        source TEXT NOT NULL CHECK (source = 'entry' OR source = 'import' OR source = 'amendment'),
        batch INTEGER REFERENCES import_batch(id),
        patient_id TEXT NOT NULL REFERENCES patient(patient_id),
        date TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
        event TEXT NOT NULL CHECK (event = 'start' OR event = 'dose_change' OR event = 'visit' OR event = 'stop'),
        product TEXT CHECK (product IS NULL OR typeof(product) = 'text'),
        {", ".join(_real(c) for c in QUANTITY_COLUMNS)},
        note TEXT NOT NULL CHECK (typeof(note) = 'text'),
        saved_at TEXT NOT NULL,
        entered_by TEXT CHECK (entered_by IS NULL OR typeof(entered_by) = 'text'),
        entered_host TEXT CHECK (entered_host IS NULL OR typeof(entered_host) = 'text'),
        entered TEXT CHECK (entered IS NULL OR typeof(entered) = 'text'),
        CHECK ((first IS NULL) = (amends IS NULL))
    )"""
_V2_COLUMNS = ("id", "first", "amends", "reason", "source", "batch", "patient_id", "date", "event", "product",
               *QUANTITY_COLUMNS, "note", "saved_at", "entered_by", "entered_host")


def _rebuild_event(c: sqlite3.Connection) -> None:
    """The event table rebuilt (SQLite's procedure for a changed table: new table, copy, drop, rename, then its
    indexes and triggers), each version's `entered` rows packed into its row exactly, and the old table of
    entered texts dropped. Runs with foreign keys off, checked before the commit (Store._migrate); any count
    that does not match raises, and the whole migration is rolled back."""
    c.execute(_EVENT_V3)
    columns = ", ".join(_V2_COLUMNS)
    c.execute(f"INSERT INTO event_v3 ({columns}) SELECT {columns} FROM event ORDER BY id")
    moved, events = 0, 0

    def packed() -> Iterator[tuple[str | None, int]]:
        nonlocal moved, events
        rows = c.execute("SELECT event_id, field, text, value, unit FROM entered ORDER BY event_id, field")
        for event_id, group in itertools.groupby(rows, key=lambda r: r[0]):
            texts = {f: (t, v, u) for _, f, t, v, u in group}
            moved, events = moved + len(texts), events + 1
            yield entered.encode(texts), event_id

    updated = c.cursor().executemany("UPDATE event_v3 SET entered = ? WHERE id = ?", packed()).rowcount
    counts = c.execute("SELECT (SELECT count(*) FROM event), (SELECT count(*) FROM event_v3), "
                       "(SELECT count(*) FROM entered)").fetchone()
    if counts[0] != counts[1] or counts[2] != moved or updated != events:
        raise sqlite3.IntegrityError("the event table did not copy whole; nothing was changed")
    c.execute("DROP TABLE entered")
    c.execute("DROP TABLE event")
    c.execute("ALTER TABLE event_v3 RENAME TO event")
    for statement in (*_EVENT_INDEXES, *_append_only("event")):
        c.execute(statement)


# What was typed for each version of an event moves into the event row itself (`entered`: a JSON object,
# field -> [text as typed, magnitude, pint unit], see dosing.store.entered): one row per visit instead of one per
# value typed (an import of 100,000 visits wrote 500,000 rows of the old table, more than half its time). The
# texts, magnitudes and units are copied exactly, and the rows stay append-only (the event triggers). The same
# rebuild spells the two list checks as comparisons: SQLite builds a lookup table for `x IN (...)` each time
# a row is checked, which cost as much as the rest of the row's insert; `x = a OR x = b ...` accepts the same.
_V3: list[str | Callable[[sqlite3.Connection], None]] = [_rebuild_event]

# MIGRATIONS[i] takes a store from user_version i to i + 1: SQL statements, or a function of the connection
# for a step SQL cannot say exactly. Append only; never edit a released step.
MIGRATIONS: list[list[str | Callable[[sqlite3.Connection], None]]] = [list(_V1), list(_V2), _V3]

SCHEMA_VERSION = len(MIGRATIONS)
