"""A named corpus of bad inputs (reliability.md §1): each refused with field, value and expectation."""
from __future__ import annotations

import math

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosing.core.errors import InputError
from dosing.core.models import Event

BASE = {"patient_id": "p-001", "date": "2026-01-10"}

QUANTITY_FIELDS = {
    "weight": ("70 kg", "kg"),
    "dose": ("7 mg/day", "mg/day"),
    "dose_rate": ("0.1 mg/kg/day", "mg/kg/day"),
    "trough": ("8 ng/mL", "ng/mL"),
    "creatinine": ("90 umol/L", "umol/L"),
    "sbp": ("120 mmHg", "mmHg"),
    "dbp": ("80 mmHg", "mmHg"),
    "hours_post_dose": ("12 h", "h"),
}

# (name, value) pairs that are bad for any quantity field; {u} is the field's own unit
GENERIC_BAD = [
    ("bare-int", 70), ("bare-float", 70.0), ("bare-string", "70"), ("bool", True), ("list", [70, "kg"]),
    ("empty", ""), ("blank", "   "), ("nan", "nan {u}"), ("inf", "inf {u}"), ("minus-inf", "-inf {u}"),
    ("overflow", "1e400 {u}"), ("decimal-comma", "7,5 {u}"), ("words", "seventy {u}"), ("unit-only", "{u}"),
    ("unknown-unit", "70 U"), ("pint-only-unit", "70 furlong"), ("letter-o-for-zero", "7O {u}"),
    ("hex", "0x10 {u}"), ("doubled-unit", "70 {u} {u}"), ("dict-wrong-keys", {"v": 70, "u": "{u}"}),
    ("dict-string-value", {"value": "70", "unit": "{u}"}), ("negative", "-5 {u}"),
]

WRONG_DIMENSION = {
    "weight": ["70 mmHg", "70 mg/dL", "70 h"], "dose": ["7 mg", "7 mg/kg/day", "7 kg"],
    "dose_rate": ["0.1 /day", "0.1 mg/day", "0.1 mg"], "trough": ["8 ng", "8 mmHg", "8 mg/day"],
    "creatinine": ["90 mg", "90 umol", "90 mmHg"], "sbp": ["120 kPa", "120 mg", "120 kg"],
    "dbp": ["80 cmH2O", "80 kg", "80 h"], "hours_post_dose": ["12 kg", "12 mg/dL", "12 mmHg"],
}

IMPLAUSIBLE = {
    "weight": ["0 kg", "700 kg", "154 kg/lb", "5 kg", "1000 lb"],
    "dose": ["500 mg/day", "101 mg/day"],
    "dose_rate": ["1.5 mg/kg/day", "10 mg/kg/day"],
    "trough": ["-1 ng/mL", "250 ng/mL", "300 nmol/L"],
    "creatinine": ["90 mg/dL", "0 umol/L", "5 umol/L", "2500 umol/L", "30 mmol/L"],
    "sbp": ["0 mmHg", "30 mmHg", "400 mmHg"], "dbp": ["0 mmHg", "10 mmHg", "250 mmHg"],
    "hours_post_dose": ["-1 h", "72 h", "5 day"],
}

CASES: list[tuple[str, dict, str]] = []
for field, (_good, unit) in QUANTITY_FIELDS.items():
    other = {"sbp": {"dbp": "60 mmHg"}, "dbp": {"sbp": "200 mmHg"}, "hours_post_dose": {"trough": "8 ng/mL"}}
    extra = other.get(field, {})
    for name, bad in GENERIC_BAD:
        if isinstance(bad, str):
            bad = bad.replace("{u}", unit)
        elif isinstance(bad, dict):
            bad = {k: (v.replace("{u}", unit) if isinstance(v, str) else v) for k, v in bad.items()}
        CASES.append((f"{field}:{name}", {**extra, field: bad}, field))
    for i, bad in enumerate(WRONG_DIMENSION[field]):
        CASES.append((f"{field}:wrong-dimension-{i}", {**extra, field: bad}, field))
    for i, bad in enumerate(IMPLAUSIBLE[field]):
        CASES.append((f"{field}:implausible-{i}", {**extra, field: bad}, field))

