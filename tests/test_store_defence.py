"""The store defends itself: duplicates checked inside the import's write transaction, damaged files refused.

reliability.md figures 13 (two concurrent importers store a file once) and 14
(a store failing PRAGMA quick_check is never written to).
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from dosing.cli.main import main
from dosing.cli.transfer import refuse_duplicate_rows
from dosing.core.errors import StoreError
from dosing.io.logfile import read_log
from dosing.store.db import Store
from dosing.store.rows import import_rows
from tests.conftest import ROOT
from tests.test_store_support import visit

ROWS = 40


def write_log(path: Path, rows: int = ROWS, first_day: int = 1) -> Path:
    lines = ["patient_id,date,weight,trough,hours_post_dose"]
    for i in range(rows):
        lines.append(f"D-{i % 4},2025-{1 + (first_day + i) // 28 % 12:02d}-{1 + (first_day + i) % 28:02d},70,8.5,12")
    path.write_text("\n".join(lines) + "\n")
    return path


def stored(db: Path) -> int:
    with Store.open(db, create=False) as s:
        return len(s.all_events())


def _has_open(pid: int, path: Path) -> bool:
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == str(path):
                return True
        except OSError:
            continue
    return False


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc to see which files a child has open")
def test_two_concurrent_imports_of_one_file_store_it_once(tmp_path):
    db = tmp_path / "t.db"
    log = write_log(tmp_path / "log.csv")
    with Store.open(db):
        pass
    # Hold the write lock until both importers have the store open, so that both reach the import at once:
    # the old order (check, then write transaction) stored the file twice here.
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    env = {**os.environ, "TACRO_DB": str(db)}
    procs = [subprocess.Popen([sys.executable, "-m", "dosing", "import", str(log)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
             for _ in range(2)]
    try:
        while not all(_has_open(p.pid, db) for p in procs):  # wait on state (a safety net below)
            if any(p.poll() is not None for p in procs):
                break
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    codes = sorted(r[0] for r in results)
    assert codes == [0, 2], results
    refused = next(r for r in results if r[0] == 2)
    assert "already in the store" in refused[2] and "Traceback" not in refused[2]
    assert stored(db) == ROWS
    with Store.open(db) as s:
        assert s.integrity_check() == []


def test_the_duplicate_check_sees_a_commit_made_while_it_waited(tmp_path):
    """Two connections in one process, ordered by a barrier (no timing): the second import's check runs
    inside its own write transaction, so it sees the first import's rows."""
    db = tmp_path / "t.db"
    log_path = tmp_path / "t.csv"  # the rows `tacro import` would build, read by the one reader
    log_path.write_text("patient_id,date,weight,trough,note\n"
                        + "".join(f"T-1,2020-01-{i + 1:02d},70,8.5,n{i}\n" for i in range(5)), encoding="utf-8")
    log = read_log(log_path)
    rows, entered = import_rows(log)
    lines = log.columns.line.tolist()
    a, b = Store.open(db), Store.open(db)
    inside = threading.Event()
    release = threading.Event()
    outcome: dict[str, object] = {}

    def first(existing):
        refuse_duplicate_rows(rows, lines, existing)
        inside.set()  # A holds the write lock from here to its commit
        release.wait(60)

    def run_a():
        outcome["a"] = a.import_rows(rows, entered, before=first)

    t = threading.Thread(target=run_a)
    t.start()
    assert inside.wait(60)

    def run_b():
        try:
            b.import_rows(rows, entered, before=lambda existing: refuse_duplicate_rows(rows, lines, existing))
            outcome["b"] = "imported"
        except Exception as e:  # noqa: BLE001 (the refusal is what the test looks for)
            outcome["b"] = e

    u = threading.Thread(target=run_b)
    u.start()
    release.set()
    t.join(60)
    u.join(60)
    a.close()
    b.close()
    assert outcome["a"] == 5
    assert "already in the store" in str(outcome["b"])
    assert stored(db) == 5


def _damage(db: Path, name: str) -> None:
    """Overwrite the b-tree page header of table or index `name` with an invalid page type."""
    with sqlite3.connect(db) as c:
        page_size = c.execute("PRAGMA page_size").fetchone()[0]
        root = c.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
    c.close()
    with open(db, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\x7f")


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture
def damaged(tmp_path) -> Path:
    db = tmp_path / "t.db"
    with Store.open(db) as s:
        s.import_events([visit(i, pid="X-1") for i in range(30)])
    assert not Path(f"{db}-wal").exists()  # checkpointed on close: the damage goes into the file itself
    _damage(db, "event_by_batch")  # an index an export does not need
    return db


def test_a_damaged_store_is_refused_for_import_and_left_as_it_was(damaged, tmp_path, capsys):
    before = _digest(damaged)
    log = write_log(tmp_path / "log.csv", rows=3)
    code = main(["import", str(log), "--db", str(damaged)])
    err = capsys.readouterr().err
    assert code == 2 and "is damaged" in err and "quick_check" in err and "Traceback" not in err
    assert _digest(damaged) == before


def test_a_damaged_store_is_refused_for_every_write_in_the_library(damaged):
    with pytest.raises(StoreError, match="is damaged"):
        Store.open(damaged)
    with Store.open(damaged, create=False) as s:  # opened to read: flagged, and every write refused
        assert s.damaged
        with pytest.raises(StoreError, match="is damaged"):
            s.save_event(visit(99, pid="X-1"))


def test_a_damaged_store_can_still_be_exported_with_a_warning(damaged, tmp_path, capsys):
    before = _digest(damaged)
    out = tmp_path / "out.csv"
    code = main(["export", str(out), "--db", str(damaged)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "warning" in captured.err and "damaged" in captured.err
    assert len(out.read_text().splitlines()) == 31
    assert _digest(damaged) == before


def test_a_store_with_a_damaged_table_page_is_refused_for_import(tmp_path, capsys):
    db = tmp_path / "t.db"
    with Store.open(db) as s:
        s.import_events([visit(i, pid="X-1") for i in range(30)])
    _damage(db, "event")
    before = _digest(db)
    code = main(["import", str(write_log(tmp_path / "log.csv", rows=2)), "--db", str(db)])
    err = capsys.readouterr().err
    assert code == 2 and "damaged" in err and "Traceback" not in err
    assert _digest(db) == before
