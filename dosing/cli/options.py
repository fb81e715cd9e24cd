"""Refusals that name the command-line option: one line on stderr, exit 2, never a traceback.

The core names its fields ("weight", "trough"); `dose` and `adjust` re-raise the
same error under the option the user typed ("--weight", "--trough"), so every
refusal says which option, which value and what was expected.
"""
from __future__ import annotations

import argparse
import os
import stat
import sys

from dosing.core.errors import InputError, ProfileError
from dosing.core.profile import Profile, load_profile

MAX_PROFILE_BYTES = 1 << 20  # a profile is a page of TOML; a larger "profile" is not read


def printable(text: str) -> str:
    """text on one line: control and other non-printable characters shown escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def as_option(error: InputError, options: dict[str, str]) -> InputError:
    """The same refusal, named by the command-line option that carried the field."""
    field = options.get(error.field, error.field)
    return type(error)(field, error.value, printable(error.expected), line=error.line)


def profile_option(path: str | None) -> Profile:
    """The profile named by --profile, or a refusal naming --profile."""
    if path is not None and (not path.strip() or not path.isprintable()):
        raise InputError("--profile", path, "the path of a TOML profile file")
    if path is not None:
        try:
            info = os.stat(path)
        except (OSError, ValueError):
            raise InputError("--profile", path, "an existing, readable TOML profile file") from None
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_PROFILE_BYTES:
            raise InputError("--profile", path, f"a regular TOML file of at most {MAX_PROFILE_BYTES // 1024} KiB "
                             "(not a device, pipe or directory)")
    try:
        return load_profile(path)
    except ProfileError as e:
        raise InputError("--profile", path, printable(e.message)) from None
    except (ValueError, OSError) as e:
        raise InputError("--profile", path, f"a readable TOML profile file ({type(e).__name__})") from None


def one_line_usage_errors(parser: argparse.ArgumentParser) -> None:
    """Usage errors of this subcommand on one line (exit 2), like every other refusal."""

    def error(message: str):
        print(f"tacro {parser.prog.split()[-1]}: error: {printable(message)}", file=sys.stderr)
        raise SystemExit(2)

    parser.error = error  # type: ignore[method-assign]


def text_option(value: str | None, option: str, expected: str) -> str | None:
    """An optional text value: None when not given, refused when given empty."""
    if value is not None and not value.strip():
        raise InputError(option, value, expected)
    return value
