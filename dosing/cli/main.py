"""The `tacro` command: argument parsing, exit codes, and errors as messages (never tracebacks).

Each subcommand lives in its own module with `add_arguments(parser)` and
`run(args) -> int`, imported only when used, so `tacro dose` never loads
pandas or Textual.
"""
from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum

from dosing.core.errors import TacroError
from dosing.core.wording import DISCLAIMER

# tacro does no linear algebra, yet OpenBLAS (loaded with numpy) starts a worker thread per core that
# spins on start: about 50 ms of CPU on every command. One thread does the same work; a value the user
# set is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


class ExitCode(IntEnum):
    """Exit codes of contract §1."""

    OK = 0
    FINDINGS = 1
    INVALID = 2


# name -> (module, one-line help). `tacro` alone runs `tui`.
COMMANDS: dict[str, tuple[str, str]] = {
    "tui": ("tui.command", "the visit log (Textual) on the embedded store"),
    "dose": ("dosing.cli.dose", "a regimen from weight and mg/kg/day (or the paper's starting dose)"),
    "adjust": ("dosing.cli.adjust", "proportional dose adjustment from a trough, with its caveats"),
    "check": ("dosing.cli.check", "batch-check a monitoring log (CSV, .xlsx or the store)"),
    "replay": ("dosing.cli.replay", "replay published case 1, 2, 3 or all of Duddridge & Powell 1997"),
    "import": ("dosing.cli.transfer", "import a monitoring log CSV into the store (all or nothing)"),
    "export": ("dosing.cli.transfer", "export visits from the store to CSV"),
    "profile": ("dosing.cli.profile", "print the active rule profile, each value with its source"),
    "report": ("dosing.cli.report", "a self-contained patient report for the chart (HTML, or PDF via Chromium)"),
}

DESCRIPTION = (
    "tacro: decision support for oral tacrolimus in SLE (Duddridge & Powell 1997 and modern practice). "
    f"{DISCLAIMER} Quantities carry their unit: '70 kg', '0.1 mg/kg/day'."
)


def version() -> str:
    """The installed distribution's version (one source: `dosing.__version__`, read by pyproject)."""
    from dosing import __version__

    return __version__


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; given a known `command`, only that subcommand's parser is built (and its module loaded)."""
    parser = argparse.ArgumentParser(prog="tacro", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"tacro {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        if command is not None and name != command:
            continue
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == command:
            mod = _load(module)
            if mod is not None:
                mod.add_arguments(p, name) if _takes_name(mod) else mod.add_arguments(p)
    return parser


def _takes_name(mod) -> bool:
    import inspect

    return len(inspect.signature(mod.add_arguments).parameters) > 1


def _load(module: str):
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and module.startswith(e.name):
            return None
        raise


def main(argv: list[str] | None = None) -> int:
    program = argv is None  # run as the program (not called by a test or a script): it owns the process
    if program:
        gc.disable()  # see end_startup
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("--db"):
        argv = ["tui", *argv]
    command = argv[0] if argv[0] in COMMANDS else None
    parser = build_parser(command)
    if program and command != "tui":
        end_startup()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: usage errors exit 2, --help exits 0
        return int(e.code or 0)
    if args.command is None:
        parser.print_help()
        return ExitCode.INVALID
    if args.command == "tui" and not _has_terminal():
        # The visit log needs a terminal; in a pipe it would write escape codes and wait for keys forever.
        print("tacro: error: the visit log needs an interactive terminal (stdin and stdout are not one); "
              "use a subcommand such as 'tacro check LOG.csv' in scripts, or 'tacro --help'", file=sys.stderr)
        return ExitCode.INVALID
    mod = _load(COMMANDS[args.command][0])
    if mod is None:
        print(f"tacro: error: '{args.command}' is not available in this build", file=sys.stderr)
        return ExitCode.INVALID
    try:
        return int(mod.run(args))
    except TacroError as e:
        print(f"tacro: error: {e.message}", file=sys.stderr)
        return ExitCode.INVALID
    except KeyboardInterrupt:
        print("tacro: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return ExitCode.OK
    except Exception as e:  # never a traceback: it could carry patient data
        if os.environ.get("TACRO_DEBUG"):
            raise
        print(f"tacro: internal error ({type(e).__name__}); details withheld because they may contain "
              f"patient data. Re-run with TACRO_DEBUG=1 to see them.", file=sys.stderr)
        return ExitCode.INVALID


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a command builds and writes whole columns. Their hundreds of
    thousands of tuples, strings and arrays hold no reference cycles, yet every few thousand of them start a
    pass over every object loaded so far (pandas, pint and their modules): a tenth to a fifth of a
    million-row check or a large import. The caller's state is restored afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def end_startup() -> None:
    """Turn the cyclic garbage collector back on after start-up, with what start-up allocated frozen.

    Imports (pint, numpy, pydantic, the command's modules) allocate several hundred thousand objects that
    live as long as the process; collecting while they load, and walking them again in every later full
    collection, is wasted work (a tenth of `tacro dose`). Only the program does this, never a caller of
    `main()` such as a test, whose objects are not all long-lived. The visit log calls it once its first
    list is filled (`tui.command`)."""
    gc.freeze()
    gc.enable()


def _has_terminal() -> bool:
    """True when stdin and stdout are a terminal (the visit log cannot run in a pipe)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def add_profile_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", metavar="FILE", help="a TOML profile overriding the built-in 1997 profile")


def add_format(p: argparse.ArgumentParser, choices: tuple[str, ...] = ("table", "json"),
               help_text: str = "table for people (default), json for scripts") -> None:
    """`--format CHOICE` on a command with machine-readable output, and `--json` as its shorthand."""
    p.add_argument("--format", choices=choices, default=choices[0], help=help_text)
    p.add_argument("--json", dest="format", action="store_const", const="json",
                   help="shorthand for --format json: machine-readable output on stdout, nothing else")


def add_fail_on(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fail-on", choices=["info", "warn", "alert"], default="alert",
                   help="exit 1 when a finding is at or above this severity (default: alert)")


def exit_for(severities, fail_on: str) -> int:
    """0, or 1 when any finding is at or above `fail_on` (contract §1)."""
    from dosing.core.profile import SEVERITY_RANK

    limit = SEVERITY_RANK[fail_on]
    return ExitCode.FINDINGS if any(SEVERITY_RANK[s] >= limit for s in severities) else ExitCode.OK
