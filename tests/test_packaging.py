"""What a stranger installing tacro relies on: version, licence, a clear refusal in a pipe, the wheel."""
from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

from dosing.cli.main import main

ROOT = Path(__file__).resolve().parents[1]


def test_version_is_the_installed_distribution_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"tacro {importlib.metadata.version('tacro')}"


def test_licence_file_matches_the_declared_licence():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert importlib.metadata.metadata("tacro")["License"] == "MIT"


def test_bare_tacro_in_a_pipe_exits_2_with_a_message_and_no_escape_codes():
    out = subprocess.run([sys.executable, "-m", "dosing"], input="", capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "needs an interactive terminal" in out.stderr
    assert "\x1b" not in out.stdout + out.stderr


def test_format_json_and_its_json_shorthand_give_the_same_output_on_every_machine_output_command(capsys):
    commands = [
        ["dose", "--weight", "70 kg", "--rate", "0.1 mg/kg/day"],
        ["adjust", "--dose", "4 mg/day", "--trough", "8 ng/mL", "--target", "10 ng/mL"],
        ["replay", "2"],
        ["profile"],
        ["profile", "--references"],
    ]
    for argv in commands:
        outputs = []
        for flag in (["--format", "json"], ["--json"]):
            main([*argv, *flag])
            outputs.append(capsys.readouterr().out)
        assert outputs[0] == outputs[1] and outputs[0].lstrip().startswith(("{", "[")), argv
        main(argv)
        assert not capsys.readouterr().out.lstrip().startswith(("{", "[")), argv  # table stays the default


def test_check_accepts_json_as_shorthand_for_format_json(tmp_path, capsys):
    log = tmp_path / "log.csv"
    log.write_text("patient_id,date,event,dose,trough\np1,2026-01-01,start,4 ,30\n")
    codes = []
    outputs = []
    for flag in (["--format", "json"], ["--json"]):
        codes.append(main(["check", str(log), "--as-of", "2026-01-02", *flag]))
        outputs.append(capsys.readouterr().out)
    assert codes[0] == codes[1] == 1  # TROUGH_HIGH (30 > 25 ng/mL) is an alert
    assert outputs[0] == outputs[1] and '"TROUGH_HIGH"' in outputs[0]


def test_the_lock_file_pins_every_direct_dependency_at_the_pyproject_version_with_hashes():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    direct = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    lock = (ROOT / "requirements.lock").read_text()
    entries = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", lock, flags=re.M))
    normal = {re.sub(r"[-_.]+", "-", k).lower(): v for k, v in entries.items()}
    for spec in direct:
        name, version = re.match(r"([A-Za-z0-9_.-]+)==([^\s;]+)", spec).groups()
        assert normal.get(re.sub(r"[-_.]+", "-", name).lower()) == version, spec
    blocks = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", lock.split("\n\n", 1)[-1].strip())
    assert all("--hash=sha256:" in b for b in blocks if "==" in b)


def test_the_quickstart_sample_log_gives_the_findings_the_readme_shows(capsys):
    import json
    from collections import Counter

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "tacro check fixtures/sample-log.csv --as-of 2026-11-22" in readme
    code = main(["check", str(ROOT / "fixtures" / "sample-log.csv"), "--as-of", "2026-11-22", "--json"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert code == 1  # CREATININE_RISE is an alert
    assert Counter(f["rule"] for f in findings) == {"CHECK_OVERDUE": 4, "BP_HIGH": 1, "TROUGH_UPPER_BAND": 1,
                                                     "CREATININE_RISE": 1}
    shown = readme.split("7 findings in 6 rows checked", 1)[1].split("```", 1)[0]
    assert Counter(re.findall(r"\b(CHECK_OVERDUE|BP_HIGH|TROUGH_UPPER_BAND|CREATININE_RISE)\b", shown)) == \
        Counter(f["rule"] for f in findings)


def test_one_disclaimer_and_one_default_product_in_the_code():
    from dosing.core.wording import DEFAULT_PRODUCT, DISCLAIMER

    sources = {p: p.read_text(encoding="utf-8") for d in ("dosing", "tui") for p in (ROOT / d).rglob("*.py")}
    wording = ROOT / "dosing" / "core" / "wording.py"
    assert [p for p, text in sources.items() if "not a prescription" in text] == [wording]
    assert [p for p, text in sources.items() if f'"{DEFAULT_PRODUCT}"' in text] == [wording]
    assert DISCLAIMER.endswith("the prescriber decides.")
