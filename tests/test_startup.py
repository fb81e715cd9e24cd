"""Start-up without waste (issue 10): the collector paused while the program loads, then frozen and back
on; one OpenBLAS thread; the worklist table's bookkeeping for a refilled list; the poll never waiting
on a read in progress. No test here measures time: each checks the state the change promises."""
from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading

import pytest
from textual.widgets import DataTable

from dosing.store.db import Store
from tests.test_tui import TODAY, settle
from tests.test_tui_clinic import app_for, clinic, rows
from tui.app import make_lazy_app
from tui.screens.patients import WorklistTable

DOSE = ["dose", "--weight", "73 kg", "--rate", "0.1 mg/kg/day"]


def _python(code: str, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**environ, **env})
    return out.stdout.strip()


def test_the_program_loads_with_the_collector_off_then_freezes_what_it_loaded_and_turns_it_on():
    code = f"""
import gc, sys
import dosing.cli.dose as dose
import dosing.cli.main as cli
seen = []
real_parser, real_run = cli.build_parser, dose.run
cli.build_parser = lambda command=None: (seen.append(("load", gc.isenabled())), real_parser(command))[1]
dose.run = lambda args: (seen.append(("run", gc.isenabled())), real_run(args))[1]
enabled_before = gc.isenabled()
sys.argv = ["tacro", *{DOSE!r}]
code = cli.main()
sys.stdout = sys.__stderr__
print(enabled_before, seen, gc.isenabled(), gc.get_freeze_count() > 0, code, file=sys.__stdout__)
"""
    assert _python(code).splitlines()[-1] == "True [('load', False), ('run', True)] True True 0"


def test_a_caller_of_main_keeps_its_own_collector_state():
    """main(argv) from a test or a script neither pauses nor freezes anything."""
    code = f"""
import gc, io, sys
from dosing.cli.main import main
sys.stdout = io.StringIO()
code = main({DOSE!r})
print(gc.isenabled(), gc.get_freeze_count(), code, file=sys.__stdout__)
"""
    assert _python(code) == "True 0 0"


@pytest.mark.parametrize(("given", "used"), [(None, "1"), ("4", "4")])
def test_one_openblas_thread_unless_the_user_chose(given, used):
    env = {} if given is None else {"OPENBLAS_NUM_THREADS": given}
    code = "import os, dosing.cli.main; print(os.environ['OPENBLAS_NUM_THREADS'])"
    assert _python(code, **env) == used


@pytest.fixture
def paused_collector():
    """The collector off, as the program starts the visit log; restored (and unfrozen) afterwards."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if was:
            gc.enable()


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "tacro.db") as s:
        yield s


async def test_the_visit_log_turns_the_collector_back_on_once_its_first_list_is_shown(store, paused_collector):
    clinic(store)
    app = app_for(store)
    app.startup_gc_paused = True
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert len(rows(app)) == 3
        assert gc.isenabled() and not app.startup_gc_paused and gc.get_freeze_count() > 0


async def test_the_collector_is_back_on_when_the_store_cannot_be_opened(tmp_path, paused_collector):
    app = make_lazy_app(tmp_path)  # a folder, not a store file
    app.startup_gc_paused = True
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.clinic is None and gc.isenabled()


async def test_the_poll_does_not_wait_on_the_store_while_the_list_is_read(store, monkeypatch):
    """was: the poll asked the store for its version while the list's worker held the store's lock, freezing
    the screen until the read ended (a second for 20,000 patients)."""
    clinic(store)
    reading, release = threading.Event(), threading.Event()
    real_columns = store.event_columns
    asked = []

    def slow_columns():
        reading.set()
        release.wait()
        return real_columns()

    monkeypatch.setattr(store, "event_columns", slow_columns)
    monkeypatch.setattr(store, "data_version", lambda: asked.append(1) or 1)
    app = app_for(store, poll=None)
    async with app.run_test(size=(80, 24)) as pilot:
        while not reading.is_set():
            await pilot.pause()
        assert app.check_store() is False and asked == []  # a worker reads: no poll
        release.set()
        await settle(pilot)
        assert len(rows(app)) == 3
        app.check_store()
        assert asked == [1]  # the next poll asks


async def test_the_refilled_table_keeps_textuals_row_order_and_offsets(store):
    """The table's own order and line offsets for a list it filled, Textual's after any other change."""
    clinic(store)
    app = app_for(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#patients", WorklistTable)
        keys = [r.key.value for r in table.ordered_rows]
        assert keys == [r[0] for r in rows(app)] == ["B-rise", "C-late", "A-calm"]
        assert table.ordered_rows == DataTable.ordered_rows.fget(table)
        assert table._y_offsets == DataTable._y_offsets.fget(table)
        assert [table._get_row_region(i).y for i in range(3)] == [1, 2, 3]  # under the header
        table.sort("patient")  # a change `fill` did not make: Textual's bookkeeping again
        assert [r.key.value for r in table.ordered_rows] == ["A-calm", "B-rise", "C-late"]
        table.add_row("Z", "", "", "", "", "", key="Z")
        assert [r.key.value for r in table.ordered_rows][-1] == "Z"
        await pilot.press("o")  # refilled by id
        assert [r.key.value for r in table.ordered_rows] == ["A-calm", "B-rise", "C-late"]
        assert table._y_offsets == DataTable._y_offsets.fget(table)


async def test_typing_a_search_filters_the_cached_order_and_a_save_reorders(store):
    clinic(store)
    app = app_for(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        screen.query_one("#search").value = "c"
        await pilot.pause()
        assert [r[0] for r in rows(app)] == ["B-rise", "C-late", "A-calm"]  # every id has a 'c' in its label
        screen.query_one("#search").value = "late"
        await pilot.pause()
        assert [r[0] for r in rows(app)] == ["C-late"]
        screen.query_one("#search").value = ""
        await pilot.pause()
        from dosing.core.models import Event

        app.clinic.save(Event(patient_id="B-rise", date=TODAY, creatinine="60 umol/L", sbp="120 mmHg",
                              dbp="80 mmHg", trough="8 ng/mL"), {})
        screen.on_screen_resume()
        await settle(pilot)
        assert [r[0] for r in rows(app)][0] == "C-late"  # B's rise answered: C's overdue check leads
