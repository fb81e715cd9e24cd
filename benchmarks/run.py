"""Every ratio of the performance targets in one table, measured side by side in one run.

Each line runs tacro and its baseline as child processes (interpreter start-up
and imports included on both sides) and compares their CPU seconds (user +
system, from wait4), so a busy shared machine slows both alike; peak memory is
the child's maximum resident set. Nothing here is a test: no test asserts a speed.

    .venv/bin/python benchmarks/run.py            # the issue's sizes (about 10 minutes on 2 shared cores)
    .venv/bin/python benchmarks/run.py --quick    # a tenth of the rows, about a minute
    .venv/bin/python benchmarks/run.py --big      # adds the 5M-row finding-dense log (peak memory only)
    .venv/bin/python benchmarks/run.py --only transfer --repeat 3   # just the import/export rows

Logs come from benchmarks/logs.py (calm, finding-dense, one visit per patient).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import logs  # noqa: E402

AS_OF = logs.AS_OF.isoformat()
PY = sys.executable

# Spawned from a small launcher: on Linux a child's ru_maxrss starts from its parent's peak at fork time.
LAUNCHER = """
import json, os, subprocess, sys
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
err = p.stderr.read()
_, status, u = os.wait4(p.pid, 0)
print(json.dumps([u.ru_utime + u.ru_stime, u.ru_maxrss / 1024, os.waitstatus_to_exitcode(status),
                  err.decode(errors="replace")[-400:]]))
"""

# The TUI rows belong to the TUI engineer (benchmarks/tui_startup.py): fill this slot with
# (work, ratio-or-figure text, target text) rows measured in the same run.
TUI_ROWS: list[tuple[str, str, str]] = [
    ("TUI, 2,000 patients: list with every status", "(slot: TUI benchmark)", "<= 2 s"),
    ("TUI, 20,000 patients", "(slot: TUI benchmark)", "<= 10 s"),
]


def tui_rows(folder: Path, scale: int, repeat: int) -> list[tuple[str, str, str]]:
    """The visit log's worklist, launch to every row's status, against a bare Textual launch
    (benchmarks/tui_list.py, CPU seconds as for the rows above)."""
    from benchmarks import tui_list

    rows = []
    for (label, _, target), full in zip(TUI_ROWS, (2000, 20000)):
        patients = max(full // scale, 1)
        db = folder / f"tui-{patients}.db"
        tui_list.make_store(db, patients)
        tui_list.timed(tui_list.BARE), tui_list.timed(tui_list.LIST, str(db), str(patients))  # warm the cache
        bare = min((tui_list.timed(tui_list.BARE) for _ in range(repeat)), key=lambda x: x[1])
        filled = min((tui_list.timed(tui_list.LIST, str(db), str(patients)) for _ in range(repeat)),
                     key=lambda x: x[1])
        rows.append((label.replace(f"{full:,}", f"{patients:,}"),
                     f"{filled[1]:.2f} s CPU ({filled[0]:.2f} s wall); bare Textual launch {bare[1]:.2f} s CPU, "
                     f"{filled[1] / bare[1]:.2f}x", target))
    return rows


def child(cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    """CPU seconds and peak resident MB of one child process; stops the run if it failed.

    `tacro check` exits 1 when it has findings (the finding-dense log); anything else must exit 0.
    """
    out = subprocess.run([PY, "-c", LAUNCHER, *cmd], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    cpu, peak, code, err = json.loads(out.stdout)
    if code != 0 and not (code == 1 and "check" in cmd and "Traceback" not in err):
        raise SystemExit(f"{' '.join(cmd[:4])}… failed with exit code {code}: {err}")
    return cpu, peak


def best(n: int, cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    runs = [child(cmd, env) for _ in range(n)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


BARE_IMPORT = """
import csv, sqlite3, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))[1:]
c = sqlite3.connect(sys.argv[2])
c.execute("CREATE TABLE v (patient_id TEXT, date TEXT, event TEXT, weight REAL, dose REAL, trough REAL, h REAL, "
          "creatinine REAL, sbp REAL, dbp REAL, note TEXT)")
