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

import csv
import datetime as dt
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dosing.core import clock
from dosing.io import csvsafe
from dosing.core import units
from dosing.core.columns import CANONICAL, EVENT_CODES, EventColumns
from dosing.core.errors import SENSITIVE_FIELDS, InputError, TacroError
from dosing.core.models import Event, check_date, check_patient_id
from dosing.core.plausibility import ZERO_ALLOWED, canonical_limits, expected_text
from dosing.core.profile import Profile, default_profile

REQUIRED = ("patient_id", "date")
TEXT_FIELDS = ("patient_id", "date", "event", "product", "note")
NUMERIC_FIELDS = tuple(CANONICAL)  # weight, dose, dose_rate, trough, hours_post_dose, creatinine, sbp, dbp
DEFAULT_UNITS = {
    "weight": "kg", "dose": "mg/day", "dose_rate": "mg/kg/day", "trough": "ng/mL", "hours_post_dose": "h",
    "creatinine": "umol/L", "sbp": "mmHg", "dbp": "mmHg",
}
# Header name (lower case) -> field. `dose [mg/kg/day]` becomes the dose_rate field.
HEADER_NAMES = {name: name for name in (*TEXT_FIELDS, *NUMERIC_FIELDS)}
XLSX_SUFFIXES = (".xlsx", ".xlsm")
BOM = b"\xef\xbb\xbf"
WHOLE_ROW = ""  # InvalidCell.column for a problem with the whole row


class LogFormatError(TacroError):
    """A log that cannot be read at all (no header, unknown unit, duplicated column, unreadable file)."""

    title = "log format"


@dataclass
class InvalidCell:
    """One problem in the log: where, the cell text (withheld for patient_id and note) and what was expected."""

    line: int
    column: str  # contract column name ("trough", "dose"), or "" for the whole row
    value: str
    expected: str
    patient_id: str | None = None  # the row's patient id, when that cell was readable
    date: dt.date | None = None  # the row's date, when that cell was readable


@dataclass
class LogRead:
    """A log read strictly: the readable rows as columns, and every problem found."""

    columns: EventColumns  # readable rows only, canonical units; .line = 1-based physical line
    invalid: list[InvalidCell]  # every problem, in line order
    unknown_columns: list[str]
    header_units: dict[str, str]  # known field -> unit text used (default, or from [brackets])
    raw: dict[str, np.ndarray]  # field -> cell text of the readable rows, exactly as in the file
    notes: np.ndarray  # note text of the readable rows ("" without a note column)
    rows: int = 0  # data rows in the file (readable or not; blank lines not counted)

    @property
    def invalid_lines(self) -> int:
        return len({c.line for c in self.invalid})


def read_log(path: str | Path, profile: Profile | None = None, as_of: dt.date | None = None) -> LogRead:
    """Read a monitoring log (CSV, or .xlsx by suffix) strictly; rows dated after `as_of` (default today) are
    invalid."""
    profile = profile or default_profile()
    as_of = as_of or clock.today()
    path = Path(path)
    if path.suffix.lower() in (".xls", ".ods", ".numbers"):
        raise LogFormatError(f"{path.name}: tacro reads CSV (UTF-8) and .xlsx workbooks; save the log as one of them")
    if path.suffix.lower() in XLSX_SUFFIXES:
        table = _read_xlsx(path)
    else:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise LogFormatError(f"log file not found: {path}") from None
        except IsADirectoryError:
            raise LogFormatError(f"{path} is a folder, not a log file") from None
        except OSError as e:
            raise LogFormatError(f"log file {path} could not be read: {e.strerror}") from None
        table = read_csv_bytes(data)
    return _validate(table, profile, as_of)


# ---------------------------------------------------------------------------------------------- header
@dataclass
class Header:
    """The header row understood: where each known field is, and in which unit."""

    width: int  # number of fields
    positions: dict[str, int]  # field -> column position
    names: dict[str, str]  # field -> contract column name ("dose" for dose_rate)
    units: dict[str, str]  # numeric field -> unit text
    unknown: list[str]
    cells: list[str]  # the header cells as written


_BRACKET = re.compile(r"^(.*?)\s*\[(.*)\]$", re.S)
_PAREN = re.compile(r"^(.*?)\s*\((.*)\)$", re.S)


