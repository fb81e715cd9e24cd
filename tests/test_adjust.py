"""Proportional adjustment: arithmetic, rounding, caveats and cautions."""
from __future__ import annotations

import pytest

from dosing.core.adjust import adjust
from dosing.core.errors import InputError, UnitError
from dosing.core.units import Q_
from tests.helpers import ev, findings


def test_proportional_arithmetic_hand_computed():
    # 7 mg/day x 10 / 5 = 14 mg/day -> 7 mg per dose = 5 + 2 x 1
    a = adjust(Q_(7, "mg/day"), Q_(5, "ng/mL"), Q_(10, "ng/mL"))
    assert a.ratio == 2.0 and a.computed_daily_dose.value == 14.0
    assert a.dose.value == 7.0 and a.daily_dose.value == 14.0 and a.direction == "increase"
    assert " + ".join(str(c) for c in a.capsules) == "1 × 5 mg + 2 × 1 mg"


def test_paper_case2_implied_target():
    # clinical-facts §1.5: 0.10 -> 0.06 from 20.2 implies a target of ~12.1 (arithmetic only)
    a = adjust(Q_(7, "mg/day"), Q_(20.2, "ng/mL"), Q_(12.12, "ng/mL"), weight=Q_(70, "kg"))
    assert a.computed_daily_dose.value == pytest.approx(4.2)  # 7 x 12.12/20.2 = 4.2 = 0.06 x 70
    assert a.dose.value == 2.0  # 2.1 per dose -> 2.0
    assert a.given_rate.value == pytest.approx(4 / 70, abs=1e-6)


def test_trough_in_nmol_per_l_is_converted_before_the_ratio():
    # 25 nmol/L = 20.1 ng/mL; 7 x 10.05 / 20.1 = 3.5 mg/day
    a = adjust(Q_(7, "mg/day"), Q_(25, "nmol/L"), Q_(10.05, "ng/mL"))
    assert a.computed_daily_dose.value == pytest.approx(3.5)


def test_caveats_are_always_present():
    a = adjust(Q_(7, "mg/day"), Q_(8, "ng/mL"), Q_(8, "ng/mL"))
    assert a.direction == "no change" and a.decision == "keep"
    text = " ".join(c for c, _ in a.caveats)
    for word in ("Steady state", "12-hour trough", "Same product", "interacting drug"):
        assert word in text


def test_findings_against_raising_are_carried_and_warned():
    rows = [ev("2026-01-01", event="start", dose="4 mg/day", creatinine="90 umol/L"),
            ev("2026-01-15", creatinine="130 umol/L", sbp="165 mmHg", dbp="95 mmHg", trough="4.5 ng/mL")]
    context = findings(rows)
    a = adjust(Q_(4, "mg/day"), Q_(4.5, "ng/mL"), Q_(9, "ng/mL"), context=context)
    # +44% creatinine is an alert: the 8 mg/day the arithmetic gives is not offered (contract §3)
    assert a.decision == "no increase" and a.judged == "increase"
    assert {f.rule for f in a.against} == {"CREATININE_RISE", "BP_HIGH"}
    assert [o.daily_dose.value for o in a.options] == [4.0]
    assert "131%" in a.reasons[0] and "case 3" in a.reasons[0]


def test_a_warning_argues_against_an_increase_but_does_not_block_it():
    rows = [ev("2026-01-01", event="start", dose="4 mg/day"),
            ev("2026-01-15", sbp="165 mmHg", dbp="95 mmHg", trough="4.5 ng/mL")]
    a = adjust(Q_(4, "mg/day"), Q_(4.5, "ng/mL"), Q_(9, "ng/mL"), context=findings(rows))
    assert a.decision == "increase" and a.options[0].daily_dose.value == 8.0
    assert [f.rule for f in a.against] == ["BP_HIGH"] and a.supporting == []


def test_findings_supporting_a_decrease_are_headed_so():
    rows = [ev("2026-01-01", event="start", dose="7 mg/day", creatinine="77 umol/L"),
            ev("2026-01-15", creatinine="92 umol/L", sbp="160 mmHg", dbp="100 mmHg", trough="20.2 ng/mL")]
    a = adjust(Q_(7, "mg/day"), Q_(20.2, "ng/mL"), Q_(10, "ng/mL"), context=findings(rows))
    assert a.decision == "decrease"
    assert {f.rule for f in a.supporting} == {"BP_HIGH", "TROUGH_UPPER_BAND"} and a.against == []


def test_a_mistimed_trough_gives_repeat_the_level_not_a_dose():
    rows = [ev("2026-01-01", event="start", dose="6 mg/day"),
            ev("2026-01-15", trough="3 ng/mL", hours_post_dose="8 h")]
    a = adjust(Q_(6, "mg/day"), Q_(3, "ng/mL"), Q_(6, "ng/mL"), context=findings(rows))
    assert a.decision == "repeat the level" and a.computed_daily_dose is None
    assert [o.label for o in a.options] == ["current regimen"]


def test_large_change_is_flagged():
    a = adjust(Q_(2, "mg/day"), Q_(2, "ng/mL"), Q_(10, "ng/mL"))
    assert any("more than x2" in w for w in a.warnings)


@pytest.mark.parametrize(
    "dose, trough, target, err",
    [(Q_(3.5, "mg"), Q_(5, "ng/mL"), Q_(10, "ng/mL"), UnitError),  # a single dose: not a daily dose
     (7.0, Q_(5, "ng/mL"), Q_(10, "ng/mL"), UnitError),
     (Q_(7, "mg/day"), 5.0, Q_(10, "ng/mL"), UnitError),
     (Q_(7, "mg/day"), Q_(5, "ng/mL"), 10, UnitError),
     (Q_(7, "mg/day"), Q_(0, "ng/mL"), Q_(10, "ng/mL"), InputError),
     (Q_(7, "mg/day"), Q_(5, "ng/mL"), Q_(30, "ng/mL"), InputError),  # target above the range
     (Q_(0, "mg/day"), Q_(5, "ng/mL"), Q_(10, "ng/mL"), InputError)],
)
def test_refusals(dose, trough, target, err):
    with pytest.raises(err):
        adjust(dose, trough, target)
