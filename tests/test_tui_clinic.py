"""The clinic's day (issue 11), driven with Pilot on a real store: worklist, patient page, hand-offs,
live shared view, audit, plots and guards. Each test names the behaviour it proves; the ones
marked 'was:' failed before (the bug they pin)."""
from __future__ import annotations

import datetime as dt
import getpass

import pytest
from textual.widgets import DataTable, Input, Select

from dosing.core import worklist as worklist_module
from dosing.core.models import Event, Patient
from dosing.store.db import Store
from tests.test_tui import TODAY, settle, text_of, type_into
from tui.app import make_app
from tui.screens.calculator import CalculatorScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.patient import PatientScreen
from tui.screens.patients import PatientListScreen
from tui.screens.visit import VisitScreen
from tui.widgets.plot import TimePlot, dot_row

NOW = dt.datetime(2026, 11, 22, 9, 30, 0)


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "tacro.db") as s:
        yield s


def clinic(store: Store) -> None:
    """Three patients: A calm and on schedule, B with a 50% creatinine rise, C overdue only."""
    store.add_patient(Patient(patient_id="A-calm", label="clinic A"))
    store.save_event(Event(patient_id="A-calm", date="2026-11-10", weight="70 kg", creatinine="70 umol/L",
                           sbp="120 mmHg", dbp="80 mmHg"))
    store.save_event(Event(patient_id="A-calm", date="2026-11-11", event="start", dose="7 mg/day"))
    store.add_patient(Patient(patient_id="B-rise", label="a long clinic label"))
    store.save_event(Event(patient_id="B-rise", date="2026-11-01", weight="70 kg", creatinine="60 umol/L",
                           sbp="120 mmHg", dbp="80 mmHg"))
    store.save_event(Event(patient_id="B-rise", date="2026-11-02", event="start", dose="5 mg/day"))
    store.save_event(Event(patient_id="B-rise", date="2026-11-12", creatinine="90 umol/L", sbp="125 mmHg",
                           dbp="82 mmHg", trough="8 ng/mL"))
    store.add_patient(Patient(patient_id="C-late", label="clinic C"))
    store.save_event(Event(patient_id="C-late", date="2026-10-01", weight="70 kg", creatinine="70 umol/L"))
    store.save_event(Event(patient_id="C-late", date="2026-10-02", event="start", dose="7 mg/day"))


def app_for(store: Store, **kw):
    return make_app(store, today=TODAY, now=lambda: NOW, **kw)


