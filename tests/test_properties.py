"""Properties across the core: every function taking a quantity refuses a bare number."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosing.core import units
from dosing.core.adjust import adjust
from dosing.core.errors import UnitError
from dosing.core.regimen import dose_findings, regimen, suggest_start
from dosing.core.units import Q_

GOOD = {
    "weight": Q_(70, "kg"), "rate": Q_(0.1, "mg/kg/day"), "dose": Q_(7, "mg/day"),
    "trough": Q_(8, "ng/mL"), "target": Q_(10, "ng/mL"),
}

# (function, positional argument names that are quantities, builder)
CALLS = {
    "regimen": (("weight", "rate"), lambda a: regimen(a["weight"], a["rate"])),
    "suggest_start": (("weight",), lambda a: suggest_start(a["weight"], False)),
    "adjust": (("dose", "trough", "target", "weight"),
               lambda a: adjust(a["dose"], a["trough"], a["target"], weight=a["weight"])),
    "dose_findings": (("rate",), lambda a: dose_findings(a["rate"], None, None, __import__(
        "dosing.core.profile", fromlist=["default_profile"]).default_profile())),
    "units.require": (("weight",), lambda a: units.require(a["weight"], "weight", "weight")),
    "units.to_canonical": (("trough",), lambda a: units.require(a["trough"], "trough", "trough")),
}

CASES = [(fn, arg) for fn, (args, _) in CALLS.items() for arg in args]


@pytest.mark.parametrize("fn, arg", CASES)
@settings(max_examples=25, deadline=None)
@given(x=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-10**6, max_value=10**6)))
def test_every_core_function_refuses_a_bare_number(fn, arg, x):
    args = dict(GOOD)
    args[arg] = x
    with pytest.raises(UnitError) as e:
        CALLS[fn][1](args)
    assert "unit" in str(e.value) or "expected" in str(e.value)


# What each call gives with GOOD's quantities, hand-computed: 70 kg x 0.1 mg/kg/day = 7 mg/day (3.5 mg every
# 12 h); adjust 7 mg/day x 10 / 8 ng/mL = 8.75 mg/day; 0.1 mg/kg/day is between the floor 0.05 and ceiling 0.15.
EXPECTED_WITH_QUANTITIES = {
    "regimen": lambda r: (r.requested_daily_dose.value, r.requested_daily_dose.unit) == (7.0, "mg/day"),
    "suggest_start": lambda r: (r.requested_daily_dose.value, r.requested_daily_dose.unit) == (7.0, "mg/day"),
    "adjust": lambda a: a.computed_daily_dose is not None and a.computed_daily_dose.value == 8.75,
    "dose_findings": lambda found: found == [],
    "units.require": lambda q: q.to("kg").magnitude == 70,
    "units.to_canonical": lambda q: q.to("ng/mL").magnitude == 8,
}


@pytest.mark.parametrize("fn", list(CALLS))
def test_the_same_calls_work_with_quantities(fn):
    assert EXPECTED_WITH_QUANTITIES[fn](CALLS[fn][1](dict(GOOD)))
