"""The visit store: one SQLite file of patients and their events, safe under crashes and two writers.

Every value is kept twice: in the core's canonical unit (kg, mg/day, mg/kg/day,
ng/mL, µmol/L, mmHg, h) and exactly as entered ('154 lb'), so any number can
be audited back to what was typed; reading gives the Quantity in the unit
entered. Events are append-only: a correction is a new version that names the
version it amends and why; the earlier one stays (see `event_versions`).

Durability and concurrency: WAL journal, `synchronous=FULL`, and every write
in `BEGIN IMMEDIATE` with a busy timeout and a bounded retry, so two processes
saving at once both succeed, and a visit confirmed by a returned id survives a
crash. Errors become `StoreError`s that say what happened, never with patient data.
"""
from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from dosing.core.errors import InputError, StoreError
from dosing.store.bulk import CURRENT, SELECT, current_rows, insert_imported, now
from dosing.store.files import (
    _CORRUPT,
    _NOTADB,
    UNCHANGED,
    create_file,
    explain,
    is_busy,
    make_folders,
    os_reason,
    primary_code,
    private_umask,
    tighten_side_files,
)
from dosing.store.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:  # the model modules (pydantic, pint) are loaded only by the methods that build models
    from dosing.core.models import Event, Patient

T = TypeVar("T")

BUSY_TIMEOUT_S = 10.0
"""How long one attempt waits for another writer to finish (SQLite busy handler)."""
WRITE_ATTEMPTS = 3
"""Attempts at a write before the lock error is reported (so at most ~30 s of waiting)."""


def default_path() -> Path:
    """TACRO_DB if set, else tacro.db in the user's data folder (platformdirs)."""
    env = os.environ.get("TACRO_DB")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("tacro")) / "tacro.db"


