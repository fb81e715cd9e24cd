"""`tacro check` through the command line: every rule, every format, units in headers, exit codes."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
import sys

import pytest

from dosing.cli.main import main
from tests.conftest import FIXTURES

LOGS = FIXTURES / "logs"
AS_OF = "2026-04-20"
RULE_FILES = {
    "TROUGH_LOW": "rule_trough_low.csv",
    "TROUGH_HIGH": "rule_trough_high.csv",
    "TROUGH_UPPER_BAND": "rule_trough_upper_band.csv",
    "TROUGH_TIMING": "rule_trough_timing.csv",
    "CREATININE_RISE": "rule_creatinine_rise.csv",
    "BP_HIGH": "rule_bp_high.csv",
    "BP_SEVERE": "rule_bp_severe.csv",
    "DOSE_ABOVE_CEILING": "rule_dose_above_ceiling.csv",
    "DOSE_BELOW_EFFECTIVE": "rule_dose_below_effective.csv",
    "WEIGHT_JUMP": "rule_weight_jump.csv",
    "CHECK_OVERDUE": "rule_check_overdue.csv",
    "INPUT_INVALID": "rule_input_invalid.csv",
    "DOSE_JUMP": "rule_dose_jump.csv",
}


@pytest.fixture
def logs(tmp_path):
    """The fixture logs, copied so no test can alter the originals."""
    dst = tmp_path / "logs"
    shutil.copytree(LOGS, dst)
    return dst


def run(capsys, *argv):
    code = main(["check", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def check_json(capsys, path, *extra):
    code, out, err = run(capsys, path, "--format", "json", "--as-of", AS_OF, *extra)
    return code, json.loads(out), err


def test_every_rule_of_the_profile_has_a_fixture(profile):
    assert set(RULE_FILES) == set(profile.rules)


@pytest.mark.parametrize("rule", sorted(RULE_FILES))
def test_each_rule_fires_once_through_the_command_line(rule, logs, capsys, profile):
    code, doc, err = check_json(capsys, logs / RULE_FILES[rule])
    assert [f["rule"] for f in doc["findings"]] == [rule]
    assert doc["summary"] == {rule: 1}
    f = doc["findings"][0]
    assert f["severity"] == profile.severity(rule) and f["source"] == profile.source(rule)
    assert f["patient_id"] == "C-001" and f["message"] and f["line"] >= 2
    expected_exit = 2 if rule == "INPUT_INVALID" else 1 if f["severity"] == "alert" else 0
    assert code == expected_exit
    assert f"tacro check: {rule} ({f['severity']}): 1\n" in err


def test_the_clean_log_has_no_finding_and_exits_0(logs, capsys):
    code, doc, err = check_json(capsys, logs / "clean.csv")
    assert code == 0 and doc["findings"] == [] and doc["summary"] == {}
    assert doc["rows"] == {"checked": 6, "invalid": 0}
    assert err == "tacro check: no findings in 6 rows\n"


def test_json_document_is_stable(logs, capsys):
    code, doc, _ = check_json(capsys, logs / "rule_trough_high.csv")
    assert list(doc) == ["tacro_version", "profile", "as_of", "input", "rows", "summary", "findings"]
    assert doc["as_of"] == AS_OF and doc["profile"] == "duddridge-powell-1997"
    f = doc["findings"][0]
    assert list(f) == ["patient_id", "date", "rule", "severity", "message", "measure", "value", "value_unit",
                       "threshold", "threshold_unit", "comparison", "source", "line", "column", "basis"]
    assert (f["date"], f["value"], f["value_unit"], f["threshold"], f["comparison"], f["line"]) == \
        ("2026-04-09", 26.5, "ng/mL", 25.0, ">", 7)
    assert f["basis"]["trough"] == "26.5 ng/mL on 2026-04-09"
    assert "26.5 ng/mL" in f["message"]


def test_table_format_is_for_people(logs, capsys):
    code, out, err = run(capsys, logs / "rule_trough_high.csv", "--as-of", AS_OF)
    lines = out.splitlines()
    assert lines[0].startswith("1 finding in 6 rows checked (as of 2026-04-20")
    assert lines[1].split()[:6] == ["LINE", "PATIENT", "DATE", "SEVERITY", "RULE", "MESSAGE"]
    assert lines[2].split()[:5] == ["7", "C-001", "2026-04-09", "alert", "TROUGH_HIGH"]
    assert "the prescriber decides" in lines[-1]
    assert code == 1


def test_csv_format_has_the_same_columns_and_basis_as_json(logs, capsys):
    _, doc, _ = check_json(capsys, logs / "units_in_header.csv")
    code, out, _ = run(capsys, logs / "units_in_header.csv", "--format", "csv", "--as-of", AS_OF)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == len(doc["findings"]) == 2
    for row, f in zip(rows, doc["findings"]):
        assert row["rule"] == f["rule"] and row["message"] == f["message"]
        assert float(row["value"]) == f["value"] and int(row["line"]) == f["line"]
        assert json.loads(row["basis"]) == f["basis"]
        assert row["column"] == ""


def test_csv_output_neutralises_formula_cells(tmp_path, capsys):
    log = tmp_path / "log.csv"
    log.write_text("patient_id,date,event,dose,weight,trough\n"
                   "=HYPERLINK(1),2026-04-01,start,7,70,30\n"
                   "@SUM(A1),2026-04-01,start,7,70,30\n"
                   "-12,2026-04-01,start,7,70,30\n", encoding="utf-8")
    code, out, _ = run(capsys, log, "--format", "csv", "--as-of", "2026-04-05")
    ids = [r["patient_id"] for r in csv.DictReader(io.StringIO(out))]
    assert ids == ["'-12", "'=HYPERLINK(1)", "'@SUM(A1)"]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
               for row in csv.reader(io.StringIO(out)) for cell in row)


def test_units_in_headers_are_converted_once_per_column(logs, capsys):
    code, doc, _ = check_json(capsys, logs / "units_in_header.csv")
    found = {f["rule"]: f for f in doc["findings"]}
    assert set(found) == {"TROUGH_UPPER_BAND", "CREATININE_RISE"}
    assert found["TROUGH_UPPER_BAND"]["value"] == pytest.approx(20.1, abs=0.001)  # 25 nmol/L
    assert "20.1 ng/mL" in found["TROUGH_UPPER_BAND"]["message"]
    # 1.25 mg/dL = 110.5 µmol/L against 0.905 mg/dL = 80 µmol/L
    assert found["CREATININE_RISE"]["value"] == pytest.approx(38.12, abs=0.01)
    assert code == 1


def test_a_dose_per_kilogram_column_and_a_weight_in_pounds(tmp_path, capsys):
    log = tmp_path / "log.csv"
    log.write_text("patient_id,date,event,weight [lb],dose [mg/kg/day]\n"
                   "p1,2026-04-01,start,154.3,0.16\n", encoding="utf-8")
    _, out, _ = run(capsys, log, "--format", "json", "--as-of", "2026-04-05")
    doc = json.loads(out)
    (f,) = doc["findings"]
    assert f["rule"] == "DOSE_ABOVE_CEILING" and f["value"] == 0.16
    assert f["basis"]["weight"].startswith("69.989 kg")


def test_unknown_columns_are_named_once_and_ignored(logs, capsys):
    code, doc, err = check_json(capsys, logs / "unknown_columns.csv")
    assert doc["findings"] == [] and code == 0
    assert err.count("unknown column(s) ignored: ward, clinician") == 1


def test_malformed_rows_are_reported_and_the_rest_is_still_checked(logs, capsys):
    code, doc, err = check_json(capsys, logs / "malformed_rows.csv")
    assert code == 2
    invalid = [f for f in doc["findings"] if f["rule"] == "INPUT_INVALID"]
    assert [(f["line"], f["column"]) for f in invalid] == [(3, None), (4, None), (5, None), (6, "trough"), (7, None)]
    assert "12 fields" not in invalid[0]["message"] and "found 12" in invalid[0]["message"]
    assert "found 10" in invalid[1]["message"]
    assert "repeated header" in invalid[2]["message"]
    assert "decimal point" in invalid[3]["message"] and invalid[3]["date"] == "2026-02-12"
    assert "closing quote" in invalid[4]["message"]
    # line 6 (a decimal comma in the trough) costs only that cell: the row is checked and counted invalid too
    assert doc["rows"] == {"checked": 4, "invalid": 5}
    # the rows after the unclosed quote were read: C-001's gap is overdue, and "NA" is a patient
    assert {f["rule"] for f in doc["findings"]} == {"INPUT_INVALID", "CHECK_OVERDUE"}
    assert "tacro check: INPUT_INVALID (alert): 5\n" in err


def test_patient_ids_are_never_echoed_on_stderr(tmp_path, capsys):
    log = tmp_path / "log.csv"
    log.write_text("patient_id,date,trough,note\nJane Doe 1970,2026-13-01,8,Jane's note\n"
                   "\x01Jane,2026-01-01,8,\nJane Doe 1970,2026-01-01,8 ng/mL,Jane's note\n", encoding="utf-8")
    code, out, err = run(capsys, log, "--as-of", AS_OF)
    assert code == 2 and "Jane" not in err
    assert "withheld" in out  # the bad id itself is not shown, even on stdout


@pytest.mark.parametrize("fail_on, expected", [("alert", 0), ("warn", 1), ("info", 1)])
def test_fail_on_sets_the_exit_code(logs, capsys, fail_on, expected):
    code, _, _ = run(capsys, logs / "rule_bp_high.csv", "--as-of", AS_OF, "--fail-on", fail_on)
    assert code == expected


def test_info_findings_fail_only_at_fail_on_info(logs, capsys):
    assert run(capsys, logs / "rule_dose_below_effective.csv", "--as-of", AS_OF, "--fail-on", "warn")[0] == 0
    assert run(capsys, logs / "rule_dose_below_effective.csv", "--as-of", AS_OF, "--fail-on", "info")[0] == 1


def test_invalid_rows_exit_2_even_below_fail_on(logs, capsys):
    assert run(capsys, logs / "rule_input_invalid.csv", "--as-of", AS_OF, "--fail-on", "alert")[0] == 2


@pytest.mark.parametrize("argv, message", [
    (["missing.csv"], "log file not found"),
    ([], "needs a LOG file or --db"),
    (["x.csv", "--db", "y.db"], "one of them, not both"),
    (["x.csv", "--as-of", "22/11/2026"], "--as-of"),
    (["x.csv", "--format", "xml"], "invalid choice"),
])
def test_usage_and_fatal_errors_exit_2(tmp_path, capsys, argv, message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.csv").write_text("patient_id,date\n", encoding="utf-8")
    code, out, err = run(capsys, *argv)
    assert code == 2 and message in err and out == ""


def test_a_header_unit_off_the_allow_list_is_fatal_and_named(tmp_path, capsys):
    log = tmp_path / "log.csv"
    log.write_text("patient_id,date,trough [U]\np1,2026-01-01,8\n", encoding="utf-8")
    code, out, err = run(capsys, log)
    assert code == 2 and out == "" and "trough [U]" in err and "not accepted" in err


def test_as_of_decides_what_is_overdue_and_what_is_in_the_future(logs, capsys):
    log = logs / "clean.csv"
    assert check_json(capsys, log, "--as-of", "2026-06-30")[1]["summary"] == {"CHECK_OVERDUE": 2}
    code, out, _ = run(capsys, log, "--format", "json", "--as-of", "2026-04-01")
    doc = json.loads(out)
    assert code == 2 and [f["line"] for f in doc["findings"] if f["rule"] == "INPUT_INVALID"] == [7]
    assert "on or before today (2026-04-01)" in doc["findings"][0]["message"]


def test_as_of_defaults_to_today(logs, capsys, monkeypatch):
    monkeypatch.setenv("TACRO_TODAY", "2026-06-30")
    code, out, _ = run(capsys, logs / "clean.csv", "--format", "json")
    assert json.loads(out)["as_of"] == "2026-06-30"


def test_out_writes_a_private_file_and_never_overwrites_without_force(logs, tmp_path, capsys):
    out = tmp_path / "findings.json"
    code, stdout, _ = run(capsys, logs / "rule_trough_high.csv", "--format", "json", "--as-of", AS_OF, "--out", out)
    assert code == 1 and stdout == ""
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert json.loads(out.read_text(encoding="utf-8"))["summary"] == {"TROUGH_HIGH": 1}
    code, _, err = run(capsys, logs / "clean.csv", "--format", "json", "--as-of", AS_OF, "--out", out)
    assert code == 2 and "already exists" in err
    assert json.loads(out.read_text(encoding="utf-8"))["summary"] == {"TROUGH_HIGH": 1}
    code, _, _ = run(capsys, logs / "clean.csv", "--format", "json", "--as-of", AS_OF, "--out", out, "--force")
    assert code == 0 and json.loads(out.read_text(encoding="utf-8"))["summary"] == {}
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["findings.json", "logs"]  # no temporary file left


def test_out_refuses_to_replace_the_log_itself(logs, capsys):
    log = logs / "clean.csv"
    before = log.read_bytes()
    code, _, err = run(capsys, log, "--out", log, "--force", "--as-of", AS_OF)
    assert code == 2 and "the input itself" in err and log.read_bytes() == before


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal(logs, capsys, monkeypatch):
    from dosing.cli import check

    monkeypatch.setattr(check, "PROGRESS_MIN_BYTES", 0)
    _, _, err = run(capsys, logs / "clean.csv", "--as-of", AS_OF, "--format", "json")
    assert "\r" not in err and "reading" not in err
    tty = _Tty()
    monkeypatch.setattr(sys, "stderr", tty)
    assert main(["check", str(logs / "clean.csv"), "--as-of", AS_OF, "--format", "json"]) == 0
    shown = tty.getvalue()
    assert "\r\x1b[Ktacro check: reading clean.csv" in shown and "checking 6 rows" in shown
    assert shown.endswith("no findings in 6 rows\n")


def test_xlsx_log_gives_the_same_findings_as_its_csv(logs, tmp_path, capsys):
    openpyxl = pytest.importorskip("openpyxl")
    src = logs / "units_in_header.csv"
    wb = openpyxl.Workbook()
    ws = wb.active
    for i, row in enumerate(csv.reader(src.open(encoding="utf-8"))):
        ws.append([_typed(c) if i else c for c in row])
    book = tmp_path / "log.xlsx"
    wb.save(book)
    _, from_csv, _ = check_json(capsys, src)
    _, from_xlsx, _ = check_json(capsys, book)
    strip = lambda d: [{k: v for k, v in f.items()} for f in d["findings"]]  # noqa: E731
    assert strip(from_xlsx) == strip(from_csv)


def _typed(cell: str):
    """A cell as a spreadsheet would hold it: numbers as numbers, dates as dates."""
    import datetime as dt

    if not cell:
        return None
    try:
        return dt.date.fromisoformat(cell) if cell.count("-") == 2 else float(cell) if "." in cell else int(cell)
    except ValueError:
        return cell


def test_store_is_checked_with_db(tmp_path, capsys):
    store_mod = pytest.importorskip("dosing.store.db")
    from dosing.core.models import Event

    db = tmp_path / "tacro.db"
    rows = [("2026-04-01", "start", {"dose": "7 mg/day", "weight": "70 kg", "creatinine": "80 umol/L"}),
            ("2026-04-09", "visit", {"trough": "26.5 ng/mL", "creatinine": "82 umol/L"})]
    events = [Event.model_validate({"patient_id": "S-1", "date": d, "event": e, **v}) for d, e, v in rows]
    with store_mod.Store.open(db) as store:
        store.import_events(events)
    code, out, err = run(capsys, "--db", db, "--format", "json", "--as-of", AS_OF)
    doc = json.loads(out)
    assert code == 1 and [f["rule"] for f in doc["findings"]] == ["TROUGH_HIGH"]
    assert doc["input"] == f"store:{db}"


def test_db_that_does_not_exist_is_not_created(tmp_path, capsys):
    db = tmp_path / "none.db"
    code, _, err = run(capsys, "--db", db)
    assert code == 2 and "no store" in err and not db.exists()


def test_ids_with_blanks_are_kept_apart_and_counted_without_naming_them(tmp_path, capsys):
    log = tmp_path / "log.csv"
    log.write_text("patient_id,date,event,dose,weight,trough\n"
                   "Q7,2026-04-01,start,7,70,30\n"
                   "Q7 ,2026-04-01,start,7,70,30\n", encoding="utf-8")
    code, out, err = run(capsys, log, "--format", "json", "--as-of", "2026-04-05")
    assert [f["patient_id"] for f in json.loads(out)["findings"]] == ["Q7", "Q7 "]
    assert "1 patient id(s) have leading or trailing blanks" in err and "Q7" not in err


def test_store_events_after_as_of_are_reported_not_checked(tmp_path, capsys):
    store_mod = pytest.importorskip("dosing.store.db")
    from dosing.core.models import Event

    db = tmp_path / "tacro.db"
    events = [Event.model_validate({"patient_id": "S-1", "date": "2026-04-01", "event": "start", "dose": "7 mg/day",
                                    "weight": "70 kg"}),
              Event.model_validate({"patient_id": "S-1", "date": "2026-04-09", "trough": "26.5 ng/mL"})]
    with store_mod.Store.open(db) as store:
        store.import_events(events)
    code, out, _ = run(capsys, "--db", db, "--format", "json", "--as-of", "2026-04-05")
    (f,) = json.loads(out)["findings"]
    assert code == 2 and f["rule"] == "INPUT_INVALID" and f["column"] == "date" and f["patient_id"] == "S-1"
    assert "2026-04-09" in f["message"] and "on or before today (2026-04-05)" in f["message"]


def test_check_reads_an_export_with_the_same_ids_as_import(tmp_path, capsys):
    """A neutralised id ("'-5" in the file) is the patient "-5" for check, as for import."""
    import json as _json

    from dosing.cli.main import main as _main

    log = tmp_path / "exported.csv"
    log.write_text("patient_id,date,event,dose [mg/day],trough\n'-5,2026-01-01,start,7,\n'-5,2026-01-10,,,30\n",
                   encoding="utf-8")
    code = _main(["check", str(log), "--format", "json", "--as-of", "2026-01-11"])
    data = _json.loads(capsys.readouterr().out)
    assert code == 1
    assert {f["patient_id"] for f in data["findings"]} == {"-5"}


def test_a_dose_at_the_ceilings_alert_grade_is_an_alert_and_sets_the_exit_code(tmp_path, capsys):
    # 50 kg on 20 mg/day = 0.4 mg/kg/day: above the ceiling (0.15) and at/above the alert grade (0.3),
    # so the finding is an alert and, with the default --fail-on alert, the exit code is 1.
    # 50 kg on 10 mg/day = 0.2 mg/kg/day: above the ceiling only, a warning: exit 0.
    graded = tmp_path / "graded.csv"
    graded.write_text("patient_id,date,event,weight,dose\np1,2026-01-05,start,50,20\n", encoding="utf-8")
    code, out, _ = run(capsys, graded, "--format", "json", "--as-of", "2026-01-06")
    found = [f for f in json.loads(out)["findings"] if f["rule"] == "DOSE_ABOVE_CEILING"]
    assert [f["severity"] for f in found] == ["alert"] and code == 1
    plain = tmp_path / "plain.csv"
    plain.write_text("patient_id,date,event,weight,dose\np1,2026-01-05,start,50,10\n", encoding="utf-8")
    code, out, _ = run(capsys, plain, "--format", "json", "--as-of", "2026-01-06")
    found = [f for f in json.loads(out)["findings"] if f["rule"] == "DOSE_ABOVE_CEILING"]
    assert [f["severity"] for f in found] == ["warn"] and code == 0
