"""How fast is `tacro check` against pandas merely reading the same file?

Writes a deterministic synthetic monitoring log (default 1,000,000 visits over
20,000 patients: a start with dose and weight, then visits every 1–6 weeks on
the paper's schedule with troughs, creatinine drifting, blood pressure, a few
dose changes and stops) with a known sprinkling of rule triggers, then in the
same run times:

  read   pandas.read_csv(path) with default options, nothing else (in-process)
  check  `tacro check path --format json --out FILE` end to end (in-process,
         through dosing.cli.main.main: read, validate, rules, schedule, JSON written)

Both are timed after imports, best of --repeat runs. Then each runs once more
as a subprocess (`python -c "import pandas; pandas.read_csv(...)"` and
`python -m dosing check ...`) for wall time with interpreter start-up and
imports, and peak resident memory (wait4 rusage of each child, spawned from a small launcher).

    .venv/bin/python benchmarks/check_speed.py            # 1,000,000 rows
    .venv/bin/python benchmarks/check_speed.py --rows 100000 --patients 2000
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AS_OF = dt.date(2026, 11, 22)
HEADER = "patient_id,date,event,weight,dose,product,trough,hours_post_dose,creatinine,sbp,dbp,note\n"


def generate(path: Path, rows: int, patients: int, seed: int = 20261122) -> Counter:
    """Write the log; return how many triggers of each rule were planted on purpose."""
    rng = np.random.default_rng(seed)
    # Visits per patient, summing exactly to `rows` (each patient has at least 5).
    per = rng.multinomial(rows - 5 * patients, np.full(patients, 1 / patients)) + 5
    u = rng.random((rows, 8))  # uniform draws per row, used column by column below
    planted: Counter = Counter()
    out: list[str] = []
    i = 0
    for p in range(patients):
        pid = f"P{p:06d}"
        k = int(per[p])
        weight = round(min(140.0, max(40.0, float(rng.normal(72, 14)))), 1)
        base_creat = float(rng.uniform(55, 110))
        dose = max(1.0, round(weight * 0.1 * 2) / 2)  # 0.1 mg/kg/day, to 0.5 mg
        last_w = weight
        stops = rng.random() < 0.05
        product = "granules" if rng.random() < 0.03 else ("ir-capsule" if rng.random() < 0.2 else "")
        # Gaps follow the schedule: 7–14 d, then two fortnightly, then monthly; after an unstable
        # reading or a dose increase, the schedule's shorter interval.
        days = np.empty(k, dtype=np.int64)
        day = 0
        since_trigger = 0
        unstable = False
        rec: list[tuple] = []
        for j in range(k):
            r = u[i]
            i += 1
            event, d, wt, note = "", "", "", ""
            if j == 0:
                event, d, wt = "start", _num(dose), _num(weight)
                since_trigger = 0
            else:
                if since_trigger == 1:
                    gap = 7 + int(r[0] * 8)  # 7..14
                elif since_trigger <= 3 or unstable:
                    gap = 12 + int(r[0] * 5)  # 12..16 (14 ± 3)
                else:
                    gap = 22 + int(r[0] * 13)  # 22..34 (28 ± 7)
                if r[7] < 0.003:
                    gap = 40 + int(r[0] * 3)  # a missed window: CHECK_OVERDUE
                    planted["late visits"] += 1
                day += gap
            days[j] = day
            since_trigger += 1
            # trough and timing
            x = r[1]
            if x < 0.002:
                trough = 26 + 4 * r[2]; planted["TROUGH_HIGH"] += 1
            elif x < 0.007:
                trough = 20.5 + 4 * r[2]; planted["TROUGH_UPPER_BAND"] += 1
            elif x < 0.012:
                trough = 2 + 1.8 * r[2]; planted["TROUGH_LOW"] += 1
            else:
                trough = 5 + 12 * r[2]
            hours = 11.6 + 0.8 * r[3]
            if r[3] < 0.003:
                hours = 8 + r[2]; planted["TROUGH_TIMING"] += 1
            # creatinine drifts within ±8% of baseline; a planted rise is 35–50%
            creat = base_creat * (0.95 + 0.1 * r[4])
            if j and r[4] < 0.002:
                creat = base_creat * (1.45 + 0.15 * r[5]); planted["CREATININE_RISE"] += 1
            # blood pressure
            sbp, dbp = 108 + int(26 * r[5]), 64 + int(20 * r[6])
            if r[6] < 0.001:
                sbp, dbp = 185, 112; planted["BP_SEVERE"] += 1
            elif r[6] < 0.006:
                sbp, dbp = 145 + int(10 * r[5]), 86; planted["BP_HIGH"] += 1
            unstable = not (4 <= trough < 20) or sbp >= 140 or dbp >= 90 or creat >= base_creat * 1.3
            # weight every tenth visit; rarely a kg/lb slip (a jump, and a jump back at the next weight)
            if j and j % 10 == 0:
                w = round(weight * (0.99 + 0.02 * r[2]), 1)
                if r[3] > 0.998:
                    w = round(weight * 2.2046, 1)
                if abs(w - last_w) / last_w > 0.10:
                    planted["WEIGHT_JUMP"] += 1
                last_w, wt = w, _num(w)
            if stops and j == k - 1:
                event = "stop"
            elif j > 3 and r[7] > 0.985:
                # dose changes: rare decreases (no schedule restart) and increases (restart: 7–14 d)
                event = "dose_change"
                if r[0] < 0.5:
                    dose = max(0.5, dose - 0.5)
                else:
                    dose, since_trigger = dose + 0.5, 1
                d = _num(dose)
                if dose / last_w > 0.15:  # mg/kg/day by the latest weight, as the rule computes it
                    planted["DOSE_ABOVE_CEILING"] += 1
                elif dose / last_w < 0.05:
                    planted["DOSE_BELOW_EFFECTIVE"] += 1
            if r[1] > 0.999:
                note = "patient reports missed evening dose"
            rec.append((days[j], event, wt, d, trough, hours, creat, sbp, dbp, note))
        # Shift so the last visit is 1–20 days before AS_OF.
        shift = AS_OF.toordinal() - int(days[k - 1]) - 1 - int(rng.integers(0, 20))
        for (dd, event, wt, d, trough, hours, creat, sbp, dbp, note) in rec:
            date = dt.date.fromordinal(shift + int(dd)).isoformat()
            out.append(f"{pid},{date},{event},{wt},{d},{product},{trough:.1f},{hours:.1f},{creat:.0f},"
                       f"{sbp},{dbp},{note}\n")
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEADER)
        f.writelines(out)
    return planted


def _num(x: float) -> str:
    return f"{x:g}"


# Spawned from a small launcher process: on Linux a child's ru_maxrss starts from its parent's peak at
# fork time, and this benchmark's own process is large after writing the log.
LAUNCHER = """
import json, os, subprocess, sys, time
t = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(p.pid, 0)
print(json.dumps([time.perf_counter() - t, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)]))
"""


def measured(cmd: list[str], env: dict) -> tuple[float, float, int]:
    """Wall time, peak resident memory (MB; ru_maxrss is KiB on Linux) and exit code of one child process."""
    out = subprocess.run([sys.executable, "-c", LAUNCHER, *cmd], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True)
    wall, peak, code = json.loads(out.stdout)
    return wall, peak, code


def best_of(n: int, fn) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--patients", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", metavar="DIR", help="write the log and findings here instead of a temporary folder")
    args = ap.parse_args()

    import pandas as pd

    from dosing.cli.main import main as tacro

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tacro-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    log, out = folder / "visits.csv", folder / "findings.json"
    t = time.perf_counter()
    planted = generate(log, args.rows, args.patients)
    gen_s = time.perf_counter() - t
    size_mb = log.stat().st_size / 1e6
    print(f"log: {args.rows:,} rows, {args.patients:,} patients, {size_mb:.1f} MB (written in {gen_s:.1f} s)")

    argv = ["check", str(log), "--format", "json", "--out", str(out), "--force", "--as-of", AS_OF.isoformat()]
    env = {**os.environ, "TACRO_TODAY": AS_OF.isoformat()}
    os.environ["TACRO_TODAY"] = AS_OF.isoformat()
    devnull = open(os.devnull, "w")
    codes = []

    def check():
        real = sys.stderr
        sys.stderr = devnull
        try:
            codes.append(tacro(argv))
        finally:
            sys.stderr = real

    warm = folder / "warm-up.csv"  # import every module the check loads before timing anything
    warm.write_text(HEADER + "P1,2026-11-01,start,70,7,,,,80,120,80,\n", encoding="utf-8")
    real, sys.stderr = sys.stderr, open(os.devnull, "w")
    try:
        tacro(["check", str(warm), "--format", "json", "--out", str(out), "--force", "--as-of", AS_OF.isoformat()])
    finally:
        sys.stderr = real
    warm.unlink()
    pd.read_csv(log, nrows=10)

    read_s = best_of(args.repeat, lambda: pd.read_csv(log))
    check_s = best_of(args.repeat, check)
    found = json.loads(out.read_text(encoding="utf-8"))

    sub_read_s, read_peak_mb, _ = measured([sys.executable, "-c", f"import pandas; pandas.read_csv({str(log)!r})"],
                                           env)
    sub_s, peak_mb, sub_code = measured([sys.executable, "-m", "dosing", *argv], env)

    print(f"findings: {len(found['findings']):,}; exit code {codes[-1]} (subprocess {sub_code})")
    print(f"  {'rule':<24}{'planted':>9}{'found':>9}")
    for rule, n in found["summary"].items():
        shown = f"{planted[rule]:>9}" if rule != "CHECK_OVERDUE" else f"{'':>9}"
        print(f"  {rule:<24}{shown}{n:>9}")
    print(f"  CHECK_OVERDUE: {planted['late visits']:,} visits planted 40-42 days late; each misses the renal "
          f"window,\n  and the trough window too before the late phase (one finding per stream)")
    print(f"pandas.read_csv (bare, in-process, best of {args.repeat}):  {read_s:6.2f} s")
    print(f"tacro check (end to end, in-process, best of {args.repeat}): {check_s:6.2f} s")
    print(f"ratio check / read: {check_s / read_s:.2f}x   (aim: within 3x)")
    print(f"as subprocesses, with interpreter start-up and imports: read {sub_read_s:.2f} s "
          f"(peak RSS {read_peak_mb:.0f} MB), tacro check {sub_s:.2f} s (ratio {sub_s / sub_read_s:.2f}x)")
    print(f"peak memory of tacro check (RSS of the subprocess): {peak_mb:.0f} MB   (aim: under 1 GB)")
    if not args.keep:
        for p in (log, out):
            p.unlink(missing_ok=True)
        folder.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
