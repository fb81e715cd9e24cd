"""What the data-side guards cost, as ratios against a baseline measured in the same run.

  open     Store.open with PRAGMA quick_check (refuses a damaged store for writing) against the same
           open with the check switched off, for stores of growing size: quick_check reads every page,
           so its cost grows with the store.
  read     dosing.io.infile.read_input (regular files only, bounded) against Path.read_bytes of the
           same log file.

    .venv/bin/python benchmarks/store_guards.py
    .venv/bin/python benchmarks/store_guards.py --sizes 1000 20000 --log-mb 50
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dosing.io.infile import read_input  # noqa: E402
from dosing.store.db import Store  # noqa: E402
from tests.test_store_support import visit  # noqa: E402


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def open_ratio(folder: Path, visits: int, repeat: int) -> tuple[float, float, float]:
    db = folder / f"s{visits}.db"
    with Store.open(db) as s:
        s.import_events([visit(i, pid=f"p{i % 97}") for i in range(visits)])
    with_check = _best(lambda: Store.open(db).close(), repeat)
    original = Store._quick_check
    Store._quick_check = lambda self: []  # the baseline: the same open without the check
    try:
        without = _best(lambda: Store.open(db).close(), repeat)
    finally:
        Store._quick_check = original
    return db.stat().st_size / 1e6, with_check, without


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 3000, 20000], help="visits per store")
    ap.add_argument("--log-mb", type=float, default=20.0, help="size of the log file for the read ratio")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("store open: with quick_check vs without (best of repeats)")
        for n in args.sizes:
            mb, a, b = open_ratio(folder, n, args.repeat)
            print(f"  {n:>7,} visits {mb:7.2f} MB: {a * 1000:8.1f} ms vs {b * 1000:8.1f} ms  ratio {a / b:6.2f}")
        log = folder / "log.csv"
        row = b"P00001,2026-01-01,,,8.5,80,120,80,\n"
        with open(log, "wb") as f:
            f.write(b"patient_id,date,event,dose,trough,creatinine,sbp,dbp,note\n")
            f.write(row * int(args.log_mb * 1e6 / len(row)))
        a = statistics.median([_best(lambda: read_input(log), 1) for _ in range(args.repeat)])
        b = statistics.median([_best(log.read_bytes, 1) for _ in range(args.repeat)])
        print(f"log read ({log.stat().st_size / 1e6:.0f} MB): read_input {a * 1000:.1f} ms vs read_bytes "
              f"{b * 1000:.1f} ms  ratio {a / b:.2f}")


if __name__ == "__main__":
    main()
