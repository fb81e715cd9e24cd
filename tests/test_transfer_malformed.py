"""The malformed-CSV matrix (fixtures/malformed/, reliability.md §5) through `tacro import`: each file is
either imported exactly as written or refused with its line and column, and a refusal imports nothing."""
from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from dosing.cli.main import main
from dosing.store.db import Store
from tests.conftest import FIXTURES

MALFORMED = FIXTURES / "malformed"

# file -> ("ok", [(patient_id, weight magnitude, weight unit), ...]) or ("refused", [(line, column), ...])
# or ("fatal", text the message must contain). column "" means the whole row.
EXPECTED: dict[str, tuple] = {
    "bom.csv": ("ok", [("P1", 70, "kilogram"), ("P1", 70.5, "kilogram")]),
    "latin1.csv": ("refused", [(3, "")]),
    "nul_byte.csv": ("refused", [(3, "")]),
    "utf16.csv": ("fatal", "UTF-16"),
    "unmatched_quote.csv": ("refused", [(2, "")]),
    "duplicated_header_column.csv": ("fatal", "'trough' twice (columns 3 and 5)"),
    "missing_fields.csv": ("refused", [(3, "")]),
    "extra_field_first_row.csv": ("refused", [(2, "")]),
    "repeated_header.csv": ("refused", [(3, "")]),
    "na_patient_ids.csv": ("ok", [("0012", 73, "kilogram"), ("12", 74, "kilogram"), ("N/A", 71, "kilogram"),
                                  ("NA", 70, "kilogram"), ("null", 72, "kilogram")]),
    "blank_patient_id.csv": ("refused", [(3, "patient_id")]),
    "decimal_comma_quoted.csv": ("refused", [(2, "dose")]),
    "decimal_comma_unquoted.csv": ("refused", [(2, "")]),
    "unit_in_cell.csv": ("refused", [(2, "weight"), (3, "weight"), (3, "trough")]),
    "units_in_header.csv": ("ok", [("P1", 154, "pound")]),
    "unit_in_round_brackets.csv": ("fatal", "header column 3 'weight (lb)'"),
    "blank_lines.csv": ("ok", [("P1", 70, "kilogram"), ("P1", 71, "kilogram")]),
    "crlf.csv": ("ok", [("P1", 70, "kilogram"), ("P1", 71, "kilogram")]),
    "lone_cr.csv": ("ok", [("P1", 70, "kilogram"), ("P1", 71, "kilogram")]),
    "trailing_delimiter.csv": ("ok", [("P1", 70, "kilogram"), ("P1", 71, "kilogram")]),
    "trailing_delimiter_rows_only.csv": ("refused", [(2, ""), (3, "")]),
    "semicolons.csv": ("fatal", "separated by ';'"),
    "missing_date_column.csv": ("fatal", "missing: date"),
    "empty.csv": ("fatal", "the log is empty"),
    "header_only.csv": ("ok", []),
    "future_and_bad_dates.csv": ("refused", [(2, "date"), (3, "date"), (4, "date"), (5, "date")]),
    "quoted_newline_in_note.csv": ("refused", [(4, "weight")]),
    "formula_cells.csv": ("ok", [("=1+1", 70, "kilogram"), ("@P", 71, "kilogram")]),
    "nan_and_infinity.csv": ("refused", [(2, "weight"), (3, "trough"), (4, "trough")]),
    "implausible_unit_slip.csv": ("refused", [(3, "creatinine")]),
    "unknown_column.csv": ("ok", [("P1", 70, "kilogram")]),
    "mixed_case_header_spaces.csv": ("ok", [(" 7", 70, "kilogram"), ("7", 71, "kilogram")]),
}


def test_the_matrix_covers_every_fixture_and_at_least_fifteen():
    files = {p.name for p in MALFORMED.glob("*.csv")}
    assert files == set(EXPECTED) and len(files) >= 15


def _import(tmp_path, capsys, log: Path) -> tuple[int, str, str, Path]:
    db = tmp_path / "s.db"
    with Store.open(db) as s:  # a store that already holds a visit: a refusal must leave it as it was
        from tests.test_store_support import visit

        s.save_event(visit(1, "existing"))
    code = main(["import", str(log), "--db", str(db)])
    out, err = capsys.readouterr()
    return code, out, err, db


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_malformed_file_is_read_correctly_or_refused_with_row_and_column(name, tmp_path, capsys):
    log = tmp_path / name
    shutil.copy(MALFORMED / name, log)
    outcome, detail = EXPECTED[name]
    code, out, err, db = _import(tmp_path, capsys, log)
    assert "Traceback" not in err and "internal error" not in err
    with Store.open(db) as s:
        events = [e for e in s.all_events() if e.patient_id != "existing"]
        assert s.integrity_check() == []
    if outcome == "ok":
        assert code == 0, err
        got = sorted((e.patient_id, e.weight.m, str(e.weight.units)) for e in events)
        assert got == sorted(detail)
        return
    assert code == 2 and events == []  # all or nothing
    if outcome == "fatal":
        assert detail in err
        return
    reported = re.findall(r"line (\d+), (?:column (\w+)|whole row)", err)
    assert sorted((int(line), col) for line, col in reported) == sorted(detail)
    assert "nothing was imported" in err


def test_a_huge_file_with_one_bad_cell_near_the_end(tmp_path, capsys):
    """200,000 rows generated here; row 199,990 has a unit in the cell: refused at that line, nothing imported."""
    log = tmp_path / "huge.csv"
    rows = ["patient_id,date,weight,trough,creatinine,note"]
    for i in range(200_000):
        weight = "70 kg" if i == 199_988 else f"{60 + i % 40}.{i % 10}"
        rows.append(f"P{i % 5000:04d},2025-{1 + i % 12:02d}-{1 + i % 28:02d},{weight},{i % 25}.5,{60 + i % 90},n{i}")
    log.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert log.stat().st_size > 6_000_000
    t0 = time.perf_counter()
    code, out, err, db = _import(tmp_path, capsys, log)
    elapsed = time.perf_counter() - t0
    assert code == 2 and "line 199990, column weight: got '70 kg'" in err
    assert err.count("line ") == 1
    with Store.open(db) as s:
        assert [e.patient_id for e in s.all_events()] == ["existing"]
    assert elapsed < 30
