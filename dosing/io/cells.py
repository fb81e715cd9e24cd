"""What every part of the log reader shares: field names, default units, the error and problem types."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from dosing.core.columns import CANONICAL, EventColumns
from dosing.core.errors import TacroError

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
    row_kept: bool = False  # only this cell was lost: the row's other values were read and checked
    consequence: str = ""  # what the checks of the row did without this cell


@dataclass
class LogRead:
    """A log read strictly: the readable rows as columns, and every problem found."""

    columns: EventColumns  # readable rows only, canonical units; .line = 1-based physical line
    invalid: list[InvalidCell]  # every problem, in line order
    unknown_columns: list[str]
    header_units: dict[str, str]  # known field -> unit text used (default, or from [brackets])
    raw: Mapping[str, np.ndarray]  # field -> cell text of the readable rows, exactly as in the file
    notes: np.ndarray  # note text of the readable rows ("" without a note column)
    rows: int = 0  # data rows in the file (readable or not; blank lines not counted)

    @property
    def invalid_lines(self) -> int:
        return len({c.line for c in self.invalid})



def _clean(cell: str) -> str:
    """A header cell fit for a message: control characters replaced, shortened."""
    clean = re.sub(r"[\x00-\x1f\x7f]", "?", cell)
    return clean if len(clean) <= 60 else clean[:60] + "…"


def _shown(cell: str) -> str:
    return repr(_clean(cell))

