"""Golden outputs: exact text/JSON of the CLI for pinned scenarios (reliability.md §11).

A change in what a clinician sees must be deliberate: regenerate with
TACRO_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py, then read the diff.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from dosing.cli.main import main

GOLDEN = Path(__file__).parent / "golden"
TEACHING = Path(__file__).resolve().parents[1] / "fixtures" / "teaching"

SCENARIOS = {
    "dose-73kg-0.1": ["dose", "--weight", "73 kg", "--rate", "0.1 mg/kg/day"],
    "dose-73kg-0.1-json": ["dose", "--weight", "73 kg", "--rate", "0.1 mg/kg/day", "--json"],
    "dose-70kg-0.15-tie-to-lower": ["dose", "--weight", "70 kg", "--rate", "0.15 mg/kg/day", "--json"],
    "dose-70kg-0.18-above-ceiling": ["dose", "--weight", "70 kg", "--rate", "0.18 mg/kg/day"],
    "dose-70kg-0.04-below-floor": ["dose", "--weight", "70 kg", "--rate", "0.04 mg/kg/day"],
    "dose-154lb-start": ["dose", "--weight", "154 lb"],
    "dose-70kg-start-prior-csa": ["dose", "--weight", "70 kg", "--prior-cyclosporine-nephrotoxicity"],
    "dose-60kg-granules": ["dose", "--weight", "60 kg", "--rate", "0.1 mg/kg/day", "--product", "granules"],
    "dose-pr-refused": ["dose", "--weight", "70 kg", "--rate", "0.1 mg/kg/day", "--product", "pr-once-daily"],
    "dose-bare-weight-refused": ["dose", "--weight", "70", "--rate", "0.1 mg/kg/day"],
    "adjust-case2-like": ["adjust", "--dose", "7 mg/day", "--trough", "20.2 ng/mL", "--target", "10 ng/mL",
                          "--creatinine", "92 umol/L", "--baseline-creatinine", "77 umol/L", "--bp", "160/100 mmHg"],
    "adjust-increase-with-rise": ["adjust", "--dose", "4 mg/day", "--trough", "4.5 ng/mL", "--target", "9 ng/mL",
                                  "--creatinine", "130 umol/L", "--baseline-creatinine", "90 umol/L", "--json"],
    "adjust-nmol": ["adjust", "--dose", "7 mg/day", "--trough", "25 nmol/L", "--target", "10 ng/mL",
                    "--weight", "70 kg", "--json"],
    "adjust-mistimed": ["adjust", "--dose", "6 mg/day", "--trough", "3 ng/mL", "--target", "6 ng/mL",
                        "--hours-post-dose", "8 h"],
    "adjust-single-dose-refused": ["adjust", "--dose", "3.5 mg", "--trough", "5 ng/mL", "--target", "10 ng/mL"],
    "adjust-on-target-keeps-unequal": ["adjust", "--dose", "4.5 mg/day", "--trough", "8 ng/mL", "--target", "8 ng/mL"],
    "adjust-halve-to-unequal": ["adjust", "--dose", "5 mg/day", "--trough", "10 ng/mL", "--target", "5 ng/mL",
                                "--weight", "132 lb"],
    "adjust-no-increase-at-131-percent": ["adjust", "--dose", "4 mg/day", "--trough", "4.5 ng/mL", "--target",
                                          "9 ng/mL", "--creatinine", "208 umol/L", "--baseline-creatinine",
                                          "90 umol/L"],
    "adjust-below-reportable-refused": ["adjust", "--dose", "7 mg/day", "--trough", "0.5 ng/mL", "--target",
                                        "10 ng/mL"],
    "dose-132lb-0.15-across-ceiling": ["dose", "--weight", "132 lb", "--rate", "0.15 mg/kg/day"],
    "dose-150kg-above-maximum-refused": ["dose", "--weight", "150 kg", "--rate", "1 mg/kg/day"],
    "profile": ["profile"],
    "profile-references": ["profile", "--references"],
    "replay-1": ["replay", "1"],
    "replay-2": ["replay", "2"],
    "replay-3": ["replay", "3"],
    "replay-3-weight-70kg": ["replay", "3", "--weight", "70 kg"],
    "replay-all-json": ["replay", "all", "--format", "json"],
    "replay-2-quiz-answers": ["replay", "2", "--quiz", "--answers", str(TEACHING / "answers-case2.txt")],
    "replay-4-invented": ["replay", str(TEACHING / "case4.toml")],
    "replay-4-invented-quiz-json": ["replay", str(TEACHING / "case4.toml"), "--answers",
                                    str(TEACHING / "answers-case4.txt"), "--format", "json"],
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_golden_output(name, capsys):
    code = main(SCENARIOS[name])
    out, err = capsys.readouterr()
    got = f"exit {code}\n--- stdout\n{out}--- stderr\n{err}"
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("TACRO_UPDATE_GOLDEN"):
        path.write_text(got, encoding="utf-8")
    elif not path.exists():  # everywhere, not only in CI: a golden written by the test it checks proves nothing
        pytest.fail(f"golden file missing: {path} (write it with TACRO_UPDATE_GOLDEN=1 and read it first)")
    assert got == path.read_text(encoding="utf-8")


def test_there_are_at_least_20_scenarios_including_the_three_cases():
    assert len(SCENARIOS) >= 20
    assert {"replay-1", "replay-2", "replay-3"} <= set(SCENARIOS)
