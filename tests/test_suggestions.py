"""Regimens and adjustments as a prescriber writes them: a table of hand-computed cases (issue 14).

Rule under test (contract §5): the daily total is rounded to the nearest amount the
product makes as two doses 12 h apart, ties to the lower; equal doses where the
total allows, otherwise the larger dose in the morning, with the nearest equal
regimen beside it; across the ceiling or the floor, the neighbour on the other side.
Capsules (0.5, 1, 5 mg) make every total in 0.5 mg/day steps from 1 mg/day, equal
doses only on whole mg/day; granules (0.2, 1 mg) every 0.2 mg/day step from 0.4,
equal doses only on multiples of 0.4 mg/day.
"""
from __future__ import annotations

import pytest

from dosing.core.adjust import adjust
from dosing.core.errors import ImplausibleValueError
from dosing.core.regimen import OutputLimitError, regimen
from dosing.core.units import parse

C1, C05, C5 = "1 mg", "0.5 mg", "5 mg"


def _reg(weight, rate, product=None):
    return regimen(parse(weight, "weight", "w"), parse(rate, "dose_rate", "r"), product)


def _options(r) -> list[tuple[str, float, str]]:
    return [(o.label, o.daily_dose.value, o.text()) for o in r.options]


# weight, rate, product -> [(label, mg/day, regimen text)], the suggestion first; why (hand arithmetic)
DOSE_CASES = [
    ("73 kg", "0.1 mg/kg/day", None,
     [("nearest to what was asked", 7.5, "4 mg morning (4 × 1 mg) + 3.5 mg evening (3 × 1 mg + 1 × 0.5 mg)"),
      ("nearest equal doses", 7.0, "3.5 mg every 12 h (3 × 1 mg + 1 × 0.5 mg)")]),
    # 7.3 asked: 7.5 is 0.2 away, 7 is 0.3; equal doses only on whole mg: 7 (0.3) beats 8 (0.7)
    ("70 kg", "0.1 mg/kg/day", None,
     [("nearest to what was asked", 7.0, "3.5 mg every 12 h (3 × 1 mg + 1 × 0.5 mg)")]),
    ("70 kg", "0.15 mg/kg/day", None,
     [("nearest to what was asked", 10.5, "5.5 mg morning (1 × 5 mg + 1 × 0.5 mg) + 5 mg evening (1 × 5 mg)"),
      ("nearest equal doses", 10.0, "5 mg every 12 h (1 × 5 mg)")]),
    # 10.5 exact; equal 10 and 11 tie at 0.5 -> the lower, 10
    ("50 kg", "0.11 mg/kg/day", None,
     [("nearest to what was asked", 5.5, "3 mg morning (3 × 1 mg) + 2.5 mg evening (2 × 1 mg + 1 × 0.5 mg)"),
      ("nearest equal doses", 5.0, "2.5 mg every 12 h (2 × 1 mg + 1 × 0.5 mg)")]),
    ("70 kg", "0.18 mg/kg/day", None,
     [("nearest to what was asked", 12.5,
       "6.5 mg morning (1 × 5 mg + 1 × 1 mg + 1 × 0.5 mg) + 6 mg evening (1 × 5 mg + 1 × 1 mg)"),
      ("nearest equal doses", 13.0, "6.5 mg every 12 h (1 × 5 mg + 1 × 1 mg + 1 × 0.5 mg)")]),
    # 12.6 -> 12.5 (0.1 away); equal: 13 (0.4) beats 12 (0.6); asked above the ceiling: no neighbour
    ("60 kg", "0.1 mg/kg/day", "granules",
     [("nearest to what was asked", 6.0, "3 mg every 12 h (3 × 1 mg)")]),
    ("55 kg", "0.07 mg/kg/day", "granules",
     [("nearest to what was asked", 3.8, "2 mg morning (2 × 1 mg) + 1.8 mg evening (1 × 1 mg + 4 × 0.2 mg)"),
      ("nearest equal doses", 4.0, "2 mg every 12 h (2 × 1 mg)")]),
    # 3.85 -> 3.8 (0.05) not 4.0 (0.15); equal on 0.4 steps: 4.0 (0.15) beats 3.6 (0.25)
    ("45 kg", "0.05 mg/kg/day", None,
     [("nearest to what was asked", 2.0, "1 mg every 12 h (1 × 1 mg)"),
      ("at or above the low-efficacy floor", 2.5, "1.5 mg morning (1 × 1 mg + 1 × 0.5 mg) + 1 mg evening (1 × 1 mg)")]),
    # 2.25: 2 and 2.5 tie -> 2 = 0.0444 mg/kg/day, below the floor asked for -> 2.5 = 0.0556 shown
    ("154 lb", "0.1 mg/kg/day", None,
     [("nearest to what was asked", 7.0, "3.5 mg every 12 h (3 × 1 mg + 1 × 0.5 mg)")]),
    # 69.85 kg x 0.1 = 6.985 -> 7
    ("100 kg", "0.15 mg/kg/day", None,
     [("nearest to what was asked", 15.0, "7.5 mg every 12 h (1 × 5 mg + 2 × 1 mg + 1 × 0.5 mg)")]),
    ("132 lb", "0.15 mg/kg/day", None,
     [("nearest to what was asked", 9.0, "4.5 mg every 12 h (4 × 1 mg + 1 × 0.5 mg)"),
      ("at or below the ceiling", 8.5, "4.5 mg morning (4 × 1 mg + 1 × 0.5 mg) + 4 mg evening (4 × 1 mg)")]),
    # 59.87 kg x 0.15 = 8.981 -> 9 = 0.1503 mg/kg/day, above the ceiling asked for -> 8.5 = 0.142
    ("73 kg", "0.15 mg/kg/day", None,
     [("nearest to what was asked", 11.0, "5.5 mg every 12 h (1 × 5 mg + 1 × 0.5 mg)"),
      ("at or below the ceiling", 10.5, "5.5 mg morning (1 × 5 mg + 1 × 0.5 mg) + 5 mg evening (1 × 5 mg)")]),
    # 10.95 -> 11 = 0.1507 -> 10.5 = 0.1438
    ("44 kg", "0.05 mg/kg/day", None,
     [("nearest to what was asked", 2.0, "1 mg every 12 h (1 × 1 mg)"),
      ("at or above the low-efficacy floor", 2.5, "1.5 mg morning (1 × 1 mg + 1 × 0.5 mg) + 1 mg evening (1 × 1 mg)")]),
    # 2.2 -> 2 (0.2 vs 0.3) = 0.0455 < 0.05 -> 2.5 = 0.0568
    ("20 kg", "0.01 mg/kg/day", None,
     [("smallest this product makes", 1.0, "0.5 mg every 12 h (1 × 0.5 mg)")]),
    # 0.2 mg/day: nothing (0.2 away) beats 1 mg/day (0.8 away) -> rounds to zero -> the smallest regimen
    ("20 kg", "0.03 mg/kg/day", "granules",
     [("nearest to what was asked", 0.6, "0.4 mg morning (2 × 0.2 mg) + 0.2 mg evening (1 × 0.2 mg)"),
      ("nearest equal doses", 0.4, "0.2 mg every 12 h (1 × 0.2 mg)")]),
    # 0.6 exact; equal on 0.4 steps: 0.4 and 0.8 tie -> 0.4; asked below the floor: no neighbour
    ("350 kg", "0.25 mg/kg/day", None,
     [("nearest to what was asked", 87.5,
       "44 mg morning (8 × 5 mg + 4 × 1 mg) + 43.5 mg evening (8 × 5 mg + 3 × 1 mg + 1 × 0.5 mg)"),
      ("nearest equal doses", 87.0, "43.5 mg every 12 h (8 × 5 mg + 3 × 1 mg + 1 × 0.5 mg)")]),
    ("20 kg", "1 mg/kg/day", None,
     [("nearest to what was asked", 20.0, "10 mg every 12 h (2 × 5 mg)")]),
    # exactly at the plausible maximum of 1 mg/kg/day: allowed
    ("65 kg", "0.1 mg/kg/day", None,
     [("nearest to what was asked", 6.5, "3.5 mg morning (3 × 1 mg + 1 × 0.5 mg) + 3 mg evening (3 × 1 mg)"),
      ("nearest equal doses", 6.0, "3 mg every 12 h (3 × 1 mg)")]),
    ("132 lb", "0.1 mg/kg/day", None,
     [("nearest to what was asked", 6.0, "3 mg every 12 h (3 × 1 mg)")]),
    ("50 kg", "0.1 mg/kg/day", "granules",
     [("nearest to what was asked", 5.0, "2.6 mg morning (2 × 1 mg + 3 × 0.2 mg) + 2.4 mg evening (2 × 1 mg + 2 × 0.2 mg)"),
      ("nearest equal doses", 4.8, "2.4 mg every 12 h (2 × 1 mg + 2 × 0.2 mg)")]),
    # 5.0: 2.5 per dose is not a 0.2 step -> 2.6 + 2.4; equal 4.8 and 5.2 tie -> 4.8
    ("70 kg", "0.45 mg/kg/day", None,
     [("nearest to what was asked", 31.5, "16 mg morning (3 × 5 mg + 1 × 1 mg) + 15.5 mg evening (3 × 5 mg + 1 × 0.5 mg)"),
      ("nearest equal doses", 31.0, "15.5 mg every 12 h (3 × 5 mg + 1 × 0.5 mg)")]),
    # equal 31 and 32 tie at 0.5 -> 31
]