for name, value in [("month-13", "2026-13-01"), ("feb-30", "2026-02-30"), ("dmy", "22/11/2026"),
                    ("empty", ""), ("word", "yesterday"), ("future", "2027-01-01"), ("far-future", "2999-12-31"),
                    ("ancient", "1900-01-01"), ("int", 20261122), ("with-time", "2026-11-22T10:00"),
                    ("us-order", "11/22/2026"), ("year-only", "2026"), ("float", 2026.11)]:
    CASES.append((f"date:{name}", {"date": value}, "date"))

for name, value in [("unknown", "begin"), ("punctuated", "start!"), ("int", 3), ("list", ["visit"]),
                    ("typo", "dose-change"), ("plural", "visits")]:
    CASES.append((f"event:{name}", {"event": value}, "event"))

for name, value in [("unknown", "patch"), ("spaced", "IR capsule"), ("int", 5), ("brand", "Prograf")]:
    CASES.append((f"product:{name}", {"product": value}, "product"))

for name, value in [("empty", ""), ("blank", "   "), ("nul", "p\x00"), ("newline", "p\n1"), ("too-long", "x" * 65),
                    ("int", 12), ("none", None), ("tab", "p\t1")]:
    CASES.append((f"patient_id:{name}", {"patient_id": value}, "patient_id"))

CROSS = [
    ("dbp-above-sbp", {"sbp": "120 mmHg", "dbp": "130 mmHg"}, "dbp"),
    ("dbp-equals-sbp", {"sbp": "120 mmHg", "dbp": "120 mmHg"}, "dbp"),
    ("only-sbp", {"sbp": "120 mmHg"}, "dbp"),
    ("only-dbp", {"dbp": "80 mmHg"}, "sbp"),
    ("both-dose-forms", {"dose": "7 mg/day", "dose_rate": "0.1 mg/kg/day"}, "dose"),
    ("start-without-dose", {"event": "start"}, "dose"),
    ("dose-change-without-dose", {"event": "dose_change"}, "dose"),
    ("hours-without-trough", {"hours_post_dose": "12 h"}, "hours_post_dose"),
    ("unknown-field", {"haemoglobin": "12 g/dL"}, "haemoglobin"),
]
for name, row, field in CROSS:
    CASES.append((f"cross:{name}", row, field))


def test_the_corpus_has_at_least_200_named_bad_inputs():
    assert len(CASES) >= 200
    assert len({name for name, _, _ in CASES}) == len(CASES)


@pytest.mark.parametrize("name, row, field", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_with_field_value_and_expectation(name, row, field):
    with pytest.raises(pydantic.ValidationError) as e:
        Event.model_validate({**BASE, **row})
    errors = e.value.errors()
    if field == "haemoglobin":  # extra="forbid": pydantic names the field itself
        assert errors[0]["loc"] == ("haemoglobin",)
        return
    causes = [err.get("ctx", {}).get("error") for err in errors]
    ours = [c for c in causes if isinstance(c, InputError)]
    assert ours, f"{name}: no project error among {errors}"
    err = ours[0]
    assert err.field == field
    msg = str(err)
    assert msg.startswith(f"{field}:") and "expected" in msg
    if field != "patient_id":
        assert "got" in msg
    else:
        assert "withheld" in msg  # a patient id is never echoed


QUANTITY_TEXT = st.one_of(
    st.text(max_size=20),
    st.builds(lambda x, u: f"{x} {u}", st.floats(allow_nan=True, allow_infinity=True),
              st.sampled_from(["kg", "lb", "mg/day", "mg/kg/day", "ng/mL", "nmol/L", "umol/L", "mg/dL", "mmHg", "h",
                               "U", "u", "g", "%", ""])),
    st.floats(), st.integers(), st.none(), st.booleans(),
)


@settings(max_examples=400, deadline=None)
@given(field=st.sampled_from(sorted(QUANTITY_FIELDS)), value=QUANTITY_TEXT)
def test_validation_raises_only_validation_errors(field, value):
    extra = {"sbp": {"dbp": "30 mmHg"}, "dbp": {"sbp": "250 mmHg"}, "hours_post_dose": {"trough": "8 ng/mL"}}
    try:
        e = Event.model_validate({**BASE, **extra.get(field, {}), field: value})
    except pydantic.ValidationError as ex:
        for err in ex.errors():
            cause = err.get("ctx", {}).get("error")
            assert cause is None or isinstance(cause, InputError)
        return
    q = getattr(e, field)
    assert q is None or math.isfinite(float(q.magnitude))