def rows(app) -> list[list[str]]:
    table = app.screen.query_one("#patients", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


# ------------------------------------------------------------------------------ worklist
async def test_the_list_shows_the_worst_open_finding_and_sorts_by_urgency_then_by_id(store):
    """was: only overdue checks were marked; a 50% creatinine rise looked like everyone else."""
    clinic(store)
    app = app_for(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        got = rows(app)
        assert [r[0] for r in got] == ["B-rise", "C-late", "A-calm"]  # alert, overdue, calm
        assert got[0][2] == "ALERT CREATININE_RISE"
        assert got[1][3] == "OVERDUE" and got[1][2] == ""
        assert got[2][2] == "" and got[2][3] == "" and got[2][5] == "2026-11-25"  # 11-11 + 14 days
        screen = text_of(app)
        # B-rise is overdue too: after its 50% rise the creatinine recheck was due within 7 days (by 11-19)
        assert got[0][3] == "OVERDUE"
        assert "2 of 3 need action: 1 alert, 2 overdue" in screen
        # at 80 columns the marks are whole, never cut to "OVE"
        assert "ALERT CREATININE_RISE" in screen and "OVERDUE" in screen
        assert all(len(line) <= 80 for line in screen.splitlines())
        await pilot.press("o")
        assert [r[0] for r in rows(app)] == ["A-calm", "B-rise", "C-late"]


async def test_the_list_comes_from_one_query_and_one_evaluation_of_the_rules(store, monkeypatch):
    clinic(store)
    calls = {"evaluate": 0, "events": 0}
    real_evaluate = worklist_module.rules.evaluate

    def counting(*a, **k):
        calls["evaluate"] += 1
        return real_evaluate(*a, **k)

    def no_per_patient_read(*a, **k):
        calls["events"] += 1
        raise AssertionError("the list must not read patients one by one")

    monkeypatch.setattr(worklist_module.rules, "evaluate", counting)
    monkeypatch.setattr(store, "events", no_per_patient_read)
    app = app_for(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert len(rows(app)) == 3
    assert calls == {"evaluate": 1, "events": 0}


async def test_after_a_save_only_that_patient_is_read_again(store, monkeypatch):
    clinic(store)
    app = app_for(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        reads = []
        real = store.event_columns
        monkeypatch.setattr(store, "event_columns", lambda: reads.append(1) or real())
        table = app.screen.query_one("#patients", DataTable)
        table.move_cursor(row=rows(app).index(next(r for r in rows(app) if r[0] == "B-rise")))
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("v")
        await type_into(pilot, "creatinine", "62 umol/L")
        await type_into(pilot, "bp", "120/80 mmHg")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, PatientListScreen)
        b = next(r for r in rows(app) if r[0] == "B-rise")
        assert b[2] == ""  # the later creatinine answered the rise
        assert reads == []  # no whole-list re-read


# ------------------------------------------------------------------------------ live view
async def test_a_visit_saved_by_another_process_appears_on_the_open_screens_marked_updated(store, tmp_path):
    """was: a visit saved elsewhere appeared only after closing and reopening the screen."""
    clinic(store)
    app = app_for(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "updated 09:30:00" in text_of(app)
        with Store.open(store.path) as other:  # another connection: another terminal or an import
            other.add_patient(Patient(patient_id="D-new", label="from elsewhere"))
            other.save_event(Event(patient_id="D-new", date="2026-11-20", creatinine="70 umol/L"))
        assert app.check_store() is True
        await settle(pilot)
        assert "D-new" in [r[0] for r in rows(app)]
        assert app.check_store() is False  # nothing new since

        table = app.screen.query_one("#patients", DataTable)
        table.move_cursor(row=[r[0] for r in rows(app)].index("A-calm"))
        await pilot.press("enter")
        await settle(pilot)
        with Store.open(store.path) as other:
            other.save_event(Event(patient_id="A-calm", date="2026-11-20", trough="30 ng/mL"))
        app.check_store()
        await settle(pilot)
        shown = text_of(app)
        assert "TROUGH_HIGH" in shown and "updated 09:30:00" in shown


async def test_the_app_polls_the_store_at_its_interval(store):
    app = app_for(store, poll=1.5)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app._watching and app.poll == 1.5


# ------------------------------------------------------------------------------ patient page
async def test_the_patient_page_leads_with_open_alerts_and_says_what_the_rules_do_next(store):
    """was: the regimen came first and the alert sat below the fold."""
    clinic(store)
    app = app_for(store)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # B-rise, first by urgency
        await settle(pilot)
        assert app.screen.patient_id == "B-rise"
        shown = text_of(app)
        assert shown.index("Open findings (1)") < shown.index("ALERT CREATININE_RISE")
        page = "".join(str(app.screen.query_one(f"#{i}").render()) for i in ("open", "regimen", "due"))
        assert page.index("CREATININE_RISE") < page.index("Regimen in force") < page.index("Checks due next")
        assert "What the rules do next" in page and "a dose increase is argued against" in page
        assert "source: Duddridge & Powell, Ann Rheum Dis 1997" in page


async def test_a_back_dated_visit_keeps_the_current_alert_on_the_summary(store):
    """was: a back-dated save made the summary say 'no findings' while the alert was open."""
    clinic(store)
    app = app_for(store)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "v")
        await type_into(pilot, "date", "2026-11-05")
        await type_into(pilot, "trough", "8 ng/mL")
        await pilot.press("ctrl+s")
        await settle(pilot)
        shown = str(app.screen.query_one("#open").render()) + str(app.screen.query_one("#latest").render())
        assert "ALERT CREATININE_RISE" in shown
        assert "Findings for the visit just saved (2026-11-05) — back-dated" in shown


async def test_a_visit_dated_before_the_baseline_asks_and_no_keeps_the_form(store):
    """was: accepted without a word."""
    clinic(store)
    app = app_for(store)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "v")
        await type_into(pilot, "date", "2026-10-20")
        await type_into(pilot, "creatinine", "70 umol/L")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "before the baseline creatinine (2026-11-01)" in app.screen.message
        await pilot.press("n")
        assert isinstance(app.screen, VisitScreen)
        assert app.screen.query_one("#creatinine", Input).value == "70 umol/L"
    assert len(store.events("B-rise")) == 3


async def test_a_save_that_moves_the_baseline_is_announced_with_old_and_new(store):
    """was: the baseline changed silently and the alert disappeared."""
    clinic(store)
    app = app_for(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "v")
        await type_into(pilot, "date", "2026-11-01")  # between the baseline visit and the start
        await type_into(pilot, "creatinine", "80 umol/L")
        await pilot.press("ctrl+s")
        await settle(pilot)
        banner = str(app.screen.query_one("#baseline-change").render())
        assert "Baseline creatinine changed" in banner
        assert "was 60 µmol/L of 2026-11-01, now 80 µmol/L of 2026-11-01" in banner


# ------------------------------------------------------------------------------ audit
async def test_history_shows_every_version_with_its_values_author_and_reason(store, monkeypatch):
    """was: 'amended 1 time(s)' without the original values, when or by whom."""
    monkeypatch.setenv("SSH_CONNECTION", "192.0.2.7 50000 192.0.2.1 22")
    clinic(store)
    first = store.events("A-calm")[0].line
    store.amend_event(first, Event(patient_id="A-calm", date="2026-11-10", weight="72 kg", creatinine="70 umol/L",
                                   sbp="120 mmHg", dbp="80 mmHg"), "weight misread")
    versions = store.event_versions(first)
    assert versions[0]["entered_by"] == getpass.getuser() and versions[1]["entered_host"] == "192.0.2.7"
    app = app_for(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("o")  # by id; the highlighted patient stays highlighted
        app.screen.query_one("#patients", DataTable).move_cursor(row=0)
        assert rows(app)[0][0] == "A-calm"
        await pilot.press("enter", "h")
        await settle(pilot)
        table = app.screen.query_one("#history-table", DataTable)
        table.move_cursor(row=0)
        await settle(pilot)
        detail = str(app.screen.query_one("#history-detail").render())
        assert "amended 1 time(s); every version is kept" in detail
        assert "v1: entered" in detail and "weight 70 kg" in detail
        assert "v2 (current): amended" in detail and "weight 72 kg" in detail
        assert "reason: weight misread" in detail and f"by {getpass.getuser()}" in detail
        assert "over SSH from 192.0.2.7" in detail


# ------------------------------------------------------------------------------ hand-offs
async def test_the_calculator_opens_with_focus_on_its_first_field(store):
    """was: typed keys vanished (no focus)."""
    app = app_for(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CalculatorScreen)
        await pilot.press(*"70 kg")
        assert app.screen.query_one("#reg-weight", Input).value == "70 kg"


async def test_before_a_start_the_calculator_takes_the_baseline_weight_and_hands_off_a_start(store):
    """was: staff retyped the dose and the weight; the calculator ignored the baseline weight."""
    store.add_patient(Patient(patient_id="N-new", label=""))
    store.save_event(Event(patient_id="N-new", date="2026-11-20", weight="154 lb", creatinine="70 umol/L"),
                     {"weight": "154 lb"})
    app = app_for(store)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "d")
        await settle(pilot)
        calc = app.screen
        assert isinstance(calc, CalculatorScreen)
        assert calc.query_one("#reg-weight", Input).value == "154 lb"
        await pilot.press("f2")
        await settle(pilot)
        visit = app.screen
        assert isinstance(visit, VisitScreen)
        reg = calc.results["regimen"]
        assert visit.query_one("#event", Select).value == "start"
        assert visit.query_one("#dose", Input).value == str(reg.daily_dose)
        assert visit.query_one("#weight", Input).value == "154 lb"
        assert visit.query_one("#product", Select).value == reg.product
        assert app.focused is visit.query_one("#date", Input)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatientScreen)
        assert f"{reg.daily_dose} since 2026-11-22" in text_of(app)
    assert [e.event for e in store.events("N-new")] == ["visit", "start"]


async def test_a_handed_off_adjustment_still_asks_to_confirm_a_tenfold_dose(store):
    store.add_patient(Patient(patient_id="T-ten", label=""))
    store.save_event(Event(patient_id="T-ten", date="2026-11-01", weight="70 kg", creatinine="70 umol/L",
                           sbp="120 mmHg", dbp="80 mmHg"))
    store.save_event(Event(patient_id="T-ten", date="2026-11-02", event="start", dose="1 mg/day"))
    store.save_event(Event(patient_id="T-ten", date="2026-11-16", trough="1 ng/mL", hours_post_dose="12 h"))
    app = app_for(store)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "d")
        await settle(pilot)
        await type_into(pilot, "adj-target", "10 ng/mL")
        await settle(pilot)
        assert str(app.screen.results["adjust"].daily_dose) == "10 mg/day"
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, VisitScreen) and app.screen.query_one("#event", Select).value == "dose_change"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert isinstance(app.screen, VisitScreen)
    assert len(store.events("T-ten")) == 3


