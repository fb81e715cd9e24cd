"""`tacro dose`, `tacro adjust`, `tacro profile` through the command line (in-process)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from dosing.cli.main import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_dose_issue_example(capsys):
    code, out, err = run(capsys, "dose", "--weight", "73 kg", "--rate", "0.1 mg/kg/day")
    assert code == 0 and err == ""
    # 7.3 mg/day asked: 7.5 (4 mg + 3.5 mg) is nearer than the equal 7 (3.5 mg every 12 h), which is shown too
    assert "4 mg morning (4 × 1 mg) + 3.5 mg evening (3 × 1 mg + 1 × 0.5 mg)" in out
    assert "7.5 mg/day; 0.1027 mg/kg/day given" in out
    assert "nearest equal doses: 3.5 mg every 12 h (3 × 1 mg + 1 × 0.5 mg)" in out and "0.0959 mg/kg/day" in out
    assert out.startswith("Decision support, not a prescription")


def test_dose_json_is_machine_readable_and_alone_on_stdout(capsys):
    code, out, err = run(capsys, "dose", "--weight", "73 kg", "--rate", "0.1 mg/kg/day", "--json")
    data = json.loads(out)
    assert code == 0 and err == ""
    assert data["daily_dose"] == {"value": 7.5, "unit": "mg/day"}
    morning, evening = data["options"][0]["administrations"]
    assert (morning["when"], morning["amount"]) == ("morning", {"value": 4.0, "unit": "mg"})
    assert evening["capsules"] == [{"strength": {"value": 1.0, "unit": "mg"}, "count": 3},
                                   {"strength": {"value": 0.5, "unit": "mg"}, "count": 1}]
    assert data["options"][1]["label"] == "nearest equal doses"
    assert data["options"][1]["daily_dose"] == {"value": 7.0, "unit": "mg/day"}
    assert data["findings"] == [] and data["basis"]


def test_bare_weight_exits_2_asking_for_a_unit(capsys):
    code, out, err = run(capsys, "dose", "--weight", "70", "--rate", "0.1 mg/kg/day")
    assert code == 2 and out == ""
    assert "--weight" in err and "'70'" in err and "unit" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["dose", "--weight", "70 kg", "--rate", "0.1"],
        ["dose", "--weight", "70 kg", "--rate", "0.1 /day"],
        ["dose", "--weight", "700 kg", "--rate", "0.1 mg/kg/day"],
        ["dose", "--weight", "70 kg", "--rate", "0.1 mg/kg/day", "--product", "pr-once-daily"],
        ["dose", "--weight", "70 kg", "--rate", "0.1 mg/kg/day", "--product", "patch"],
        ["dose", "--rate", "0.1 mg/kg/day"],
        ["adjust", "--dose", "3.5 mg", "--trough", "5 ng/mL", "--target", "10 ng/mL"],
        ["adjust", "--dose", "7 mg/day", "--trough", "5", "--target", "10 ng/mL"],
        ["adjust", "--dose", "7 mg/day", "--trough", "5 ng/mL", "--target", "10 ng/mL", "--creatinine", "90 umol/L"],
        ["adjust", "--dose", "7 mg/day", "--trough", "5 ng/mL", "--target", "10 ng/mL", "--bp", "160/100"],
        ["profile", "--profile", "/nonexistent/profile.toml"],
        ["nonsense"],
    ],
)
def test_usage_and_input_errors_exit_2_without_traceback(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert "Traceback" not in err and err.strip()


def test_dose_above_ceiling_is_warn_exit_0_by_default_and_1_with_fail_on_warn(capsys):
    code, out, _ = run(capsys, "dose", "--weight", "70 kg", "--rate", "0.18 mg/kg/day")
    assert code == 0 and "DOSE_ABOVE_CEILING" in out
    code, _, _ = run(capsys, "dose", "--weight", "70 kg", "--rate", "0.18 mg/kg/day", "--fail-on", "warn")
    assert code == 1


def test_start_suggestion(capsys):
    code, out, _ = run(capsys, "dose", "--weight", "70 kg", "--prior-cyclosporine-nephrotoxicity", "--json")
    data = json.loads(out)
    # 3.5 mg/day: 2 mg morning + 1.5 mg evening (it was 1.5 mg every 12 h = 3 mg/day with equal doses only)
    assert data["requested_rate"] == {"value": 0.05, "unit": "mg/kg/day"}
    assert [a["amount"]["value"] for a in data["options"][0]["administrations"]] == [2.0, 1.5]


def test_adjust_shows_caveats_and_cautions(capsys):
    code, out, _ = run(capsys, "adjust", "--dose", "7 mg/day", "--trough", "20.2 ng/mL", "--target", "10 ng/mL",
                       "--creatinine", "92 umol/L", "--baseline-creatinine", "77 umol/L", "--bp", "160/100 mmHg")
    assert code == 0
    assert "7 mg/day x 10 ng/mL / 20.2 ng/mL = 3.465 mg/day" in out
    assert out.startswith("Decision support, not a prescription")
    assert "Option to consider: decrease to 3.5 mg/day" in out
    assert "nearest equal doses: 1.5 mg every 12 h" in out
    assert "Findings supporting the decrease" in out and "arguing against" not in out
    assert "BP_HIGH" in out and "TROUGH_UPPER_BAND" in out
    assert "Steady state" in out and "Same product" in out


def test_adjust_json(capsys):
    code, out, _ = run(capsys, "adjust", "--dose", "7 mg/day", "--trough", "25 nmol/L", "--target", "10.05 ng/mL",
                       "--json")
    data = json.loads(out)
    assert data["computed_daily_dose"]["value"] == pytest.approx(3.5) and data["caveats"]


def test_adjust_creatinine_rise_is_alert_and_exits_1(capsys):
    code, out, _ = run(capsys, "adjust", "--dose", "4 mg/day", "--trough", "4.5 ng/mL", "--target", "9 ng/mL",
                       "--creatinine", "130 umol/L", "--baseline-creatinine", "90 umol/L")
    assert code == 1 and "CREATININE_RISE" in out and "Findings arguing against the increase" in out
    assert "No increase is offered" in out and "8 mg/day" not in out.split("Options for the prescriber")[1]


def test_profile_prints_every_value_with_source(capsys):
    from dosing.core.profile import default_profile

    code, out, _ = run(capsys, "profile")
    assert code == 0
    for name, v in default_profile().values.items():
        assert name in out and v.kind in out
    code, out, _ = run(capsys, "profile", "--json")
    assert json.loads(out)["values"]["ceiling_rate"]["text"] == "0.15 mg/kg/day"


def test_python_dash_m_dosing_is_the_same_command():
    out = subprocess.run([sys.executable, "-m", "dosing", "dose", "--weight", "73 kg", "--rate", "0.1 mg/kg/day",
                          "--json"], capture_output=True, text=True)
    assert out.returncode == 0 and json.loads(out.stdout)["daily_dose"]["value"] == 7.5


def test_internal_errors_print_no_traceback_or_data(capsys, monkeypatch):
    import dosing.cli.dose as dose

    def boom(args):
        raise RuntimeError("patient SECRET-ID-123 blew up")

    monkeypatch.setattr(dose, "run", boom)
    monkeypatch.delenv("TACRO_DEBUG", raising=False)
    code, out, err = run(capsys, "dose", "--weight", "73 kg")
    assert code == 2 and "SECRET-ID-123" not in err and "Traceback" not in err and "RuntimeError" in err