def parse_header(cells: list[str]) -> Header:
    """Understand the header row; a fatal LogFormatError names the column when it cannot."""
    positions: dict[str, int] = {}
    names: dict[str, str] = {}
    unit_text: dict[str, str] = {}
    unknown: list[str] = []
    for pos, cell in enumerate(cells):
        text = cell.strip()
        unit = None
        m = _BRACKET.match(text)
        if m:
            text, unit = m.group(1).strip(), m.group(2).strip()
        name = text.lower()
        if name not in HEADER_NAMES:
            p = _PAREN.match(text)
            if p and p.group(1).strip().lower() in HEADER_NAMES:
                col = p.group(1).strip()
                raise LogFormatError(f"header column {pos + 1} {_shown(cell)}: write the unit in square brackets, "
                                     f"e.g. '{col} [{p.group(2).strip()}]'")
            unknown.append(_clean(cell.strip()) if cell.strip() else f"(column {pos + 1}, no name)")
            continue
        fld = HEADER_NAMES[name]
        if fld in TEXT_FIELDS:
            if unit is not None:
                raise LogFormatError(f"header column {pos + 1} {_shown(cell)}: {name} takes no unit")
        else:
            unit = _header_unit(fld, name, unit, cell)
            if fld == "dose" and units.KINDS["dose_rate"].spellings.get(units._norm(unit)):
                fld = "dose_rate"
            unit_text[fld] = unit
        if fld in positions:
            raise LogFormatError(f"the header has the column {name!r} twice (columns {positions[fld] + 1} and "
                                 f"{pos + 1}); tacro cannot tell which one to use")
        positions[fld] = pos
        names[fld] = name
    missing = [c for c in REQUIRED if c not in positions]
    if missing:
        hint = ""
        if len(cells) == 1 and any(sep in cells[0] for sep in (";", "\t", "|")):
            hint = " The header looks separated by ';', tab or '|': tacro reads comma-separated files."
        raise LogFormatError(f"the first line must be a header with the columns {' and '.join(REQUIRED)}; "
                             f"missing: {', '.join(missing)}.{hint}")
    return Header(len(cells), positions, names, unit_text, unknown, list(cells))


def _header_unit(fld: str, name: str, unit: str | None, cell: str) -> str:
    if unit is None:
        return DEFAULT_UNITS[fld]
    kinds = ("daily_dose", "dose_rate") if fld == "dose" else (CANONICAL[fld],)
    for kind in kinds:
        if units._norm(unit) in units.KINDS[kind].spellings:
            return unit
    expected = " or ".join(units.KINDS[k].expected for k in kinds)
    raise LogFormatError(f"header column {_shown(cell)}: unit {unit!r} is not accepted for {name}; "
                         f"expected {expected}")


def _clean(cell: str) -> str:
    """A header cell fit for a message: control characters replaced, shortened."""
    clean = re.sub(r"[\x00-\x1f\x7f]", "?", cell)
    return clean if len(clean) <= 60 else clean[:60] + "…"


def _shown(cell: str) -> str:
    return repr(_clean(cell))


# ---------------------------------------------------------------------------------------------- structure
@dataclass
class Table:
    """The structurally sound data rows: their lines and, per known field, the cell texts."""

    header: Header
    lines: np.ndarray  # int64 physical line of each row
    cells: dict[str, np.ndarray]  # field -> object array of cell text
    invalid: list[InvalidCell]  # whole-row problems found while splitting
    rows: int  # data rows seen, including refused ones


def read_csv_bytes(data: bytes) -> Table:
    """Split CSV bytes into rows strictly (see the module docstring)."""
    if data.startswith(BOM):
        data = data[len(BOM):]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise LogFormatError("the log is UTF-16 text; save it as UTF-8 (CSV UTF-8 in a spreadsheet program)")
    if not data.strip():
        raise LogFormatError("the log is empty: the first line must be a header naming patient_id and date")
    arr = np.frombuffer(data, dtype=np.uint8)
    lone_cr = b"\r" in data and data.count(b"\r") != data.count(b"\r\n")
    if b'"' in data or lone_cr:
        return _split_with_csv_module(data)
    return _split_fast(data, arr)


