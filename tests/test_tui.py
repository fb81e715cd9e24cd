"""The visit log driven with Pilot on a real (temporary) store: the clinic's main flows, keyboard only."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap

import pytest
from textual.widgets import DataTable, Input, Select

from dosing.core.models import Event, Patient
from dosing.store.db import Store
from tui.app import TacroApp, crash_report, make_app
from tui.screens.add_patient import AddPatientScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.patient import PatientScreen
from tui.screens.patients import PatientListScreen
from tui.screens.replay import ReplayScreen
from tui.screens.visit import VisitScreen

TODAY = dt.date(2026, 11, 22)
SIZE = (100, 30)
PLANTED = "PLANTED-Jane-Doe-0042"


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "tacro.db") as s:
        yield s


def started(store: Store, pid: str = "P-001", dose: str = "7 mg/day") -> None:
    """A patient with a baseline visit on 2026-11-01 and a start on 2026-11-02."""
    store.add_patient(Patient(patient_id=pid, label="clinic A"))
    store.save_event(Event(patient_id=pid, date="2026-11-01", weight="70 kg", creatinine="70 umol/L",
                           sbp="120 mmHg", dbp="80 mmHg"))
    store.save_event(Event(patient_id=pid, date="2026-11-02", event="start", dose=dose))


def text_of(app) -> str:
    """What the terminal shows now, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def type_into(pilot, input_id: str, text: str, keys: bool = False) -> None:
    """Focus a field, clear it, and enter `text`: pasted, or with `keys` typed key by key.

    Pilot waits for the app to go idle after every key (about 60 ms here), so most
    fields are pasted; a few are typed to show that typing itself works.
    """
    field = pilot.app.screen.query_one(f"#{input_id}", Input)
    field.focus()
    field.clear()
    if keys:
        await pilot.press(*text)
    else:
        field.insert_text_at_cursor(text)
        await pilot.pause()


async def choose(pilot, select_id: str, value: str) -> None:
    """Pick an option of a Select with the keyboard."""
    select = pilot.app.screen.query_one(f"#{select_id}", Select)
    select.focus()
    await pilot.press("enter")
    for _ in range(6):
        await pilot.press("down")
        highlighted = select.query_one("SelectOverlay").highlighted
        if select._options[highlighted][1] == value:
            break
    await pilot.press("enter")
    assert select.value == value


async def open_visit_form(pilot) -> None:
    """From the patient list: open the highlighted patient, then its visit form."""
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("v")
    assert isinstance(pilot.app.screen, VisitScreen)


async def until(pilot, what: str, predicate) -> None:
    """Wait for the app to reach a state (a result shown, a message beside a field), never for a time.

    The screen handles Input.Changed after the message has bubbled up from the field, which a
    single pause does not promise on a busy machine; this checks the state after each pause.
    """
    for _ in range(500):  # a bound on rounds, not on time: each round ends when the app is idle
        if predicate():
            return
        await pilot.pause()
    raise AssertionError(f"the app never showed {what}")


def result_of(app, widget_id: str) -> str:
    return str(app.screen.query_one(f"#{widget_id}").render())


def message(app, name: str) -> str:
    return str(app.screen.query_one(f"#{name}-message").render())


