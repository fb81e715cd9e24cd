#!/usr/bin/env python3
"""Set up and run tacro from a fresh checkout with nothing but Python 3.11+.

    python3 dev.py run [ARGS...]   # create .venv if needed, then `tacro ARGS...`
    python3 dev.py test [ARGS...]  # create .venv if needed, then the whole test suite

The virtual environment lives in ./.venv and is rebuilt when pyproject.toml
changes (its hash is recorded in .venv/.tacro-installed).
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".tacro-installed"


# Run before the tests by `python3 dev.py test` (with no extra arguments).
STATIC_CHECKS = [
    ("lint (ruff)", ["ruff", "check", "dosing", "tui", "tests", "benchmarks", "dev.py"]),
]


def _python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _wanted_stamp() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_env() -> Path:
    """Create .venv and install tacro with its test extras, once per pyproject."""
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py must explain itself on an old Python)
        sys.exit(f"tacro needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    py = _python()
    if not py.exists():
        print("dev.py: creating .venv ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if not STAMP.exists() or STAMP.read_text() != _wanted_stamp():
        print("dev.py: installing tacro and its pinned dependencies ...", file=sys.stderr)
        subprocess.run(
            [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "-e", f"{ROOT}[test]"],
            check=True,
        )
        STAMP.write_text(_wanted_stamp())
    return py


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test"}:
        print(__doc__, file=sys.stderr)
        return 2
    py = ensure_env()
    if argv[0] == "run":
        return subprocess.call([str(py), "-m", "dosing", *argv[1:]])
    if not argv[1:]:  # the whole suite: the static checks first, so CI runs them too
        for name, cmd in STATIC_CHECKS:
            print(f"dev.py: {name} ...", file=sys.stderr, flush=True)
            if subprocess.call([str(py), "-m", *cmd], cwd=ROOT) != 0:
                print(f"dev.py: {name} failed", file=sys.stderr)
                return 1
    return subprocess.call([str(py), "-m", "pytest", *argv[1:]], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