@pytest.mark.parametrize("weight, rate, product, expected", DOSE_CASES)
def test_dose_table(weight, rate, product, expected):
    r = _reg(weight, rate, product)
    assert _options(r) == expected
    first = r.options[0]
    made = sum(c.strength.value * c.count for a in first.administrations for c in a.capsules)
    per_day = made * (2 if len(first.administrations) == 1 else 1)
    assert per_day == pytest.approx(first.daily_dose.value)
    if not first.equal:
        morning, evening = (a.amount.value for a in first.administrations)
        assert morning > evening  # the larger dose in the morning (profile larger_dose_in_morning)


@pytest.mark.parametrize("weight, rate", [("150 kg", "1 mg/kg/day"), ("120 kg", "0.9 mg/kg/day")])
def test_dose_above_the_plausible_maximum_is_refused(weight, rate):
    with pytest.raises(OutputLimitError) as e:
        _reg(weight, rate)
    assert "100 mg/day" in str(e.value) and weight.split()[0] in str(e.value)


def test_unequal_comparison_says_which_is_closer():
    r = _reg("73 kg", "0.1 mg/kg/day")
    assert r.comparison == ("The unequal regimen is closer to the 7.3 mg/day asked (0.2 mg/day away) than the "
                            "nearest equal doses (0.3 mg/day away).")


