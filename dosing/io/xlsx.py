"""Reading an .xlsx monitoring log into the same table the CSV splitter gives."""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import numpy as np

from dosing.io.cells import WHOLE_ROW, InvalidCell, LogFormatError
from dosing.io.header import Header, parse_header
from dosing.io.split import Table, _blank_record, _fields_expected


def read_xlsx(path: Path, data: bytes | None = None) -> Table:
    """The first worksheet of an .xlsx file (its bytes, when already read with bounds); a row number is the
    line. Cells become text as a person sees them."""
    try:
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data) if data is not None else path, read_only=True, data_only=True)
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

