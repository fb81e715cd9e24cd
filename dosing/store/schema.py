"""The visit store's schema: one list of migrations, applied in order, recorded in PRAGMA user_version.

Saved visits are append-only: triggers refuse any UPDATE or DELETE of an event
or of what was entered, so a correction can only be a new version that
names the one it amends. Plain CHECK constraints (not STRICT tables) keep the
file readable by any sqlite3 from 3.8 on, so it can be backed up without tacro.
"""
from __future__ import annotations

# PRAGMA application_id: 'TACR'. Marks the file as a tacro store, so tacro never
# writes its tables into some other program's SQLite database.
APPLICATION_ID = 0x54414352

_QUANTITY_COLUMNS = ("weight", "dose", "dose_rate", "trough", "hours_post_dose", "creatinine", "sbp", "dbp")


def _real(col: str) -> str:
    return f"{col} REAL CHECK ({col} IS NULL OR (typeof({col}) = 'real' AND {col} >= 0))"


def _append_only(table: str) -> list[str]:
    message = f"rows of {table} are never changed or deleted; save an amendment instead"
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END",
    ]


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
        {", ".join(_real(c) for c in _QUANTITY_COLUMNS)},
        note TEXT NOT NULL CHECK (typeof(note) = 'text'),
        saved_at TEXT NOT NULL,
        CHECK ((first IS NULL) = (amends IS NULL))
    )""",
    "CREATE INDEX event_by_patient ON event(patient_id, date, id)",
    "CREATE INDEX event_by_first ON event(first)",
    "CREATE INDEX event_by_batch ON event(batch)",
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

# MIGRATIONS[i] takes a store from user_version i to i + 1. Append only; never edit a released step.
MIGRATIONS: list[list[str]] = [_V1, _V2]

SCHEMA_VERSION = len(MIGRATIONS)
