"""Deterministic synthetic monitoring logs in the three shapes the benchmarks need, written column-wise.

* **calm**: patients followed on the paper's schedule (start, a check 10 days
  on, two fortnightly checks, then monthly), every reading in range: few findings.
* **dense**: every trough sits in the upper band and every fifth visit has
  high blood pressure, visits two-weekly as the schedule then asks: about
  1.2 findings per row.
* **single**: one patient per row (a start with a full set of readings, a few
  days before the as-of date): the shape with the most patients per row.

All three are written with numpy string operations (no Python loop per row),
so a million rows take seconds. `AS_OF` is the date to check them as of.

    .venv/bin/python benchmarks/logs.py calm 1000000 /tmp/calm.csv
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np

AS_OF = dt.date(2026, 11, 22)
HEADER = "patient_id,date,event,weight,dose,trough,hours_post_dose,creatinine,sbp,dbp,note\n"
SHAPES = ("calm", "dense", "single")
# Gaps after the start: the first check within 7-14 days, two two-weekly checks, then monthly (profile defaults).
GAPS = (10, 14, 14)
MONTHLY = 28


def _fmt(a: np.ndarray, places: int) -> np.ndarray:
    return np.char.mod(f"%.{places}f", a)


def columns(shape: str, rows: int, seed: int = 20261130) -> dict[str, np.ndarray]:
    """The log's cells as string arrays, one per header column, in file order."""
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {SHAPES}")
    rng = np.random.default_rng(seed)
    per = 1 if shape == "single" else 50
    patients = -(-rows // per)
    pat = np.arange(rows) // per
    k = np.arange(rows) % per  # visit number within the patient
    if shape == "single":
        offset = np.full(rows, -int(rng.integers(1, 5)), dtype=np.int64) - (np.arange(rows) % 4)
    else:
        # dense: not stable (trough in the upper band), so the schedule stays two-weekly and is kept
        later = 14 if shape == "dense" else MONTHLY
        steps = np.array([0, *GAPS] + [later] * (per - 1 - len(GAPS)), dtype=np.int64)
        since = np.cumsum(steps)
        offset = since[k] - since[-1] - 3 - (pat % 11)  # the last visit 3-13 days before AS_OF
    day = AS_OF.toordinal() + offset
    base = np.datetime64("0001-01-01") + (day - 1).astype("timedelta64[D]")
    date = np.datetime_as_string(base, unit="D")
    first = k == 0
    weight_p = np.round(rng.uniform(50, 100, patients), 1)
    creat_p = np.round(rng.uniform(60, 100, patients))
    weight = np.where(first, _fmt(weight_p[pat], 1), "")
    dose = np.where(first, _fmt(np.round(weight_p[pat] * 0.1 * 2) / 2, 1), "")
    event = np.where(first, "start", "")
    if shape == "dense":
        trough = _fmt(rng.uniform(20.5, 24.5, rows), 1)
        high = (k % 5) == 4
        sbp = np.where(high, "150", "125")
        dbp = np.where(high, "92", "78")
    else:
        trough = _fmt(rng.uniform(6, 15, rows), 1)
        sbp = np.char.mod("%d", rng.integers(110, 135, rows))
        dbp = np.char.mod("%d", rng.integers(65, 85, rows))
    hours = _fmt(rng.uniform(11.5, 12.5, rows), 1)
    creat = _fmt(creat_p[pat] * rng.uniform(0.95, 1.1, rows), 0)
    pid = np.char.mod("P%07d", pat)
    note = np.where(rng.random(rows) < 0.001, "missed evening dose", "")
    return {"patient_id": pid, "date": date, "event": event, "weight": weight, "dose": dose, "trough": trough,
            "hours_post_dose": hours, "creatinine": creat, "sbp": sbp, "dbp": dbp, "note": note}


def write(path: Path, shape: str, rows: int, seed: int = 20261130, chunk: int = 250_000) -> None:
    """Write a log of `rows` rows of `shape` to `path`."""
    cols = columns(shape, rows, seed)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(HEADER)
        names = list(cols)
        for lo in range(0, rows, chunk):
            parts = [cols[n][lo:lo + chunk].astype(object) for n in names]
            line = parts[0]
            for p in parts[1:]:
                line = line + "," + p
            f.write("\n".join(line.tolist()))
            f.write("\n")


if __name__ == "__main__":
    write(Path(sys.argv[3]), sys.argv[1], int(sys.argv[2]))
