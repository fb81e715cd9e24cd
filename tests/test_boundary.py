"""The core's boundary: importing it loads neither Textual nor (for one-patient work) pandas."""
from __future__ import annotations

import subprocess
import sys

import pytest

ONE_PATIENT_MODULES = [
    "dosing", "dosing.core.units", "dosing.core.profile", "dosing.core.models", "dosing.core.columns", "dosing.core.history",
    "dosing.core.rules", "dosing.core.rules.schedule", "dosing.core.engine",
    "dosing.core.assess", "dosing.core.regimen", "dosing.core.adjust", "dosing.core.render",
    "dosing.cli.main", "dosing.cli.dose", "dosing.cli.adjust", "dosing.cli.profile",
]


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True,
    )
    return set(out.stdout.split())


def test_one_patient_core_loads_neither_textual_nor_pandas():
    imports = "\n".join(f"import {m}" for m in ONE_PATIENT_MODULES)
    code = imports + """
from dosing.core.units import parse
from dosing.core.regimen import regimen
from dosing.core.assess import assess
from dosing.core.models import Event
regimen(parse('73 kg', 'weight', 'w'), parse('0.1 mg/kg/day', 'dose_rate', 'r'))
assess([Event(patient_id='p', date='2020-01-01', event='start', dose='7 mg/day', creatinine='80 umol/L')])
"""
    loaded = _loaded_after(code)
    assert not any(m == "textual" or m.startswith("textual.") for m in loaded)
    assert not any(m == "pandas" or m.startswith("pandas.") for m in loaded)


def test_the_dose_command_runs_without_textual_or_pandas():
    code = "from dosing.cli.main import main\nmain(['dose', '--weight', '73 kg', '--rate', '0.1 mg/kg/day', '--json'])"
    loaded = _loaded_after(code)
    assert "textual" not in loaded and "pandas" not in loaded


@pytest.mark.parametrize("argv", [
    ["dose", "--weight", "73 kg", "--rate", "0.1 mg/kg/day"],
    ["adjust", "--dose", "7 mg/day", "--trough", "3 ng/mL", "--target", "8 ng/mL"],
    ["profile"],
    ["--help"],
    ["check", "--help"],
])
def test_one_patient_commands_and_help_never_load_pandas(argv):
    # numpy is loaded: the one rule definition (dosing.core.rules) is column-wise, for one patient as for many.
    code = f"from dosing.cli.main import main\nmain({argv!r})"
    loaded = _loaded_after(code)
    assert not any(m == "pandas" or m.startswith("pandas.") for m in loaded)
    assert not any(m == "textual" or m.startswith("textual.") for m in loaded)
    assert "dosing.cli.main" in loaded  # the probe ran the command's module


def test_the_import_probe_reports_what_was_loaded():
    loaded = _loaded_after("import json")
    assert "json" in loaded  # the probe really reports what was imported