# ---------------------------------------------------------------------------- main flow
async def test_add_a_patient_log_a_visit_in_mixed_units_and_see_the_finding_and_next_check(store):
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "No patients yet" in text_of(app)
        await pilot.press("a")
        assert isinstance(app.screen, AddPatientScreen)
        await pilot.press(*"P-001")
        await type_into(pilot, "date", "2026-11-01")
        await type_into(pilot, "weight", "70 kg")
        await type_into(pilot, "creatinine", "70 umol/L")
        await type_into(pilot, "bp", "120/80 mmHg")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatientScreen)

        await pilot.press("v")
        assert isinstance(app.screen, VisitScreen)
        await type_into(pilot, "date", "2026-11-02")
        await choose(pilot, "event", "start")
        await type_into(pilot, "dose", "7 mg/day")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "7 mg/day since 2026-11-02" in text_of(app)

        await pilot.press("v")
        await type_into(pilot, "date", "2026-11-16")
        await type_into(pilot, "weight", "154 lb", keys=True)
        await type_into(pilot, "trough", "25 nmol/L")
        await type_into(pilot, "creatinine", "1.04 mg/dL")
        await type_into(pilot, "bp", "150/95 mmHg")
        assert message(app, "trough") == "≈ 20.1 ng/mL"  # the conversion shows as it is typed
        assert message(app, "creatinine") == "≈ 91.9 µmol/L"
        assert message(app, "weight") == "≈ 69.9 kg"
        await pilot.press("ctrl+s")
        await settle(pilot)

        assert isinstance(app.screen, PatientScreen)
        latest = str(app.screen.query_one("#latest").render())
        assert "Findings for the visit just saved (2026-11-16)" in latest
        assert "CREATININE_RISE" in latest and "31.3% above the baseline 70 µmol/L" in latest
        assert "TROUGH_UPPER_BAND" in latest and "BP_HIGH" in latest
        assert "source: Duddridge & Powell, Ann Rheum Dis 1997" in latest
        due = str(app.screen.query_one("#due").render())
        assert "Checks due next" in due
        # a 31.3% rise: the next creatinine within creatinine_rise_recheck (7 days), not two-weekly
        assert "creatinine and blood pressure check: 2026-11-17 to 2026-11-23 (1 days left)" in due
        assert "why: creatinine 31.3% above baseline at the check on 2026-11-16: recheck within 7 days" in due
        assert "why: two-weekly check after the check on 2026-11-16" in due  # the trough keeps two-weekly

    events = store.events("P-001")
    assert [e.event for e in events] == ["visit", "start", "visit"]
    versions = store.event_versions(events[-1].line)
    assert versions[0]["entered"]["weight"] == "154 lb"
    assert versions[0]["entered"]["trough"] == "25 nmol/L"
    assert versions[0]["entered"]["creatinine"] == "1.04 mg/dL"


async def test_the_patient_list_shows_the_next_check_and_marks_overdue_ones(store):
    started(store, "P-001")
    store.add_patient(Patient(patient_id="P-002", label="clinic B"))
    store.save_event(Event(patient_id="P-002", date="2026-11-20", event="start", dose="5 mg/day",
                           creatinine="60 umol/L"))
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#patients", DataTable)
        assert table.row_count == 2
        row1 = [str(c) for c in table.get_row("P-001")]
        row2 = [str(c) for c in table.get_row("P-002")]
        assert row1[5] == "2026-11-16" and row1[3] == "OVERDUE" and row1[4] == "renal"
        assert row2[5] == "2026-12-04" and row2[3] == ""
        assert "1 of 2 need action: 0 alert, 1 overdue" in text_of(app)
        await pilot.press("slash", *"clinic b")
        assert table.row_count == 1 and str(table.get_row_at(0)[0]) == "P-002"
        await pilot.press("enter", "enter")  # leave the search, open the patient
        await settle(pilot)
        assert isinstance(app.screen, PatientScreen) and app.screen.patient_id == "P-002"
        await pilot.press("escape")
        assert isinstance(app.screen, PatientListScreen)


# ---------------------------------------------------------------------------- refusals
async def test_a_refused_value_shows_the_core_message_beside_it_and_keeps_everything_typed(store):
    started(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("v")
        typed = {"date": "2026-11-16", "weight": "154 lb", "trough": "25 nmol/L", "creatinine": "90 mg/dL",
                 "bp": "150/95 mmHg", "note": "felt well"}
        for name, text in typed.items():
            await type_into(pilot, name, text)
        assert "expected a value from 10 µmol/L to 2000 µmol/L" in message(app, "creatinine")  # as typed
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, VisitScreen)
        assert "creatinine: got '90 mg/dL'" in message(app, "creatinine")
        assert "Not saved" in str(app.screen.query_one("#form-status").render())
        assert {n: app.screen.query_one(f"#{n}", Input).value for n in typed} == typed
        assert app.focused.id == "creatinine"
        await type_into(pilot, "creatinine", "0.9 mg/dL")  # the slip corrected, nothing else retyped
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatientScreen)
    assert len(store.events("P-001")) == 3


