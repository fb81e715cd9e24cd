"""The one shape of a finding row (contract §3): its fields, their kinds and their order.

Every output takes its shape from here: the finding dicts (`frames.FindingFrame.records`), the
INPUT_INVALID rows (`dosing.batch.engine.invalid_records`), the CSV header, the JSON and JSON Lines
writer (`dosing.batch.jsontext`, which checks at import that it writes these keys in this order) and
the `Finding` model the TUI, the report and the suggestions show (`dosing.core.models.Finding`, whose
fields are these with `value`/`threshold` carrying their units: a test holds the two together).
A new field is added here, and each writer that fails its test then says where it is missing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text, date, number, integer, object (the basis: key -> text)
    empty: Any  # the value of a row that has none (INPUT_INVALID has no value, threshold or comparison)
    meaning: str


FIELDS: tuple[Field, ...] = (
    Field("patient_id", "text", "", "the patient, exactly as written"),
    Field("date", "date", None, "the date of the row (or the day a check window closed)"),
    Field("rule", "text", "", "the rule's stable identifier"),
    Field("severity", "text", "", "info, warn or alert"),
    Field("message", "text", "", "one plain sentence with the numbers in it"),
    Field("measure", "text", "", "what was measured"),
    Field("value", "number", None, "the measured value"),
    Field("value_unit", "text", "", "the unit of value"),
    Field("threshold", "number", None, "the limit the value was held against"),
    Field("threshold_unit", "text", "", "the unit of threshold"),
    Field("comparison", "text", "", "how value was held against threshold"),
    Field("source", "text", "", "where the rule comes from"),
    Field("line", "integer", None, "the source line of the row, when it came from a file"),
    Field("column", "text", None, "for INPUT_INVALID: the column that could not be read"),
    Field("basis", "object", None, "the inputs the finding rests on, each with its date"),
)
COLUMNS: tuple[str, ...] = tuple(f.name for f in FIELDS)
_EMPTY = {f.name: f.empty for f in FIELDS}


def record(**values: Any) -> dict:
    """A finding row with the fields in schema order; a field not given takes its empty value."""
    unknown = set(values) - set(_EMPTY)
    if unknown:
        raise TypeError(f"not a finding field: {', '.join(sorted(unknown))}")
    row = {name: values.get(name, empty) for name, empty in _EMPTY.items()}
    if row["basis"] is None:
        row["basis"] = {}
    return row
