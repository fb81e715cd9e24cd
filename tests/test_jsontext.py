"""The findings' JSON written from columns (dosing.batch.jsontext) is byte for byte what json writes.

`tacro check --format json/jsonl` no longer encodes a dict per finding; these
tests hold the column writer to `json.JSONEncoder(ensure_ascii=False).encode`
of the same finding records, on every rule's fixture, on random logs, and on
texts that need escaping (quotes, backslashes, percent signs, non-ASCII).
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from dosing.batch import engine, jsontext
from dosing.core import frames as frames_mod
from dosing.core import rules
from dosing.core.profile import default_profile
from dosing.io.logfile import read_log
from tests.test_batch_agreement import AS_OF, random_log

ROOT = Path(__file__).resolve().parents[1]
ENCODE = json.JSONEncoder(ensure_ascii=False).encode
FIXTURES = sorted((ROOT / "fixtures" / "logs").glob("*.csv"))


def _expected_and_written(path, size=None):
    profile = default_profile()
    result = engine.check_log(read_log(path, profile, AS_OF), profile, AS_OF)
    expected, written = [], []
    for chunk in result.chunks:
        table = chunk()
        for frame in table.frames(size):
            expected += ["    " + ENCODE(r) for r in frame.records(iso=True)]
            written += [line.decode("utf-8") for line in jsontext.frame_lines(frame, b"    ")]
    return expected, written


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_every_rule_fixture_is_written_as_json_writes_it(path):
    expected, written = _expected_and_written(path)
    assert written == expected


def test_the_fixtures_between_them_cover_every_rule():
    seen = set()
    for path in FIXTURES:
        expected, _ = _expected_and_written(path)
        seen |= {json.loads(line)["rule"] for line in expected}
    assert seen >= set(rules.RULES)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("size", [1, 5, None])
def test_random_logs_are_written_as_json_writes_them_in_any_batch_size(tmp_path, seed, size):
    header, rows, _ = random_log(seed)
    path = tmp_path / "log.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    expected, written = _expected_and_written(path, size)
    assert written == expected and written


def test_texts_that_need_escaping_are_escaped_as_json_escapes_them(tmp_path, monkeypatch):
    ids = ['A"1', "B\\2", "C%s%%3", "Ü–4 ∞", "E 5 ", "'6"]
    lines = ["patient_id,date,event,weight,dose,trough,creatinine,sbp,dbp"]
    for pid in ids:
        q = '"' + pid.replace('"', '""') + '"'
        lines += [f"{q},2026-01-05,start,70,7,,80,120,70", f"{q},2026-01-19,,,,27,120,185,95"]
    path = tmp_path / "log.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    profile = default_profile()
    real_source = profile.source
    # A source with every character JSON or %-formatting treats specially.
    monkeypatch.setattr(type(profile), "source", lambda self, r: real_source(r) + ' "50%" \\ %s %% \u2028 µ')
    expected, written = _expected_and_written(path)
    assert written == expected
    assert {json.loads(line)["patient_id"] for line in written} >= {"A\"1", "B\\2", "C%s%%3", "Ü–4 ∞"}


def test_a_basis_shown_only_on_some_findings_and_an_alert_grade_keep_their_order(tmp_path):
    # Ceiling findings: the weight in force appears in the basis only where the row has no weight of its
    # own (after "dose"), and a dose far above the ceiling is raised to an alert.
    rows = ["patient_id,date,event,weight,dose,trough",
            "W1,2026-01-05,start,50,10,", "W1,2026-01-19,dose_change,,20,", "W1,2026-02-02,dose_change,60,19.5,",
            "W2,2026-01-05,start,70,7.5,12"]
    path = tmp_path / "log.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    expected, written = _expected_and_written(path)
    assert written == expected
    ceiling = [json.loads(line) for line in written if json.loads(line)["rule"] == "DOSE_ABOVE_CEILING"]
    assert {f["severity"] for f in ceiling} == {"warn", "alert"}
    assert [list(f["basis"])[-1] for f in ceiling] == ["dose", "weight", "dose"]


def test_distinct_calls_the_function_once_per_distinct_input_and_keeps_signed_zeros_apart():
    calls = []

    def fn(x, y):
        calls.append((x, y))
        return f"{x!r}/{y}"

    x = np.array([1.5, 0.0, 1.5, -0.0, np.nan, np.nan, 0.0])
    y = np.array([1, 2, 1, 2, 3, 3, 2])
    col = frames_mod.distinct(fn, x, y)
    assert col.tolist() == [f"{a!r}/{b}" for a, b in zip(x.tolist(), y.tolist())]
    assert len(calls) == 4  # (1.5, 1), (0.0, 2), (-0.0, 2), (nan, 3)
