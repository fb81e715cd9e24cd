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
import errno
import os
import sys
import tempfile
from pathlib import Path

from dosing.cli.main import ExitCode, add_profile_option
from dosing.core import units
from dosing.core.columns import CANONICAL
from dosing.core.errors import InputError, TacroError
from dosing.core.models import Event
from dosing.io import csvsafe

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
        p.add_argument("csv", metavar="OUT.csv", help="the CSV file to write (refused if it exists, unless --force)")
        p.add_argument("--patient", metavar="ID", help="export only this patient's visits")
        p.add_argument("--force", action="store_true", help="replace OUT.csv if it already exists")
    else:
        p.add_argument("csv", metavar="LOG.csv", help="a monitoring log (CSV, see README): imported all or nothing")
        p.add_argument("--allow-duplicates", action="store_true",
                       help="import even rows identical to visits already in the store (refused by default: "
                            "saved visits cannot be deleted, so a file imported twice would stay doubled)")
        add_profile_option(p)
    p.add_argument("--db", metavar="PATH", help="the store (default: TACRO_DB, else the user data folder)")


def run(args) -> int:
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
    events: list[Event] = []
    entered: list[dict[str, str]] = []
    if not problems:
        events, entered, problems = build_events(log, profile, today)
    if problems:
        for line, column, value, expected in problems:
            where = f"column {column}" if column else "whole row"
            shown = "" if column in ("patient_id", "note") or not value else f"got {value!r}; "
            print(f"tacro: line {line}, {where}: {shown}expected {expected}", file=sys.stderr)
        rows = len({p[0] for p in problems})
        print(f"tacro: error: nothing was imported: {len(problems)} problem(s) on {rows} row(s) of "
              f"{log.rows}. Correct them and import the whole file again.", file=sys.stderr)
        return ExitCode.INVALID
    with Store.open(args.db) as store:
        if not getattr(args, "allow_duplicates", False):
            refuse_duplicates(events, store)
        n = store.import_events(events, entered)
        saved_to = store.path
    patients = len({e.patient_id for e in events})
    print(f"imported {n} visit(s) of {patients} patient(s) into {saved_to}")
    return ExitCode.OK


def fingerprint(e: Event) -> tuple:
    """What makes two visits the same: text fields exactly, every value in canonical units."""
    values = tuple(None if getattr(e, f) is None else units.to_canonical(getattr(e, f), k) for f, k in CANONICAL.items())
    return (e.patient_id, e.date, e.event, e.product, e.note, values)


def refuse_duplicates(events: list[Event], store) -> None:
    """Refuse the import when rows are already in the store: nothing saved can be deleted, so a log
    imported twice would stay doubled for good. Lists the lines (never the patient data)."""
    existing = {fingerprint(e) for e in store.all_events()}
    lines = [e.line for e in events if fingerprint(e) in existing]
    if not lines:
        return
    shown = ", ".join(str(n) for n in lines[:20]) + (f" and {len(lines) - 20} more" if len(lines) > 20 else "")
    raise TransferError(f"nothing was imported: {len(lines)} of {len(events)} row(s) are already in the store "
                        f"(same patient, date, event, values and note), on line(s) {shown}. Was this file "
                        "imported before? Remove those rows, or pass --allow-duplicates to import them again.")


def build_events(log, profile, today) -> tuple[list[Event], list[dict[str, str]], list[tuple]]:
    """Events and their entered texts from a log read without problems; (.., .., problems) if any row fails.

    Patient ids and notes were already restored from export neutralisation by the reader.
    Each quantity is entered as the cell text with the column's unit ("154 lb").
    """
    n = len(log.columns)
    raw = log.raw
    fields = [f for f in CANONICAL if f in raw]
    events: list[Event] = []
    entered: list[dict[str, str]] = []
    problems: list[tuple] = []
    context = {"profile": profile, "today": today}
    names = {"dose_rate": "dose"}
    for i in range(n):
        data: dict = {"patient_id": str(raw["patient_id"][i]), "date": str(raw["date"][i]),
                      "line": int(log.columns.line[i])}
        for f in ("event", "product"):
            if f in raw:
                data[f] = str(raw[f][i])
        if "note" in raw:
            data["note"] = str(raw["note"][i])
        typed = {}
        for f in fields:
            text = str(raw[f][i]).strip()
            if text:
                typed[f] = data[f] = f"{text} {log.header_units[f]}"
        try:
            events.append(Event.model_validate(data, context=context))
        except InputError as e:  # read_log agrees with the model; this is a second line of defence
            value = "" if e.field in ("patient_id", "note") else str(e.value)
            problems.append((int(log.columns.line[i]), names.get(e.field, e.field), value, e.expected))
            continue
        entered.append(typed)
    return events, entered, problems