with c:
    c.executemany("INSERT INTO v VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                  [(r[0], r[1], r[2] or "visit", *[float(x) if x else None for x in r[3:10]], r[10]) for r in rows])
"""

BARE_EXPORT = """
import csv, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
with open(sys.argv[2], "w", encoding="utf-8", newline="") as f:
    csv.writer(f, lineterminator="\\r\\n").writerows(c.execute("SELECT * FROM v ORDER BY patient_id, date, rowid"))
"""


def compiled() -> None:
    """Byte-compile tacro as an install does (pip compiles a wheel's modules), so that no run pays for
    compiling its sources: with PYTHONDONTWRITEBYTECODE set, every run would, and the baselines' pandas
    and pint are compiled already."""
    import compileall

    for package in ("dosing", "tui"):
        compileall.compile_dir(ROOT / package, quiet=1)


SECTIONS = ("check", "transfer", "tui", "dose")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a tenth of the rows")
    ap.add_argument("--big", action="store_true", help="also the 5M-row finding-dense log")
    ap.add_argument("--repeat", type=int, default=1, help="best of N for the CPU figures (default 1)")
    ap.add_argument("--only", action="append", choices=SECTIONS, metavar="SECTION",
                    help=f"measure only these rows ({', '.join(SECTIONS)}); may be repeated (default: all)")
    args = ap.parse_args()
    compiled()
    wanted = set(args.only or SECTIONS)
    scale = 10 if args.quick else 1
    check_rows, transfer_rows = 1_000_000 // scale, 100_000 // scale
    env = {**os.environ, "TACRO_TODAY": AS_OF}
    n = args.repeat
    results: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="tacro-bench-") as tmp:
        folder = Path(tmp)

        def check_line(shape: str, rows: int, target: str, with_ratio: bool = True) -> None:
            path = folder / f"{shape}.csv"
            logs.write(path, shape, rows)
            read = best(n, [PY, "-c", f"import pandas; pandas.read_csv({str(path)!r})"], env) if with_ratio else None
            cmd = [PY, "-m", "dosing", "check", str(path), "--format", "json", "--out", str(folder / "f.json"),
                   "--force", "--as-of", AS_OF]
            cpu, peak = best(n, cmd, env)
            findings = sum(json.loads((folder / "f.json").read_text(encoding="utf-8"))["summary"].values()) \
                if rows <= 1_000_000 else None
            what = f"{cpu / read[0]:.2f}x ({cpu:.1f} s vs {read[0]:.1f} s), " if read else f"{cpu:.0f} s, "
            extra = f", {findings:,} findings" if findings is not None else ""
            results.append((f"tacro check, {shape} log, {rows:,} rows", f"{what}peak {peak:,.0f} MB{extra}", target))
            path.unlink()
            (folder / "f.json").unlink(missing_ok=True)

        if "check" in wanted:
            check_line("calm", check_rows, "<= 2x bare pandas.read_csv")
            check_line("dense", check_rows, "<= 4x, peak <= 1.5 GB")
            if args.big:
                check_line("dense", 5_000_000, "peak <= 3 GB", with_ratio=False)
            check_line("single", check_rows, "completes, peak <= 1.5 GB")
        if "transfer" in wanted:
            results.extend(transfer_lines(folder, transfer_rows, n, env))
        if "tui" in wanted:
            results.extend(tui_rows(folder, scale, n))
        if "dose" in wanted:
            pint_cold = best(max(n, 3), [PY, "-c", "import pint; pint.UnitRegistry()"])
            dose_cold = best(max(n, 3), [PY, "-m", "dosing", "dose", "--weight", "73 kg", "--rate",
                                         "0.1 mg/kg/day"], env)
            results.append(("tacro dose, cold", f"{dose_cold[0] / pint_cold[0]:.2f}x ({dose_cold[0]:.2f} s vs "
                            f"{pint_cold[0]:.2f} s)", "<= 1.0x bare pint.UnitRegistry()"))
    print_table(results, args)
    return 0


def transfer_lines(folder: Path, transfer_rows: int, n: int, env: dict) -> list[tuple[str, str, str]]:
    """`tacro import` and `tacro export` of one calm log, each beside its bare sqlite3 baseline (executemany of
    the same rows in one transaction; a plain SELECT written with csv). With --repeat N the two sides take
    turns (bare, tacro, bare, tacro, ...), so a burst of load from elsewhere falls on both; best of N each."""
    log = folder / "transfer.csv"
    logs.write(log, "calm", transfer_rows)
    bare_db, db = folder / "bare.db", folder / "store.db"
    bare_in: list[tuple[float, float]] = []
    tacro_in: list[tuple[float, float]] = []
    for _ in range(n):
        for p in (bare_db, db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            p.unlink(missing_ok=True)
        bare_in.append(child([PY, "-c", BARE_IMPORT, str(log), str(bare_db)]))
        tacro_in.append(child([PY, "-m", "dosing", "import", str(log), "--db", str(db)], env))
    b, t = min(bare_in), min(tacro_in)
    results = [(f"tacro import, {transfer_rows:,} rows",
                f"{t[0] / b[0]:.2f}x ({t[0]:.1f} s vs {b[0]:.1f} s), peak {t[1]:,.0f} MB",
                "<= 5x sqlite3 executemany")]
    out_bare, out = folder / "bare-out.csv", folder / "out.csv"
    bare_out: list[tuple[float, float]] = []
    tacro_out: list[tuple[float, float]] = []
    for _ in range(n):
        bare_out.append(child([PY, "-c", BARE_EXPORT, str(bare_db), str(out_bare)]))
        tacro_out.append(child([PY, "-m", "dosing", "export", str(out), "--db", str(db), "--force"], env))
    with open(out, encoding="utf-8", newline="") as f:
        exported = sum(1 for _ in csv.reader(f)) - 1
    b, t = min(bare_out), min(tacro_out)
    results.append((f"tacro export, {exported:,} rows", f"{t[0] / b[0]:.2f}x ({t[0]:.1f} s vs {b[0]:.1f} s)",
                    "<= 3x the same read-out"))
    return results


def print_table(results: list[tuple[str, str, str]], args: argparse.Namespace) -> None:
    cpus = os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {platform.machine()}, {cpus} cores, {platform.system()} {platform.release()}, Python "
          f"{platform.python_version()}; load average at the end {load:.1f}")
    print("CPU seconds (user + system) of child processes, imports included; best of "
          f"{args.repeat} run(s){' (--quick: a tenth of the rows)' if args.quick else ''}")
    w0 = max(len(r[0]) for r in results)
    w1 = max(len(r[1]) for r in results)
    print(f"| {'work':<{w0}} | {'measured':<{w1}} | target |")
    print(f"|{'-' * (w0 + 2)}|{'-' * (w1 + 2)}|--------|")
    for work, measured, target in results:
        print(f"| {work:<{w0}} | {measured:<{w1}} | {target} |")


if __name__ == "__main__":
    raise SystemExit(main())