async def test_a_bare_number_is_refused_as_it_is_typed(store):
    started(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_visit_form(pilot)
        await type_into(pilot, "weight", "154", keys=True)
        assert "'154' has no unit" in message(app, "weight")
        assert app.screen.query_one("#field-weight").has_class("-invalid")
        await pilot.press(*" lb")
        assert message(app, "weight") == "≈ 69.9 kg"
        assert not app.screen.query_one("#field-weight").has_class("-invalid")
        await type_into(pilot, "dose", "7 mg")
        assert "or a dose per kilogram" in message(app, "dose")
        await type_into(pilot, "bp", "160/100")
        assert "expected systolic/diastolic with the unit" in message(app, "bp")


async def test_a_store_fault_is_shown_and_the_form_keeps_what_was_typed(store):
    """A read-only store (reliability §8): its message, nothing saved, nothing typed lost, and a retry works."""
    started(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_visit_form(pilot)
        typed = {"date": "2026-11-16", "weight": "154 lb", "trough": "25 nmol/L", "creatinine": "1.04 mg/dL"}
        for name, text in typed.items():
            await type_into(pilot, name, text)
        store._conn.execute("PRAGMA query_only = ON")  # the store turns read-only under the form
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, VisitScreen)
        status = str(app.screen.query_one("#form-status").render())
        assert "Not saved" in status and "read-only" in status and "P-001" not in status
        assert {n: app.screen.query_one(f"#{n}", Input).value for n in typed} == typed
        store._conn.execute("PRAGMA query_only = OFF")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatientScreen)
    assert len(store.events("P-001")) == 3


async def test_add_patient_asks_for_the_baseline_the_rules_need(store):
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a", *"P-009")
        await type_into(pilot, "weight", "73 kg")
        assert "0.1 mg/kg/day" in str(app.screen.query_one("#suggestion").render())
        assert "3.5 mg every 12 h" in str(app.screen.query_one("#suggestion").render())
        app.screen.query_one("#prior_csa").toggle()
        await pilot.pause()
        assert "0.05 mg/kg/day" in str(app.screen.query_one("#suggestion").render())
        await pilot.press("ctrl+s")
        assert "the creatinine rise rule compares" in message(app, "creatinine")
        assert "Baseline BP is needed" in message(app, "bp")
        assert app.screen.query_one("#patient_id", Input).value == "P-009"
        assert store.list_patients() == []
        await type_into(pilot, "creatinine", "80 umol/L")
        await type_into(pilot, "bp", "130/85 mmHg")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatientScreen)
    assert store.get_patient("P-009").prior_cyclosporine_nephrotoxicity
    assert store.events("P-009")[0].creatinine is not None


# ---------------------------------------------------------------------------- dose confirmation
@pytest.mark.parametrize(("dose", "shown"), [("70 mg/day", "10 times"), ("0.7 mg/day", "1/10 of")])
async def test_a_tenfold_dose_change_asks_for_confirmation_and_refusing_keeps_the_form(store, dose, shown):
    started(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_visit_form(pilot)
        await type_into(pilot, "date", "2026-11-16")
        await type_into(pilot, "dose", dose)
        await type_into(pilot, "trough", "6 ng/mL")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        question = str(app.screen.query_one("#dialog-message").render())
        assert f"is {shown} the dose in force since 2026-11-02 (7 mg/day)" in question
        assert "A dose 5 times or more, or 1/5 or less" in question and "ISMP" in question
        await pilot.press("n")
        assert isinstance(app.screen, VisitScreen)
        assert app.screen.query_one("#dose", Input).value == dose
        assert app.screen.query_one("#trough", Input).value == "6 ng/mL"
        assert "not confirmed" in str(app.screen.query_one("#form-status").render())
        assert len(store.events("P-001")) == 2
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, PatientScreen)
    assert len(store.events("P-001")) == 3


async def test_an_ordinary_dose_change_is_saved_without_a_question(store):
    started(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_visit_form(pilot)
        await type_into(pilot, "date", "2026-11-16")
        await choose(pilot, "event", "dose_change")
        await type_into(pilot, "dose", "10 mg/day")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatientScreen)
        assert "10 mg/day since 2026-11-16" in text_of(app)


# ---------------------------------------------------------------------------- amendment
async def test_amending_a_visit_keeps_the_original(store):
    started(store)
    store.save_event(Event(patient_id="P-001", date="2026-11-16", weight="154 kg", trough="8 ng/mL"),
                     {"weight": "154 kg"})
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "WEIGHT_JUMP" in text_of(app)
        await pilot.press("h", "e")
        assert isinstance(app.screen, VisitScreen) and app.screen.amend is not None
        assert app.screen.query_one("#weight", Input).value == "154 kg"
        assert app.screen.query_one("#trough", Input).value == "8 ng/mL"
        await type_into(pilot, "weight", "154 lb")
        await pilot.press("ctrl+s")
        assert "a reason is needed" in message(app, "reason")
        await type_into(pilot, "reason", "weight was typed in kg, the scale reads lb")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatientScreen)
        assert "WEIGHT_JUMP" not in str(app.screen.query_one("#latest").render())
    current = store.events("P-001")[-1]
    versions = store.event_versions(current.line)
    assert [v["entered"]["weight"] for v in versions] == ["154 kg", "154 lb"]
    assert versions[1]["reason"] == "weight was typed in kg, the scale reads lb"