class Store:
    """An open visit store. Thread-safe (one lock per store); use one Store per process."""

    path: Path

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self._conn: sqlite3.Connection | None = conn
        self.path = path
        self._lock = threading.RLock()
        self.damaged: list[str] = []
        """What `PRAGMA quick_check` found at open ([] when the file is sound); a damaged store is never
        written to (opened for reading only, e.g. for an export that saves what can still be read)."""

    # ---------------------------------------------------------------- opening

    @classmethod
    def open(cls, path: str | Path | None = None, *, create: bool = True, write: bool | None = None) -> Store:
        """Open (creating it 0600, its folders 0700, whatever the umask) and migrate the store at `path`.

        With create=False a missing store is an error instead (e.g. for an export). `write` (default:
        the same as `create`) says whether the caller will write: a store that fails `PRAGMA quick_check`
        is then refused with a StoreError; opened only to read, it is returned with `damaged` set and
        every write refused, so an export can still save what is readable."""
        write = create if write is None else write
        p = Path(path).expanduser() if path is not None else default_path()
        p = Path(os.path.abspath(p))
        try:
            is_folder = p.is_dir()
        except OSError as e:
            raise StoreError(f"cannot open the store {p}: {os_reason(e)}. {UNCHANGED}") from None
        if is_folder:
            raise StoreError(f"cannot open the store: {p} is a folder, not a store file. {UNCHANGED}")
        try:
            mode = os.stat(p).st_mode
        except FileNotFoundError:
            mode = None
        except OSError as e:
            raise StoreError(f"cannot open the store {p}: {os_reason(e)}. {UNCHANGED}") from None
        if mode is not None and not stat.S_ISREG(mode):  # a FIFO or device would be read without end
            raise StoreError(f"cannot open the store: {p} is not a regular file (a FIFO, device or socket). "
                             f"{UNCHANGED}")
        if not create and not p.exists():
            raise StoreError(f"there is no store at {p} (give --db PATH or set TACRO_DB)")
        with private_umask():
            make_folders(p.parent)
            create_file(p)
            conn = cls._connect(p)
            store = cls(conn, p)
            try:
                store.damaged = store._quick_check()
                if store.damaged:
                    if write:
                        raise StoreError(damaged_message(p, store.damaged))
                    return store  # read only: no migration, no journal-mode change, nothing written
                store._migrate()
                # Reading once creates -wal and -shm here, under the private umask.
                store._read(lambda c: c.execute("SELECT count(*) FROM patient").fetchone())
            except BaseException:
                store.close()
                raise
        tighten_side_files(p)
        return store

    @staticmethod
    def _connect(p: Path) -> sqlite3.Connection:
        conn = None
        try:
            conn = sqlite3.connect(str(p), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA schema_version").fetchone()  # reads the header: 'not a database' shows here
            return conn
        except sqlite3.Error as e:
            if conn is not None:
                conn.close()
            raise explain(e, "cannot open the store", p, write=False) from None

    def _quick_check(self) -> list[str]:
        """PRAGMA quick_check at open: [] for a sound file, else what SQLite found (no patient data)."""
        conn = self._connection()
        try:
            rows = conn.execute("PRAGMA quick_check(20)").fetchall()
        except sqlite3.DatabaseError as e:
            if primary_code(e) in (_CORRUPT, _NOTADB) or "malformed" in str(e):
                return [f"{getattr(e, 'sqlite_errorname', 'SQLITE_CORRUPT')}: the file is malformed"]
            raise explain(e, "cannot open the store", self.path, write=False) from None
        return [str(r[0]) for r in rows if str(r[0]) != "ok"]

    def _migrate(self) -> None:
        """Bring the schema up to SCHEMA_VERSION, refusing files that are not (or not yet) tacro stores."""
        def versions(c: sqlite3.Connection) -> tuple[int, int, int]:
            app = c.execute("PRAGMA application_id").fetchone()[0]
            version = c.execute("PRAGMA user_version").fetchone()[0]
            tables = c.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            return app, version, tables

        app, version, tables = self._read(versions)
        self._check_identity(app, version, tables)  # before anything is written, even the journal mode
        conn = self._connection()
        try:
            _retry_busy(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone())
            conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as e:
            raise explain(e, "cannot open the store", self.path, write=False) from None
        if version == SCHEMA_VERSION:
            return

        def migrate(c: sqlite3.Connection) -> None:
            app, version, tables = versions(c)  # again, under the write lock: another process may have migrated
            self._check_identity(app, version, tables)
            for step in MIGRATIONS[version:]:
                for statement in step:
                    if callable(statement):
                        statement(c)
                    else:
                        c.execute(statement)
            if c.execute("PRAGMA foreign_key_check").fetchone() is not None:
                raise sqlite3.IntegrityError("FOREIGN KEY constraint failed")  # names no data; rolled back
            c.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            c.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

        # A step may rebuild a table (new table, copy, drop, rename), which SQLite allows only with foreign keys
        # off, and the pragma has no effect inside a transaction: off around the migration, the whole store
        # checked by foreign_key_check before its commit, on again after (SQLite's procedure for ALTER TABLE).
        conn.execute("PRAGMA foreign_keys = OFF")
        try:
            self._write(migrate, "cannot prepare the store")
        finally:
            conn.execute("PRAGMA foreign_keys = ON")

    def _check_identity(self, app: int, version: int, tables: int) -> None:
        if app not in (0, APPLICATION_ID) or (version == 0 and tables > 0):
            raise StoreError(f"cannot open the store: {self.path} is an SQLite database of another program, "
                             f"not a tacro store. tacro did not change it. {UNCHANGED}")
        if version > SCHEMA_VERSION:
            raise StoreError(f"cannot open the store: {self.path} was written by a newer tacro (schema {version}; "
                             f"this one knows up to {SCHEMA_VERSION}). Upgrade tacro. {UNCHANGED}")

    def close(self) -> None:
        """Close the store (safe to call twice)."""
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.close()
                except sqlite3.Error:
                    pass
                self._conn = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ transactions

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError("the store is closed")
        return self._conn

    def _write(self, work: Callable[[sqlite3.Connection], T], doing: str, unsaved: str = "It was not saved.") -> T:
        """Run `work` in one BEGIN IMMEDIATE transaction: all of it is saved, or none of it."""
        with self._lock:
            conn = self._connection()
            if self.damaged:
                raise StoreError(f"{doing}: " + damaged_message(self.path, self.damaged))
            for attempt in range(WRITE_ATTEMPTS):
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    result = work(conn)
                    conn.execute("COMMIT")
                    return result
                except sqlite3.Error as e:
                    _rollback(conn)
                    if is_busy(e) and attempt + 1 < WRITE_ATTEMPTS:
                        time.sleep(0.05 * (attempt + 1))
                        continue
                    if isinstance(e, sqlite3.IntegrityError):
                        raise StoreError(f"{doing}: the store refused it as inconsistent "
                                         f"({_constraint(e)}). {unsaved} {UNCHANGED}") from None
                    raise explain(e, doing, self.path, write=True, unsaved=unsaved) from None
                except BaseException:
                    _rollback(conn)
                    raise
            raise AssertionError("unreachable")

    def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` in one read transaction (a consistent snapshot, even while another process writes)."""
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN")
                try:
                    return work(conn)
                finally:
                    _rollback(conn)
            except sqlite3.Error as e:
                raise explain(e, "cannot read the store", self.path, write=False) from None

    # --------------------------------------------------------------- patients

    def add_patient(self, patient: Patient) -> None:
        """Add a patient; StoreError if the id is already in the store."""
        from dosing.store.rows import insert_patient

        def work(c: sqlite3.Connection) -> None:
            if c.execute("SELECT 1 FROM patient WHERE patient_id = ?", (patient.patient_id,)).fetchone():
                raise StoreError("a patient with this id is already in the store (id withheld). Nothing was saved.")
            insert_patient(c, patient)

        self._write(work, "could not add the patient")

    def update_patient(self, patient: Patient) -> None:
        """Replace a patient's record; the earlier record is kept in patient_history."""
        def work(c: sqlite3.Connection) -> None:
            old = c.execute("SELECT prior_cyclosporine_nephrotoxicity, label, saved_at FROM patient "
                            "WHERE patient_id = ?", (patient.patient_id,)).fetchone()
            if old is None:
                raise StoreError("no patient with this id in the store (id withheld). Nothing was saved.")
            stamp = now()
            c.execute("INSERT INTO patient_history (patient_id, prior_cyclosporine_nephrotoxicity, label, saved_at, "
                      "replaced_at) VALUES (?, ?, ?, ?, ?)", (patient.patient_id, *old, stamp))
            c.execute("UPDATE patient SET prior_cyclosporine_nephrotoxicity = ?, label = ?, saved_at = ? "
                      "WHERE patient_id = ?",
                      (int(patient.prior_cyclosporine_nephrotoxicity), patient.label, stamp, patient.patient_id))

        self._write(work, "could not update the patient")

    def get_patient(self, patient_id: str) -> Patient | None:
        """The patient with this id, or None."""
        from dosing.store.rows import patient_from_row

        row = self._read(lambda c: c.execute(
            "SELECT patient_id, prior_cyclosporine_nephrotoxicity, label FROM patient WHERE patient_id = ?",
            (patient_id,)).fetchone())
        return None if row is None else patient_from_row(row)

    def has_patient(self, patient_id: str) -> bool:
        """Whether a patient with this id is in the store (no model built)."""
        return self._read(lambda c: c.execute(
            "SELECT 1 FROM patient WHERE patient_id = ?", (patient_id,)).fetchone()) is not None

    def list_patients(self) -> list[Patient]:
        """Every patient, by id."""
        from dosing.store.rows import patient_from_row

        rows = self._read(lambda c: c.execute(
            "SELECT patient_id, prior_cyclosporine_nephrotoxicity, label FROM patient ORDER BY patient_id").fetchall())
        return [patient_from_row(r) for r in rows]

    # ----------------------------------------------------------------- events

    def save_event(self, event: Event, entered: dict[str, str] | None = None) -> int:
        """Save a new event (creating its patient if unknown); returns its id once it is durably saved."""
        from dosing.store.rows import event_row, insert_event

        row = event_row(event, entered)

        def work(c: sqlite3.Connection) -> int:
            return insert_event(c, row, source="entry")

        return self._write(work, "could not save the visit")

    def amend_event(self, event_id: int, event: Event, reason: str, entered: dict[str, str] | None = None) -> int:
        """Save a corrected version of the current version `event_id`; returns the new version's id.

        The version amended stays in the store, superseded. Amending a version that
        was already amended (e.g. from another terminal) is refused, so history never forks.
        """
        from dosing.store.rows import event_row, insert_event

        if not isinstance(reason, str) or not reason.strip():
            raise InputError("reason", reason, "why the visit is being corrected (e.g. 'weight was typed in lb')")
        row = event_row(event, entered)

        def work(c: sqlite3.Connection) -> int:
            old = c.execute("SELECT id, first FROM event WHERE id = ?", (event_id,)).fetchone()
            if old is None:
                raise StoreError(f"could not amend visit {event_id}: there is no such visit. Nothing was saved.")
            newer = c.execute("SELECT id FROM event WHERE amends = ?", (event_id,)).fetchone()
            if newer is not None:
                raise StoreError(f"could not amend visit {event_id}: it was already amended (by version "
                                 f"{newer[0]}). Reload and amend the current version. Nothing was saved.")
            first = old[1] if old[1] is not None else old[0]
            return insert_event(c, row, source="amendment", first=first, amends=event_id, reason=reason.strip())

        return self._write(work, "could not save the amendment")

    def import_events(self, events: list[Event], entered: list[dict[str, str]] | None = None, *,
                      before: Callable[[list[Event]], None] | None = None) -> int:
        """Save many events in one transaction: all of them, or (on any error) none. Returns the count.

        `before`, when given, is called with the store's current events inside the same write
        transaction, before anything is inserted: a duplicate check there cannot race another
        importer (BEGIN IMMEDIATE holds the write lock from the check to the commit). It refuses the
        import by raising; nothing is saved then."""
        from dosing.store.rows import event_row, insert_event, load_events

        if entered is not None and len(entered) != len(events):
            raise StoreError("could not import: the entered texts do not match the events one to one. "
                             "Nothing was saved.")
        rows = [event_row(e, entered[i] if entered is not None else None) for i, e in enumerate(events)]

        def work(c: sqlite3.Connection) -> int:
            if before is not None:
                before(load_events(c, f"{SELECT} WHERE {CURRENT} ORDER BY e.patient_id, e.date, e.id", ()))
            batch = c.execute("INSERT INTO import_batch (count, saved_at) VALUES (?, ?)", (len(rows), now())).lastrowid
            for row in rows:
                insert_event(c, row, source="import", batch=batch)
            return len(rows)

        return self._write(work, "could not import the visits", "None of them was saved.")

    def import_rows(self, rows: list[tuple], entered: list[str | None], *,
                    before: Callable[[list[tuple]], None] | None = None) -> int:
        """Save import rows built column-wise (`rows.import_rows`) in one transaction: all or none.

        `before`, when given, is called with the store's current events as plain rows (`export_rows`'
        tuples) inside the same write transaction, before anything is inserted: a duplicate check there
        cannot race another importer (BEGIN IMMEDIATE holds the write lock from the check to the commit).
        It refuses the import by raising; nothing is saved then."""
        if len(entered) != len(rows):
            raise StoreError("could not import: the entered texts do not match the rows one to one. "
                             "Nothing was saved.")

        def work(c: sqlite3.Connection) -> int:
            if before is not None:
                before(current_rows(c))
            batch = c.execute("INSERT INTO import_batch (count, saved_at) VALUES (?, ?)", (len(rows), now())).lastrowid
            if batch is None:  # an INSERT always sets it
                raise AssertionError("the import batch has no id")
            return insert_imported(c, rows, entered, batch)

        return self._write(work, "could not import the visits", "None of them was saved.")

    def export_rows(self, patient_id: str | None = None) -> list[tuple]:
        """Every current event (or one patient's) as plain canonical values (bulk.IMPORT_COLUMNS), for
        `tacro export`, by patient, date and id."""
        return self._read(lambda c: current_rows(c, patient_id))

    def events(self, patient_id: str) -> list[Event]:
        """A patient's current events (latest versions), by date; Event.line is the event id."""
        from dosing.store.rows import load_events

        return self._read(lambda c: load_events(c, f"{SELECT} WHERE e.patient_id = ? AND {CURRENT} "
                                             "ORDER BY e.date, e.id", (patient_id,)))

    def all_events(self) -> list[Event]:
        """Every patient's current events, by patient then date."""
        from dosing.store.rows import load_events

        return self._read(lambda c: load_events(c, f"{SELECT} WHERE {CURRENT} ORDER BY e.patient_id, e.date, e.id", ()))

    def event_columns(self):
        """Every patient's current events as columns (canonical units), in one query, for the batch rules.

        No Event model per row: the canonical values are read as they are stored. Line is the event id.
        """
        from dosing.store.rows import COLUMNS_SELECT, columns_from_rows

        sql = f"{COLUMNS_SELECT} WHERE {CURRENT} ORDER BY e.patient_id, e.date, e.id"
        return columns_from_rows(self._read(lambda c: c.execute(sql).fetchall()))

    def data_version(self) -> int:
        """SQLite's data_version: changes when another connection (another process) commits to the store."""
        return int(self._read(lambda c: c.execute("PRAGMA data_version").fetchone()[0]))

    def event_versions(self, event_id: int) -> list[dict[str, Any]]:
        """Every version of the event that `event_id` belongs to, oldest first.

        Each: id, version (1, 2, ...), current, amends, superseded_by, reason,
        source, saved_at (UTC), the event's fields, `stored` (field -> {"value",
        "unit"} in canonical units), `entered` (field -> text as typed) and `visit`
        (the Event as read back).
        """
        from dosing.core import units
        from dosing.store.bulk import EVENT_COLUMNS
        from dosing.store.rows import QUANTITY_FIELDS, entered_of, event_from_row

        def work(c: sqlite3.Connection) -> list[tuple]:
            found = c.execute("SELECT id, first FROM event WHERE id = ?", (event_id,)).fetchone()
            if found is None:
                raise StoreError(f"there is no visit {event_id} in the store")
            first = found[1] if found[1] is not None else found[0]
            return c.execute(f"{SELECT} WHERE e.id = ? OR e.first = ? ORDER BY e.id", (first, first)).fetchall()

        rows = self._read(work)
        successor = {r[2]: r[0] for r in rows if r[2] is not None}
        out = []
        for n, r in enumerate(rows, start=1):
            rec = dict(zip(EVENT_COLUMNS, r))
            out.append({
                "id": rec["id"], "version": n, "current": rec["id"] not in successor,
                "amends": rec["amends"], "superseded_by": successor.get(rec["id"]), "reason": rec["reason"],
                "source": rec["source"], "saved_at": rec["saved_at"],
                "entered_by": rec["entered_by"], "entered_host": rec["entered_host"],
                "patient_id": rec["patient_id"], "date": rec["date"], "event": rec["event"],
                "product": rec["product"], "note": rec["note"],
                "stored": {f: {"value": rec[f], "unit": units.KINDS[k].display}
                           for f, k in QUANTITY_FIELDS.items() if rec[f] is not None},
                "entered": {f: e[0] for f, e in entered_of(r).items()},
                "visit": event_from_row(r),
            })
        return out

    def integrity_check(self) -> list[str]:
        """SQLite's own check of the file plus the store's foreign keys: [] when all is well."""
        def work(c: sqlite3.Connection) -> list[str]:
            problems = [r[0] for r in c.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"]
            problems += [f"foreign key in {r[0]}" for r in c.execute("PRAGMA foreign_key_check").fetchall()]
            return problems

        return self._read(work)


# --------------------------------------------------------------------- helpers


def damaged_message(path: Path, problems: list[str]) -> str:
    """Why a damaged store is not written to, and what to do (SQLite's findings name pages, never data)."""
    shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
    return (f"the store {path} is damaged (SQLite's quick_check found: {shown}). tacro will not write to it, "
            f"so the damage cannot spread. Export what can still be read (tacro export), then restore the "
            f"store from a backup. {UNCHANGED}")


def _retry_busy(fn: Callable[[], T]) -> T:
    for attempt in range(WRITE_ATTEMPTS):
        try:
            return fn()
        except sqlite3.OperationalError as e:
            if not is_busy(e) or attempt + 1 == WRITE_ATTEMPTS:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass


def _constraint(e: sqlite3.IntegrityError) -> str:
    # SQLite's constraint messages name tables and columns, never values.
    text = str(e).split(":")[0]
    return text if len(text) < 80 else "constraint failed"