def test_far_above_the_ceiling_is_graded_alert():
    warn = _reg("350 kg", "0.25 mg/kg/day").findings
    alert = _reg("70 kg", "0.45 mg/kg/day").findings
    assert [(f.rule, f.severity) for f in warn] == [("DOSE_ABOVE_CEILING", "warn")]
    assert [(f.rule, f.severity) for f in alert] == [("DOSE_ABOVE_CEILING", "alert")]
    assert "3 times the ceiling" in alert[0].message


def test_a_comparison_shows_the_digits_that_make_it_true():
    f = _reg("132 lb", "0.15 mg/kg/day").findings[0]
    assert "Dose 0.1503 mg/kg/day" in f.message and "ceiling of 0.15 mg/kg/day" in f.message


def _adj(dose, trough, target, weight=None, product=None, context=()):
    w = parse(weight, "weight", "w") if weight else None
    return adjust(parse(dose, "daily_dose", "d"), parse(trough, "trough", "t"), parse(target, "trough", "t2"),
                  product, w, list(context))


# dose, trough, target, weight, product -> decision, [(label, mg/day)], predicted trough of the first option
ADJUST_CASES = [
    ("4.5 mg/day", "8 ng/mL", "8 ng/mL", None, None, "keep", [("current regimen", 4.5)], 8.0),
    ("4.5 mg/day", "7.9 ng/mL", "8 ng/mL", None, None, "keep", [("current regimen", 4.5)], 7.9),
    # 4.557 rounds to 4.5, the regimen in force
    ("5 mg/day", "10 ng/mL", "5 ng/mL", None, None, "decrease",
     [("nearest to the computed dose", 2.5), ("nearest equal doses", 2.0), ("current regimen", 5.0)], 5.0),
    # exact 2.5 now (it was 2 with equal doses); equal 2 and 3 tie -> 2
    ("1 mg/day", "10 ng/mL", "5 ng/mL", None, None, "keep", [("current regimen", 1.0)], 10.0),
    # 0.5 rounds to nothing; the smallest capsule regimen (1 mg/day) is the one in force
    ("7 mg/day", "20.2 ng/mL", "10 ng/mL", None, None, "decrease",
     [("nearest to the computed dose", 3.5), ("nearest equal doses", 3.0), ("current regimen", 7.0)], 10.1),
    # 3.465 -> 3.5; predicted 20.2 x 3.5 / 7 = 10.1
    ("7 mg/day", "5 ng/mL", "10 ng/mL", None, None, "increase",
     [("nearest to the computed dose", 14.0), ("current regimen", 7.0)], 10.0),
    ("7 mg/day", "25 nmol/L", "10 ng/mL", None, None, "decrease",
     [("nearest to the computed dose", 3.5), ("nearest equal doses", 3.0), ("current regimen", 7.0)], 10.05),
    # 25 nmol/L x 0.804 = 20.1 ng/mL; 7 x 10 / 20.1 = 3.483 -> 3.5; predicted 20.1 x 0.5 = 10.05
    ("10 mg/day", "9 ng/mL", "10 ng/mL", None, None, "keep",
     [("current regimen", 10.0), ("nearest to the computed dose (not meaningfully closer)", 11.0)], 9.0),
    # 11.1 -> 11 predicts 9.9: 0.9 ng/mL closer, less than 10% of 10
    ("10 mg/day", "8 ng/mL", "10 ng/mL", None, None, "increase",
     [("nearest to the computed dose", 12.5), ("nearest equal doses", 12.0), ("current regimen", 10.0)], 10.0),
    ("10 mg/day", "7 ng/mL", "10 ng/mL", "70 kg", None, "increase",
     [("nearest to the computed dose", 14.5), ("nearest equal doses", 14.0), ("current regimen", 10.0)], 10.15),
    # 14.29 -> 14.5 (0.21 vs 0.29); asked 0.204 mg/kg/day is already above the ceiling: no neighbour
    ("9 mg/day", "9 ng/mL", "10 ng/mL", "70 kg", None, "increase",
     [("nearest to the computed dose", 10.0), ("current regimen", 9.0)], 10.0),
    # gain exactly 1 ng/mL = 10% of the target: enough
    ("9 mg/day", "8.5 ng/mL", "10 ng/mL", "70 kg", None, "increase",
     [("nearest to the computed dose", 10.5), ("nearest equal doses", 11.0), ("current regimen", 9.0)], 9.9167),
    ("9 mg/day", "7.5 ng/mL", "9 ng/mL", "73 kg", None, "increase",
     [("nearest to the computed dose", 11.0), ("at or below the ceiling", 10.5), ("current regimen", 9.0)], 9.1667),
    # 10.8 (0.148 mg/kg/day) -> 11 = 0.1507, across the ceiling -> 10.5 = 0.1438 offered
    ("2 mg/day", "5 ng/mL", "8 ng/mL", None, "granules", "increase",
     [("nearest to the computed dose", 3.2), ("current regimen", 2.0)], 8.0),
    ("2 mg/day", "5 ng/mL", "7 ng/mL", None, "granules", "increase",
     [("nearest to the computed dose", 2.8), ("current regimen", 2.0)], 7.0),
    ("3 mg/day", "6 ng/mL", "5 ng/mL", None, "granules", "decrease",
     [("nearest to the computed dose", 2.4), ("current regimen", 3.0)], 4.8),
    # 2.5: 2.4 and 2.6 tie -> 2.4; predicted 4.8 is 0.8 closer, at least 0.5
    ("50 mg/day", "10 ng/mL", "15 ng/mL", None, None, "increase",
     [("nearest to the computed dose", 75.0), ("current regimen", 50.0)], 15.0),
]


