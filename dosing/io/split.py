"""Splitting a CSV log into rows and cells: fast numpy/pandas path, csv-module path, per-line refusals."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dosing.io.cells import BOM, WHOLE_ROW, InvalidCell, LogFormatError
from dosing.io.header import Header, parse_header


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
    for b, why in bad.items():
        if data_line[b]:
            refused[b] = True
            invalid.append(InvalidCell(b + 1, WHOLE_ROW, "", why))
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

