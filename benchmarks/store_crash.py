"""Crash test of the visit store: SIGKILL a writer at random moments, then check nothing confirmed was lost.

    .venv/bin/python benchmarks/store_crash.py [KILLS] [--seed N] [--max-delay SECONDS]

A forked child opens the store (a fresh one every 25 kills, so some kills land
while the file and its schema are being created) and saves visits, amends them
and imports batches, writing a line to a pipe only after each call returned.
The parent kills it (SIGKILL) after a random delay or, every `hold_every`-th kill,
while the child is held inside a write transaction just before its COMMIT (a
save, an amendment or an import in turn): those kills land mid-write by
construction, whatever the machine's speed. It then checks with plain
sqlite3, independently of tacro: `PRAGMA integrity_check` is ok; every visit,
amendment and import the child confirmed is there with its own note; every
import batch in the file is complete (no half import). The suite runs 100
kills (tests/test_store_crash.py); this script runs 1,000 by default.
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dosing.core.models import Event  # noqa: E402
from dosing.store.db import Store  # noqa: E402

TEMPLATE = Event.model_validate({"patient_id": "crash", "date": "2026-01-05", "weight": "154 lb",
                                 "dose": "7 mg/day", "trough": "25 nmol/L", "creatinine": "1.1 mg/dL"})
FRESH_EVERY = 25
HOLD_KINDS = ("S", "A", "I")  # save, amend, import: the write a held kill interrupts, in turn


def _writer(db: Path, wfd: int, seed: int, hold: tuple[str, int] | None = None) -> None:  # pragma: no cover
    """Save, amend and import forever, confirming each on the pipe only after the call returned.

    With `hold=(kind, after)`, the first write of that kind after `after` calls stops inside its
    transaction, just before COMMIT, says so on the pipe ("W kind tag [n]") and waits to be killed.
    """
    rng = random.Random(seed)
    out = os.fdopen(wfd, "w", buffering=1)
    store = Store.open(db)
    out.write("O\n")
    in_flight: list[str] = []

    def hold_before_commit(sql: str) -> None:
        if in_flight and sql == "COMMIT":
            out.write(f"W {in_flight[0]}\n")
            while True:
                signal.pause()

    if hold is not None:
        store._connection().set_trace_callback(hold_before_commit)
    last = None
    k = 0
    while True:
        k += 1
        tag = f"{seed}-{k}"
        r = rng.random()
        kind = "I" if r < 0.15 else "A" if r < 0.3 and last is not None else "S"
        if hold is not None and kind == hold[0] and k > hold[1]:
            in_flight.append(f"{kind} {tag}")
        if kind == "I":
            n = rng.randrange(2, 40)
            if in_flight:
                in_flight[0] += f" {n}"
            store.import_events([TEMPLATE.model_copy(update={"patient_id": "imp", "note": tag})] * n)
            out.write(f"I {tag} {n}\n")
        elif kind == "A":
            new = store.amend_event(last, TEMPLATE.model_copy(update={"note": tag}), "crash test")
            out.write(f"A {last} {new} {tag}\n")
            last = new
        else:
            last = store.save_event(TEMPLATE.model_copy(update={"note": tag}), {"weight": "154 lb"})
            out.write(f"S {last} {tag}\n")


def _one_kill(db: Path, seed: int, delay: float, hold: tuple[str, int] | None = None) -> list[str]:
    """Fork a writer, SIGKILL it after `delay` seconds (or, with `hold`, once it says it is held
    inside a transaction), return the lines it wrote."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.close(r)
        try:
            _writer(db, w, seed, hold)
        finally:
            os._exit(1)
    os.close(w)
    with os.fdopen(r, "r") as f:
        lines = []
        if hold is None:
            time.sleep(delay)
        else:  # wait on the child's state, not on time: kill only once it is held mid-write
            for line in f:
                lines.append(line)
                if line.startswith("W "):
                    break
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        data = "".join(lines) + f.read()
    return [line for line in data.split("\n")[:-1] if line]  # a line cut by the kill has no newline