@pytest.mark.parametrize("dose, trough, target, weight, product, decision, options, predicted", ADJUST_CASES)
def test_adjust_table(dose, trough, target, weight, product, decision, options, predicted):
    a = _adj(dose, trough, target, weight, product)
    assert a.decision == decision
    assert [(o.label, o.daily_dose.value) for o in a.options] == options
    assert a.options[0].predicted_trough.value == pytest.approx(predicted, abs=1e-3)
    assert any(o.label == "current regimen" for o in a.options)  # the regimen in force is always a candidate


def test_issue_example_unequal_current_regimen_is_kept_and_shown_as_written():
    a = _adj("4.5 mg/day", "8 ng/mL", "8 ng/mL")
    assert a.options[0].text() == "2.5 mg morning (2 × 1 mg + 1 × 0.5 mg) + 2 mg evening (2 × 1 mg)"
    assert a.headline.startswith("Keep the current regimen")


def test_units_are_reconciled_in_the_inputs():
    a = _adj("7 mg/day", "25 nmol/L", "10 ng/mL", "132 lb")
    assert a.inputs["measured trough"] == "20.1 ng/mL from 25 nmol/L"
    assert a.inputs["weight"] == "59.9 kg from 132 lb"
    assert a.measured_trough_used.value == pytest.approx(20.1)


