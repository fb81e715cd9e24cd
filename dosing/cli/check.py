"""`tacro check LOG`: batch-check a monitoring log (CSV, .xlsx) or the store against every rule.

Findings go to stdout (or --out) as a table, JSON or CSV; stderr gets the
unknown columns once and one summary line per rule, plus a progress line on a
terminal only. Exit codes (contract §1): 2 when any row could not be read (the
readable rows are still checked and reported), else 1 when a finding is at or
above --fail-on, else 0.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from pathlib import Path

from dosing import __version__
from dosing.cli.main import ExitCode, add_fail_on, add_format, add_profile_option, collector_paused, exit_for
from dosing.core import clock
from dosing.core.errors import TacroError
from dosing.core.profile import Profile, load_profile
from dosing.core.wording import DISCLAIMER
from dosing.io import csvsafe
from dosing.io.outfile import STDOUT, check_output, private_output

STANCE = f"{DISCLAIMER} Each finding's basis (inputs, threshold, source) is in --format json or csv."
PROGRESS_MIN_BYTES = 2_000_000  # a log smaller than this is read before anyone could watch a progress line


def add_arguments(p) -> None:
    p.add_argument("log", nargs="?", metavar="LOG", help="the monitoring log: a CSV file or an .xlsx workbook")
    add_format(p, ("table", "json", "jsonl", "csv"),
               "table for people (default), json or csv for scripts, jsonl (one finding per line) for pipelines")
    p.add_argument("--out", metavar="FILE", help="write the findings to FILE (0600) instead of stdout ('-' is stdout; "
                                                 "a FIFO or device is written in place)")
    p.add_argument("--force", action="store_true", help="replace --out FILE if it is an existing regular file")
    add_fail_on(p)
    add_profile_option(p)
    p.add_argument("--as-of", metavar="DATE",
                   help="check as of this ISO date (default today): later rows are invalid, later checks not yet due")
    p.add_argument("--db", metavar="PATH", help="check every patient in the store at PATH instead of a LOG")


def run(args) -> int:
    from dosing.batch import engine as batch

    keep_freed_memory()
    if bool(args.log) == bool(args.db):
        raise TacroError("tacro check needs a LOG file or --db PATH (one of them, not both)")
    profile = load_profile(args.profile)
    as_of = _as_of(args.as_of)
    out = Path(args.out) if args.out and args.out != STDOUT else None
    source = Path(args.log) if args.log else Path(args.db)
    if out is not None:
        _refuse_overwriting_input(out, source)
        check_output(out, force=args.force, protect=_protected(args))  # refuse before the work, not after
    size = source.stat().st_size if source.is_file() else 0
    progress = Progress(enabled=sys.stderr.isatty() and size >= PROGRESS_MIN_BYTES)
    try:
        with collector_paused():  # the check makes no reference cycles worth collecting
            if args.log:
                from dosing.io.logfile import read_log

                progress.stage(f"reading {source.name} ({size / 1e6:.0f} MB)")
                log = read_log(source, profile, as_of)
                log.raw, log.notes = {}, log.notes[:0]  # the cell texts are not needed here: free them early
                progress.stage(f"checking {len(log.columns):,} rows")
                result = batch.check_log(log, profile, as_of)
                input_text = str(args.log)
            else:
                progress.stage("reading the store")
                events = _store_events(source)
                progress.stage(f"checking {len(events):,} events")
                result = batch.check_events(events, profile, as_of)
                input_text = f"store:{args.db}"
            progress.stage(f"writing {result.total:,} findings")

            def write(stream) -> None:
                render(result, args.format, profile, as_of, input_text, stream)

            if out is None:
                write(sys.stdout)
                sys.stdout.flush()
            else:
                with private_output(out, force=args.force, protect=_protected(args)) as f:
                    write(f)
    finally:
        progress.done()
    _summary_to_stderr(result, profile)
    if result.rows_invalid:
        return ExitCode.INVALID
    return exit_for(result.severities(), args.fail_on)


# glibc's mallopt parameters (malloc.h): M_TRIM_THRESHOLD and M_MMAP_THRESHOLD.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_KEEP_BYTES = 1 << 29


def keep_freed_memory() -> bool:
    """Let freed arrays be reused instead of handed back to the kernel (glibc only; elsewhere nothing).

    glibc maps each large numpy array afresh and unmaps it when freed, so a million-row check
    page-faults its way through the same few hundred MB again and again: about a third of its CPU
    time was the kernel's. With arrays up to 512 MB taken from the heap and the heap not trimmed, a
    freed array's pages serve the next one. The process ends after the check, so nothing is held long.
    Returns whether the setting took."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _KEEP_BYTES)) and bool(mallopt(_M_TRIM_THRESHOLD, 2 * _KEEP_BYTES))