# ------------------------------------------------------------------------------ guards
async def test_ctrl_q_with_a_half_typed_visit_asks_and_no_keeps_it(store):
    """was: Ctrl+Q quit at once with a half-typed visit."""
    clinic(store)
    app = app_for(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "v")
        await type_into(pilot, "trough", "8 ng/mL")
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, ConfirmScreen) and app.is_running
        await pilot.press("n")
        assert isinstance(app.screen, VisitScreen) and app.screen.query_one("#trough", Input).value == "8 ng/mL"
        await pilot.press("ctrl+q", "y")
        await pilot.pause()
        assert not app.is_running


async def test_ctrl_q_with_nothing_typed_quits_at_once(store):
    clinic(store)
    app = app_for(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running


# ------------------------------------------------------------------------------ plots
async def test_plots_share_one_date_axis_shade_the_band_add_the_dose_and_grow_with_the_terminal(store):
    """was: three plots from different dates, the range as a line, no dose plot, 7-9 rows at any size."""
    clinic(store)
    heights = {}
    for size in ((80, 24), (160, 48)):
        app = app_for(store)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await pilot.press("enter", "g")
            await settle(pilot)
            plots = list(app.screen.query(TimePlot))
            assert [p.id for p in plots] == ["plot-trough", "plot-creatinine", "plot-bp", "plot-dose"]
            assert len({p.chart.date_range() for p in plots}) == 1  # one date axis
            assert plots[0].chart.date_range() == (dt.date(2026, 11, 1), TODAY)
            assert plots[0].chart.bands and plots[3].chart.series[0].step
            heights[size] = plots[0].rows()
    assert heights[(160, 48)] > heights[(80, 24)]


def test_diastolic_82_is_not_drawn_on_the_90_line():
    """was: one text row per ~10 mmHg put 82 on the 90 line (and 150 on the 140 line)."""
    lo, hi, height = 70.0, 190.0, 7
    assert dot_row(82, lo, hi, height) != dot_row(90, lo, hi, height)
    assert dot_row(150, lo, hi, height) != dot_row(140, lo, hi, height)


async def test_one_key_writes_the_patient_report_beside_the_store(store):
    clinic(store)
    app = app_for(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "r")
        await settle(pilot)
    out = store.path.parent / "reports" / "B-rise-2026-11-22.html"
    assert out.exists() and (out.stat().st_mode & 0o777) == 0o600
    assert (out.parent.stat().st_mode & 0o777) == 0o700
    assert "CREATININE_RISE" in out.read_text(encoding="utf-8")


async def test_a_patient_added_to_an_empty_list_appears_on_it(store):
    """was (found by the tmux drive): back from adding the first patient, the list stayed empty."""
    app = app_for(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await type_into(pilot, "patient_id", "P-1")
        await type_into(pilot, "date", "2026-11-01")
        await type_into(pilot, "weight", "70 kg")
        await type_into(pilot, "creatinine", "70 umol/L")
        await type_into(pilot, "bp", "120/80 mmHg")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatientScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert [r[0] for r in rows(app)] == ["P-1"]
