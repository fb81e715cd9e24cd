"""Two processes saving visits to one store at once: none lost, no lock error; against a deferred baseline.

    .venv/bin/python benchmarks/store_writers.py [PER_WRITER]

Two forked writers, released together, each save PER_WRITER visits (one
transaction each) through `Store.save_event`, while reading back between
saves. The baseline, measured in the same run on a fresh file, does the same
with plain sqlite3 and default deferred transactions (read, then write, 5 s
busy timeout): the pattern reliability.md §7 saw fail.
"""
from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dosing.core.models import Event  # noqa: E402
from dosing.store.db import Store  # noqa: E402

TEMPLATE = Event.model_validate({"patient_id": "w", "date": "2026-01-05", "weight": "70 kg", "trough": "8 ng/mL"})


def _store_writer(db: Path, n: int, name: str) -> tuple[list[int], list[str]]:
    ids, errors = [], []
    with Store.open(db) as s:
        for i in range(n):
            try:
                ids.append(s.save_event(TEMPLATE.model_copy(update={"patient_id": name, "note": f"{name}-{i}"})))
                if i % 50 == 0:
                    s.events(name)
            except Exception as e:  # noqa: BLE001 - counted, the point of the test
                errors.append(f"{type(e).__name__}: {e}")
    return ids, errors


def _deferred_writer(db: Path, n: int, name: str) -> tuple[list[int], list[str]]:
    ids, errors = [], []
    c = sqlite3.connect(db, timeout=5, isolation_level=None)
    for i in range(n):
        try:  # a deferred transaction that reads, then writes: the read lock must be upgraded
            c.execute("BEGIN")
            c.execute("SELECT count(*) FROM visit").fetchone()
            ids.append(c.execute("INSERT INTO visit (note) VALUES (?)", (f"{name}-{i}",)).lastrowid)
            c.execute("COMMIT")
        except sqlite3.Error as e:
            if c.in_transaction:
                c.execute("ROLLBACK")
            errors.append(f"{type(e).__name__}: {e}")
    c.close()
    return ids, errors


def _run_pair(target, db: Path, n: int) -> tuple[list[list[int]], list[str], float]:
    """Fork two writers running target(db, n, name), start them together, collect ids and errors."""
    import pickle

    go_r, go_w = os.pipe()
    children = []
    for name in ("A", "B"):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            os.close(r)
            os.close(go_w)
            os.read(go_r, 1)
            try:
                out = target(db, n, name)
            except BaseException as e:  # noqa: BLE001
                out = ([], [f"crashed: {type(e).__name__}: {e} {traceback.format_exc()}"])
            with os.fdopen(w, "wb") as f:
                f.write(pickle.dumps(out))
            os._exit(0)
        os.close(w)
        children.append((pid, r))
    t0 = time.perf_counter()
    os.write(go_w, b"gg")
    os.close(go_w)
    os.close(go_r)
    ids, errors = [], []
    for pid, r in children:
        with os.fdopen(r, "rb") as f:
            got, errs = pickle.loads(f.read())
        os.waitpid(pid, 0)
        ids.append(got)
        errors += errs
    return ids, errors, time.perf_counter() - t0


def two_writers(db: Path, per_writer: int, create_first: bool = True) -> dict:
    """Two Store writers at once; returns saved counts, errors, lost ids and integrity.

    With create_first=False both race to create the file and its schema too."""
    if create_first:
        Store.open(db).close()
    ids, errors, seconds = _run_pair(_store_writer, db, per_writer)
    with sqlite3.connect(db) as c:
        present = {r[0] for r in c.execute("SELECT id FROM event")}
        integrity = c.execute("PRAGMA integrity_check").fetchone()[0]
    confirmed = [i for got in ids for i in got]
    return {"confirmed": len(confirmed), "distinct": len(set(confirmed)), "stored": len(present),
            "lost": sorted(set(confirmed) - present), "errors": errors, "integrity": integrity,
            "seconds": seconds}


def deferred_baseline(db: Path, per_writer: int) -> dict:
    with sqlite3.connect(db) as c:
        c.execute("PRAGMA journal_mode = WAL")
        c.execute("CREATE TABLE visit (id INTEGER PRIMARY KEY, note TEXT)")
    ids, errors, seconds = _run_pair(_deferred_writer, db, per_writer)
    return {"confirmed": sum(map(len, ids)), "errors": len(errors),
            "first_error": errors[0].split(":")[0] + ": " + errors[0].split(": ", 1)[1][:40] if errors else "",
            "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    n = int(argv[0]) if argv else 2000
    with tempfile.TemporaryDirectory() as tmp:
        ours = two_writers(Path(tmp) / "store.db", n)
        base = deferred_baseline(Path(tmp) / "baseline.db", n)
    print(f"two writers x {n} visits, BEGIN IMMEDIATE (tacro store):")
    print(f"  confirmed {ours['confirmed']}  stored {ours['stored']}  lost {len(ours['lost'])}  "
          f"errors {len(ours['errors'])}  integrity {ours['integrity']}  {ours['seconds']:.1f} s "
          f"({ours['confirmed'] / ours['seconds']:.0f} saves/s)")
    print("baseline, deferred transactions (plain sqlite3, 5 s timeout):")
    print(f"  confirmed {base['confirmed']}  errors {base['errors']}  {base['seconds']:.1f} s  {base['first_error']}")
    ok = not ours["lost"] and not ours["errors"] and ours["integrity"] == "ok" and ours["stored"] == 2 * n
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
