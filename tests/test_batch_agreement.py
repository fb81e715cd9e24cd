"""The batch path and the one-patient path give identical findings on random logs.

A seeded generator writes a log of many patients (rows shuffled, doses in
mg/day and mg/kg/day, units in headers, a few unreadable cells); `tacro check
--format json` checks it; then each patient's rows go one by one through
Event.model_validate and dosing.core.assess.assess. Same rule, date, value,
threshold, message and line, finding for finding; the rows the model refuses
are exactly the batch's INPUT_INVALID lines.

A bad cell costs only that cell: a patient with a row kept in part (a value
the model cannot hold: "the trough was attempted but unreadable") goes through
the one-patient path as the reader's own columns for that patient
(dosing.core.assess.assess_columns), so the batch over all patients at once is
still held to the one-patient path, finding for finding.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter, defaultdict

import numpy as np
import pytest

from dosing.cli.main import main
from dosing.core.assess import assess, assess_columns
from dosing.core.columns import EventColumns
from dosing.core.errors import InputError
from dosing.core.models import Event
from dosing.core.profile import default_profile
from dosing.io.logfile import read_log

AS_OF = dt.date(2026, 11, 22)
UNITS = {"weight": ["kg", "lb"], "trough": ["ng/mL", "nmol/L", "ug/L"], "creatinine": ["umol/L", "mg/dL"]}
TO = {"lb": 1 / 0.45359237, "nmol/L": 1000 / 804.0, "mg/dL": 1 / 88.4}  # from canonical, to write realistic cells


def random_log(seed: int) -> tuple[list[str], list[list[str]], dict[str, str]]:
    rng = np.random.default_rng(seed)
    unit = {k: str(rng.choice(v)) for k, v in UNITS.items()}
    header = ["patient_id", "date", "event", "product", f"weight [{unit['weight']}]", "dose", "dose_rate",
              f"trough [{unit['trough']}]", "hours_post_dose", f"creatinine [{unit['creatinine']}]", "sbp", "dbp",
              "note"]
    rows = []
    for p in range(int(rng.integers(15, 30))):
        pid = str(rng.choice([f"P{p:03d}", f"{p:04d}", "NA" if p == 0 else f"x{p}"]))
        day = dt.date(2024, 1, 1).toordinal() + int(rng.integers(0, 700))
        weight = float(rng.uniform(45, 110))
        creat = float(rng.uniform(50, 120))
        for k in range(int(rng.integers(3, 25))):
            r = rng.random(12)
            row = dict.fromkeys(header, "")
            row["patient_id"] = pid
            row["date"] = dt.date.fromordinal(day).isoformat()
            if k == 0 and r[0] < 0.85:
                row["event"] = "start"
            else:
                row["event"] = str(rng.choice(["", "", "visit", "dose_change", "stop", "Visit "], p=[.4, .3, .1, .12,
                                                                                                   .04, .04]))
            if row["event"] in ("start", "dose_change") or r[1] < 0.05:
                if r[2] < 0.6:
                    row["dose"] = f"{rng.choice([0.5, 1, 2, 3, 3.5, 5, 6, 7, 8, 10, 12, 15]):g}"
                else:
                    row["dose_rate"] = f"{rng.choice([0.03, 0.05, 0.07, 0.1, 0.12, 0.15, 0.18]):g}"
            if r[3] < 0.3 or k == 0:
                w = weight * (2.2 if r[4] < 0.05 else 1 + rng.normal(0, 0.03))
                row[header[4]] = f"{w * TO.get(unit['weight'], 1):.1f}"
            if r[5] < 0.7:
                t = float(rng.choice([rng.uniform(1, 35), rng.uniform(5, 15)]))
                row[header[7]] = f"{t * TO.get(unit['trough'], 1):.2f}"
                if r[6] < 0.5:
                    row["hours_post_dose"] = f"{rng.choice([12, 11.5, 12.5, 8, 14, 13, 11]):g}"
            if r[7] < 0.7:
                c = creat * float(rng.choice([1, 1, 1.1, 1.29, 1.3, 1.45]))
                row[header[9]] = f"{c * TO.get(unit['creatinine'], 1):.3g}"
            if r[8] < 0.6:
                s = int(rng.choice([118, 135, 140, 152, 179, 180, 195]))
                row["sbp"], row["dbp"] = str(s), str(int(rng.choice([70, 85, 89, 90, 100, 110, 115])))
            if r[9] < 0.1:
                row["product"] = str(rng.choice(["ir-capsule", "granules", "pr-once-daily", "Granules"]))
            if r[10] < 0.03:  # an unreadable cell now and then
                col = str(rng.choice(["sbp", header[7], "date", "event"]))
                row[col] = str(rng.choice(["7,5", "abc", "2027-01-01", "12 mmHg", "-4"]))
            if r[11] < 0.05:
                row["note"] = "see letter, 2 pages"
            rows.append([row[h] for h in header])
            day += int(rng.choice([0, 7, 10, 14, 14, 21, 28, 28, 35, 60, 120]))
            if day > AS_OF.toordinal():
                break
    order = rng.permutation(len(rows))
    return header, [rows[i] for i in order], unit


def model_events(header, rows, unit):
    """Each row as the model reads it (unit appended to numeric cells); refused rows by line."""
    numeric = {"dose": "mg/day", "dose_rate": "mg/kg/day", "hours_post_dose": "h", "sbp": "mmHg", "dbp": "mmHg",
               **{f"{k} [{u}]": u for k, u in unit.items()}}
    fields = {h: h.split(" [")[0] for h in header}
    events, refused = defaultdict(list), set()
    profile = default_profile()
    for i, cells in enumerate(rows):
        line = i + 2
        data: dict = {"line": line}
        for h, cell in zip(header, cells):
            if h in numeric:
                if cell.strip():
                    data[fields[h]] = f"{cell} {numeric[h]}"
            else:
                data[fields[h]] = cell
        try:
            e = Event.model_validate(data, context={"profile": profile, "today": AS_OF})
        except (InputError, ValueError):
            refused.add(line)
            continue
        events[e.patient_id].append(e)
    return events, refused


def subset(cols: EventColumns, mask: np.ndarray) -> EventColumns:
    return EventColumns(patient=cols.patient[mask], day=cols.day[mask], event=cols.event[mask],
                        product=cols.product[mask], line=cols.line[mask],
                        values={k: v[mask] for k, v in cols.values.items()},
                        lost={k: v[mask] for k, v in cols.lost.items()})


def seed_has_bad_cells(rows) -> bool:
    return any(c in ("7,5", "abc", "12 mmHg", "-4") for r in rows for c in r)


def key(patient, date, rule, severity, message, value, threshold, line):
    return (patient, date, rule, severity, message, value, threshold, line)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_tacro_check_equals_assess_patient_by_patient(tmp_path, capsys, seed):
    header, rows, unit = random_log(seed)
    path = tmp_path / "log.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    code = main(["check", str(path), "--format", "json", "--as-of", AS_OF.isoformat()])
    doc = json.loads(capsys.readouterr().out)

    events, refused = model_events(header, rows, unit)
    batch_invalid = {f["line"] for f in doc["findings"] if f["rule"] == "INPUT_INVALID"}
    assert batch_invalid == refused
    assert code == (2 if refused else 1 if any(f["severity"] == "alert" for f in doc["findings"]) else 0)

    batch = Counter(key(f["patient_id"], f["date"], f["rule"], f["severity"], f["message"], f["value"],
                        f["threshold"], f["line"]) for f in doc["findings"] if f["rule"] != "INPUT_INVALID")
    log = read_log(path, as_of=AS_OF)
    cols = log.columns
    partial = set()
    for m in cols.lost.values():
        partial |= set(cols.patient[m].tolist())
    assert not partial or seed_has_bad_cells(rows)
    single = Counter()
    found = [assess(evs, as_of=AS_OF).findings for pid, evs in events.items() if pid not in partial]
    found += [assess_columns(subset(cols, cols.patient == pid), as_of=AS_OF).findings for pid in sorted(partial)]
    for fs in found:
        for f in fs:
            single[key(f.patient_id, f.date.isoformat(), f.rule, f.severity, f.message,
                       f.value.value if f.value else None, f.threshold.value if f.threshold else None, f.line)] += 1
    assert batch == single
    assert sum(single.values()) > 20 and len({k[2] for k in single}) >= 6  # the comparison is not vacuous
