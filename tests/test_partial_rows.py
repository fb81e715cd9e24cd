"""A bad cell costs only that cell (contract §3, INPUT_INVALID): the row's other values are still checked.

reliability.md figure 16: a creatinine typo once hid BP 200/120, and a done
trough check was then reported overdue.
"""
from __future__ import annotations

import datetime as dt
import json

import numpy as np

from dosing.cli.main import main
from dosing.io.logfile import read_log

AS_OF = "2026-04-20"
HEAD = "patient_id,date,event,weight,dose,trough,hours_post_dose,creatinine,sbp,dbp,note\n"
START = "C-001,2026-01-05,start,70,7,,,80,120,80,\n"


def check(tmp_path, capsys, body: str, *extra) -> tuple[int, list[dict]]:
    path = tmp_path / "log.csv"
    path.write_text(HEAD + body)
    code = main(["check", str(path), "--format", "json", "--as-of", AS_OF, *extra])
    return code, json.loads(capsys.readouterr().out)["findings"]


def rules_on(findings: list[dict], line: int) -> list[str]:
    return [f["rule"] for f in findings if f["line"] == line]


def test_a_row_with_a_bad_creatinine_still_yields_its_bp_severe(tmp_path, capsys):
    code, found = check(tmp_path, capsys, START + "C-001,2026-01-15,,,,8,12,8O,200,120,typo: letter O\n",
                        "--as-of", "2026-01-20")
    assert code == 2  # a cell could not be read: exit 2, and the readable values are still checked
    assert rules_on(found, 3) == ["INPUT_INVALID", "BP_SEVERE"]
    bad = found[0]
    assert bad["column"] == "creatinine" and bad["basis"] == {"cell": "8O"}
    assert "This value was left out and the row's other values were checked" in bad["message"]
    assert "counts as a creatinine check done that day" in bad["message"]
    severe = next(f for f in found if f["rule"] == "BP_SEVERE")
    assert severe["value"] == 200 and severe["date"] == "2026-01-15"


def test_an_unreadable_trough_is_still_a_check_done_that_day(tmp_path, capsys):
    # the level check due 2026-01-12..19 was done on 2026-01-15, its value unreadable: not overdue
    body = START + "C-001,2026-01-15,,,,8..1,12,82,122,78,\n"
    code, found = check(tmp_path, capsys, body, "--as-of", "2026-01-25")
    assert code == 2
    assert [f["rule"] for f in found] == ["INPUT_INVALID"]
    # without any trough that day the same window is overdue: the test can tell the two apart
    code, found = check(tmp_path, capsys, START + "C-001,2026-01-15,,,,,,82,122,78,\n", "--as-of", "2026-01-25")
    assert [f["rule"] for f in found] == ["CHECK_OVERDUE"]


def test_an_unreadable_trough_keeps_the_next_checks_two_weekly(tmp_path):
    from dosing.core.assess import assess_columns

    path = tmp_path / "log.csv"
    path.write_text(HEAD + START + "C-001,2026-01-15,,,,8,12,82,122,78,\n"
                    "C-001,2026-01-29,,,,8.4,12,81,118,76,\nC-001,2026-02-12,,,,abc,12,83,121,79,\n")
    log = read_log(path, as_of=dt.date(2026, 2, 13))
    a = assess_columns(log.columns, as_of=dt.date(2026, 2, 13))
    level = next(d for d in a.due if d.stream == "level")
    assert "latest trough unreadable" in level.reason and (level.due_by - level.due_from).days == 6


def test_a_start_row_with_an_orphan_hours_post_dose_keeps_the_start(tmp_path, capsys):
    body = "C-001,2026-01-05,start,70,7,,12,80,190,95,\nC-001,2026-01-15,,,,8,12,104,122,78,\n"
    path = tmp_path / "log.csv"
    path.write_text(HEAD + body)
    log = read_log(path, as_of=dt.date(2026, 4, 20))
    c = log.columns
    assert c.line.tolist() == [2, 3]
    assert c.event[0] == 1 and c["dose"][0] == 7 and c["weight"][0] == 70 and c["creatinine"][0] == 80
    assert c["sbp"][0] == 190 and c["dbp"][0] == 95 and np.isnan(c["hours_post_dose"][0])
    assert c.lost["hours_post_dose"].tolist() == [True, False]
    code, found = check(tmp_path, capsys, body)
    assert rules_on(found, 2) == ["INPUT_INVALID", "BP_SEVERE"]  # the start's BP is checked
    assert found[0]["column"] == "hours_post_dose" and "a trough to go with it" in found[0]["message"]
    rise = next(f for f in found if f["rule"] == "CREATININE_RISE")  # the start's creatinine is the baseline
    assert rise["line"] == 3 and rise["basis"]["baseline_creatinine"] == "80 µmol/L on 2026-01-05"


def test_a_row_whose_date_cannot_be_read_is_refused_whole(tmp_path, capsys):
    code, found = check(tmp_path, capsys, START + "C-001,2026-13-01,,,,8,12,82,200,120,\n")
    assert code == 2 and [f["rule"] for f in found if f["line"] == 3] == ["INPUT_INVALID"]
    assert "The row was not checked" in found[0]["message"]


def test_an_unreadable_dose_leaves_the_dose_in_force_unknown_not_guessed(tmp_path, capsys):
    # 7 mg/day at 70 kg, then an unreadable dose, then a visit: no dose rule may use the old 7 mg/day
    # as if it were still in force, and no jump is computed against an unknown dose.
    body = START + "C-001,2026-01-15,,,7mg,8,12,82,122,78,\nC-001,2026-01-29,,,70,8,12,82,122,78,\n"
    code, found = check(tmp_path, capsys, body)
    assert rules_on(found, 3)[0] == "INPUT_INVALID" and "unknown to tacro" in found[0]["message"]
    assert "DOSE_JUMP" not in [f["rule"] for f in found]


def test_import_stays_all_or_nothing(tmp_path, capsys):
    path = tmp_path / "log.csv"
    path.write_text(HEAD + START + "C-001,2026-01-15,,,,8,12,8O,200,120,\n")
    db = tmp_path / "t.db"
    assert main(["import", str(path), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "line 3, column creatinine" in err and "nothing was imported" in err
    assert not db.exists()
