"""`tacro import LOG.csv` and `tacro export OUT.csv`: visits into and out of the store (contract §2).

Import is all or nothing: the log is read strictly by `dosing.io.logfile.read_log`
(the same reader as `tacro check`); one unreadable row and nothing is imported,
and every problem is listed with its line, column, value and what was expected.
Export writes the same format, every value in the store's canonical unit (named
in the header) with the digits needed to read back the very same number, so
export then import reproduces the visits exactly. Text cells a spreadsheet
would run as formulas are neutralised (`dosing.io.csvsafe`), and the reader (dosing.io.logfile) undoes it, for import and check alike.
"""
from __future__ import annotations

import csv
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from dosing.cli.main import ExitCode, add_profile_option, collector_paused
from dosing.core.errors import TacroError
from dosing.io import csvsafe

# Nothing here loads pint, pydantic, numpy or pandas at import: `tacro export` needs none of them (a test
# holds it to that), and `tacro import` loads them with the log reader.

# Export columns: (header, field). `dose [mg/kg/day]` is the dose_rate field (contract §2).
EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("patient_id", "patient_id"), ("date", "date"), ("event", "event"),
    ("weight [kg]", "weight"), ("dose [mg/day]", "dose"), ("dose [mg/kg/day]", "dose_rate"),
    ("product", "product"), ("trough [ng/mL]", "trough"), ("hours_post_dose [h]", "hours_post_dose"),
    ("creatinine [umol/L]", "creatinine"), ("sbp [mmHg]", "sbp"), ("dbp [mmHg]", "dbp"), ("note", "note"),
)


class TransferError(TacroError):
    """An import or export that was refused; nothing was written."""

    title = "import/export"


def add_arguments(p, name: str = "import") -> None:
    if name == "export":
        p.add_argument("csv", metavar="OUT.csv", help="the CSV file to write (refused if it exists, unless --force; "
                                                      "'-' is stdout; a FIFO or device is written in place)")
        p.add_argument("--patient", metavar="ID", help="export only this patient's visits")
        p.add_argument("--force", action="store_true", help="replace OUT.csv if it already exists")
    else:
        p.add_argument("csv", metavar="LOG.csv", help="a monitoring log (CSV, see README): imported all or nothing")
        p.add_argument("--allow-duplicates", action="store_true",
                       help="import even rows identical to visits already in the store (refused by default: "
                            "saved visits cannot be deleted, so a file imported twice would stay doubled)")
        p.add_argument("--confirm-jumps", action="store_true",
                       help="import even dose changes at or beyond the DOSE_JUMP ratio (refused by default: "
                            "a likely tenfold slip; check them against the prescriptions first)")
        add_profile_option(p)
    p.add_argument("--db", metavar="PATH", help="the store (default: TACRO_DB, else the user data folder)")


def run(args) -> int:
    with collector_paused():  # whole columns, no reference cycles worth collecting
        if args.command == "export":
            return run_export(args)
        return run_import(args)


# ---------------------------------------------------------------------------------------------- import


def run_import(args) -> int:
    from dosing.core import clock
    from dosing.core.profile import load_profile
    from dosing.io.logfile import read_log
    from dosing.store.db import Store

    profile = load_profile(getattr(args, "profile", None))
    today = clock.today()
    log = read_log(args.csv, profile=profile, as_of=today)
    if log.unknown_columns:
        print(f"tacro: ignoring unknown column(s): {', '.join(log.unknown_columns)}", file=sys.stderr)
    problems = [(c.line, c.column, c.value, c.expected) for c in log.invalid]
    if problems:
        for line, column, value, expected in problems:
            where = f"column {column}" if column else "whole row"
            shown = "" if column in ("patient_id", "note") or not value else f"got {value!r}; "
            print(f"tacro: line {line}, {where}: {shown}expected {expected}", file=sys.stderr)
        bad_rows = len({p[0] for p in problems})
        print(f"tacro: error: nothing was imported: {len(problems)} problem(s) on {bad_rows} row(s) of "
              f"{log.rows}. Correct them and import the whole file again.", file=sys.stderr)
        return ExitCode.INVALID
    from dosing.store.rows import import_rows

    # By columns: the reader already holds every cell to what the Event model accepts
    # (tests/test_logfile_agreement.py), so no model or Quantity is built per row.
    rows, entered = import_rows(log)
    with Store.open(args.db) as store:
        # The duplicate and dose-jump checks run inside the import's own write transaction: two imports of
        # one file at the same moment are serialised by the store's write lock, and the second finds the
        # first's rows.
        def check(stored: list[tuple]) -> None:
            if not getattr(args, "allow_duplicates", False):
                refuse_duplicate_rows(rows, log.columns.line.tolist(), stored)
            if not getattr(args, "confirm_jumps", False):
                refuse_dose_jumps(log.columns, stored, profile)

        n = store.import_rows(rows, entered, before=check)
        store_path = store.path
    patients = len({r[0] for r in rows})
    print(f"imported {n} visit(s) of {patients} patient(s) into {store_path}")
    return ExitCode.OK


def refuse_duplicate_rows(rows: list[tuple], lines: list[int], stored: list[tuple]) -> None:
    """Refuse the import when rows are already in the store (`stored`: its current events as plain rows, read in
    the import's transaction): nothing saved can be deleted, so a log imported twice would stay doubled for
    good. Two visits are the same when their text fields are exactly and every value in canonical units is
    equal. Lists the lines (never the patient data)."""
    if not stored:
        return
    existing = set(stored)
    found = [line for r, line in zip(rows, lines) if r in existing]
    if not found:
        return
    shown = ", ".join(str(n) for n in found[:20]) + (f" and {len(found) - 20} more" if len(found) > 20 else "")
    raise TransferError(f"nothing was imported: {len(found)} of {len(rows)} row(s) are already in the store "
                        f"(same patient, date, event, values and note), on line(s) {shown}. Was this file "
                        "imported before? Remove those rows, or pass --allow-duplicates to import them again.")


