"""The visit store: values as entered and canonical, amendments that keep the original, private files,
refusal of files that are not tacro stores, and faults (disk full, read-only, locked) as plain messages."""
from __future__ import annotations

import os
import resource
import shutil
import signal
import sqlite3
import stat
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

import dosing.store.db as store_mod
from dosing.core import units
from dosing.core.errors import InputError, StoreError, TacroError
from dosing.core.models import Event, Patient
from dosing.store.db import Store, default_path
from dosing.store.schema import SCHEMA_VERSION
from tests.test_store_support import PLANTED, in_child, visit


def mode(p) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "store" / "tacro.db"


@pytest.fixture
def store(db):
    with Store.open(db) as s:
        yield s


# ------------------------------------------------------------------ where and how the file is made


def test_default_path_is_tacro_db_env_or_the_user_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("TACRO_DB", str(tmp_path / "x.db"))
    assert default_path() == tmp_path / "x.db"
    monkeypatch.delenv("TACRO_DB")
    import platformdirs

    assert default_path() == Path(platformdirs.user_data_dir("tacro")) / "tacro.db"


def test_open_without_a_path_uses_tacro_db(monkeypatch, tmp_path):
    monkeypatch.setenv("TACRO_DB", str(tmp_path / "env.db"))
    with Store.open() as s:
        assert s.path == tmp_path / "env.db"
    assert (tmp_path / "env.db").exists()


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o000])
def test_store_journal_files_and_new_folders_are_private_whatever_the_umask(tmp_path, umask):
    def make():
        os.umask(umask)
        p = tmp_path / f"u{umask:o}" / "deeper" / "tacro.db"
        s = Store.open(p)
        s.save_event(visit(1))
        found = {name: mode(f"{p}{name}") for name in ("", "-wal", "-shm") if os.path.exists(f"{p}{name}")}
        s.close()
        return found, mode(p.parent), mode(p.parent.parent)

    files, folder, parent = in_child(make)
    assert files == {"": 0o600, "-wal": 0o600, "-shm": 0o600}
    assert folder == 0o700 and parent == 0o700


def test_folders_that_already_exist_keep_their_mode(tmp_path):
    os.chmod(tmp_path, 0o755)
    Store.open(tmp_path / "t.db").close()
    assert mode(tmp_path) == 0o755


def test_a_folder_is_refused_as_a_store(tmp_path):
    with pytest.raises(StoreError, match="is a folder"):
        Store.open(tmp_path)


def test_schema_is_versioned(store):
    with sqlite3.connect(store.path) as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_close_twice_and_use_after_close(db):
    s = Store.open(db)
    s.close()
    s.close()
    with pytest.raises(StoreError, match="closed"):
        s.list_patients()


# ------------------------------------------------------------------ values in, values out


def test_values_read_back_in_the_unit_entered_and_are_stored_canonical(store):
    e = Event.model_validate({"patient_id": "NA", "date": "2026-03-01", "weight": "154 lb", "trough": "25 nmol/L",
                              "creatinine": "1.2 mg/dL", "dose_rate": "0.1 mg/kg/day", "note": "=1+1"})
    eid = store.save_event(e, {"weight": "154 lb", "trough": "25 nmol/L"})
    (back,) = store.events("NA")
    assert back.line == eid
    assert back.weight.m == 154 and str(back.weight.units) == "pound"
    assert back.trough.m == 25 and str(back.trough.units) == "nanomole / liter"
    assert back.model_dump(exclude={"line"}) == e.model_dump(exclude={"line"})
    with sqlite3.connect(store.path) as c:
        w, t, cr, r = c.execute("SELECT weight, trough, creatinine, dose_rate FROM event").fetchone()
    assert w == units.to_canonical(e.weight, "weight")
    assert t == units.to_canonical(e.trough, "trough") and cr == units.to_canonical(e.creatinine, "creatinine")
    assert r == 0.1
    (version,) = store.event_versions(eid)
    assert version["entered"]["weight"] == "154 lb"
    assert version["entered"]["creatinine"] == "1.2 mg/dL"  # derived from the Quantity when not given
    assert version["stored"]["weight"] == {"value": w, "unit": "kg"}