@pytest.mark.parametrize("trough", ["0.5 ng/mL", "1e-7 ng/mL", "0 ng/mL"])
def test_a_trough_below_the_reportable_range_is_refused_not_extrapolated(trough):
    with pytest.raises(ImplausibleValueError) as e:
        _adj("7 mg/day", trough, "10 ng/mL")
    assert e.value.field == "trough" and "reportable range" in str(e.value)


@pytest.mark.parametrize("dose, trough, target", [("7 mg/day", "1.2 ng/mL", "25 ng/mL"),
                                                  ("80 mg/day", "10 ng/mL", "15 ng/mL")])
def test_an_adjustment_above_the_plausible_maximum_is_refused(dose, trough, target):
    with pytest.raises(OutputLimitError) as e:
        _adj(dose, trough, target)
    assert "100 mg/day" in str(e.value) and e.value.field == "trough"


def test_a_summary_shows_the_kilograms_used_beside_the_pounds_typed():
    assert _reg("154 lb", "0.1 mg/kg/day").summary().endswith("about 0.1 mg/kg/day on 69.9 kg from 154 lb")


def test_a_rule_registered_later_judges_every_suggestion(monkeypatch):
    """A dose-change rule added to the registry (as DOSE_JUMP will be) applies to adjust's options unaided."""
    import numpy as np

    from dosing.core import registry

    def doubled(h, as_of):  # fires where the new dose is at least twice the one in force
        old = h.take(h.mg, h.prev_dose_row)
        mask = h.increase & (h.mg >= 2 * old)
        return registry.hits_where(h, "WEIGHT_JUMP", mask, "dose", h.mg, "mg/day", old, ">=",
                                weight=h.mg, prev=old, prev_day=h.day.astype(float))

    monkeypatch.setitem(registry.RULES, "TEST_DOUBLED", doubled)
    a = _adj("7 mg/day", "5 ng/mL", "10 ng/mL")  # 14 mg/day: twice the dose in force
    assert [f.rule for f in a.options[0].findings] == ["WEIGHT_JUMP"]
    assert a.options[-1].label == "current regimen" and a.options[-1].findings == []
    assert np.isclose(a.options[0].findings[0].threshold.value, 7.0)


@pytest.mark.parametrize("total, written", [
    (5.5, "3 mg morning (3 × 1 mg) + 2.5 mg evening (2 × 1 mg + 1 × 0.5 mg)"),
    (6.5, "3.5 mg morning (3 × 1 mg + 1 × 0.5 mg) + 3 mg evening (3 × 1 mg)"),
    (7.5, "4 mg morning (4 × 1 mg) + 3.5 mg evening (3 × 1 mg + 1 × 0.5 mg)"),
    (9.5, "5 mg morning (1 × 5 mg) + 4.5 mg evening (4 × 1 mg + 1 × 0.5 mg)"),
])
@pytest.mark.parametrize("trough", ["8 ng/mL", "7.9 ng/mL", "8.1 ng/mL"])
def test_an_odd_total_on_target_is_kept_as_written(total, written, trough):
    a = _adj(f"{total} mg/day", trough, "8 ng/mL")
    assert a.decision == "keep" and a.options[0].text() == written
