"""What a stranger installing tacro relies on: version, licence, a clear refusal in a pipe, the wheel."""
from __future__ import annotations

import importlib.metadata
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
