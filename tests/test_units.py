"""Units: the allow-list, conversions (hand-computed), round trips and refusals."""
from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dosing.core import units
from dosing.core.errors import UnitError
from dosing.core.units import Q_


@pytest.mark.parametrize(
    "text, kind, canonical",
    [
        ("70 kg", "weight", 70.0),
        ("154 lb", "weight", 154 * 0.45359237),  # lb is defined as 0.45359237 kg
        ("0.1 mg/kg/day", "dose_rate", 0.1),
        ("0.1 mg/kg/d", "dose_rate", 0.1),
        ("7 mg/day", "daily_dose", 7.0),
        ("3.5 mg", "amount", 3.5),
        ("500 mcg", "amount", 0.5),
        ("20.2 ng/mL", "trough", 20.2),
        ("20.2 ng/ml", "trough", 20.2),
        ("20.2 µg/L", "trough", 20.2),  # micro sign
        ("20.2 μg/L", "trough", 20.2),  # Greek mu
        ("20.2 ug/L", "trough", 20.2),
        ("25 nmol/L", "trough", 25 * 0.804),  # 804.0 g/mol: 25 nmol/L = 20.1 ng/mL
        ("92 µmol/L", "creatinine", 92.0),
        ("92 umol/L", "creatinine", 92.0),
        ("0.092 mmol/L", "creatinine", 92.0),
        ("1.04 mg/dL", "creatinine", 1.04 * 10_000 / 113.12),  # mg/dL -> µmol/L: x 10 (dL->L) x 1000/113.12
        ("160 mmHg", "pressure", 160.0),
        ("160 mm Hg", "pressure", 160.0),
        ("12 h", "duration", 12.0),
        ("90 min", "duration", 1.5),
        ("2 day", "duration", 48.0),
    ],
)
def test_parse_allow_listed_spellings_to_canonical(text, kind, canonical):
    q = units.parse(text, kind, "field")
    assert units.to_canonical(q, kind) == pytest.approx(canonical, rel=1e-9)


def test_paper_trough_in_nmol_is_the_documented_factor():
    # clinical-facts §3: 20.2 ng/mL = 25.12 nmol/L; 1 ng/mL = 1.2437 nmol/L
    assert units.convert(Q_(20.2, "ng/mL"), "nmol/L", "trough").magnitude == pytest.approx(25.124, abs=1e-3)
    assert units.convert(Q_(1, "ng/mL"), "nmol/L", "trough").magnitude == pytest.approx(1.2437, abs=1e-4)


def test_paper_creatinine_in_mg_dl():
    # clinical-facts §3 table: 92 µmol/l = 1.04 mg/dL; 208 = 2.35
    assert units.convert(Q_(92, "umol/L"), "mg/dL", "creatinine").magnitude == pytest.approx(1.04, abs=0.005)
    assert units.convert(Q_(208, "umol/L"), "mg/dL", "creatinine").magnitude == pytest.approx(2.35, abs=0.005)


def test_value_typed_in_ug_per_l_lands_exactly_on_a_ng_per_ml_threshold():
    assert units.to_canonical(units.parse("20 µg/L", "trough", "t"), "trough") == 20.0


@pytest.mark.parametrize(
    "text, kind, why",
    [
        ("70", "weight", "bare number"),
        ("70 U", "weight", "U is an enzyme unit in stock pint"),
        ("70 u", "weight", "u is an atomic mass unit in stock pint"),
        ("70 g", "weight", "not on the weight allow-list"),
        ("0.1 /day", "dose_rate", "1/day has the dimension of mg/kg/day but is not a per-kg rate"),
        ("0.1 mg/day", "dose_rate", "a daily dose is not a rate"),
        ("3,5 mg", "amount", "decimal comma"),
        ("nan kg", "weight", "NaN"),
        ("inf kg", "weight", "infinity"),
        ("", "weight", "empty"),
        ("   ", "weight", "blank"),
        ("kg", "weight", "unit without number"),
        ("70 kg kg", "weight", "doubled unit"),
        ("20 ng", "trough", "mass, not concentration"),
        ("92 mg", "creatinine", "mass, not concentration"),
        ("160", "pressure", "bare number"),
        ("160 kPa", "pressure", "not on the allow-list"),
        ("12", "duration", "bare number"),
        ("seventy kg", "weight", "words"),
        ("7 mg", "daily_dose", "amount, not per day"),
    ],
)
def test_refusals_name_field_value_and_expectation(text, kind, why):
    with pytest.raises(UnitError) as e:
        units.parse(text, kind, "the_field")
    msg = str(e.value)
    assert "the_field" in msg
    assert repr(text) in msg
    assert "expected" in msg


@pytest.mark.parametrize("value", [70, 70.0, True, None, [70]])
def test_parse_and_require_refuse_non_text(value):
    with pytest.raises(UnitError):
        units.parse(value, "weight", "weight")
    with pytest.raises(UnitError):
        units.require(value, "weight", "weight")


def test_require_refuses_wrong_dimension_and_non_per_kg_rate():
    with pytest.raises(UnitError):
        units.require(Q_(70, "mg/L"), "weight", "weight")
    with pytest.raises(UnitError):
        units.require(Q_(0.1, "1/day"), "dose_rate", "rate")
    assert units.require(Q_(0.1, "mg/kg/day"), "dose_rate", "rate").magnitude == 0.1


@pytest.mark.parametrize(
    "q, shown",
    [(Q_(0.5, "mg"), "0.5 mg"), (Q_(5.0, "mg"), "5 mg"), (Q_(3.5, "mg"), "3.5 mg"),
     (Q_(0.0958904, "mg/kg/day"), "0.096 mg/kg/day"), (Q_(92, "umol/L"), "92 µmol/L"),
     (Q_(20.2, "ng/mL"), "20.2 ng/mL"), (Q_(500, "ug"), "500 mcg")],
)
def test_display_has_leading_zero_no_trailing_zero_and_mcg(q, shown):
    assert units.format_quantity(q) == shown


def test_parse_bp():
    s, d = units.parse_bp("160/100 mmHg")
    assert (s.magnitude, d.magnitude) == (160, 100)
    for bad in ["160/100", "160 mmHg", "a/b mmHg", "160/100 kPa"]:
        with pytest.raises(UnitError):
            units.parse_bp(bad)


@pytest.mark.parametrize(
    "kind, unit",
    [("trough", "nmol/L"), ("trough", "ug/L"), ("creatinine", "mg/dL"), ("creatinine", "mmol/L"),
     ("weight", "lb"), ("duration", "min")],
)
@given(x=st.floats(min_value=1e-3, max_value=1e4, allow_nan=False, allow_infinity=False))
def test_conversions_round_trip(kind, unit, x):
    canonical = units.KINDS[kind].canonical
    there = units.convert(Q_(x, canonical), unit, kind)
    back = units.convert(there, canonical, kind)
    assert back.magnitude == pytest.approx(x, rel=1e-12)


@given(st.text(max_size=30))
def test_parser_raises_only_unit_errors_on_any_text(text):
    try:
        q = units.parse(text, "trough", "trough")
    except UnitError:
        return
    assert math.isfinite(units.to_canonical(q, "trough"))


def test_column_factor_is_one_multiplier_per_unit():
    assert units.column_factor("mg/dL", "creatinine", "creatinine") == pytest.approx(88.4017, abs=1e-4)
    assert units.column_factor("nmol/L", "trough", "trough") == pytest.approx(0.804)
    assert units.column_factor("ng/mL", "trough", "trough") == 1.0
    with pytest.raises(UnitError):
        units.column_factor("mg", "trough", "trough")
