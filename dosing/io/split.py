"""Splitting a CSV log into rows and cells: fast numpy/pandas path, csv-module path, per-line refusals."""
from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dosing.io.cells import BOM, WHOLE_ROW, InvalidCell, LogFormatError
from dosing.io.header import Header, parse_header


class LazyCells(MutableMapping[str, np.ndarray]):
    """Cell texts per field, each column made only when first asked for (a take from its distinct texts):
    `tacro check` never needs most of them, a million rows at a time."""

    def __init__(self) -> None:
        self._make: dict[str, Callable[[], np.ndarray]] = {}
        self._made: dict[str, np.ndarray] = {}

    def later(self, field: str, make: Callable[[], np.ndarray]) -> None:
        self._make[field] = make

    def __getitem__(self, field: str) -> np.ndarray:
        if field not in self._made:
            self._made[field] = self._make[field]()
        return self._made[field]

    def __setitem__(self, field: str, value: np.ndarray) -> None:
        self._make.setdefault(field, lambda: value)
        self._made[field] = value

    def __delitem__(self, field: str) -> None:
        self._make.pop(field)
        self._made.pop(field, None)

    def __contains__(self, field: object) -> bool:
        return field in self._make

    def __iter__(self) -> Iterator[str]:
        return iter(self._make)

    def __len__(self) -> int:
        return len(self._make)


@dataclass
class Table:
    """The structurally sound data rows: their lines and, per known field, the cell texts."""

    header: Header
    lines: np.ndarray  # int64 physical line of each row
    cells: MutableMapping[str, np.ndarray]  # field -> object array of cell text (LazyCells on the fast path)
    invalid: list[InvalidCell]  # whole-row problems found while splitting
    rows: int  # data rows seen, including refused ones
    # field -> (codes, distinct texts) with cells[field] == texts[codes], when the splitter has them already
    coded: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


def read_csv_bytes(data: bytes) -> Table:
    """Split CSV bytes into rows strictly (see the module docstring)."""
    if data.startswith(BOM):
        data = data[len(BOM):]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise LogFormatError("the log is UTF-16 text; save it as UTF-8 (CSV UTF-8 in a spreadsheet program)")
    if not data or data.isspace():  # (isspace stops at the first other byte; strip() would copy the file)
        raise LogFormatError("the log is empty: the first line must be a header naming patient_id and date")
    arr = np.frombuffer(data, dtype=np.uint8)
    lone_cr = b"\r" in data and data.count(b"\r") != data.count(b"\r\n")
    if b'"' in data or lone_cr:
        return _split_with_csv_module(data)
    return _split_fast(data, arr)


POSITION_BLOCK = 1 << 22