def _line_bounds(data: bytes, arr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, end (exclusive, without CR/LF) and next-start of each physical line."""
    nl = np.flatnonzero(arr == 10)
    starts = np.concatenate(([0], nl + 1))
    nxt = np.concatenate((nl + 1, [len(data)]))
    if starts[-1] == len(data):
        starts, nxt = starts[:-1], nxt[:-1]
    ends = np.minimum(nxt, len(data))
    ends = ends - (arr[np.maximum(ends - 1, 0)] == 10)  # drop the LF
    cr = (ends > starts) & (arr[np.maximum(ends - 1, 0)] == 13)
    ends = ends - cr
    return starts, ends, nxt


def _bad_lines(data: bytes, arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> dict[int, str]:
    """Line index -> why the line cannot be read at all (not UTF-8, NUL byte)."""
    bad: dict[int, str] = {}
    if b"\x00" in data:
        for i in np.unique(np.searchsorted(starts, np.flatnonzero(arr == 0), side="right") - 1):
            bad[int(i)] = NUL_EXPECTED
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            for i in np.unique(np.searchsorted(starts, np.flatnonzero(arr >= 0x80), side="right") - 1):
                try:
                    data[starts[i]:ends[i]].decode("utf-8")
                except UnicodeDecodeError:
                    bad.setdefault(int(i), UTF8_EXPECTED)
    return bad


NUL_EXPECTED = "text without NUL bytes (this line has one: is the file UTF-16 or binary?)"
UTF8_EXPECTED = ("UTF-8 text: this line has bytes that are not UTF-8 (a Latin-1 or Windows-1252 export?); "
                 "save the file as UTF-8")
REPEATED_HEADER = "a data row, not a repeated header row"
UNMATCHED_QUOTE = "a closing quote: a quoted field starts on this line and never ends"


def _fields_expected(width: int, found: int) -> str:
    hint = " (an unquoted comma, e.g. a decimal comma or a comma in a note?)" if found > width else ""
    return (f"{width} fields as in the header, found {found}{hint}; the row is not read, "
            f"and no value is moved to another column")


def _blank_record(cells) -> bool:
    return all(not c.strip(" \t") for c in cells)


def _split_fast(data: bytes, arr: np.ndarray) -> Table:
    """No quote characters: count commas per line with numpy, then let pandas split the good lines."""
    starts, ends, nxt = _line_bounds(data, arr)
    nlines = len(starts)
    # Commas per line: each reduceat segment runs from a line's start to the next line's start.
    # (int32 accumulation: numpy's cast to int64 here is ten times slower, and no line holds 2**31 commas)
    commas = np.add.reduceat((arr == 44).view(np.uint8), starts, dtype=np.int32) if nlines else np.zeros(0, int)
    bad = _bad_lines(data, arr, starts, ends)
    # Blank: empty, or only commas, spaces and tabs (an empty spreadsheet row). Cheap pre-filter on length.
    length = ends - starts
    blank = length == 0
    for i in np.flatnonzero((length - commas <= 8) & ~blank):
        if int(i) not in bad:
            blank[i] = not data[starts[i]:ends[i]].strip(b" \t,")
    header_i = _first(~blank)
    if header_i is None:
        raise LogFormatError("the log is empty: the first line must be a header naming patient_id and date")
    if header_i in bad:
        raise LogFormatError(f"line {header_i + 1} (the header): expected {bad[header_i]}")
    header_text = data[starts[header_i]:ends[header_i]].decode("utf-8")
    header = parse_header(header_text.split(","))
    width = header.width

    after = np.arange(nlines) > header_i
    data_line = after & ~blank
    wrong = data_line & (commas + 1 != width)
    refused = np.zeros(nlines, dtype=bool)
    invalid = []
    for i, why in bad.items():
        if data_line[i]:
            refused[i] = True
            invalid.append(InvalidCell(i + 1, WHOLE_ROW, "", why))
    for i in np.flatnonzero(wrong & ~refused):
        refused[i] = True
        invalid.append(InvalidCell(int(i) + 1, WHOLE_ROW, "", _fields_expected(width, int(commas[i]) + 1)))
    good = data_line & ~refused
    good_idx = np.flatnonzero(good)
    if good_idx.size == 0:
        cells = {f: np.zeros(0, dtype=object) for f in header.positions}
    else:
        first, last = int(good_idx[0]), int(good_idx[-1])
        if good_idx.size == last - first + 1:  # one contiguous run: no copy
            body = memoryview(data)[starts[first]:nxt[last]]
        else:
            keep = np.repeat(good, nxt - starts)
            body = arr[keep].tobytes()
        cells = _pandas_split(body, header, good_idx.size)
    invalid.sort(key=lambda c: c.line)
    return Table(header, good_idx.astype(np.int64) + 1, cells, invalid, int(data_line.sum()))


def _pandas_split(body, header: Header, expected_rows: int) -> dict[str, np.ndarray]:
    fields = list(header.positions)
    use = [header.positions[f] for f in fields]
    df = pd.read_csv(
        io.BytesIO(body), header=None, names=list(range(header.width)), usecols=use, dtype=object,
        keep_default_na=False, na_filter=False, engine="c", encoding="utf-8", quoting=csv.QUOTE_NONE,
        skip_blank_lines=False,
    )
    if len(df) != expected_rows:  # defensive: the structural scan and pandas disagree
        raise LogFormatError(f"internal reader mismatch ({len(df)} rows parsed, {expected_rows} expected); "
                             "please report this with the file's structure (not its contents)")
    return {f: df[header.positions[f]].to_numpy(dtype=object) for f in fields}


def _first(mask: np.ndarray) -> int | None:
    idx = np.flatnonzero(mask)
    return int(idx[0]) if idx.size else None


def _split_with_csv_module(data: bytes) -> Table:
    """Quotes (or old Mac line ends) present: the csv module, strict, record by record."""
    text = data.decode("utf-8", errors="surrogateescape")
    raw_lines = io.StringIO(text, newline="").readlines()
    lines: list[str] = []
    line_no: list[int] = []
    invalid: list[InvalidCell] = []
    bad_before_header: dict[int, str] = {}
    for i, s in enumerate(raw_lines, start=1):
        why = NUL_EXPECTED if "\x00" in s else UTF8_EXPECTED if _has_surrogates(s) else None
        if why:
            bad_before_header[i] = why
            continue
        lines.append(s)
        line_no.append(i)
    header: Header | None = None
    header_line = 0
    rows: list[list[str]] = []
    row_lines: list[int] = []
    seen = 0
    for start, row, error in _csv_records(lines):
        lno = line_no[start]
        if header is None:
            if error is None and _blank_record(row):
                continue
            earlier = [k for k in bad_before_header if k < lno]
            if earlier:
                raise LogFormatError(f"line {earlier[0]} (before or at the header): expected "
                                     f"{bad_before_header[earlier[0]]}")
            if error is not None:
                raise LogFormatError(f"line {lno} (the header): expected {error}")
            header, header_line = parse_header(row), lno
            continue
        if error is None and _blank_record(row):
            continue
        seen += 1
        if error is not None:
            invalid.append(InvalidCell(lno, WHOLE_ROW, "", error))
        elif len(row) != header.width:
            invalid.append(InvalidCell(lno, WHOLE_ROW, "", _fields_expected(header.width, len(row))))
        else:
            rows.append(row)
            row_lines.append(lno)
    if header is None:
        if bad_before_header:
            k = min(bad_before_header)
            raise LogFormatError(f"line {k} (before or at the header): expected {bad_before_header[k]}")
        raise LogFormatError("the log is empty: the first line must be a header naming patient_id and date")
    for k, why in bad_before_header.items():
        if k > header_line:
            seen += 1
            invalid.append(InvalidCell(k, WHOLE_ROW, "", why))
    invalid.sort(key=lambda c: c.line)
    cells = {}
    for f, pos in header.positions.items():
        col = np.empty(len(rows), dtype=object)
        col[:] = [r[pos] for r in rows]
        cells[f] = col
    return Table(header, np.asarray(row_lines, dtype=np.int64), cells, invalid, seen)


def _has_surrogates(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _csv_records(lines: list[str]):
    """(index of the record's first line, fields, error or None) for each record, strict quoting.

    A quoted field that never closes swallows the rest of the file in any CSV
    reader; here its first line is refused and reading resumes on the next line.
    """
    pos = 0
    while pos < len(lines):
        feed = _Feed(lines, pos)
        reader = csv.reader(feed, strict=True)
        while True:
            start = feed.pos
            if start >= len(lines):
                return
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                if "field larger than field limit" in str(e):
                    yield start, [], f"fields of at most {csv.field_size_limit():,} characters"
                    continue
                if feed.pos - start > 1 or "unexpected end of data" in str(e):
                    # The record ran past its line: a quote opened here and never closed properly.
                    yield start, [], UNMATCHED_QUOTE
                    pos = start + 1
                    break
                yield start, [], f"a field either quoted as a whole or not quoted ({e})"
                continue
            yield start, row, None


class _Feed:
    """An iterator over lines that remembers how many it has handed out."""

    def __init__(self, lines: list[str], pos: int):
        self.lines, self.pos = lines, pos

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.lines):
            raise StopIteration
        self.pos += 1
        return self.lines[self.pos - 1]


def _read_xlsx(path: Path) -> Table:
    """The first worksheet of an .xlsx file; a row number is the line. Cells become text as a person sees them."""
    try:
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise LogFormatError(f"log file not found: {path}") from None
    except Exception as e:  # openpyxl raises many types for a damaged file
        raise LogFormatError(f"{path} could not be read as an .xlsx workbook ({type(e).__name__})") from None
    try:
        ws = wb.worksheets[0]
        header: Header | None = None
        rows, row_lines, invalid, seen = [], [], [], 0
        for lno, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [_xlsx_text(v) for v in values]
            if _blank_record(cells):
                continue
            if header is None:
                while cells and not cells[-1].strip():
                    cells.pop()
                header = parse_header(cells)
                continue
            seen += 1
            extra = [c for c in cells[header.width:] if c.strip()]
            if extra:
                last = max(i for i, c in enumerate(cells) if c.strip()) + 1
                invalid.append(InvalidCell(lno, WHOLE_ROW, "", _fields_expected(header.width, last)))
                continue
            cells = (cells + [""] * header.width)[:header.width]
            rows.append(cells)
            row_lines.append(lno)
    finally:
        wb.close()
    if header is None:
        raise LogFormatError("the workbook's first sheet is empty: its first row must be a header")
    cols = {}
    for f, pos in header.positions.items():
        col = np.empty(len(rows), dtype=object)
        col[:] = [r[pos] for r in rows]
        cols[f] = col
    return Table(header, np.asarray(row_lines, dtype=np.int64), cols, invalid, seen)


def _xlsx_text(v) -> str:
    """A spreadsheet cell as the text a CSV export would hold."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time(0) else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    return str(v)


# ---------------------------------------------------------------------------------------------- values
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d+,\d+\s*$")


def _number_problem(text: str, unit: str, example: str, number: str) -> tuple[float, str | None]:
    """(value, None) for a plain number, (nan, None) for a blank cell, (nan, expected) otherwise.

    The grammar is the one `units.parse` reads for the number of "7.5 mg/day":
    the same regular expression, then float(), then a finiteness check.
    """
    if not text.strip():
        return math.nan, None
    m = units._NUMBER.match(text)
    if m and not m.group(2):
        value = float(m.group(1))
        if math.isfinite(value):
            return value, None
        return math.nan, f"a finite number in {unit}"
    if _DECIMAL_COMMA.match(text):
        return math.nan, f"a number with a decimal point, not a comma (e.g. {text.strip().replace(',', '.')})"
    if m and m.group(2):
        return math.nan, (f"a plain number: the unit belongs in the header (e.g. '{example}'), not in the cell; "
                          f"this column is read in {unit}")
    return math.nan, f"a plain number in {unit} (the unit is in the header), e.g. '{number}'"


def _per_unique(cells: np.ndarray, fn, sort: bool = False, keep: list | None = None):
    """Apply fn once per distinct cell text: (codes, list of fn results); `keep` receives the texts."""
    n = len(cells)
    # A mostly empty column (dose, weight, event) hashes only its filled cells; a sample decides cheaply.
    if not sort and n and (cells[:: max(1, n // 512)] == "").mean() > 0.5:
        blank = cells == ""
        if 2 * int(blank.sum()) > n:
            filled = np.flatnonzero(~blank)
            sub, uniques = pd.factorize(cells[filled])
            codes = np.full(n, len(uniques), dtype=np.intp)
            codes[filled] = sub
            uniques = [*uniques, ""]
            if keep is not None:
                keep.extend(uniques)
            return codes, [fn(u) for u in uniques]
    codes, uniques = pd.factorize(cells, sort=sort)
    if keep is not None:
        keep.extend(uniques)
    return codes, [fn(u) for u in uniques]


def _validate(table: Table, profile: Profile, as_of: dt.date) -> LogRead:
    """Hold every cell to what the Event model accepts, column by column (each distinct text once)."""
    h, n = table.header, len(table.lines)
    cells = table.cells
    ok = np.ones(n, dtype=bool)
    problems: list[tuple[str, np.ndarray, list[str | None], np.ndarray]] = []  # (field, codes, expected per uniq)

    def note(fld: str, codes: np.ndarray, expected: list[str | None]):
        bad_u = np.array([e is not None for e in expected], dtype=bool)
        if bad_u.any():
            bad = bad_u[codes]
            ok[bad] = False
            problems.append((fld, codes, expected, bad))

    # patient_id: kept exactly, except that tacro's own export neutralisation ("'-5" for "-5",
    # dosing.io.csvsafe) is undone here, once, so `check` and `import` see the same ids.
    pid_cells = cells["patient_id"]
    if n and any(t.startswith("'") for t in pd.unique(pid_cells)):
        pid_cells = cells["patient_id"] = np.array([csvsafe.restore(t) for t in pid_cells], dtype=object)
    if "note" in cells:
        cells["note"] = np.array([csvsafe.restore(t) if t[:1] == "'" else t for t in cells["note"]], dtype=object)
    pid_texts: list[str] = []
    pid_codes, pid_res = _per_unique(pid_cells, lambda u: _try(check_patient_id, u), sort=True, keep=pid_texts)
    note("patient_id", pid_codes, [e for _, e in pid_res])
    pid_ok = ~np.array([e is not None for _, e in pid_res], dtype=bool)[pid_codes] if n else np.zeros(0, bool)

    # date: the model's check (ISO 8601, from 1950, not after as_of).
    def date_of(u: str):
        d, e = _try(lambda v: check_date("date", v, as_of), u)
        return (d.toordinal() if d is not None else 0), e

    d_codes, d_res = _per_unique(cells["date"], date_of)
    note("date", d_codes, [e for _, e in d_res])
    day = np.array([d for d, _ in d_res], dtype=np.int64)[d_codes] if n else np.zeros(0, np.int64)
    date_ok = ~np.array([e is not None for _, e in d_res], dtype=bool)[d_codes] if n else np.zeros(0, bool)

    # A repeated header row: its patient_id and date cells are the header's own (compared once per distinct text).
    rep = np.zeros(n, dtype=bool)
    pid_name, date_name = h.cells[h.positions["patient_id"]], h.cells[h.positions["date"]]
    pid_is_name = np.array([u == pid_name for u in pid_texts] or [False])
    if pid_is_name.any():
        rep = pid_is_name[pid_codes] & (cells["date"] == date_name)

    event = np.zeros(n, dtype=np.int8)
    if "event" in cells:
        def event_of(u: str):
            name, e = _try(Event._event, u)
            return (EVENT_CODES[name] if name else 0), e

        e_codes, e_res = _per_unique(cells["event"], event_of)
        note("event", e_codes, [e for _, e in e_res])
        event = np.array([c for c, _ in e_res], dtype=np.int8)[e_codes]

    product = np.full(n, "", dtype=object)
    if "product" in cells:
        def product_of(u: str):
            if not u.strip():
                return "", None
            key, e = _try(lambda v: profile.product(v).key, u)
            return key or "", e

        p_codes, p_res = _per_unique(cells["product"], product_of)
        note("product", p_codes, [e for _, e in p_res])
        product = np.array([k for k, _ in p_res] or [""], dtype=object)[p_codes]

    limits = canonical_limits(profile)
    values: dict[str, np.ndarray] = {}
    for fld in NUMERIC_FIELDS:
        if fld not in cells:
            continue
        unit = h.units[fld]
        kind = "dose_rate" if fld == "dose_rate" else CANONICAL[fld]
        factor = units.column_factor(unit, kind, fld)
        example = f"{h.names[fld]} [{unit}]"
        number = units.KINDS[kind].example.split()[0]
        codes, res = _per_unique(cells[fld], lambda u: _number_problem(u, unit, example, number))
        raw_u = np.array([v for v, _ in res] or [math.nan], dtype=float)
        expected = [e for _, e in res]
        with np.errstate(invalid="ignore", over="ignore"):
            canon_u = raw_u * factor
        present = ~np.isnan(raw_u)
        low, high = limits[fld]
        with np.errstate(invalid="ignore"):
            implausible = present & (~np.isfinite(canon_u) | (canon_u < 0) | (canon_u < low) | (canon_u > high)
                                     | ((canon_u == 0) & (fld not in ZERO_ALLOWED)))
        if implausible.any():
            why = expected_text(fld, profile)
            expected = [why if implausible[i] else e for i, e in enumerate(expected)]
        note(fld, codes, expected)
        values[fld] = canon_u[codes] if n else np.zeros(0)

    # Cross-field checks, as Event's model validator: only on rows whose cells are all readable, first failure only.
    cross_bad = np.zeros(n, dtype=bool)
    cross: list[tuple[int, str, str]] = []  # (row, field, expected)

    def has(fld: str) -> np.ndarray:
        return ~np.isnan(values[fld]) if fld in values else np.zeros(n, dtype=bool)

    def flag(mask: np.ndarray, fld, expected: str):
        rows = np.flatnonzero(mask & ok & ~cross_bad & ~rep)
        if rows.size:
            cross_bad[rows] = True
            cross.extend((int(i), fld if isinstance(fld, str) else fld(i), expected) for i in rows)

    has_dose, has_rate = has("dose"), has("dose_rate")
    flag(has_dose & has_rate, "dose", "the dose either as mg/day or as mg/kg/day, not both")
    s_has, d_has = has("sbp"), has("dbp")
    flag(s_has != d_has, lambda i: "sbp" if d_has[i] else "dbp", "both systolic and diastolic pressure, or neither")
    if "sbp" in values and "dbp" in values:
        with np.errstate(invalid="ignore"):
            flag(s_has & d_has & (values["dbp"] >= values["sbp"]), "dbp", "a diastolic pressure below the systolic")
    no_dose = ~has_dose & ~has_rate
    flag((event == EVENT_CODES["start"]) & no_dose, "dose",
         "a dose on a start event (mg/day, or mg/kg/day with a weight)")
    flag((event == EVENT_CODES["dose_change"]) & no_dose, "dose", "the new dose on a dose_change event")
    flag(has("hours_post_dose") & ~has("trough"), "hours_post_dose", "a trough to go with it")

    # Collect every problem as InvalidCell, in line then column order.
    invalid = list(table.invalid)
    lines = table.lines
    for i in np.flatnonzero(rep):
        invalid.append(InvalidCell(int(lines[i]), WHOLE_ROW, "", REPEATED_HEADER))
    order = {f: p for f, p in h.positions.items()}
    cell_problems = []
    for fld, codes, expected, bad in problems:
        for i in np.flatnonzero(bad & ~rep):
            value = "" if fld in SENSITIVE_FIELDS else str(cells[fld][i])
            cell_problems.append((int(lines[i]), order[fld],
                                  InvalidCell(int(lines[i]), h.names[fld], value, expected[codes[i]])))
    for i, fld, expected_text_ in cross:
        value = "" if fld not in cells else str(cells[fld][i])
        cell_problems.append((int(lines[i]), order.get(fld, order.get("dose_rate", 0)),
                              InvalidCell(int(lines[i]), h.names.get(fld, "dose" if fld == "dose_rate" else fld),
                                          value, expected_text_)))
    cell_problems.sort(key=lambda t: (t[0], t[1]))
    invalid.extend(c for _, _, c in cell_problems)
    line_index = {int(k): i for i, k in enumerate(lines)} if invalid else {}
    for c in invalid:
        i = line_index.get(c.line)
        if i is not None and not rep[i]:
            c.patient_id = pid_cells[i] if pid_ok[i] else None
            c.date = dt.date.fromordinal(int(day[i])) if date_ok[i] else None
    invalid.sort(key=lambda c: c.line)

    readable = ok & ~cross_bad & ~rep
    keep = None if readable.all() else np.flatnonzero(readable)

    def sub(a: np.ndarray) -> np.ndarray:
        return a if keep is None else a[keep]

    vals = {f: sub(v) for f, v in values.items()}
    cols = EventColumns(
        patient=sub(pid_cells), day=sub(day), event=sub(event), product=sub(product), line=sub(lines),
        values=vals, patient_code=sub(pid_codes.astype(np.int64)),
    )
    raw = {f: sub(c) for f, c in cells.items()}
    notes = raw["note"] if "note" in raw else np.full(len(cols), "", dtype=object)
    header_units = dict(h.units)
    return LogRead(cols, invalid, list(h.unknown), header_units, raw, notes, table.rows)


def _try(fn, value):
    """(result, None) or (None, what was expected) for the model's own validators."""
    try:
        return fn(value), None
    except InputError as e:
        return None, e.expected
