"""The header row of a monitoring log: known columns, their positions and units."""
from __future__ import annotations

import re
from dataclasses import dataclass

from dosing.core import units
from dosing.core.columns import CANONICAL
from dosing.io.cells import DEFAULT_UNITS, HEADER_NAMES, REQUIRED, TEXT_FIELDS, LogFormatError, _clean, _shown


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

