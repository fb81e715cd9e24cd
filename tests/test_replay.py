"""The three published cases replayed: what the issue requires the trainee to see."""
from __future__ import annotations

import pytest

from dosing.core.errors import InputError
from dosing.core.units import Q_
from dosing.replay.engine import replay, replay_text


def _step(r, **match):
    for s in r.steps:
        if all(s.inputs.get(k) == v for k, v in match.items()):
            return s
    raise AssertionError(f"no step with {match}: {[s.inputs for s in r.steps]}")


def _rules(step):
    return {f.rule for f in step.findings}


def test_case1():
    r = replay(1)
    assert _rules(_step(r, **{"blood pressure": "160/105 mmHg"})) == {"BP_HIGH"}
    high = _step(r, dose="0.18 mg/kg/day")
    assert _rules(high) == {"DOSE_ABOVE_CEILING"} and high.differs
    seventy = _step(r, creatinine="70 µmol/L")
    assert _rules(seventy) == set()
    assert "creatinine 70 µmol/L vs baseline 81 µmol/L" in seventy.creatinine and "fall of 13.6%" in seventy.creatinine


def test_case2():
    r = replay(2)
    month1 = _step(r, **{"blood pressure": "160/100 mmHg"})
    assert _rules(month1) == {"BP_HIGH", "TROUGH_UPPER_BAND"}
    assert "81 µmol/L vs baseline 77 µmol/L" in month1.creatinine and "rise of 5.2%" in month1.creatinine
    assert not month1.differs
    month6 = _step(r, creatinine="92 µmol/L")
    assert _rules(month6) == set()
    assert "rise of 19.5%" in month6.creatinine
    assert month6.paper_vs_tool and "16%" in month6.paper_vs_tool[0] and "19.5%" in month6.paper_vs_tool[0]


def test_case3():
    r = replay(3)
    assert r.prior_cyclosporine_nephrotoxicity
    start = _step(r, dose="0.04 mg/kg/day")
    assert _rules(start) == {"DOSE_BELOW_EFFECTIVE"} and start.differs
    assert _rules(_step(r, **{"blood pressure": "190/110 mmHg"})) == {"BP_SEVERE"}
    assert _rules(_step(r, dose="0.17 mg/kg/day")) == {"DOSE_ABOVE_CEILING"}
    toxic = _step(r, creatinine="208 µmol/L")
    assert _rules(toxic) == {"CREATININE_RISE", "TROUGH_UPPER_BAND"}
    (rise,) = [f for f in toxic.findings if f.rule == "CREATININE_RISE"]
    assert rise.value.value == pytest.approx(131.11, abs=0.01)
    assert toxic.inputs["trough"] == "23.2 ng/mL"


def test_every_step_has_provenance_and_the_tool_never_shows_overdue():
    for case in (1, 2, 3):
        for s in replay(case).steps:
            assert s.quote and s.cite and s.date_basis in {"stated", "approximated"} and s.clinicians_did
            assert all(f.rule != "CHECK_OVERDUE" for f in s.findings)


def test_mg_amounts_only_with_a_weight_the_user_gave():
    plain = replay(2)
    assert all("mg/day" not in (s.regimen or "") for s in plain.steps)
    weighted = replay(2, Q_(70, "kg"))
    assert weighted.weight == "70 kg"
    assert "the weight you gave" in weighted.steps[0].regimen and "3.5 mg every 12 h" in weighted.steps[0].regimen


@pytest.mark.parametrize("case", [0, 4, "x"])
def test_unknown_case_is_refused(case):
    with pytest.raises(InputError):
        replay(case)


@pytest.mark.parametrize("case", [1, 2, 3])
def test_no_step_shows_a_passed_window_as_an_open_next_check(case):
    r = replay(case)
    for s in r.steps:
        for d in s.due:
            assert d.overdue == (d.due_by < s.date), (s.index, d)
    text = replay_text(r)
    assert ("passed, none recorded" in text) == any(d.overdue for s in r.steps for d in s.due)


def test_case1_marks_the_missed_first_check_after_an_increase():
    r = replay(1)
    missed = [(s.index, d.stream, d.due_by.isoformat()) for s in r.steps for d in s.due if d.overdue]
    # the increase of 1996-06-08 opened 06-15..06-22; the next events (08-01 on) record no check until 11-01
    assert (4, "renal", "1996-06-22") in missed and (4, "level", "1996-06-22") in missed
    assert not any(i == 3 for i, _, _ in missed)  # on 06-15 the window is still open
    assert (9, "level", "1996-11-15") in missed and (9, "renal", "1996-11-15") not in missed
