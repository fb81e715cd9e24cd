"""The strict monitoring-log reader (contract §2): one reader for `tacro check`, `tacro import` and the replay.

`read_log(path)` reads a CSV (or .xlsx) log into `EventColumns` in canonical
units, and lists every cell it could not read (`InvalidCell`) with its line,
column and what was expected. Readable rows are returned even when others are
not; nothing is ever shifted or guessed. Each row is held to exactly what the
`dosing.core.models.Event` model accepts (tests/test_logfile_agreement.py proves it):

* UTF-8 only (a byte-order mark is dropped); a line with bytes that are not
  UTF-8, or with a NUL byte, is refused with its line number.
* The header names are case-insensitive, each with an optional `[unit]` from
  the allow-list; an unknown unit, a duplicated column, a unit in round
  brackets or a missing `patient_id`/`date` column is a fatal `LogFormatError`.
  Unknown columns are listed in `unknown_columns` and ignored.
* A row with more or fewer fields than the header, a repeated header row, or
  a quoted field that never closes is refused as a whole row (column "").
* Lines that are empty or hold only commas and blanks (empty spreadsheet rows)
  are skipped. A cell that is empty or only whitespace is a missing value.
* Patient ids are kept exactly as written, spaces included: "NA", "0012" and
  " 7" are three different ids, never missing values (contract §2).
* Numeric cells are plain numbers with a decimal point; the unit is in the
  header. A decimal comma, a unit inside the cell, NaN or infinity is refused.

Line numbers are physical lines of the file (the header is line 1 when it is
the first line); a quoted field spanning lines is reported at its first line.
For speed, a file without quote characters is split with numpy (fields counted
per line) and parsed by pandas' C reader as text; a file with quotes goes
through the csv module. Each distinct cell text is validated once, so a column
of a million rows costs a hash per row, not a parse.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from dosing.core import clock
from dosing.core.profile import Profile, default_profile
from dosing.io.cells import (
    BOM,
    DEFAULT_UNITS,
    HEADER_NAMES,
    NUMERIC_FIELDS,
    REQUIRED,
    TEXT_FIELDS,
    WHOLE_ROW,
    XLSX_SUFFIXES,
    InvalidCell,
    LogFormatError,
    LogRead,
)
from dosing.io.header import Header, parse_header
from dosing.io.infile import read_input
from dosing.io.split import Table, read_csv_bytes
from dosing.io.validate import validate_table
from dosing.io.xlsx import read_xlsx

__all__ = [
    "BOM",
    "DEFAULT_UNITS",
    "HEADER_NAMES",
    "NUMERIC_FIELDS",
    "REQUIRED",
    "TEXT_FIELDS",
    "WHOLE_ROW",
    "XLSX_SUFFIXES",
    "Header",
    "InvalidCell",
    "LogFormatError",
    "LogRead",
    "Table",
    "parse_header",
    "read_csv_bytes",
    "read_log",
]


def read_log(path: str | Path, profile: Profile | None = None, as_of: dt.date | None = None) -> LogRead:
    """Read a monitoring log (CSV, or .xlsx by suffix) strictly; rows dated after `as_of` (default today) are
    invalid."""
    profile = profile or default_profile()
    as_of = as_of or clock.today()
    path = Path(path)
    if path.suffix.lower() in (".xls", ".ods", ".numbers"):
        raise LogFormatError(f"{path.name}: tacro reads CSV (UTF-8) and .xlsx workbooks; save the log as one of them")
    data = read_input(path)  # regular files only, within the size limit (dosing.io.infile)
    if path.suffix.lower() in XLSX_SUFFIXES:
        table = read_xlsx(path, data)
    else:
        table = read_csv_bytes(data)
    return validate_table(table, profile, as_of)

