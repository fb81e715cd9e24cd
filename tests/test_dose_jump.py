"""DOSE_JUMP: a dose at or beyond the profile's ratio (default 5x, or 1/5) of the dose in force is an alert,
judged by one rule on every path: `tacro check`, `tacro import`, the TUI's confirmation."""
from __future__ import annotations

import datetime as dt

import pytest

from dosing.cli.main import main
from dosing.core.assess import DoseInForce
from dosing.core.confirm import dose_jump, jump_finding
from dosing.core.models import Measure
from dosing.core.profile import load_profile
from dosing.store.db import Store
from tests.helpers import ev, findings


def jumps(old: str, new: str):
    field = "dose_rate" if "/kg/" in old else "dose"
    events = [ev("2026-01-05", event="start", **{field: old}), ev("2026-02-05", **{field: new})]
    return findings(events, "DOSE_JUMP")


@pytest.mark.parametrize(("old", "new", "fires"), [
    ("7 mg/day", "35 mg/day", True),  # exactly 5 times: at the ratio
    ("7 mg/day", "34.99 mg/day", False),  # just below
    ("7 mg/day", "70 mg/day", True),  # tenfold
    ("7 mg/day", "1.4 mg/day", True),  # exactly 1/5
    ("7 mg/day", "1.41 mg/day", False),  # just above 1/5
    ("7 mg/day", "0.7 mg/day", True),  # a tenth
    ("0.1 mg/kg/day", "0.5 mg/kg/day", True),  # per kilogram when no weight makes mg/day
    ("0.1 mg/kg/day", "0.45 mg/kg/day", False),
])
def test_the_rule_at_its_ratio(old, new, fires):
    assert bool(jumps(old, new)) is fires


def test_the_finding_is_an_alert_with_both_doses_in_its_basis(profile):
    (f,) = jumps("7 mg/day", "70 mg/day")
    assert f.severity == "alert" == profile.severity("DOSE_JUMP")
    assert f.source == profile.source("DOSE_JUMP")
    assert f.value.value == pytest.approx(10.0) and f.threshold.value == 5.0
    assert f.basis["dose"] == "70 mg/day from 2026-02-05"
    assert f.basis["previous_dose"] == "7 mg/day from 2026-01-05"
    assert "70 mg/day is 10 times the dose in force since 2026-01-05 (7 mg/day)" in f.message


def test_a_decrease_shows_the_fraction():
    (f,) = jumps("7 mg/day", "0.7 mg/day")
    assert f.threshold.value == pytest.approx(0.2)
    assert "0.7 mg/day is 1/10 of the dose in force" in f.message


def test_a_first_dose_and_a_restart_after_a_stop_have_nothing_to_jump_from():
    assert findings([ev("2026-01-05", event="start", dose="70 mg/day")], "DOSE_JUMP") == []
    events = [ev("2026-01-05", event="start", dose="7 mg/day"), ev("2026-02-01", event="stop"),
              ev("2026-03-01", event="start", dose="1 mg/day")]
    assert findings(events, "DOSE_JUMP") == []


def test_check_reports_it_as_an_alert_and_exits_1(tmp_path, capsys):
    log = tmp_path / "log.csv"
    log.write_text("patient_id,date,event,dose\nJ-1,2026-01-05,start,7\nJ-1,2026-01-20,,70\n")
    code = main(["check", str(log), "--as-of", "2026-01-25", "--format", "json"])
    out = capsys.readouterr().out
    assert code == 1
    assert '"rule": "DOSE_JUMP"' in out and '"previous_dose": "7 mg/day from 2026-01-05"' in out


def test_import_refuses_a_jump_naming_the_line_and_both_doses_unless_confirmed(tmp_path, capsys):
    log = tmp_path / "log.csv"
    log.write_text("patient_id,date,event,dose\nJ-1,2026-01-05,start,7\nJ-1,2026-01-20,,70\n")
    db = tmp_path / "t.db"
    code = main(["import", str(log), "--db", str(db)])
    err = capsys.readouterr().err
    assert code == 2
    assert "line 3: 70 mg/day from 2026-01-20 after 7 mg/day from 2026-01-05" in err and "--confirm-jumps" in err
    assert "J-1" not in err
    with Store.open(db, create=False) as s:
        assert s.all_events() == []
    assert main(["import", str(log), "--db", str(db), "--confirm-jumps"]) == 0
    with Store.open(db, create=False) as s:
        assert len(s.all_events()) == 2


def test_import_judges_a_jump_against_the_dose_already_stored(tmp_path, capsys):
    db = tmp_path / "t.db"
    first = tmp_path / "a.csv"
    first.write_text("patient_id,date,event,dose\nJ-1,2026-01-05,start,7\n")
    assert main(["import", str(first), "--db", str(db)]) == 0
    later = tmp_path / "b.csv"
    later.write_text("patient_id,date,event,dose\nJ-1,2026-02-05,,0.5\nJ-2,2026-02-05,start,0.5\n")
    code = main(["import", str(later), "--db", str(db)])
    err = capsys.readouterr().err
    assert code == 2 and "line 2: 0.5 mg/day from 2026-02-05 after 7 mg/day from 2026-01-05" in err
    assert "line 3" not in err  # another patient's first dose is no jump


def dose(mg: float | None = None, rate: float | None = None, since=dt.date(2026, 11, 2)) -> DoseInForce:
    return DoseInForce(since=since, product="ir-capsule",
                       daily_dose=Measure(value=mg, unit="mg/day") if mg is not None else None,
                       rate=Measure(value=rate, unit="mg/kg/day") if rate is not None else None,
                       weight=None, weight_date=None)


def test_the_tui_confirmation_asks_the_rule_and_follows_the_profile(tmp_path):
    default = load_profile()
    assert dose_jump(dose(7), dose(28, since=dt.date(2026, 11, 20)), default) is None  # 4x: below 5
    custom = tmp_path / "p.toml"
    custom.write_text('[values.confirm_dose_ratio]\nvalue = "3"\n')
    local = load_profile(custom)
    question = dose_jump(dose(7), dose(28, since=dt.date(2026, 11, 20)), local)
    f = jump_finding(dose(7), dose(28, since=dt.date(2026, 11, 20)), local)
    assert f is not None and f["rule"] == "DOSE_JUMP" and question.startswith(f["message"].split(";")[0])
    assert "28 mg/day is 4 times the dose in force since 2026-11-02 (7 mg/day)" in question
    assert "confirmed before it is saved" in question