# ---------------------------------------------------------------------------- other screens
async def test_the_replay_steps_through_case_3_to_the_creatinine_rise(store):
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r", "3")
        screen = app.screen
        assert isinstance(screen, ReplayScreen) and screen.case == 3
        assert "Step 1 of 7" in text_of(app)
        seen = []
        while not any(f.rule == "CREATININE_RISE" for f in screen.step.findings):
            seen.append(screen.index)
            await pilot.press("n")
            assert screen.index == len(seen), "stepping stopped before the creatinine rise"
        assert screen.step.date == dt.date(1997, 1, 1)
        shown = text_of(app)
        assert "Step 5 of 7" in shown and "CREATININE_RISE" in shown
        assert "BP_SEVERE" not in shown  # the step shows its own findings only
        await pilot.press("p")
        assert screen.index == 3


async def test_the_calculator_gives_a_regimen_and_an_adjustment_with_its_caveats(store):
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await type_into(pilot, "reg-weight", "73 kg")
        await until(pilot, "the regimen", lambda: "every 12 h" in result_of(app, "regimen-result"))
        result = result_of(app, "regimen-result")
        assert "3.5 mg every 12 h" in result and "0.1 mg/kg/day" in result
        await type_into(pilot, "reg-rate", "0.1")
        await until(pilot, "the bare-number message", lambda: message(app, "reg-rate"))
        assert "'0.1' has no unit" in message(app, "reg-rate")
        await pilot.press("ctrl+t")
        await type_into(pilot, "adj-dose", "7 mg/day")
        await type_into(pilot, "adj-trough", "20.2 ng/mL")
        await type_into(pilot, "adj-target", "10 ng/mL")
        await until(pilot, "the adjustment",
                    lambda: "Option to consider: decrease to 3.5 mg/day" in result_of(app, "adjust-result"))
        result = result_of(app, "adjust-result")
        assert "Steady state" in result and "Option to consider: decrease to 3.5 mg/day" in result
        assert "nearest equal doses: 1.5 mg every 12 h" in result
        await type_into(pilot, "adj-target", "40 ng/mL")
        await until(pilot, "the target message", lambda: message(app, "adj-target"))
        assert "a target within the profile's range" in message(app, "adj-target")


async def test_the_calculator_from_a_patient_is_prefilled_and_shows_its_cautions(store):
    started(store)
    store.save_event(Event(patient_id="P-001", date="2026-11-16", trough="3 ng/mL", creatinine="95 umol/L"))
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("d")
        screen = app.screen
        assert screen.query_one("#adj-dose", Input).value == "7 mg/day"
        assert screen.query_one("#adj-trough", Input).value == "3 ng/mL"
        await type_into(pilot, "adj-target", "6 ng/mL")
        await until(pilot, "the cautions",
                    lambda: "Findings arguing against the increase" in result_of(app, "adjust-result"))
        result = result_of(app, "adjust-result")
        assert "Findings arguing against the increase" in result and "CREATININE_RISE" in result


async def test_the_profile_screen_shows_each_value_with_its_source(store):
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause()
        assert "start_rate = 0.1 mg/kg/day" in text_of(app)
        source = result_of(app, "profile-source")  # the whole source; the screen wraps it
        assert "Duddridge & Powell, Ann Rheum Dis 1997, Discussion" in source
        assert "starting tacrolimus at a dose of 0.10 mg/kg/day" in source


async def test_help_lists_the_keys_of_the_screen_underneath(store):
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert "add a patient with the baseline" in text_of(app)
        await pilot.press("escape")
        assert isinstance(app.screen, PatientListScreen)
        await pilot.press("c", "f1")
        assert "proportional adjustment with its caveats" in text_of(app)