def _verify(db: Path, confirmed: list[str]) -> list[str]:
    """Problems found in the store after a kill (empty when every confirmed change is there, whole)."""
    if not db.exists():
        return [] if not confirmed else ["store file missing"]
    problems = []
    c = sqlite3.connect(db, timeout=10)
    try:
        result = [r[0] for r in c.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            problems.append(f"integrity_check: {result[:3]}")
        tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "event" not in tables:
            return problems + (["schema missing after a confirmed open"] if len(confirmed) > 1 else [])
        for line in confirmed:
            kind, *rest = line.split()
            if kind == "W":  # the write the kill interrupted before its COMMIT: none of it may be there
                n = c.execute("SELECT count(*) FROM event WHERE note = ?", (rest[1],)).fetchone()[0]
                if n:
                    problems.append(f"uncommitted {rest[0]} {rest[1]}: {n} visits saved")
            elif kind == "S":
                row = c.execute("SELECT note FROM event WHERE id = ?", (int(rest[0]),)).fetchone()
                if row is None or row[0] != rest[1]:
                    problems.append(f"lost visit {rest[0]}")
            elif kind == "A":
                old, new, tag = int(rest[0]), int(rest[1]), rest[2]
                row = c.execute("SELECT note, amends FROM event WHERE id = ?", (new,)).fetchone()
                if row != (tag, old) or c.execute("SELECT 1 FROM event WHERE id = ?", (old,)).fetchone() is None:
                    problems.append(f"lost amendment {new} of {old}")
            elif kind == "I":
                n = c.execute("SELECT count(*) FROM event WHERE note = ?", (rest[0],)).fetchone()[0]
                if n != int(rest[1]):
                    problems.append(f"import {rest[0]}: {n} of {rest[1]} visits")
        for batch, count, found in c.execute(
                "SELECT b.id, b.count, (SELECT count(*) FROM event e WHERE e.batch = b.id) FROM import_batch b"):
            if count != found:
                problems.append(f"half import: batch {batch} has {found} of {count}")
        orphans = c.execute("SELECT count(*) FROM event WHERE batch IS NOT NULL AND batch NOT IN "
                            "(SELECT id FROM import_batch)").fetchone()[0]
        if orphans:
            problems.append(f"{orphans} imported visits without their batch")
    finally:
        c.close()
    return problems


def crash_loop(folder: Path, kills: int, seed: int = 1, max_delay: float = 0.08, hold_every: int = 2) -> dict:
    """Run `kills` kill-and-verify rounds in `folder`; returns counts and every problem found.

    Every `hold_every`-th kill lands inside a write transaction (a save, amendment, import in turn);
    the others after a random delay.
    """
    rng = random.Random(seed)
    totals = {"kills": 0, "confirmed_saves": 0, "confirmed_amendments": 0, "confirmed_imports": 0,
              "killed_before_open_returned": 0, "problems": [], "stores": 0,
              "held_S": 0, "held_A": 0, "held_I": 0, "held_scheduled": 0}
    db = folder / "crash-0.db"
    for k in range(kills):
        if k % FRESH_EVERY == 0:
            db = folder / f"crash-{k // FRESH_EVERY}.db"
            totals["stores"] += 1
        hold = None
        if hold_every and k % hold_every == hold_every - 1:
            hold = (HOLD_KINDS[(k // hold_every) % len(HOLD_KINDS)], rng.randrange(0, 20))
            totals["held_scheduled"] += 1
        confirmed = _one_kill(db, seed * 100_003 + k, rng.uniform(0, max_delay), hold)
        held = [line for line in confirmed if line.startswith("W ")]
        if held:
            totals[f"held_{held[0].split()[1]}"] += 1
        totals["kills"] += 1
        totals["killed_before_open_returned"] += not confirmed
        totals["confirmed_saves"] += sum(line.startswith("S") for line in confirmed)
        totals["confirmed_amendments"] += sum(line.startswith("A") for line in confirmed)
        totals["confirmed_imports"] += sum(line.startswith("I") for line in confirmed)
        totals["problems"] += [f"kill {k}: {p}" for p in _verify(db, confirmed)]
        if k % FRESH_EVERY == FRESH_EVERY - 1 or k == kills - 1:
            try:  # and tacro itself still opens it and reads every visit
                with Store.open(db) as s:
                    s.all_events()
                    totals["problems"] += [f"store {db.name}: {p}" for p in s.integrity_check()]
            except Exception as e:  # noqa: BLE001 - reported, not raised
                totals["problems"].append(f"store {db.name}: {type(e).__name__}: {e}")
    return totals


def main(argv: list[str] | None = None) -> int:
    import tempfile

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kills", type=int, nargs="?", default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-delay", type=float, default=0.15)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = crash_loop(Path(tmp), args.kills, args.seed, args.max_delay)
        elapsed = time.perf_counter() - t0
    for key, value in result.items():
        if key != "problems":
            print(f"{key:30} {value}")
    print(f"{'problems':30} {len(result['problems'])}")
    for p in result["problems"][:20]:
        print("  ", p)
    print(f"{'seconds':30} {elapsed:.1f}")
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
