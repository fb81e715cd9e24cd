"""The chunked batch path: patients evaluated a chunk at a time, findings written a batch at a time.

With a chunk of three rows and a batch of two findings, nearly every chunk
boundary falls inside some patient's history and every patient's findings span
several batches. The output must still be byte-identical to the one-chunk run,
and equal to the one-patient path (dosing.core.assess) finding for finding.
"""
from __future__ import annotations

import csv
import json
from collections import Counter

import numpy as np
import pytest

from dosing.batch import engine
from dosing.cli.main import main
from dosing.core import rules
from dosing.core.assess import assess, assess_columns
from dosing.io.logfile import read_log
from tests.test_batch_agreement import AS_OF, key, model_events, random_log, subset


@pytest.fixture
def tiny_chunks(monkeypatch):
    monkeypatch.setattr(engine, "CHUNK_ROWS", 3)
    monkeypatch.setattr(rules, "RECORD_BATCH", 2)
    monkeypatch.setattr(rules, "FRAME_BATCH", 2)


def _write(tmp_path, seed):
    header, rows, unit = random_log(seed)
    path = tmp_path / f"log{seed}.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    return path, header, rows, unit


def _check(capsys, path, fmt):
    code = main(["check", str(path), "--format", fmt, "--as-of", AS_OF.isoformat()])
    return code, capsys.readouterr().out


def test_chunks_hold_whole_patients_and_every_row_once():
    rng = np.random.default_rng(7)
    codes = rng.integers(0, 40, 500)  # 40 patients, unsorted, 1 to ~25 rows each
    for chunk_rows in (1, 3, 7, 100, 499, 500, 10_000):
        parts = engine.patient_chunks(codes, chunk_rows)
        if chunk_rows >= len(codes):
            assert parts == [None]
            continue
        seen = np.concatenate(parts)
        assert sorted(seen.tolist()) == list(range(len(codes)))  # every row exactly once
        patient_sets = [set(codes[p].tolist()) for p in parts]
        for i, a in enumerate(patient_sets):  # no patient in two chunks
            for b in patient_sets[i + 1:]:
                assert not a & b
        assert [max(s) for s in patient_sets] == sorted(max(s) for s in patient_sets)  # in patient order
        assert all(len(p) >= chunk_rows for p in parts[:-1])  # a chunk ends at the first boundary past the size


def test_a_patient_longer_than_the_chunk_is_not_split():
    codes = np.array([0, 1, 1, 1, 1, 1, 1, 2, 2])
    parts = engine.patient_chunks(codes, 2)
    assert [codes[p].tolist() for p in parts] == [[0, 1, 1, 1, 1, 1, 1], [2, 2]]


@pytest.mark.parametrize("fmt", ["json", "csv", "table", "jsonl"])
@pytest.mark.parametrize("seed", [1, 4])
def test_tiny_chunks_and_batches_write_the_same_bytes(tmp_path, capsys, monkeypatch, fmt, seed):
    path = _write(tmp_path, seed)[0]
    whole = _check(capsys, path, fmt)
    monkeypatch.setattr(engine, "CHUNK_ROWS", 3)
    monkeypatch.setattr(rules, "RECORD_BATCH", 2)
    monkeypatch.setattr(rules, "FRAME_BATCH", 2)
    assert engine.patient_chunks(np.arange(10) // 4, engine.CHUNK_ROWS)[0].size == 4  # boundary inside patient 0
    chunked = _check(capsys, path, fmt)
    assert chunked == whole
    assert whole[1].count("\n") > 20  # not vacuous


@pytest.mark.parametrize("seed", [2, 3, 5])
def test_chunked_batch_equals_assess_patient_by_patient(tmp_path, capsys, tiny_chunks, seed):
    path, header, rows, unit = _write(tmp_path, seed)
    code, out = _check(capsys, path, "json")
    doc = json.loads(out)
    events, refused = model_events(header, rows, unit)
    assert {f["line"] for f in doc["findings"] if f["rule"] == "INPUT_INVALID"} == refused
    batch = Counter(key(f["patient_id"], f["date"], f["rule"], f["severity"], f["message"], f["value"],
                        f["threshold"], f["line"]) for f in doc["findings"] if f["rule"] != "INPUT_INVALID")
    # A row with one unreadable cell keeps its other values (the model refuses the whole row), so the
    # patients with such rows are assessed from the reader's columns, as in test_batch_agreement.
    cols = read_log(path, as_of=AS_OF).columns
    partial = set()
    for m in cols.lost.values():
        partial |= set(cols.patient[m].tolist())
    found = [assess(evs, as_of=AS_OF).findings for pid, evs in events.items() if pid not in partial]
    found += [assess_columns(subset(cols, cols.patient == pid), as_of=AS_OF).findings for pid in sorted(partial)]
    single = Counter()
    for fs in found:
        for f in fs:
            single[key(f.patient_id, f.date.isoformat(), f.rule, f.severity, f.message,
                       f.value.value if f.value else None, f.threshold.value if f.threshold else None, f.line)] += 1
    assert batch == single
    assert sum(single.values()) > 20 and len(events) > 10
    assert doc["summary"] == dict(Counter(f["rule"] for f in doc["findings"]))  # counted before writing


def test_jsonl_is_the_json_findings_one_per_line(tmp_path, capsys):
    path = _write(tmp_path, 3)[0]
    findings = json.loads(_check(capsys, path, "json")[1])["findings"]
    lines = _check(capsys, path, "jsonl")[1].splitlines()
    assert [json.loads(line) for line in lines] == findings
    assert len(lines) == len(findings) > 20


def test_batches_concatenate_to_the_records(tmp_path):
    from dosing.core.profile import default_profile
    from dosing.io.logfile import read_log

    path = _write(tmp_path, 5)[0]
    log = read_log(path, default_profile(), AS_OF)
    table = rules.evaluate(log.columns, default_profile(), AS_OF)
    whole = table.records()
    parts = list(table.batches(size=3))
    assert len(parts) > 5 and all(parts)
    assert [r for part in parts for r in part] == whole
    # every batch holds whole patients
    ids = [{r["patient_id"] for r in part} for part in parts]
    assert all(not a & b for i, a in enumerate(ids) for b in ids[i + 1:])
