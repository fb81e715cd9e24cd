"""Snapshots of the main screens at 80x24 (the list, the patient page and the plots also at 160x48),
with today fixed at 2026-11-22 and the clock at 09:00 (the list's "updated" mark).

Update after an intended change with `pytest tests/test_tui_snapshots.py --snapshot-update`
and look at the report before committing the new SVGs.
"""
from __future__ import annotations

import datetime as dt

import pytest
from textual.widgets import Input

from dosing.core.models import Event, Patient
from dosing.store.db import Store
from tui.app import make_app

TODAY = dt.date(2026, 11, 22)
SHOWN_DB = "/srv/clinic/tacro.db"  # a fixed path for the help text, whatever tmp_path is


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "tacro.db") as s:
        s.add_patient(Patient(patient_id="P-001", label="clinic A"))
        s.save_event(Event(patient_id="P-001", date="2026-11-01", weight="70 kg", creatinine="70 umol/L",
                           sbp="120 mmHg", dbp="80 mmHg"))
        s.save_event(Event(patient_id="P-001", date="2026-11-02", event="start", dose="7 mg/day"))
        s.add_patient(Patient(patient_id="P-002", label="clinic B", prior_cyclosporine_nephrotoxicity=True))
        s.save_event(Event(patient_id="P-002", date="2026-11-20", event="start", dose="3.5 mg/day",
                           weight="70 kg", creatinine="60 umol/L", sbp="130 mmHg", dbp="85 mmHg"))
        yield s


def with_visit(store: Store) -> None:
    store.save_event(Event(patient_id="P-001", date="2026-11-16", weight="154 lb", trough="25 nmol/L",
                           creatinine="1.04 mg/dL", sbp="150 mmHg", dbp="95 mmHg"),
                     {"weight": "154 lb", "trough": "25 nmol/L", "creatinine": "1.04 mg/dL"})


def app_for(store: Store):
    return make_app(store, today=TODAY, db_path=SHOWN_DB, now=lambda: dt.datetime(2026, 11, 22, 9, 0), poll=None)


SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])


def steps(*keys: str, fields: dict[str, str] | None = None, after: tuple[str, ...] = ()):
    """A run_before: wait for the list, press keys, paste fields, press more keys, stop cursors blinking."""
    async def run(pilot) -> None:
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.press(*keys)
        for name, text in (fields or {}).items():
            field = pilot.app.screen.query_one(f"#{name}", Input)
            field.focus()
            field.clear()
            field.insert_text_at_cursor(text)
        await pilot.pause()
        await pilot.press(*after)
        await pilot.app.workers.wait_for_complete()
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    return run


@SIZES
def test_patient_list(snap_compare, store, size):
    with_visit(store)
    assert snap_compare(app_for(store), terminal_size=size, run_before=steps())


@SIZES
def test_patient_summary_after_a_visit(snap_compare, store, size):
    with_visit(store)
    assert snap_compare(app_for(store), terminal_size=size, run_before=steps("enter"))


@SIZES
def test_patient_plots(snap_compare, store, size):
    with_visit(store)
    assert snap_compare(app_for(store), terminal_size=size, run_before=steps("enter", "g"))


def test_visit_form_with_a_refused_creatinine(snap_compare, store):
    fields = {"date": "2026-11-16", "weight": "154 lb", "trough": "25 nmol/L", "creatinine": "90 mg/dL"}
    assert snap_compare(app_for(store), terminal_size=(80, 24),
                        run_before=steps("enter", "v", fields=fields, after=("ctrl+s",)))


def test_tenfold_dose_confirmation(snap_compare, store):
    fields = {"date": "2026-11-16", "dose": "70 mg/day"}
    assert snap_compare(app_for(store), terminal_size=(80, 24),
                        run_before=steps("enter", "v", fields=fields, after=("ctrl+s",)))


def test_calculator_adjustment(snap_compare, store):
    fields = {"adj-dose": "7 mg/day", "adj-trough": "20.2 ng/mL", "adj-target": "10 ng/mL", "adj-weight": "70 kg"}
    assert snap_compare(app_for(store), terminal_size=(80, 24), run_before=steps("c", "ctrl+t", fields=fields))


def test_replay_case_3_at_the_creatinine_rise(snap_compare, store):
    assert snap_compare(app_for(store), terminal_size=(80, 24), run_before=steps("r", "3", "n", "n", "n", "n"))


def test_replay_quiz_reveal_case_3_start(snap_compare, store):
    assert snap_compare(app_for(store), terminal_size=(80, 24),
                        run_before=steps("r", "3", "q", fields={"quiz-dose": "0.04 mg/kg/day"},
                                         after=("shift+tab", "down", "enter")))


def test_replay_case_3_timeline(snap_compare, store):
    assert snap_compare(app_for(store), terminal_size=(100, 30),
                        run_before=steps("r", "3", "n", "n", "n", "n", "t"))
