"""How long from launch to the first screen of `tacro`, against a bare Textual app measured in the same run?

Each run is a fresh interpreter (so imports count, as they do for a clinician
starting the program), headless at 80x24; the time is from spawning it to the
moment the app is ready, i.e. its first screen composed and rendered and that
frame's callbacks done (the child writes the time then, and exits):

  bare    a Textual App with a Header, a Static and a Footer; nothing else
  tacro   `tacro --db STORE` through dosing.cli.main.main, on a store of N patients
          (a baseline, a start and monthly visits each); the patient list is
          the first screen

The core (pint, numpy, pydantic) takes longer to import than Textual takes to
start, so `tacro` draws the list first and opens the store in a worker; the
time until the list is filled (store open, every patient assessed) is shown
beside it. Runs alternate (bare, first, filled, bare, ...) so machine load hits
all alike; medians of --repeat runs are reported, and the ratio of the first
screen to the bare app (aim: <= 3).

    .venv/bin/python benchmarks/tui_startup.py                # 7 runs each, 50 patients
    .venv/bin/python benchmarks/tui_startup.py --patients 0 --repeat 11
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BARE = """
import sys, time
from textual.app import App
from textual.widgets import Footer, Header, Static

class Bare(App):
    def compose(self):
        yield Header()
        yield Static("hello")
        yield Footer()

async def ready(pilot):
    await pilot._wait_for_screen()  # the first frame's callbacks done (exiting mid-mount races Header)
    sys.__stdout__.write(f"READY {time.time()}\\n")
    pilot.app.exit()

Bare().run(headless=True, size=(80, 24), auto_pilot=ready)
"""

# The end of each child script that launches tacro: `tacro --db STORE` run headless through main(), with the
# script's `ready(pilot)` as the auto-pilot.
HEADLESS_MAIN = """
import dosing.cli.main as cli_main
import tui.command

def headless(args, _real=tui.command.run):
    # Textual loads here, inside main(), as in the installed program (not before it, with the program's start-up
    # settings not yet in force)
    from tui.app import TacroApp
    run = TacroApp.run
    TacroApp.run = lambda self, **kw: run(self, headless=True, size=(80, 24), auto_pilot=ready)
    return _real(args)

tui.command.run = headless
cli_main._has_terminal = lambda: True  # headless: the benchmark is the terminal
sys.argv = ["tacro", "--db", sys.argv[1]]  # as the installed `tacro` runs: main() reads its arguments
sys.exit(cli_main.main())
"""

TACRO = """
import asyncio, sys, time

WHAT, N = sys.argv[2], int(sys.argv[3])

async def ready(pilot):
    await pilot._wait_for_screen()  # as for the bare app
    assert type(pilot.app.screen).__name__ == "PatientListScreen"
    if WHAT == "filled":  # then wait until the store is open and every patient assessed
        while pilot.app.clinic is None:
            await asyncio.sleep(0.005)
        await pilot.app.workers.wait_for_complete()
        assert pilot.app.screen.query_one("#patients").row_count == N
    sys.__stdout__.write(f"READY {time.time()}\\n")
    pilot.app.exit()

""" + HEADLESS_MAIN


def make_store(path: Path, patients: int) -> None:
    """A store of `patients` patients, each with a baseline, a start and monthly visits to date."""
    from dosing.core.models import Event, Patient
    from dosing.store.db import Store

    today = dt.date(2026, 11, 22)
    with Store.open(path) as store:
        for i in range(patients):
            pid = f"P-{i:04d}"
            start = today - dt.timedelta(days=60 + 7 * (i % 40))
            store.add_patient(Patient(patient_id=pid, label=f"clinic {i % 3}"))
            events = [Event(patient_id=pid, date=start - dt.timedelta(days=3), weight="70 kg",
                            creatinine="80 umol/L", sbp="125 mmHg", dbp="80 mmHg"),
                      Event(patient_id=pid, date=start, event="start", dose="7 mg/day")]
            day = start + dt.timedelta(days=10)
            while day <= today:
                events.append(Event(patient_id=pid, date=day, trough=f"{8 + i % 7} ng/mL",
                                    creatinine=f"{82 + i % 9} umol/L", sbp="130 mmHg", dbp="82 mmHg"))
                day += dt.timedelta(days=28)
            store.import_events(events)


def compile_tacro() -> None:
    """Byte-compile tacro's modules first, as installing the wheel does: the children run with
    PYTHONDONTWRITEBYTECODE, so without this every run would compile tacro from source while the
    libraries it is compared with (Textual, pint) load their installed bytecode."""
    import compileall

    for package in ("dosing", "tui"):
        compileall.compile_dir(ROOT / package, quiet=1)


def timed(code: str, *args: str) -> float:
    """Seconds from spawning a fresh interpreter to the child's READY line (exit and clean-up not counted)."""
    compile_tacro()  # in this process: not timed; up to date after the first run
    env = {**os.environ, "TACRO_TODAY": "2026-11-22", "PYTHONDONTWRITEBYTECODE": "1"}
    start = time.time()
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    ready = [line for line in out.stdout.splitlines() if line.startswith("READY ")]
    if out.returncode != 0 or not ready:
        raise SystemExit(f"run failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return float(ready[0].split()[1]) - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "tacro.db"
        make_store(db, args.patients)
        first = (TACRO, str(db), "first", str(args.patients))
        filled = (TACRO, str(db), "filled", str(args.patients))
        timed(BARE), timed(*first)  # warm the OS file cache
        runs: dict[str, list[float]] = {"bare": [], "first": [], "filled": []}
        for _ in range(args.repeat):
            runs["bare"].append(timed(BARE))
            runs["first"].append(timed(*first))
            runs["filled"].append(timed(*filled))
    med = {k: statistics.median(v) for k, v in runs.items()}
    print(f"launch to first screen, headless 80x24, median of {args.repeat} fresh interpreters "
          f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})")
    rows = [("bare Textual app", "bare"), ("tacro: first screen (patient list drawn)", "first"),
            (f"tacro: list filled ({args.patients} patients assessed)", "filled")]
    for title, key in rows:
        v = runs[key]
        print(f"  {title:<44} {med[key] * 1000:6.0f} ms  (min {min(v) * 1000:.0f}, max {max(v) * 1000:.0f})"
              f"  {med[key] / med['bare']:5.2f}x bare")
    ratio = med["first"] / med["bare"]
    print(f"  ratio first screen / bare: {ratio:.2f} (aim: <= 3)")
    return 0 if ratio <= 3 else 1

if __name__ == "__main__":
    sys.exit(main())
