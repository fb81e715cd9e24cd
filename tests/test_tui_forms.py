"""The app's Textual-free layer: form texts to core models, field routing, the dose confirmation, the boundary."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from dosing.core.assess import DoseInForce
from dosing.core.confirm import dose_jump
from dosing.core.models import Measure
from dosing.store.db import Store
from tui import forms

TODAY = dt.date(2026, 11, 22)


def dose(mg: float | None = None, rate: float | None = None) -> DoseInForce:
    return DoseInForce(since=dt.date(2026, 11, 2), product="ir-capsule",
                       daily_dose=Measure(value=mg, unit="mg/day") if mg is not None else None,
                       rate=Measure(value=rate, unit="mg/kg/day") if rate is not None else None,
                       weight=None, weight_date=None)


@pytest.mark.parametrize(("old", "new", "asks"), [
    (7, 35, True),  # exactly 5x: at the profile's ratio
    (7, 34.99, False),  # just below
    (7, 70, True),
    (7, 1.4, True),  # exactly 1/5
    (7, 1.41, False),
    (7, 7, False),
])
def test_the_dose_confirmation_at_its_ratio(profile, old, new, asks):
    assert (dose_jump(dose(old), dose(new), profile) is not None) is asks


def test_the_dose_confirmation_compares_rates_when_daily_doses_are_unknown(profile):
    assert dose_jump(dose(rate=0.1), dose(rate=1.0), profile) is not None
    assert dose_jump(dose(rate=0.1), dose(rate=0.15), profile) is None
    assert dose_jump(None, dose(70), profile) is None  # a first dose has nothing to compare with
    assert dose_jump(dose(7), None, profile) is None


def test_a_field_is_checked_alone_as_it_is_typed(profile):
    check = lambda name, text: forms.check_field(name, text, "P-1", profile, TODAY)  # noqa: E731
    assert check("weight", "154 lb") is None
    assert check("weight", "") is None  # blank: not measured
    assert "has no unit" in check("weight", "154")
    assert "plausibility" in check("creatinine", "90 mg/dL")
    assert check("hours_post_dose", "12 h") is None  # the trough it needs may come later in the form
    assert "below the systolic" in check("bp", "90/160 mmHg")
    assert "on or before today (2026-11-22)" in check("date", "2026-11-23")
    assert check("note", "anything [at all]") is None


def test_reading_a_visit_routes_each_core_error_to_its_form_field(profile):
    texts = {"date": "2026-11-20", "hours_post_dose": "12 h", "bp": "150/95 mmHg"}
    result = forms.read_visit(texts, "P-1", "visit", None, profile, TODAY)
    assert set(result.errors) == {"hours_post_dose"} and "a trough to go with it" in result.errors["hours_post_dose"]
    result = forms.read_visit({"date": "2026-11-20"}, "P-1", "start", None, profile, TODAY)
    assert "a dose on a start event" in result.errors["dose"]
    result = forms.read_visit({"date": "2026-11-20", "dose": "0.1 mg/kg/day", "weight": "70 kg"}, "P-1", "start",
                              None, profile, TODAY)
    assert result.ok and result.event.dose_rate is not None and result.event.dose is None


def test_what_was_typed_is_kept_by_the_store(tmp_path, profile):
    texts = {"date": "2026-11-20", "weight": "154 lb", "dose": "7 mg/day", "trough": "25 nmol/L",
             "creatinine": "1.04 mg/dL", "bp": "160/100 mmHg", "note": "felt well"}
    result = forms.read_visit(texts, "P-1", "start", None, profile, TODAY)
    assert result.ok, result.errors
    with Store.open(tmp_path / "t.db") as store:
        event_id = store.save_event(result.event, result.entered)
        saved = store.event_versions(event_id)[0]
        event = store.events("P-1")[0]
    assert saved["entered"]["weight"] == "154 lb" and saved["entered"]["creatinine"] == "1.04 mg/dL"
    assert saved["entered"]["sbp"] == "160 mmHg" and saved["entered"]["dbp"] == "100 mmHg"
    assert forms.prefill(event, saved["entered"]) == {**texts, "hours_post_dose": ""}


def test_a_new_patient_needs_the_baseline_and_its_id_is_never_echoed(profile):
    result = forms.read_new_patient({"patient_id": "P\x00-1", "date": "2026-11-01", "creatinine": "80 umol/L",
                                     "bp": "130/85 mmHg"}, False, profile, TODAY)
    assert "withheld" in result.errors["patient_id"] and "P\x00-1" not in result.errors["patient_id"]
    result = forms.read_new_patient({"patient_id": "P-1", "date": "2026-11-01"}, True, profile, TODAY)
    assert set(result.errors) == {"creatinine", "bp"}
    result = forms.read_new_patient({"patient_id": "P-1", "date": "2026-11-01", "creatinine": "0.9 mg/dL",
                                     "bp": "130/85 mmHg"}, True, profile, TODAY)
    assert result.ok and result.patient.prior_cyclosporine_nephrotoxicity
    assert result.event.event == "visit" and result.entered["creatinine"] == "0.9 mg/dL"


@pytest.mark.parametrize(("name", "text", "hint"), [
    ("trough", "25 nmol/L", "≈ 20.1 ng/mL"), ("creatinine", "1.04 mg/dL", "≈ 91.9 µmol/L"),
    ("weight", "154 lb", "≈ 69.9 kg"), ("weight", "70 kg", ""), ("trough", "nonsense", ""),
])
def test_a_value_in_another_unit_shows_its_conversion(name, text, hint):
    assert forms.hint(name, text) == hint


def test_the_forms_and_clinic_layers_load_no_textual():
    code = ("import tui.forms, tui.clinic, dosing.core.confirm, sys\n"
            "print(' '.join(m for m in sys.modules if m == 'textual' or m.startswith('textual.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_an_empty_visit_is_not_saved(profile):
    result = forms.read_visit({"date": "2026-11-20", "weight": " "}, "P-1", "visit", None, profile, TODAY)
    assert not result.ok and "Nothing to save" in result.errors["form"]
    assert forms.read_visit({"date": "2026-11-20"}, "P-1", "stop", None, profile, TODAY).ok  # a stop needs no value