def test_patient_ids_are_kept_exactly_and_unknown_patients_are_created(store):
    for pid in ["NA", "0012", "12", " 12", "n/a", "é"]:
        store.save_event(visit(1, pid))
    assert [p.patient_id for p in store.list_patients()] == sorted(["NA", "0012", "12", " 12", "n/a", "é"])
    assert store.get_patient("0012") == Patient(patient_id="0012")
    assert store.get_patient("missing") is None
    assert len(store.events("0012")) == 1 and store.events("12")[0].patient_id == "12"


def test_events_are_in_date_order_and_all_events_covers_every_patient(store):
    for i, d in enumerate(["2026-03-01", "2026-01-01", "2026-02-01"]):
        store.save_event(visit(i, "b", date=d))
    store.save_event(visit(9, "a"))
    assert [e.date.isoformat() for e in store.events("b")] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    assert [e.patient_id for e in store.all_events()] == ["a", "b", "b", "b"]


def test_entered_text_must_match_the_value(store):
    e = visit(1, weight="70 kg")
    with pytest.raises(InputError, match="weight"):
        store.save_event(e, {"weight": "80 kg"})
    with pytest.raises(InputError, match="trough"):
        store.save_event(visit(1, trough=None), {"trough": "5 ng/mL"})
    with pytest.raises(StoreError, match="entered"):
        store.save_event(e, {"colour": "blue"})
    assert store.all_events() == []
    store.save_event(e, {"weight": "70.0 kg", "date": "1/1/20"})  # any spelling of the same value


def test_reading_back_does_not_revalidate(store, monkeypatch):
    store.save_event(visit(1, date="2026-11-20"))
    monkeypatch.setenv("TACRO_TODAY", "2020-01-01")  # the saved date is now "in the future"
    assert len(store.events("p1")) == 1


def test_two_threads_share_one_store(store):
    errors = []

    def work(k):
        try:
            for i in range(50):
                store.save_event(visit(i, f"t{k}"))
                store.events(f"t{k}")
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(store.all_events()) == 200


# ------------------------------------------------------------------ amendments keep the original


def test_amendment_keeps_the_original_and_supersedes_it(store):
    first = store.save_event(visit(1, weight="154 kg"), {"weight": "154 kg"})
    second = store.amend_event(first, visit(1, weight="154 lb"), "weight was in lb", {"weight": "154 lb"})
    third = store.amend_event(second, visit(1, weight="70 kg"), "reweighed")
    (current,) = store.events("p1")
    assert current.line == third and current.weight.m == 70
    versions = store.event_versions(second)
    assert [v["id"] for v in versions] == [first, second, third] == [v["id"] for v in store.event_versions(first)]
    assert [v["current"] for v in versions] == [False, False, True]
    assert [v["superseded_by"] for v in versions] == [second, third, None]
    assert [v["reason"] for v in versions] == [None, "weight was in lb", "reweighed"]
    assert [v["entered"]["weight"] for v in versions] == ["154 kg", "154 lb", "70 kg"]
    assert versions[0]["visit"].weight.m == 154 and str(versions[0]["visit"].weight.units) == "kilogram"


def test_amending_a_superseded_or_unknown_visit_or_without_reason_is_refused(store):
    first = store.save_event(visit(1))
    store.amend_event(first, visit(2), "typo")
    with pytest.raises(StoreError, match="already amended"):
        store.amend_event(first, visit(3), "stale screen")
    with pytest.raises(StoreError, match="no such visit"):
        store.amend_event(999, visit(3), "x")
    with pytest.raises(InputError, match="reason"):
        store.amend_event(first, visit(3), "  ")
    with pytest.raises(StoreError):
        store.event_versions(999)
    assert len(store.event_versions(first)) == 2


