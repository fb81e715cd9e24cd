"""Every rule of contract §3 at its threshold: just below, at, just above (hand-computed)."""
from __future__ import annotations

import pytest

from tests.helpers import ev, findings

START = dict(event="start", dose="7 mg/day", weight="70 kg", creatinine="100 umol/L")


def _with(row: dict, rule: str) -> list:
    return findings([ev("2026-01-01", **START), ev("2026-01-10", **row)], rule)


@pytest.mark.parametrize(
    "trough, low, upper, high",
    [
        ("3.99 ng/mL", True, False, False),
        ("4 ng/mL", False, False, False),  # the range is 4-25: 4 is in range
        ("4.01 ng/mL", False, False, False),
        ("19.99 ng/mL", False, False, False),
        ("20 ng/mL", False, True, False),  # band is "from 20"
        ("20.2 ng/mL", False, True, False),  # case 2
        ("23.2 µg/L", False, True, False),  # case 3
        ("25 ng/mL", False, True, False),  # "up to 25" is in the band, not above the range
        ("25.01 ng/mL", False, False, True),
        ("31.1 nmol/L", False, False, True),  # 31.1 x 0.804 = 25.0044 ng/mL: above the range
    ],
)
def test_trough_bands(trough, low, upper, high):
    row = dict(trough=trough)
    assert bool(_with(row, "TROUGH_LOW")) is low
    assert bool(_with(row, "TROUGH_UPPER_BAND")) is upper
    assert bool(_with(row, "TROUGH_HIGH")) is high


def test_trough_in_nmol_per_l_is_judged_in_ng_per_ml():
    # 25 nmol/L x 0.804 = 20.1 ng/mL: in the upper band, shown as ~20.1 ng/mL
    (f,) = _with(dict(trough="25 nmol/L"), "TROUGH_UPPER_BAND")
    assert f.value.value == pytest.approx(20.1)
    assert f.value.unit == "ng/mL"
    assert "20.1 ng/mL" in f.message


@pytest.mark.parametrize("hours, fires", [("10.99 h", True), ("11 h", False), ("12 h", False), ("13 h", False),
                                          ("13.01 h", True), ("9 h", True), ("780 min", False)])
def test_trough_timing_window_11_to_13_h(hours, fires):
    assert bool(_with(dict(trough="8 ng/mL", hours_post_dose=hours), "TROUGH_TIMING")) is fires


def test_trough_timing_does_not_apply_to_once_daily_products():
    rows = [ev("2026-01-01", **{**START, "product": "pr-once-daily"}),
            ev("2026-01-10", trough="8 ng/mL", hours_post_dose="24 h")]
    assert findings(rows, "TROUGH_TIMING") == []


@pytest.mark.parametrize(
    "creatinine, fires",
    [("129.99 umol/L", False), ("130 umol/L", True), ("130.01 umol/L", True), ("129 umol/L", False),
     ("1.4706 mg/dL", True),  # 1.4706 mg/dL = 130.0 µmol/L (x 88.4017)
     ("1.47 mg/dL", False)],  # = 129.95 µmol/L
)
def test_creatinine_rise_30_percent_against_baseline_100(creatinine, fires):
    assert bool(_with(dict(creatinine=creatinine), "CREATININE_RISE")) is fires


@pytest.mark.parametrize(
    "bp, high, severe",
    [
        (("139 mmHg", "89 mmHg"), False, False),
        (("140 mmHg", "80 mmHg"), True, False),
        (("130 mmHg", "90 mmHg"), True, False),
        (("179 mmHg", "109 mmHg"), True, False),
        (("180 mmHg", "100 mmHg"), False, True),  # severe replaces high: one finding per reading
        (("170 mmHg", "110 mmHg"), False, True),
        (("160 mmHg", "105 mmHg"), True, False),  # case 1
        (("160 mmHg", "100 mmHg"), True, False),  # case 2
        (("190 mmHg", "110 mmHg"), False, True),  # case 3
    ],
)
def test_blood_pressure_grades(bp, high, severe):
    row = dict(sbp=bp[0], dbp=bp[1])
    assert bool(_with(row, "BP_HIGH")) is high
    assert bool(_with(row, "BP_SEVERE")) is severe


def test_bp_finding_names_the_component_that_crossed():
    (f,) = _with(dict(sbp="130 mmHg", dbp="95 mmHg"), "BP_HIGH")
    assert (f.value.value, f.threshold.value) == (95, 90)
    assert "130/95 mmHg" in f.message


@pytest.mark.parametrize(
    "rate, above, below",
    [("0.0499 mg/kg/day", False, True), ("0.05 mg/kg/day", False, False), ("0.1 mg/kg/day", False, False),
     ("0.15 mg/kg/day", False, False), ("0.1501 mg/kg/day", True, False), ("0.18 mg/kg/day", True, False),
     ("0.04 mg/kg/day", False, True), ("0.17 mg/kg/day", True, False)],
)
def test_dose_ceiling_and_floor(rate, above, below):
    rows = [ev("2026-01-01", event="start", dose_rate=rate)]
    assert bool(findings(rows, "DOSE_ABOVE_CEILING")) is above
    assert bool(findings(rows, "DOSE_BELOW_EFFECTIVE")) is below