async def test_every_screen_fits_80x24_with_its_keys_in_the_footer(store):
    started(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for keys, shown in [((), "Add patient"), (("enter",), "Log visit"), (("v",), "Save"),
                            (("escape", "escape", "c"), "Regimen"), (("escape", "p"), "Back"),
                            (("escape", "r"), "Next")]:
            await pilot.press(*keys)
            await settle(pilot)
            last = text_of(app).splitlines()[-1]
            assert shown in last, (keys, last)


async def test_tab_order_in_the_visit_form_follows_the_page(store):
    started(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_visit_form(pilot)
        order = [app.focused.id]
        for _ in range(11):
            await pilot.press("tab")
            order.append(app.focused.id)
        assert order == ["weight", "dose", "product", "trough", "hours_post_dose", "creatinine", "bp", "note",
                         "save", "cancel", "date", "event"]


# ---------------------------------------------------------------------------- crash and command
def test_the_crash_report_names_places_but_no_values_locals_or_message():
    def fail(patient_id):
        secret = {"patient": patient_id}  # noqa: F841 - a local the report must not show
        raise KeyError(f"no visit for {patient_id}")

    try:
        fail(PLANTED)
    except KeyError as e:
        report = crash_report(e)
    text = report.plain
    assert "KeyError" in text and "details are withheld" in text.lower()
    assert "in fail" in text and PLANTED not in text


def test_a_crash_in_the_real_app_prints_no_patient_data(tmp_path):
    """The app run headless in a child process, failing while it holds patient data in locals."""
    script = textwrap.dedent(f"""
        import datetime as dt
        from dosing.store.db import Store
        from tui.app import make_app

        class Failing(Store):
            def list_patients(self):
                patient_id = {PLANTED!r}
                raise RuntimeError("cannot list " + patient_id)

        store = Failing.open({str(tmp_path / "t.db")!r})
        app = make_app(store, today=dt.date(2026, 11, 22))
        app.run(headless=True, size=(80, 24))
        raise SystemExit(app.return_code)
    """)
    env = {**os.environ, "TACRO_DEBUG": ""}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 1
    assert "details are withheld" in out.stderr.lower() and "RuntimeError" in out.stderr
    assert PLANTED not in out.stderr + out.stdout


def test_tacro_with_db_runs_the_app_on_that_store(tmp_path, monkeypatch):
    from dosing.cli.main import main

    ran = {}

    def fake_run(self, *args, **kwargs):
        ran["screen"] = type(self.get_default_screen()).__name__
        self.clinic = self.opener()  # what the first screen's worker does
        ran["store"] = self.clinic.store.path

    monkeypatch.setattr(TacroApp, "run", fake_run)
    monkeypatch.setattr("dosing.cli.main._has_terminal", lambda: True)  # pytest's stdout is not a terminal
    assert main(["--db", str(tmp_path / "clinic.db")]) == 0
    assert ran == {"store": tmp_path / "clinic.db", "screen": "PatientListScreen"}
    monkeypatch.setenv("TACRO_DB", str(tmp_path / "env.db"))
    assert main([]) == 0
    assert ran["store"] == tmp_path / "env.db"


def test_the_first_screen_is_drawn_before_the_core_is_imported():
    """Importing the app and its first screen loads neither pint nor numpy: `tacro` draws its window first."""
    code = ("import sys, tui.app, tui.command, tui.screens.patients\n"
            "print(' '.join(m for m in ('pint', 'numpy', 'pydantic', 'dosing.store.db') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


async def test_the_lazy_app_opens_the_store_in_a_worker_and_shows_why_it_cannot(tmp_path):
    from tui.app import make_lazy_app

    app = make_lazy_app(tmp_path)  # a folder, not a store file
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.clinic is None
        assert "Cannot open the store" in text_of(app) and "is a folder" in text_of(app)
        await pilot.press("a")
        assert isinstance(app.screen, PatientListScreen)  # nothing but quit and help until it opens
    app = make_lazy_app(tmp_path / "t.db")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.clinic is not None and "No patients yet" in text_of(app)
        app.clinic.store.close()


async def test_cancelling_a_form_with_typed_values_asks_first(store):
    started(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_visit_form(pilot)
        await type_into(pilot, "trough", "8 ng/mL")
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert isinstance(app.screen, VisitScreen) and app.screen.query_one("#trough", Input).value == "8 ng/mL"
        await pilot.press("escape", "y")
        assert isinstance(app.screen, PatientScreen)
        await pilot.press("escape", "a")
        await type_into(pilot, "patient_id", "P-2")
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        assert isinstance(app.screen, PatientListScreen)
    assert len(store.events("P-001")) == 2 and store.get_patient("P-2") is None