def test_an_amendment_may_move_a_visit_to_another_patient(store):
    first = store.save_event(visit(1, "wrong"))
    store.amend_event(first, visit(1, "right"), "entered under the wrong patient")
    assert store.events("wrong") == [] and len(store.events("right")) == 1
    assert store.get_patient("right") is not None


def test_saved_rows_cannot_be_changed_or_deleted_even_with_sql(store):
    store.save_event(visit(1))
    with sqlite3.connect(store.path) as c:
        for sql in ["UPDATE event SET weight = 1", "DELETE FROM event", "UPDATE event SET entered = '{}'",
                    "UPDATE event SET entered = NULL", "DELETE FROM patient"]:
            with pytest.raises(sqlite3.IntegrityError, match="never"):
                c.execute(sql)


# ------------------------------------------------------------------ patients


def test_patients_add_update_keep_history(store):
    store.add_patient(Patient(patient_id=PLANTED, label="Ms Example"))
    with pytest.raises(StoreError) as err:
        store.add_patient(Patient(patient_id=PLANTED))
    assert PLANTED not in str(err.value) and "Example" not in str(err.value)
    store.update_patient(Patient(patient_id=PLANTED, prior_cyclosporine_nephrotoxicity=True, label="Ms E."))
    assert store.get_patient(PLANTED) == Patient(patient_id=PLANTED, prior_cyclosporine_nephrotoxicity=True,
                                                 label="Ms E.")
    with sqlite3.connect(store.path) as c:
        assert c.execute("SELECT label FROM patient_history").fetchall() == [("Ms Example",)]
    with pytest.raises(StoreError) as err:
        store.update_patient(Patient(patient_id="ZZ-UNKNOWN-99"))
    assert "ZZ-UNKNOWN-99" not in str(err.value)


# ------------------------------------------------------------------ import is all or nothing


def test_import_is_one_transaction(store):
    events = [visit(i) for i in range(20)]
    assert store.import_events(events) == 20
    bad = [{} for _ in range(20)]
    bad[13] = {"weight": "99 kg"}  # does not match the event
    with pytest.raises(InputError):
        store.import_events(events, bad)
    with pytest.raises(StoreError):
        store.import_events(events, [{}])
    assert len(store.all_events()) == 20
    with sqlite3.connect(store.path) as c:
        assert c.execute("SELECT count, (SELECT count(*) FROM event WHERE batch = b.id) FROM import_batch b"
                         ).fetchall() == [(20, 20)]


def test_a_fault_in_the_middle_of_an_import_saves_none_of_it(store):
    store.import_events([visit(i) for i in range(5)])
    store._conn.execute(f"PRAGMA max_page_count = {store._conn.execute('PRAGMA page_count').fetchone()[0] + 3}")
    big = [visit(i, PLANTED, note="x" * 3000) for i in range(200)]
    with pytest.raises(StoreError, match="disk is full") as err:
        store.import_events(big)
    assert "None of them was saved" in str(err.value) and PLANTED not in str(err.value)
    assert len(store.all_events()) == 5 and store.integrity_check() == []


# ------------------------------------------------------------------ files that are not tacro stores


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path):
    p = tmp_path / "notes.db"
    p.write_bytes(b"patient " + PLANTED.encode() + b" secret\n" * 100)
    before = p.read_bytes()
    with pytest.raises(StoreError, match="not a readable tacro store") as err:
        Store.open(p)
    assert PLANTED not in str(err.value) and "Traceback" not in str(err.value)
    assert p.read_bytes() == before


def test_a_damaged_store_is_reported(tmp_path):
    p = tmp_path / "t.db"
    with Store.open(p) as s:
        s.import_events([visit(i, note="y" * 500) for i in range(200)])
    data = bytearray(p.read_bytes())
    data[4096 * 3:4096 * 6] = b"\xff" * (4096 * 3)  # scribble over pages in the middle
    p.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="not a readable tacro store|damaged"):
        with Store.open(p) as s:
            s.all_events()
            assert s.integrity_check() == []


