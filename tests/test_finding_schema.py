"""One finding shape: the model, the dicts, the CSV, JSON and JSON Lines outputs all follow dosing.core.findingschema."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from dosing.cli.main import main
from dosing.core import findingschema
from dosing.core.models import Finding

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "logs"
# A log with readable rows, a finding of every kind the fixture has, and an unreadable cell (INPUT_INVALID).
LOG = FIXTURES / "rule_input_invalid.csv"


def _run(capsys, *fmt: str) -> str:
    main(["check", str(LOG), "--as-of", "2026-11-22", *fmt])
    return capsys.readouterr().out


def test_the_model_has_the_schema_fields_in_order_with_units_inside_value_and_threshold():
    with_units = [c for c in findingschema.COLUMNS if c not in ("value_unit", "threshold_unit")]
    assert list(Finding.model_fields) == with_units


def test_the_csv_header_is_the_schema(capsys):
    header = next(csv.reader(io.StringIO(_run(capsys, "--format", "csv"))))
    assert tuple(header) == findingschema.COLUMNS


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_every_json_finding_has_the_schema_keys_in_order(capsys, fmt):
    out = _run(capsys, "--format", fmt)
    rows = [json.loads(line) for line in out.splitlines()] if fmt == "jsonl" else json.loads(out)["findings"]
    assert rows and {r["rule"] for r in rows} >= {"INPUT_INVALID"}
    assert all(tuple(r) == findingschema.COLUMNS for r in rows)


def test_a_record_takes_empty_values_from_the_schema_and_refuses_an_unknown_field():
    r = findingschema.record(rule="INPUT_INVALID", line=3)
    assert tuple(r) == findingschema.COLUMNS and r["value"] is None and r["value_unit"] == "" and r["basis"] == {}
    with pytest.raises(TypeError, match="not a finding field: grade"):
        findingschema.record(rule="X", grade="mild")