def dose_jumps(file_cols, stored: list[tuple], profile) -> list[tuple[int, dict]]:
    """(file line, DOSE_JUMP finding) for each imported row whose dose jumps from the dose in force,
    judged by the same rule as `tacro check` over the patient's stored visits and the file's rows together."""
    import numpy as np

    from dosing.core import rules
    from dosing.core.columns import concat
    from dosing.store.rows import stored_columns

    n = len(file_cols)
    if not n:
        return []
    mine = stored_columns(stored, set(file_cols.patient.tolist()))
    m = len(mine)
    file_lines = file_cols.line
    # Stored rows first: on one day, the file's row comes after the stored one.
    cols = concat(mine, file_cols) if m else concat(file_cols)
    cols.line = np.arange(1, m + n + 1, dtype=np.int64)
    found = []
    for f in rules.evaluate(cols, profile, None, rules=("DOSE_JUMP",)).records():
        k = f["line"] - 1
        if k >= m:
            found.append((int(file_lines[k - m]), f))
    return found


def refuse_dose_jumps(file_cols, stored: list[tuple], profile) -> None:
    """Refuse an import holding a DOSE_JUMP (a likely tenfold slip) unless --confirm-jumps was given:
    saved visits cannot be deleted. Names the line and both doses (never the patient)."""
    found = dose_jumps(file_cols, stored, profile)
    if not found:
        return
    shown = "; ".join(f"line {line}: {f['basis']['dose']} after {f['basis']['previous_dose']}"
                      for line, f in found[:10])
    more = f"; and {len(found) - 10} more" if len(found) > 10 else ""
    raise TransferError(f"nothing was imported: {len(found)} dose change(s) at or beyond the DOSE_JUMP ratio, "
                        f"a likely tenfold slip ({shown}{more}). Check them against the prescriptions; if they "
                        "are right, import again with --confirm-jumps.")


# ---------------------------------------------------------------------------------------------- export


def run_export(args) -> int:
    from dosing.store.db import Store

    with Store.open(args.db, create=False) as store:
        store_path = store.path
        if store.damaged:  # read what can be read; the store itself is not written to
            print(f"tacro: warning: the store {store_path} is damaged (PRAGMA quick_check failed); exporting "
                  "what can still be read. Restore the store from a backup.", file=sys.stderr)
        if args.patient is not None:
            if not store.has_patient(args.patient):
                raise TransferError("no patient with this id in the store (id withheld); nothing was written")
            rows = store.export_rows(args.patient)
        else:
            rows = store.export_rows(None)
    out = args.csv if args.csv == "-" else Path(args.csv).expanduser()
    write_export(rows, out, force=args.force, protect=[store_path])
    # With `-` (or /dev/stdout) the CSV itself is on stdout: the confirmation goes to stderr.
    from dosing.io.outfile import descriptor_of

    on_stdout = out == "-" or descriptor_of(out) == 1
    print(f"exported {len(rows)} visit(s) to {'stdout' if out == '-' else out}",
          file=sys.stderr if on_stdout else sys.stdout)
    return ExitCode.OK


def export_rows(rows: list[tuple]):
    """The header, then one row per stored event (bulk.IMPORT_COLUMNS tuples): canonical numbers, neutralised
    text, a column at a time (each distinct cell formatted once)."""
    from dosing.store.bulk import IMPORT_COLUMNS
    from dosing.store.schema import QUANTITY_COLUMNS

    yield [h for h, _ in EXPORT_COLUMNS]
    if not rows:
        return
    stored = dict(zip(IMPORT_COLUMNS, zip(*rows)))
    columns: list[Sequence] = []
    for _, f in EXPORT_COLUMNS:
        column = stored[f]
        if f in QUANTITY_COLUMNS:
            texts = {x: number_text(x) for x in set(column) if x is not None}
            texts[None] = ""
        elif f == "date":
            columns.append(column)
            continue
        else:
            texts = {x: csvsafe.neutralise(x or "") for x in set(column)}
        columns.append(list(map(texts.__getitem__, column)))
    yield from zip(*columns)


def number_text(x: float) -> str:
    """The shortest plain decimal that reads back as exactly x ('7', '69.85322498000001', '0.00005'):
    Python's shortest repr, written out without an exponent."""
    text = repr(float(x))
    if "e" in text or "E" in text:
        from decimal import Decimal

        text = format(Decimal(text), "f")
    if text.endswith(".0"):
        text = text[:-2]
    return text


def write_export(rows: list[tuple], out: Path | str, *, force: bool, protect: list[Path]) -> None:
    """Write the CSV by the private-file rules (dosing.io.outfile): a temporary 0600 file beside `out`,
    then moved into place; `-` is stdout; a FIFO or device is written in place.

    Refused: `out` is the store or one of its journal files (even with force);
    `out` exists and force is not given; `out` is a folder, socket or block device.
    """
    from dosing.io.outfile import OutputError, private_output

    if str(out) != "-":
        out = Path(os.path.abspath(out))
    try:
        with private_output(out, force=force, protect=protect) as f:
            writer = csv.writer(f, lineterminator="\r\n")  # CRLF: a field with a lone CR gets quoted
            writer.writerows(export_rows(rows))
    except OutputError as e:
        raise TransferError(e.message) from None