def test_dose_in_mg_per_day_is_judged_per_kg_by_the_latest_weight():
    # 10.5 mg/day / 70 kg = 0.15 exactly: not above; 11 mg/day / 70 kg = 0.157: above
    assert findings([ev("2026-01-01", event="start", dose="10.5 mg/day", weight="70 kg")],
                    "DOSE_ABOVE_CEILING") == []
    (f,) = findings([ev("2026-01-01", event="start", dose="11 mg/day", weight="70 kg")], "DOSE_ABOVE_CEILING")
    assert f.value.value == pytest.approx(11 / 70, abs=1e-6)
    assert "11 mg/day by the latest weight" in f.message


def test_dose_rule_fires_once_per_dose_not_on_every_visit():
    rows = [ev("2026-01-01", event="start", dose_rate="0.18 mg/kg/day"),
            ev("2026-01-10", dose_rate="0.18 mg/kg/day", creatinine="80 umol/L"),
            ev("2026-01-20", creatinine="80 umol/L")]
    assert len(findings(rows, "DOSE_ABOVE_CEILING")) == 1


@pytest.mark.parametrize("second, fires", [("77 kg", False), ("77.01 kg", True), ("63 kg", False),
                                           ("62.99 kg", True), ("154 kg", True), ("154 lb", False)])
def test_weight_jump_more_than_10_percent(second, fires):
    rows = [ev("2026-01-01", weight="70 kg"), ev("2026-02-01", weight=second)]
    assert bool(findings(rows, "WEIGHT_JUMP")) is fires


class TestPaperNumbers:
    """The paper's own arithmetic, as the tool computes it."""

    def test_case2_rise_is_19_5_percent_against_baseline_not_16(self):
        rows = [ev("1996-10-01", "c2", event="start", dose_rate="0.1 mg/kg/day", creatinine="77 umol/L"),
                ev("1997-04-01", "c2", creatinine="92 umol/L")]
        assert findings(rows, "CREATININE_RISE", as_of="1997-04-02") == []
        from dosing.core.columns import from_events
        from dosing.core.history import History
        from dosing.core.profile import default_profile

        h = History(from_events(rows), default_profile())
        assert round(h.rise[1] * 100, 1) == 19.5  # (92-77)/77 = 0.19480...

    def test_case3_rise_is_131_percent(self):
        rows = [ev("1996-11-01", "c3", event="start", dose_rate="0.04 mg/kg/day", creatinine="90 umol/L"),
                ev("1997-01-01", "c3", creatinine="208 umol/L", trough="23.2 ng/mL")]
        (f,) = findings(rows, "CREATININE_RISE", as_of="1997-01-02")
        assert f.value.value == pytest.approx(131.11, abs=0.01)  # (208-90)/90 = 1.3111
        assert f.threshold.value == 30
        assert "131.1% above the baseline 90 µmol/L" in f.message
        assert f.basis["baseline_creatinine"].startswith("90 µmol/L on 1996-11-01")

    def test_case1_creatinine_fall_is_no_rise(self):
        rows = [ev("1996-06-01", "c1", event="start", dose_rate="0.07 mg/kg/day", creatinine="81 umol/L"),
                ev("1997-03-01", "c1", creatinine="70 umol/L")]
        assert findings(rows, "CREATININE_RISE", as_of="1997-03-02") == []


def test_baseline_is_latest_creatinine_on_or_before_first_start():
    rows = [ev("2025-12-01", creatinine="200 umol/L"), ev("2025-12-20", creatinine="100 umol/L"),
            ev("2026-01-01", event="start", dose="7 mg/day"), ev("2026-01-10", creatinine="131 umol/L")]
    (f,) = findings(rows, "CREATININE_RISE")
    assert f.basis["baseline_creatinine"].startswith("100 µmol/L on 2025-12-20")


def test_baseline_assumed_when_no_creatinine_before_start_and_says_so():
    rows = [ev("2026-01-01", event="start", dose="7 mg/day"), ev("2026-01-10", creatinine="100 umol/L"),
            ev("2026-01-20", creatinine="140 umol/L")]
    (f,) = findings(rows, "CREATININE_RISE")
    assert "baseline assumed" in f.message
    assert f.basis["baseline_creatinine"].endswith("(assumed)")


def test_every_finding_carries_value_threshold_source_and_basis():
    rows = [ev("2026-01-01", event="start", dose_rate="0.18 mg/kg/day", creatinine="90 umol/L", weight="70 kg"),
            ev("2026-01-10", creatinine="208 umol/L", trough="26 ng/mL", hours_post_dose="8 h",
               sbp="190 mmHg", dbp="110 mmHg", weight="80 kg")]
    found = findings(rows)
    assert {f.rule for f in found} >= {"CREATININE_RISE", "TROUGH_HIGH", "TROUGH_TIMING", "BP_SEVERE",
                                       "DOSE_ABOVE_CEILING", "WEIGHT_JUMP"}
    for f in found:
        assert f.value is not None and f.threshold is not None and f.source and f.basis and f.message


def test_without_any_start_the_baseline_is_the_first_creatinine_not_the_latest():
    rows = [ev("2026-01-01", creatinine="90 umol/L"), ev("2026-01-10", creatinine="130 umol/L")]
    (f,) = findings(rows, "CREATININE_RISE")
    assert f.value.value == pytest.approx(44.44, abs=0.01)
    assert "baseline assumed" in f.message
