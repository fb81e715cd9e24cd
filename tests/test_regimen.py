"""Regimens: hand-computed table, ties, capsules, products, and properties."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosing.core.errors import ImplausibleValueError, ProductError, UnitError
from dosing.core.regimen import make_amounts, regimen, suggest_start
from dosing.core.units import Q_, parse


def _reg(weight: str, rate: str, product: str | None = None):
    return regimen(parse(weight, "weight", "w"), parse(rate, "dose_rate", "r"), product)


# weight, rate, product -> morning dose, its units, daily mg, given mg/kg/day (hand-computed; contract §5:
# the daily total to the nearest amount two doses can make, ties to the lower, larger dose in the morning)
TABLE = [
    # 73 x 0.1 = 7.3/day -> 7.5 (0.2 away) not 7 (0.3) -> 4 mg + 3.5 mg
    ("73 kg", "0.1 mg/kg/day", None, 4.0, "4 × 1 mg", 7.5, 7.5 / 73),
    # 70 x 0.1 = 7 -> 3.5 mg every 12 h
    ("70 kg", "0.1 mg/kg/day", None, 3.5, "3 × 1 mg + 1 × 0.5 mg", 7.0, 0.1),
    # 70 x 0.15 = 10.5, makeable as 5.5 mg + 5 mg (with equal doses only it was 10, ties to the lower)
    ("70 kg", "0.15 mg/kg/day", None, 5.5, "1 × 5 mg + 1 × 0.5 mg", 10.5, 0.15),
    # 50 x 0.11 = 5.5 -> 3 mg + 2.5 mg
    ("50 kg", "0.11 mg/kg/day", None, 3.0, "3 × 1 mg", 5.5, 0.11),
    # 70 x 0.18 = 12.6 -> 12.5 (0.1 away) -> 6.5 mg + 6 mg
    ("70 kg", "0.18 mg/kg/day", None, 6.5, "1 × 5 mg + 1 × 1 mg + 1 × 0.5 mg", 12.5, 12.5 / 70),
    # 60 x 0.1 granules = 6 -> 3 mg = 3 x 1 mg sachets (fewer than 15 x 0.2)
    ("60 kg", "0.1 mg/kg/day", "granules", 3.0, "3 × 1 mg", 6.0, 0.1),
    # 55 x 0.07 granules = 3.85 -> 3.8 (0.05 away) -> 2 mg + 1.8 mg
    ("55 kg", "0.07 mg/kg/day", "granules", 2.0, "2 × 1 mg", 3.8, 3.8 / 55),
    # 45 x 0.05 = 2.25: 2 and 2.5 tie -> the lower, 2 = 1 mg every 12 h
    ("45 kg", "0.05 mg/kg/day", None, 1.0, "1 × 1 mg", 2.0, 2 / 45),
    # 154 lb = 69.853 kg x 0.1 = 6.985 -> 7
    ("154 lb", "0.1 mg/kg/day", None, 3.5, "3 × 1 mg + 1 × 0.5 mg", 7.0, 7 / 69.85322498),
    # 100 x 0.15 = 15 -> 7.5 = 5 + 2 x 1 + 0.5 (4 capsules, fewest)
    ("100 kg", "0.15 mg/kg/day", None, 7.5, "1 × 5 mg + 2 × 1 mg + 1 × 0.5 mg", 15.0, 0.15),
]


@pytest.mark.parametrize("weight, rate, product, dose, caps, daily, given", TABLE)
def test_regimen_table(weight, rate, product, dose, caps, daily, given):
    r = _reg(weight, rate, product)
    assert r.dose.value == dose and r.dose.unit == "mg"
    assert " + ".join(str(c) for c in r.capsules) == caps
    assert r.daily_dose.value == daily
    assert r.given_rate.value == pytest.approx(given, abs=1e-6)
    assert r.doses_per_day == 2 and str(r.interval) == "12 h"


def test_issue_example_73_kg():
    r = _reg("73 kg", "0.1 mg/kg/day")
    assert str(r.daily_dose) == "7.5 mg/day" and str(r.given_rate) == "0.103 mg/kg/day"
    assert r.summary() == ("4 mg morning (4 × 1 mg) + 3.5 mg evening (3 × 1 mg + 1 × 0.5 mg); 7.5 mg/day, about "
                           "0.103 mg/kg/day; nearest equal doses: 3.5 mg every 12 h (3 × 1 mg + 1 × 0.5 mg), 7 mg/day")


def test_rounding_above_the_ceiling_is_flagged_with_the_given_rate():
    r = _reg("73 kg", "0.15 mg/kg/day")  # 10.95 -> 5.475/dose -> 5.5 -> 11 mg/day = 0.1507 mg/kg/day
    assert r.dose.value == 5.5
    assert [f.rule for f in r.findings] == ["DOSE_ABOVE_CEILING"]
    assert r.findings[0].value.value == pytest.approx(11 / 73, abs=1e-6)


def test_dose_findings_come_from_the_rules():
    assert [f.rule for f in _reg("70 kg", "0.18 mg/kg/day").findings] == ["DOSE_ABOVE_CEILING"]
    assert [f.rule for f in _reg("70 kg", "0.04 mg/kg/day").findings] == ["DOSE_BELOW_EFFECTIVE"]
    assert _reg("70 kg", "0.1 mg/kg/day").findings == []


def test_suggested_start_and_lower_start_after_cyclosporine_nephrotoxicity():
    normal = suggest_start(Q_(70, "kg"), False)
    lower = suggest_start(Q_(70, "kg"), True)
    assert normal.requested_rate.value == 0.1 and normal.dose.value == 3.5
    assert lower.requested_rate.value == 0.05 and lower.daily_dose.value == 3.5  # 3.5/day = 2 mg + 1.5 mg
    assert [a.amount.value for a in lower.suggestion.administrations] == [2.0, 1.5]
    assert "interpretation" in lower.basis[0]


def test_prolonged_release_is_refused_not_converted():
    with pytest.raises(ProductError) as e:
        _reg("70 kg", "0.1 mg/kg/day", "pr-once-daily")
    assert "brand" in str(e.value)


@pytest.mark.parametrize(
    "weight, rate, error",
    [("0 kg", "0.1 mg/kg/day", ImplausibleValueError), ("700 kg", "0.1 mg/kg/day", ImplausibleValueError),
     ("70 kg", "0 mg/kg/day", ImplausibleValueError), ("70 kg", "2 mg/kg/day", ImplausibleValueError),
     ("70 kg", "-0.1 mg/kg/day", ImplausibleValueError)],
)
def test_implausible_inputs_are_refused(weight, rate, error):
    with pytest.raises(error):
        _reg(weight, rate)


def test_a_dose_that_rounds_to_nothing_offers_the_smallest_regimen_with_its_caveat():
    r = _reg("20 kg", "0.01 mg/kg/day")  # 0.2 mg/day: nothing is nearer than 1 mg/day (0.5 mg every 12 h)
    assert [(o.label, o.daily_dose.value) for o in r.options] == [("smallest this product makes", 1.0)]
    assert "5 times what was asked" in r.options[0].notes[0] and "granules" in r.options[0].notes[0]


@pytest.mark.parametrize("bad", [(70.0, Q_(0.1, "mg/kg/day")), (Q_(70, "kg"), 0.1), (70, 0.1),
                                 (Q_(70, "kg"), Q_(0.1, "1/day"))])
def test_bare_numbers_and_wrong_kinds_are_refused(bad):
    with pytest.raises(UnitError):
        regimen(*bad)


def test_make_amounts_fewest_units():
    step, amounts = make_amounts([500, 1000, 5000], 8000)
    assert step == 500
    assert amounts[7500] == (1, 2, 1)  # 0.5 + 2 x 1 + 5
    assert amounts[5000] == (0, 0, 1)


@settings(max_examples=300, deadline=None)
@given(
    weight=st.floats(min_value=20, max_value=350),
    rate=st.floats(min_value=0.03, max_value=0.28),
    product=st.sampled_from(["ir-capsule", "granules"]),
)
def test_the_daily_total_is_within_half_a_step_of_the_request(weight, rate, product):
    r = regimen(Q_(weight, "kg"), Q_(rate, "mg/kg/day"), product)
    requested = weight * rate
    step = r.rounding_step.value
    first = r.suggestion
    smallest = 2 * step  # two doses of the smallest unit (0.5 mg capsules, 0.2 mg granules)
    if requested >= smallest:
        assert abs(first.daily_dose.value - requested) <= step / 2 + 1e-9
    else:
        assert first.daily_dose.value == pytest.approx(smallest)
    doses = [a.amount.value for a in first.administrations] * (2 if first.equal else 1)
    assert sum(doses) == pytest.approx(first.daily_dose.value) and doses[0] >= doses[-1]
    for a in first.administrations:
        assert sum(c.strength.value * c.count for c in a.capsules) == pytest.approx(a.amount.value)