def positions(arr: np.ndarray, byte: int) -> np.ndarray:
    """The offsets of every `byte` in `arr`, found a 4 MB block at a time (no file-sized temporary), as
    32-bit integers when the data allow (a log is at most TACRO_MAX_INPUT_BYTES, 2 GiB by default)."""
    dtype = np.dtype(np.int32 if len(arr) < 2 ** 31 - POSITION_BLOCK else np.int64)
    parts: list[np.ndarray] = []
    for i in range(0, len(arr), POSITION_BLOCK):
        found = np.flatnonzero(arr[i:i + POSITION_BLOCK] == byte).astype(dtype)
        found += i
        parts.append(found)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def _line_bounds(data: bytes, arr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, end (exclusive, without CR/LF) and next-start of each physical line."""
    nl = positions(arr, 10).astype(np.int64)
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
    """No quote characters: find every comma with numpy, count them per line, and cut the good lines' cells
    at them (`_split_columns`)."""
    starts, ends, nxt = _line_bounds(data, arr)
    nlines = len(starts)
    comma_at = positions(arr, 44)
    first_comma = np.searchsorted(comma_at, starts)  # the index of each line's first comma in comma_at
    commas = np.diff(np.append(first_comma, len(comma_at)))  # commas from a line's start to the next line's
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
    cells, coded = _split_columns(data, arr, header, starts[good_idx], ends[good_idx], comma_at,
                                  first_comma[good_idx])
    invalid.sort(key=lambda c: c.line)
    return Table(header, good_idx.astype(np.int64) + 1, cells, invalid, int(data_line.sum()), coded)


# MASKS[k]: the low k bytes of a little-endian 64-bit word.
_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
WORD_BYTES = 8
SHORT_FIELD = 2 * WORD_BYTES  # longer cells (notes, long ids) are read as Python text, one per cell


def _split_columns(data: bytes, arr: np.ndarray, header: Header, start: np.ndarray, end: np.ndarray,
                   comma_at: np.ndarray, first_comma: np.ndarray) -> tuple[MutableMapping[str, np.ndarray], dict]:
    """The cells of each known field of the good lines, exactly as written, and their (codes, distinct texts).

    Each good line (`start`/`end`: its bytes without CR/LF) holds exactly `width - 1` commas, from
    `comma_at[first_comma]` on, so cell j runs from after comma j-1 to comma j. Each cell of up to 16 bytes
    is read as two 64-bit words and the distinct cells are found by hashing those words (pandas.factorize):
    a million-row column makes only its distinct texts into Python strings, and the cell array is a
    take from them. (What pandas' C reader returns for the same lines, tests/test_split_columns.py checks.)
    """
    n = len(start)
    if n == 0:
        return {f: np.zeros(0, dtype=object) for f in header.positions}, {}
    words = _Words(arr)
    width = header.width
    cells: LazyCells = LazyCells()
    coded = {}
    for f, j in header.positions.items():
        cell_start = start if j == 0 else comma_at[first_comma + (j - 1)] + 1
        cell_end = end if j == width - 1 else comma_at[first_comma + j]
        codes, texts = _distinct_cells(data, words, cell_start, cell_end)
        if len(texts) < 2 ** 31:  # half the memory for a long log's codes
            codes = codes.astype(np.int32)
        cells.later(f, functools.partial(np.take, texts, codes))
        coded[f] = (codes, texts)
    return cells, coded


class _Words:
    """The 64-bit little-endian word at any byte offset of the data (bytes past the end read as zero),
    without copying the data: a strided view for offsets a whole word fits after, a small padded copy of
    the last bytes for the rest."""

    def __init__(self, arr: np.ndarray):
        self.size = len(arr)
        body = max(self.size - WORD_BYTES + 1, 0)  # offsets with a whole word inside the data
        self.view = np.ndarray((body,), dtype="<u8", buffer=arr, strides=(1,)) if body else np.zeros(0, "<u8")
        self.tail_from = body
        tail = np.zeros(2 * WORD_BYTES, dtype=np.uint8)
        tail[:self.size - body] = arr[body:]
        self.tail = np.ndarray((WORD_BYTES + 1,), dtype="<u8", buffer=tail, strides=(1,))

    def __getitem__(self, offsets: np.ndarray) -> np.ndarray:
        near_end = offsets >= self.tail_from
        if not near_end.any():
            return self.view[offsets]
        out = np.empty(len(offsets), dtype=np.uint64)
        out[~near_end] = self.view[offsets[~near_end]]
        out[near_end] = self.tail[np.minimum(offsets[near_end] - self.tail_from, WORD_BYTES)]
        return out


def _distinct_cells(body, words: _Words, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct texts) of one column's cells given by byte offsets (texts[codes] are the cells)."""
    n = len(start)
    length = end - start
    longest = int(length.max()) if n else 0
    if longest <= SHORT_FIELD:
        codes = _short_codes(words, start, length, longest)
        short = None
    else:
        short = np.flatnonzero(length <= SHORT_FIELD)
        codes = np.empty(n, dtype=np.intp)
        codes[short] = _short_codes(words, start[short], length[short], SHORT_FIELD)
    # The first row of each distinct short cell: a reversed scatter, where the last write (the lowest row) wins.
    rows = np.arange(n) if short is None else short
    first = np.zeros(int(codes[rows].max()) + 1 if len(rows) else 0, dtype=np.int64)
    first[codes[rows][::-1]] = rows[::-1]
    texts = [bytes(body[a:b]).decode("utf-8") for a, b in zip(start[first].tolist(), end[first].tolist())]
    if short is not None:  # notes and other long cells: as Python text, each distinct one once
        long = np.flatnonzero(length > SHORT_FIELD)
        cells = np.empty(len(long), dtype=object)
        cells[:] = [bytes(body[a:b]).decode("utf-8") for a, b in zip(start[long].tolist(), end[long].tolist())]
        l_codes, l_texts = pd.factorize(cells)
        codes[long] = l_codes + len(texts)
        texts += list(l_texts)
    out = np.empty(len(texts), dtype=object)
    out[:] = texts
    return codes, out


def _short_codes(words: _Words, start: np.ndarray, length: np.ndarray, longest: int) -> np.ndarray:
    """Codes of cells of at most 16 bytes: equal cells, equal codes (each cell read as two words, the bytes
    past its end masked off; no cell holds a NUL byte, so the masked zeros cannot make two cells equal)."""
    codes = np.zeros(len(start), dtype=np.intp)
    for w in range(0, longest, WORD_BYTES):
        if w:
            word = words[start + w] & _MASKS[np.clip(length - w, 0, WORD_BYTES)]
        else:
            word = words[start] & _MASKS[np.minimum(length, WORD_BYTES)]
        c, u = pd.factorize(word)
        codes = pd.factorize(codes * len(u) + c)[0] if w else c
    return codes


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

