#!/usr/bin/env python3
"""Set up and run tacro from a fresh checkout with nothing but Python 3.11+.

    python3 dev.py run [ARGS...]   # create .venv if needed, then `tacro ARGS...`
    python3 dev.py test [ARGS...]  # create .venv if needed, then the whole test suite

The virtual environment lives in ./.venv. Dependencies come from requirements.lock
(exact versions with their hashes, installed with pip --require-hashes); tacro itself is
then installed editable with --no-deps. The environment is refreshed when pyproject.toml
or requirements.lock changes (their hash is recorded in .venv/.tacro-installed).

Regenerate the lock after changing a pin in pyproject.toml:
    pip-compile --generate-hashes --extra test --strip-extras --no-emit-index-url \
        --no-emit-find-links --output-file requirements.lock pyproject.toml
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
LOCK = ROOT / "requirements.lock"


# Run before the tests by `python3 dev.py test` (with no extra arguments).
STATIC_CHECKS = [
    ("lint (ruff)", ["ruff", "check", "dosing", "tui", "tests", "benchmarks", "dev.py"]),
    ("import contracts (lint-imports)", ["lint-imports", "--config", "pyproject.toml"]),
    ("types (mypy)", ["mypy"]),  # dosing/ and tui/, configured in pyproject.toml
]


def _python() -> Path:
    return _script("python")


def _script(name: str) -> Path:
    """A console script installed in .venv (ruff, lint-imports, mypy, python)."""
    return VENV / (f"Scripts/{name}.exe" if os.name == "nt" else f"bin/{name}")


def _wanted_stamp() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + LOCK.read_bytes()).hexdigest()


def _pip(py: Path, step: str, args: list[str]) -> None:
    """Run one pip step, saying what it is first; pip's own lines show the progress."""
    print(f"dev.py: {step} ...", file=sys.stderr, flush=True)
    subprocess.run([str(py), "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "on", *args],
                   check=True)


def ensure_env() -> Path:
    """Create .venv and install tacro with its test extras, once per pyproject."""
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py must explain itself on an old Python)
        sys.exit(f"tacro needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    py = _python()
    if not py.exists():
        print("dev.py: creating .venv ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if not STAMP.exists() or STAMP.read_text() != _wanted_stamp():
        pinned = sum(1 for line in LOCK.read_text().splitlines() if "==" in line and not line.startswith("#"))
        _pip(py, f"[1/2] installing {pinned} locked dependencies from requirements.lock (hashes checked; "
                 f"a few minutes the first time)", ["--require-hashes", "--no-deps", "-r", str(LOCK)])
        _pip(py, "[2/2] installing tacro itself (editable, no further dependencies)",
             ["--no-deps", "-e", str(ROOT)])
        STAMP.write_text(_wanted_stamp())
        print("dev.py: environment ready", file=sys.stderr, flush=True)
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
            if subprocess.call([str(_script(cmd[0])), *cmd[1:]], cwd=ROOT) != 0:
                print(f"dev.py: {name} failed", file=sys.stderr)
                return 1
    return subprocess.call([str(py), "-m", "pytest", *argv[1:]], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