# ---------------------------------------------------------------------------------------------- input
def _as_of(text: str | None) -> dt.date:
    if text is None:
        return clock.today()
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise TacroError(f"--as-of: got {text!r}; expected an ISO 8601 date such as 2026-11-22") from None
    if day.year < 1950:
        raise TacroError(f"--as-of: got {text!r}; expected a date from 1950 on")
    return day


def _store_events(path: Path):
    from dosing.store.db import Store

    if not path.exists():  # a check never creates a store
        raise TacroError(f"no store at {path}")
    with Store.open(path, create=False) as store:
        if store.damaged:
            sys.stderr.write(f"tacro check: warning: the store {path} is damaged (PRAGMA quick_check failed); "
                             "checking what can still be read. Restore it from a backup.\n")
        return store.all_events()


def _protected(args) -> list[Path]:
    """Files --out must never write through: the store being checked (and its journal files)."""
    return [Path(args.db)] if args.db else []


def _refuse_overwriting_input(out: Path, source: Path) -> None:
    try:
        same = out.exists() and source.exists() and out.samefile(source)
    except OSError:
        same = False
    if same:
        raise TacroError(f"--out {out} is the input itself; choose another file")


# ---------------------------------------------------------------------------------------------- output
def render(result, fmt: str, profile: Profile, as_of: dt.date, input_text: str, stream) -> None:
    """Write the findings to an open text stream, a batch at a time (never the whole output in memory)."""
    if fmt == "json":
        write_json(result, profile, as_of, input_text, stream)
    elif fmt == "jsonl":
        write_jsonl(result, stream)
    elif fmt == "csv":
        write_csv(result, stream)
    else:
        write_table(result, profile, as_of, stream)


def json_head(result, profile: Profile, as_of: dt.date, input_text: str) -> dict:
    """The stable JSON object scripts read (README, section `tacro check`), without its findings."""
    return {
        "tacro_version": __version__,
        "profile": profile.name,
        "as_of": as_of.isoformat(),
        "input": input_text,
        "rows": {"checked": result.rows_checked, "invalid": result.rows_invalid},
        "summary": result.summary,
    }


_ENCODER = json.JSONEncoder(ensure_ascii=False)  # one encoder: json.dumps(..., ensure_ascii=False) builds one per call


def write_json(result, profile: Profile, as_of: dt.date, input_text: str, stream) -> None:
    """The document indented, one finding per line, the findings array written a batch at a time: the
    INPUT_INVALID rows through json's compact C encoder, the rules' findings straight from their columns
    (dosing.batch.jsontext, byte for byte the same text)."""
    from dosing.batch import jsontext

    head = json.dumps(json_head(result, profile, as_of, input_text), indent=2, ensure_ascii=False)
    stream.write(f'{head[:-2]},\n  "findings": ')
    encode = _ENCODER.encode
    first = True
    if result.invalid:
        stream.write("[\n" + ",\n".join("    " + encode(f) for f in result.invalid))
        first = False
    out = _bytes_out(stream)
    for frame in result.frames():
        for chunk in jsontext.chunks(frame, b",\n    ", b""):  # each finding after a separator
            out(b"[\n" + chunk[2:] if first else chunk)
            first = False
    stream.write("[]\n}\n" if first else "\n  ]\n}\n")


