"""The README tells the truth by test: every command it shows with its output is run here and compared.

A shown run is a fenced block with the info string `console`. In it, a line starting with `$ tacro`
is a command (shell words; `# exits N` at its end asserts the exit code), and the lines after it,
up to the next command or the end of the block, are what it prints on stdout, line by line:
- a line ending in ` ...` matches any line that starts with the text before it (a shortened message);
- a line that is only `...` matches any number of lines (a part left out);
- every other line must be equal to the printed line (trailing spaces ignored).
The commands run in-process from the checkout's root, as a user of the README would type them.
"""
from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from dosing.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def shown_runs(text: str) -> list[tuple[int, list[str], int | None, list[str]]]:
    """(line number, argv, expected exit or None, expected lines) for every command in a console block."""
    runs: list[tuple[int, list[str], int | None, list[str]]] = []
    inside = False
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            inside = line.strip() == "```console"
            continue
        if not inside:
            continue
        if line.startswith("$ "):
            cmd, _, comment = line[2:].partition(" # ")
            m = re.fullmatch(r"exits (\d+)", comment.strip())
            argv = shlex.split(cmd)
            assert argv[0] == "tacro", f"README line {n}: a shown command must be a tacro command"
            runs.append((n, argv[1:], int(m.group(1)) if m else None, []))
        elif runs:
            runs[-1][3].append(line)
    return runs


def matches(expected: list[str], got: list[str]) -> bool:
    """Whether the printed lines `got` are what `expected` shows (see the module's rules)."""
    if not expected:
        return not got
    head, rest = expected[0].rstrip(), expected[1:]
    if head == "...":
        return any(matches(rest, got[i:]) for i in range(len(got) + 1))
    if not got:
        return False
    line = got[0].rstrip()
    ok = line.startswith(head[:-4]) if head.endswith(" ...") else line == head
    return ok and matches(rest, got[1:])


RUNS = shown_runs(README.read_text(encoding="utf-8"))


def test_the_readme_shows_runs_to_compare():
    assert len(RUNS) >= 2, "the README's console blocks were not found"


def test_the_matcher_can_fail():
    assert matches(["a ...", "...", "z"], ["abc", "x", "y", "z"])
    assert not matches(["a ..."], ["b"])
    assert not matches(["a"], ["a", "extra line"])
    assert not matches(["...", "z"], ["x", "y"])


@pytest.mark.parametrize("line, argv, code, expected", RUNS, ids=[f"README:{r[0]}" for r in RUNS])
def test_a_readme_run_prints_what_the_readme_shows(line, argv, code, expected, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        got_code = main(argv)
    got = out.getvalue().splitlines()
    assert matches(expected, got), (f"README line {line}: `tacro {' '.join(argv)}` printed:\n"
                                    + "\n".join(got))
    if code is not None:
        assert got_code == code
