"""The wheel is complete: built, installed non-editable in a fresh venv, run from outside the checkout.

The rest of the suite runs on an editable install, where files beside the source tree are found
even if the wheel leaves them out; this test is the one that would notice.
"""
from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"


def _stdout_of(golden: str) -> str:
    text = (GOLDEN / golden).read_text(encoding="utf-8")
    return text.split("--- stdout\n", 1)[1].split("--- stderr\n", 1)[0]


@pytest.mark.slow
def test_the_wheel_installed_in_a_fresh_venv_replays_case_2_and_prints_the_profile(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dist),
                    str(ROOT)], check=True, capture_output=True)
    wheels = list(dist.glob("tacro-*.whl"))
    assert len(wheels) == 1
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    py = bin_dir / "python"
    pip = [str(py), "-m", "pip", "install", "--disable-pip-version-check", "--quiet", "--no-deps"]
    subprocess.run([*pip, "--require-hashes", "-r", str(ROOT / "requirements.lock")], check=True)
    subprocess.run([*pip, str(wheels[0])], check=True)

    elsewhere = tmp_path / "elsewhere"  # not the checkout: nothing beside the source tree can be found
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "TACRO_DB"}}
    env["TACRO_DB"] = str(tmp_path / "clinic.db")
    where = subprocess.run([str(py), "-c", "import dosing, tui; print(dosing.__file__); print(tui.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True)
    assert all(Path(line).is_relative_to(env_dir) for line in where.stdout.split()), where.stdout

    tacro = str(bin_dir / "tacro")
    replay = subprocess.run([tacro, "replay", "2"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert (replay.returncode, replay.stderr) == (0, "")
    assert replay.stdout == _stdout_of("replay-2.txt")
    profile = subprocess.run([tacro, "profile"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert (profile.returncode, profile.stderr) == (0, "")
    assert profile.stdout == _stdout_of("profile.txt")
    refs = subprocess.run([tacro, "profile", "--references"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert refs.returncode == 0 and refs.stdout == _stdout_of("profile-references.txt")
    version = subprocess.run([tacro, "--version"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert version.stdout.strip() == "tacro 0.1.0"