def test_another_programs_database_is_refused_and_left_alone(tmp_path):
    p = tmp_path / "other.db"
    with sqlite3.connect(p) as c:
        c.execute("CREATE TABLE things (x)")
    before = p.read_bytes()
    with pytest.raises(StoreError, match="another program"):
        Store.open(p)
    assert p.read_bytes() == before


def test_a_store_from_a_newer_tacro_is_refused(db):
    Store.open(db).close()
    with sqlite3.connect(db) as c:
        c.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer tacro"):
        Store.open(db)


def test_migrations_run_in_order_once(db, monkeypatch):
    Store.open(db).close()
    import dosing.store.schema as schema

    step = ["CREATE TABLE extra (x INTEGER)"]
    monkeypatch.setattr(store_mod, "MIGRATIONS", [*schema.MIGRATIONS, step])
    monkeypatch.setattr(store_mod, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    Store.open(db).close()
    Store.open(db).close()  # already migrated: no second CREATE
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


# ------------------------------------------------------------------ faults: a clear message, nothing lost


def _saved_then_fault(store: Store, fault) -> str:
    """Save five visits, then run fault(confirmed) until it raises; every confirmed visit must still be there."""
    kept = [store.save_event(visit(i, PLANTED, note=f"{PLANTED} note")) for i in range(5)]
    with pytest.raises(StoreError) as err:
        fault(kept)
    message = str(err.value)
    assert sorted(e.line for e in store.events(PLANTED)) == kept
    assert store.integrity_check() == []
    assert PLANTED not in message and "Traceback" not in message
    return message


def test_disk_full_is_a_clear_message_and_nothing_is_lost(store):
    def fault(confirmed):
        store._conn.execute(f"PRAGMA max_page_count = {store._conn.execute('PRAGMA page_count').fetchone()[0]}")
        for i in range(1000):
            confirmed.append(store.save_event(visit(i, PLANTED, note="z" * 4000)))

    message = _saved_then_fault(store, fault)
    assert "disk is full" in message and "Nothing saved before was changed" in message


def test_a_real_full_disk(tmp_path):
    """ENOSPC from a real (tiny tmpfs) file system; skipped where mounting is not allowed."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if os.getuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)],
                                          capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small file system here")
    try:
        with Store.open(mnt / "t.db") as s:
            message = _saved_then_fault(s, lambda ok: [ok.append(s.save_event(visit(i, PLANTED, note="z" * 8000)))
                                                       for i in range(1000)])
        assert "disk is full" in message or "input/output" in message
        with Store.open(mnt / "t.db") as s:
            assert len(s.events(PLANTED)) >= 5 and s.integrity_check() == []
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


def test_a_write_error_from_the_disk(db):
    """The file-size limit makes write() fail (EFBIG): SQLite's I/O error, reported plainly."""
    Store.open(db).close()

    def child():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        limit = os.path.getsize(db) + 512 * 1024
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        with Store.open(db) as s:
            return _saved_then_fault(s, lambda ok: [ok.append(s.save_event(visit(i, PLANTED, note="z" * 8000)))
                                                    for i in range(1000)])

    message = in_child(child)
    assert "input/output error" in message or "disk is full" in message
    with Store.open(db) as s:
        assert len(s.events(PLANTED)) >= 5 and s.integrity_check() == []


@pytest.fixture
def open_tmp():
    """A temporary folder that user nobody can reach (pytest's own tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="tacro-store-test-"))
    os.chmod(folder, 0o755)
    yield folder
    for d, _, _ in os.walk(folder):
        os.chmod(d, 0o700)
    shutil.rmtree(folder, ignore_errors=True)


def _prepare_unprivileged(base: Path) -> Path:
    folder = base / "shared"
    folder.mkdir()
    if os.getuid() == 0:
        os.chown(folder, 65534, 65534)
    return folder / "t.db"


def test_a_read_only_store_file_reads_but_refuses_to_save(open_tmp):
    p = _prepare_unprivileged(open_tmp)

    def child():
        with Store.open(p) as s:
            s.save_event(visit(1, PLANTED))
        os.chmod(p, 0o400)
        with Store.open(p) as s:
            assert len(s.events(PLANTED)) == 1
            with pytest.raises(StoreError) as err:
                s.save_event(visit(2, PLANTED))
            return str(err.value), len(s.events(PLANTED))

    message, count = in_child(child, unprivileged=True)
    assert "read-only" in message and PLANTED not in message and count == 1


def test_a_read_only_folder_is_a_clear_message(open_tmp):
    p = _prepare_unprivileged(open_tmp)

    def child():
        with Store.open(p) as s:
            s.save_event(visit(1, PLANTED))
        os.chmod(p.parent, 0o500)
        try:
            with Store.open(p) as s:
                s.save_event(visit(2, PLANTED))
                return "saved", len(s.events(PLANTED))
        except StoreError as e:
            return str(e), None

    message, _ = in_child(child, unprivileged=True)
    assert "read-only" in message and "Nothing saved before was changed" in message
    assert PLANTED not in message
    os.chmod(p.parent, 0o700)
    with Store.open(p) as s:
        assert len(s.events(PLANTED)) == 1 and s.integrity_check() == []


def test_a_folder_that_cannot_be_created_or_reached(open_tmp, tmp_path):
    def child(p):
        with pytest.raises(StoreError) as err:
            Store.open(p)
        return str(err.value)

    os.chmod(open_tmp, 0o555)
    assert "permission denied" in in_child(child, open_tmp / "new" / "t.db", unprivileged=True)
    if os.getuid() == 0:  # root's pytest folder is 0700: nobody cannot even look inside
        assert "permission denied" in in_child(child, tmp_path / "t.db", unprivileged=True)


def test_a_store_locked_too_long_by_another_program(db, monkeypatch):
    monkeypatch.setattr(store_mod, "BUSY_TIMEOUT_S", 0.1)
    with Store.open(db) as s:
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            message = _saved_then_fault_locked(s)
        finally:
            other.execute("ROLLBACK")
            other.close()
        s.save_event(visit(9, PLANTED))  # works again once the lock is gone
    assert "locked" in message and "It was not saved" in message


def _saved_then_fault_locked(s: Store) -> str:
    with pytest.raises(StoreError) as err:
        s.save_event(visit(1, PLANTED))
    assert PLANTED not in str(err.value)
    return str(err.value)


def test_every_store_error_is_a_tacro_error():
    assert issubclass(StoreError, TacroError)


def test_text_that_cannot_be_exported_is_refused_without_echoing_it(store):
    for note in ["a\x00b", "x\ud800"]:
        with pytest.raises(InputError) as err:
            store.save_event(visit(1, note=f"{PLANTED} {note}"))
        assert PLANTED not in str(err.value)
    assert store.all_events() == []


def test_io_error_loop_fail_the_nth_page_write(db):
    """SQLite's I/O-error loop, with the file-size limit as the fault: the n-th 4 KiB page write fails
    (n = 1, 2, ...); every save confirmed before it is still there, and the file stays sound."""
    with Store.open(db) as s:
        base = [s.save_event(visit(i, "base")) for i in range(3)]
    confirmed_total = 0
    for n in range(1, 25):
        def child():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            limit = os.path.getsize(db) + n * 4096  # noqa: B023 (child runs in this iteration)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
            ok, message = [], ""
            try:
                with Store.open(db) as s:
                    for i in range(200):
                        ok.append(s.save_event(visit(i, PLANTED, note="x" * 1500)))
            except StoreError as e:
                message = str(e)  # noqa: B023
            return ok, message  # noqa: B023

        ok, message = in_child(child)
        assert message and PLANTED not in message, n
        confirmed_total += len(ok)
        with Store.open(db) as s:
            present = {e.line for e in s.all_events()}
            assert set(base) | set(ok) <= present, n
            assert s.integrity_check() == [], n
    assert confirmed_total > 0