def write_jsonl(result, stream) -> None:
    """One finding per line as a compact JSON object (no envelope: the summary goes to stderr)."""
    from dosing.batch import jsontext

    encode = _ENCODER.encode
    stream.write("".join(encode(f) + "\n" for f in result.invalid))
    out = _bytes_out(stream)
    for frame in result.frames():
        for chunk in jsontext.chunks(frame, b"", b"\n"):
            out(chunk)


def _bytes_out(stream):
    """Write UTF-8 bytes to a text stream: to its buffer when it has one (after what was written as text)."""
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        return lambda data: stream.write(data.decode("utf-8"))

    def write(data: bytes) -> None:
        stream.flush()
        buffer.write(data)

    return write


neutralise = csvsafe.neutralise  # one neutraliser for every CSV tacro writes (dosing.io.csvsafe)


def write_csv(result, stream) -> None:
    from dosing.batch.engine import FINDING_COLUMNS

    w = csv.writer(stream, lineterminator="\n")
    w.writerow(FINDING_COLUMNS)
    encode = _ENCODER.encode
    for batch in result.batches():
        rows = []
        for r in batch:
            row = []
            for k in FINDING_COLUMNS:
                v = r[k]
                if k == "basis":
                    v = encode(v) if v else ""
                elif v is None:
                    v = ""
                row.append(neutralise(v) if isinstance(v, str) else v)
            rows.append(row)
        w.writerows(rows)


def write_table(result, profile: Profile, as_of: dt.date, stream) -> None:
    total = result.total
    head = (f"{total:,} finding{'s' if total != 1 else ''} in {result.rows_checked:,} rows checked"
            f"{f', {result.rows_invalid:,} rows not readable' if result.rows_invalid else ''}"
            f" (as of {as_of.isoformat()}, profile {profile.name})")
    if not total:
        stream.write(f"{head}\nno findings\n{STANCE}\n")
        return
    # Column widths from the whole result (known before any finding is formatted).
    pid_w = min(max(len("PATIENT"), result.widest_id), 24)
    rule_w = max(len(r) for r in result.summary)
    line_w = max(len("LINE"), len(str(result.last_line)))
    title = f"{'LINE':>{line_w}}  {'PATIENT':<{pid_w}}  {'DATE':<10}  {'SEVERITY':<8}  {'RULE':<{rule_w}}  MESSAGE"
    stream.write(f"{head}\n{title}\n")
    for batch in result.batches():
        lines = []
        for r in batch:
            pid = r["patient_id"] if len(r["patient_id"]) <= pid_w else r["patient_id"][:pid_w - 1] + "…"
            lines.append(f"{r['line']:>{line_w}}  {pid:<{pid_w}}  {r['date'] or '':<10}  {r['severity']:<8}  "
                         f"{r['rule']:<{rule_w}}  {r['message']}\n")
        stream.write("".join(lines))
    stream.write(f"{STANCE}\n")


def _summary_to_stderr(result, profile: Profile) -> None:
    err = sys.stderr
    if result.unknown_columns:
        err.write(f"tacro check: unknown column(s) ignored: {', '.join(result.unknown_columns)}\n")
    if result.padded_ids:
        err.write(f"tacro check: {result.padded_ids} patient id(s) have leading or trailing blanks; ids are kept "
                  f"exactly as written, so 'A1' and 'A1 ' are different patients\n")
    if not result.summary:
        err.write(f"tacro check: no findings in {result.rows_checked:,} rows\n")
    for rule, count in result.summary.items():
        err.write(f"tacro check: {rule} ({profile.severity(rule)}): {count:,}\n")


class Progress:
    """A one-line stage display on stderr, only on a terminal; nothing at all when piped."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.shown = False

    def stage(self, text: str) -> None:
        if self.enabled:
            sys.stderr.write(f"\r\x1b[Ktacro check: {text}…")
            sys.stderr.flush()
            self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False
