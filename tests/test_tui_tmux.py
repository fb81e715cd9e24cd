"""The real app in a real terminal (tmux): scripts/tmux_drive.sh drives the main flow and checks the screen."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "tmux_drive.sh"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_the_main_flow_in_a_real_terminal():
    env = {**os.environ, "KEY_PAUSE": os.environ.get("KEY_PAUSE", "0.3")}
    out = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=400, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "PASS: 25 screen checks and the store check" in out.stdout