# ---------------------------------------------------------------------------------------------- export


def run_export(args) -> int:
    from dosing.store.db import Store

    with Store.open(args.db, create=False) as store:
        store_path = store.path
        if args.patient is not None:
            if store.get_patient(args.patient) is None:
                raise TransferError("no patient with this id in the store (id withheld); nothing was written")
            events = store.events(args.patient)
        else:
            events = store.all_events()
    out = Path(args.csv).expanduser()
    write_export(events, out, force=args.force, protect=[store_path])
    print(f"exported {len(events)} visit(s) to {out}")
    return ExitCode.OK


def export_rows(events: list[Event]):
    """The header, then one row per event: canonical numbers, neutralised text."""
    yield [h for h, _ in EXPORT_COLUMNS]
    for e in events:
        row = []
        for _, f in EXPORT_COLUMNS:
            if f in CANONICAL:
                q = getattr(e, f)
                row.append("" if q is None else number_text(units.to_canonical(q, CANONICAL[f])))
            elif f == "date":
                row.append(e.date.isoformat())
            else:
                row.append(csvsafe.neutralise(getattr(e, f) or ""))
        yield row


def number_text(x: float) -> str:
    """The shortest plain decimal that reads back as exactly x ('7', '69.85322498000001', '0.00005')."""
    import numpy as np

    return np.format_float_positional(float(x), unique=True, trim="-")


def write_export(events: list[Event], out: Path, *, force: bool, protect: list[Path]) -> None:
    """Write the CSV to a private temporary file beside `out`, then move it into place.

    Refused: `out` is the store or one of its journal files (even with force);
    `out` exists and force is not given; `out` is a folder.
    """
    out = Path(os.path.abspath(out))
    for p in protect:
        for candidate in (p, Path(f"{p}-wal"), Path(f"{p}-shm"), Path(f"{p}-journal")):
            if _same_file(out, candidate):
                raise TransferError(f"refusing to write the export over the store itself ({candidate}); "
                                    "nothing was written")
    if out.is_dir():
        raise TransferError(f"{out} is a folder; give a file name for the export. Nothing was written.")
    if out.exists() and not force:
        raise TransferError(f"{out} already exists; pass --force to replace it. Nothing was written.")
    try:
        fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")  # 0600
    except OSError as e:
        raise TransferError(f"cannot write in {out.parent}: {_reason(e)}. Nothing was written.") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\r\n")  # CRLF: a field with a lone CR gets quoted
            writer.writerows(export_rows(events))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        if force:
            os.replace(tmp, out)
        else:
            _link_new(tmp, out)
    except OSError as e:
        raise TransferError(f"could not write the export {out}: {_reason(e)}. Nothing was written.") from None
    finally:
        tmp.unlink(missing_ok=True)
    from dosing.store.files import sync_folder

    sync_folder(out.parent)


def _link_new(tmp: Path, out: Path) -> None:
    """Put tmp at out only if out does not exist (atomic where hard links work)."""
    try:
        os.link(tmp, out)
    except FileExistsError:
        raise TransferError(f"{out} already exists; pass --force to replace it. Nothing was written.") from None
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        if out.exists():  # no hard links on this file system: check, then rename
            raise TransferError(f"{out} already exists; pass --force to replace it. Nothing was written.") from None
        os.replace(tmp, out)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _reason(e: OSError) -> str:
    from dosing.store.files import os_reason

    return os_reason(e)
