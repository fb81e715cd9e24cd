"""How long until the TUI's patient list shows every row's status, against a bare Textual app launch?

Both are fresh interpreters, headless at 80x24, timed from spawn to a READY line:

  bare    a Textual App with a Header, a Static and a Footer (benchmarks/tui_startup.py's)
  list    `tacro --db STORE` until the worklist is filled: the store opened, every patient's
          events read in one query, the rules evaluated once, and one row per patient in
          the table with its worst open finding, overdue mark and next check

Targets (issue 10): 2,000 patients <= 2 s after launch; 20,000 <= 10 s. The ratio to
the bare launch in the same run is printed beside the seconds, so a slower machine
shows as a slower bare launch too; CPU seconds of each child are printed as well, since
on a shared machine the wall time grows with other processes' load and CPU time does not. Runs alternate (bare, list, bare, ...).
tacro runs as the installed program does (`main()` reading its arguments, from bytecode compiled first).

    .venv/bin/python benchmarks/tui_list.py                       # 2,000 and 20,000 patients, 3 runs each
    .venv/bin/python benchmarks/tui_list.py --patients 2000 --repeat 5
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sqlite3
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.tui_startup import BARE, HEADLESS_MAIN  # noqa: E402
from benchmarks.tui_startup import timed as wall  # noqa: E402

LIST = """
import asyncio, sys, time

N = int(sys.argv[2])

async def ready(pilot):
    await pilot._wait_for_screen()
    while pilot.app.clinic is None:
        await asyncio.sleep(0.005)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    screen = pilot.app.screen
    assert screen.query_one("#patients").row_count == N, screen.query_one("#patients").row_count
    assert sum(1 for r in screen.rows.values() if r is not None) == N  # every row has its status
    sys.__stdout__.write(f"READY {time.time()}\\n")
    pilot.app.exit()

""" + HEADLESS_MAIN


def make_store(path: Path, patients: int) -> int:
    """A store of `patients` patients (baseline, start, then monthly checks), written in one transaction.

    Rows go in through SQL with canonical values, as an import stores them, so building 20,000
    patients takes seconds; the app reads them exactly as it reads any store."""
    from dosing.store.db import Store

    Store.open(path).close()  # the schema
    today = dt.date(2026, 11, 22)
    stamp = "2026-11-22T08:00:00+00:00"
    pats, evs = [], []
    for i in range(patients):
        pid = f"P-{i:05d}"
        pats.append((pid, 0, f"clinic {i % 3}", stamp))
        start = today - dt.timedelta(days=60 + 7 * (i % 40))
        evs.append((pid, (start - dt.timedelta(days=3)).isoformat(), "visit", 70.0, None, None, 80.0, 125.0, 80.0))
        evs.append((pid, start.isoformat(), "start", None, 7.0, None, None, None, None))
        day = start + dt.timedelta(days=10)
        while day <= today:
            creat = 82.0 + i % 9 + (30.0 if i % 17 == 0 else 0.0)  # some patients with a rise
            evs.append((pid, day.isoformat(), "visit", None, None, 8.0 + i % 7, creat, 130.0, 82.0))
            day += dt.timedelta(days=28 + (i % 3) * 10)  # some overdue
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany("INSERT INTO patient VALUES (?, ?, ?, ?)", pats)
        conn.executemany("INSERT INTO event (source, patient_id, date, event, weight, dose, trough, creatinine, "
                         "sbp, dbp, note, saved_at) VALUES ('import', ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?)",
                         [(*e, stamp) for e in evs])
    conn.close()
    return len(evs)


def timed(code: str, *args: str) -> tuple[float, float]:
    """(wall seconds to READY, CPU seconds of the whole child run): CPU time does not grow with the
    machine's load from other processes, wall time does."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    w = wall(code, *args)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return w, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="*", default=[2000, 20000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    targets = {2000: 2.0, 20000: 10.0}
    print(f"launch to a filled worklist, headless 80x24, median of {args.repeat} fresh interpreters "
          f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.patients:
            db = Path(tmp) / f"tacro-{n}.db"
            events = make_store(db, n)
            timed(BARE), timed(LIST, str(db), str(n))  # warm the OS file cache
            bare, filled = [], []
            for _ in range(args.repeat):
                bare.append(timed(BARE))
                filled.append(timed(LIST, str(db), str(n)))
            b, f = statistics.median(x[0] for x in bare), statistics.median(x[0] for x in filled)
            bc, fc = statistics.median(x[1] for x in bare), statistics.median(x[1] for x in filled)
            target = targets.get(n)
            verdict = "" if target is None else f"  target <= {target:.0f} s: {'met' if f <= target else 'NOT met'}"
            ok &= target is None or f <= target
            print(f"  {n:>6} patients ({events} events): list filled {f:6.2f} s wall ({fc:5.2f} s CPU); "
                  f"bare launch {b:5.2f} s wall ({bc:5.2f} s CPU); ratio {f / b:5.2f}x wall, {fc / bc:5.2f}x CPU"
                  f"{verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
