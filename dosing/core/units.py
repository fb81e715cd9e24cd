"""The program's one pint registry, and the allow-list of unit spellings clinicians type.

Every quantity enters here: `parse(text, kind, field)` for what a person typed,
`require(q, kind, field)` for what code passes in, `column_factor(unit, kind)`
for a whole CSV column (one factor per column, then a plain multiply).
Stock pint is never given user text directly: it reads `U` as an enzyme unit,
`u` as an atomic mass unit, and cannot tell "0.1 mg/kg/day" from "0.1 /day".
"""
from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources

import pint

from dosing.core.errors import UnitError

# A registry of only the allow-listed units (units.txt, package data): pint's full default registry
# takes longer to build than all of `tacro dose` besides.
with resources.as_file(resources.files("dosing.core") / "units.txt") as _definitions:
    ureg: pint.UnitRegistry = pint.UnitRegistry(str(_definitions), cache_folder=None)
Q_ = ureg.Quantity
Quantity = pint.Quantity


@dataclass(frozen=True)
class Substance:
    """A molecule whose amount-of-substance concentrations convert to mass concentrations."""

    name: str
    molar_mass: pint.Quantity
    source: str


# Chemistry constants (not clinical rules); the sources cite the references table (dosing/core/profiles).
TACROLIMUS = Substance(
    "tacrolimus", Q_(804.0, "g/mol"),
    "[@pubchem]: anhydrous tacrolimus C44H69NO12, 804.0 g/mol, the molecule measured in blood",
)
CREATININE = Substance(
    "creatinine", Q_(113.12, "g/mol"),
    "[@pubchem]: creatinine 113.12 g/mol; 1 mg/dL = 88.4 µmol/L",
)


@dataclass(frozen=True)
class Kind:
    """What a field measures: its canonical unit, accepted spellings and an example."""

    name: str
    canonical: str  # pint unit string used inside the core
    display: str  # how the canonical unit is written on screen
    spellings: dict[str, str]  # normalised spelling -> pint unit string
    example: str
    substance: Substance | None = None
    per_kg: bool = False  # mg/kg/day: told apart from 1/day by spelling, not dimension

    @property
    def expected(self) -> str:
        units = ", ".join(dict.fromkeys(_display(u) for u in self.spellings.values()))
        return f"{self.description} with its unit, e.g. '{self.example}' (accepted units: {units})"

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self.name]


def _sp(*pairs: tuple[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for spellings, unit in pairs:
        for s in spellings.split("|"):
            out[_norm(s)] = unit
    return out


def _norm(unit_text: str) -> str:
    """Normalise a typed unit for allow-list lookup: micro signs, case, spaces."""
    t = unicodedata.normalize("NFKC", unit_text).strip()
    t = t.replace("µ", "u").replace("μ", "u")  # micro sign and Greek mu
    t = re.sub(r"\s+", "", t).lower()
    return t


_DESCRIPTIONS = {
    "weight": "a body weight",
    "dose_rate": "a dose per kilogram per day",
    "daily_dose": "a total daily dose",
    "amount": "a dose amount",
    "trough": "a tacrolimus whole-blood concentration",
    "creatinine": "a serum creatinine concentration",
    "pressure": "a blood pressure",
    "duration": "a time",
    "fraction": "a percentage",
}

KINDS: dict[str, Kind] = {
    k.name: k
    for k in [
        Kind("weight", "kg", "kg", _sp(("kg|kgs|kilogram|kilograms", "kg"), ("lb|lbs|pound|pounds", "lb")), "70 kg"),
        Kind(
            "dose_rate", "mg/kg/day", "mg/kg/day",
            _sp(("mg/kg/day|mg/kg/d|mg/kg/24h|mg/kg per day|mg/kg/daily", "mg/kg/day")),
            "0.1 mg/kg/day", per_kg=True,
        ),
        Kind("daily_dose", "mg/day", "mg/day", _sp(("mg/day|mg/d|mg/24h|mg per day", "mg/day")), "7 mg/day"),
        Kind("amount", "mg", "mg", _sp(("mg", "mg"), ("mcg|ug|microgram|micrograms", "ug")), "3.5 mg"),
        Kind(
            "trough", "ng/mL", "ng/mL",
            _sp(("ng/ml", "ng/mL"), ("ug/l|mcg/l", "ug/L"), ("nmol/l", "nmol/L")),
            "20.2 ng/mL", substance=TACROLIMUS,
        ),
        Kind(
            "creatinine", "umol/L", "µmol/L",
            _sp(("umol/l|mcmol/l", "umol/L"), ("mmol/l", "mmol/L"), ("mg/dl", "mg/dL")),
            "92 µmol/L", substance=CREATININE,
        ),
        Kind("pressure", "mmHg", "mmHg", _sp(("mmhg|mm hg|mm_hg", "mmHg")), "160 mmHg"),
        Kind(
            "duration", "h", "h",
            _sp(("h|hr|hrs|hour|hours", "h"), ("min|mins|minute|minutes", "min"), ("d|day|days", "day"),
                ("week|weeks|wk|wks", "week")),
            "12 h",
        ),
        Kind("fraction", "percent", "%", _sp(("%|percent|pct", "percent")), "30 %"),
    ]
}

_DISPLAY = {"ug/L": "µg/L", "umol/L": "µmol/L", "mmol/L": "mmol/L", "ug": "mcg", "percent": "%"}


def _display(unit: str) -> str:
    return _DISPLAY.get(unit, unit)


# ASCII digits only: '٧٠ kg' or '７０ kg' would otherwise be read as 70 kg without anyone seeing it.
_NUMBER = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(.*?)\s*$", re.ASCII)


def kind(name: str) -> Kind:
    return KINDS[name]


def lookup_unit(unit_text: str, kind_name: str, field: str) -> str:
    """The pint unit string for a typed unit, or UnitError if it is not on the kind's allow-list."""
    k = KINDS[kind_name]
    unit = k.spellings.get(_norm(unit_text))
    if unit is None:
        raise UnitError(field, unit_text, k.expected)
    return unit


def parse(text: object, kind_name: str, field: str) -> pint.Quantity:
    """Read what a clinician typed ("70 kg", "25 nmol/L") into a Quantity in the unit typed.

    A bare number, an unknown spelling, a decimal comma, NaN or infinity is refused
    with a UnitError naming the field, the value and what was expected.
    """
    k = KINDS[kind_name]
    if isinstance(text, pint.Quantity):
        return require(text, kind_name, field)
    if not isinstance(text, str):
        raise UnitError(field, text, f"{k.expected}; a bare number has no unit")
    raw = text.strip()
    if not raw:
        raise UnitError(field, text, k.expected)
    if re.match(r"^\s*[+-]?\d+,\d+", raw):
        raise UnitError(field, text, f"a decimal point, not a comma: {k.expected}")
    m = _NUMBER.match(raw)
    if not m:
        raise UnitError(field, text, k.expected)
    number, unit_text = m.group(1), m.group(2)
    if not unit_text:
        raise UnitError(field, text, f"{k.expected}; '{raw}' has no unit")
    value = float(number)
    if not math.isfinite(value):
        raise UnitError(field, text, k.expected)
    unit = k.spellings.get(_norm(unit_text))
    if unit is None:
        raise UnitError(field, text, k.expected)
    return Q_(value, _unit_object(unit))


@functools.lru_cache(maxsize=256)
def _unit_object(unit: str) -> pint.Unit:
    """The pint Unit for an allow-listed unit string, parsed once: pint's parse costs ~0.1 ms per call."""
    return ureg.Unit(unit)


def require(value: object, kind_name: str, field: str) -> pint.Quantity:
    """Check that code passed a Quantity of the right kind; bare numbers are refused."""
    k = KINDS[kind_name]
    if not isinstance(value, pint.Quantity):
        raise UnitError(field, value, f"{k.expected}; a bare number has no unit")
    if isinstance(value.magnitude, float) and not math.isfinite(value.magnitude):
        raise UnitError(field, value.magnitude, f"a finite number: {k.expected}")
    if k.per_kg and not _is_per_kg(value):
        raise UnitError(field, format_quantity(value), k.expected)
    try:
        to_canonical(value, kind_name)
    except (pint.DimensionalityError, TypeError):
        raise UnitError(field, format_quantity(value), k.expected) from None
    return value


def _is_per_kg(q: pint.Quantity) -> bool:
    """True when the unit is written as mass per mass per time (e.g. mg/kg/day), not 1/day."""
    exps = {u: float(e.real) for u, e in q.unit_items()}  # unit exponents are real numbers
    masses = [u for u in exps if ureg.get_dimensionality(u) == ureg.get_dimensionality("kg")]
    return any(exps[u] > 0 for u in masses) and any(exps[u] < 0 for u in masses)


def to_canonical(q: pint.Quantity, kind_name: str) -> float:
    """The magnitude of q in the kind's canonical unit, converting molar units via the molar mass."""
    if not isinstance(q, pint.Quantity):
        k = KINDS[kind_name]
        raise UnitError(kind_name, q, f"{k.expected}; a bare number has no unit")
    return float(q.magnitude) * _unit_factor(q.units, kind_name)


@functools.lru_cache(maxsize=256)
def _unit_factor(unit: pint.Unit, kind_name: str) -> float:
    """_factor keyed by the Unit itself: str(unit) is pint formatting, ~30 µs per call."""
    return _factor(str(unit), kind_name)


@functools.lru_cache(maxsize=256)
def _factor(unit: str, kind_name: str) -> float:
    """Multiplier from `unit` to the kind's canonical unit, rounded to 12 significant digits.

    Rounding removes pint's float noise (1 µg/L -> 0.9999999999999998 ng/mL), so that
    a value typed in one unit lands exactly on a threshold written in another.
    """
    factor = convert(Q_(1.0, unit), KINDS[kind_name].canonical, kind_name).magnitude
    return float(f"{factor:.12g}")


def convert(q: pint.Quantity, unit: str, kind_name: str) -> pint.Quantity:
    """q in another unit of the same kind (molar and mass concentrations interconvert)."""
    k = KINDS[kind_name]
    molar = "[substance]/[volume]"
    if k.substance is not None and q.check(molar) != Q_(1.0, unit).check(molar):
        mm = k.substance.molar_mass
        q = (q * mm) if q.check(molar) else (q / mm)
    return q.to(unit)


def column_factor(unit_text: str, kind_name: str, field: str) -> float:
    """One multiplier that turns a column typed in `unit_text` into the kind's canonical unit."""
    return _factor(lookup_unit(unit_text, kind_name, field), kind_name)


def canonical(value: float, kind_name: str) -> pint.Quantity:
    """A canonical-unit magnitude back into a Quantity (used at the edges: DB, columns)."""
    return Q_(value, KINDS[kind_name].canonical)


def unit_text(q: pint.Quantity) -> str:
    """How q's unit is written on screen (allow-list spelling, µ for micro, mcg for doses)."""
    if str(q.units) == "percent":
        return "%"
    s = format(q.units, "~P") if not q.unitless else ""
    fixes = {
        "ng/ml": "ng/mL", "µg/l": "µg/L", "nmol/l": "nmol/L", "µmol/l": "µmol/L", "mmol/l": "mmol/L",
        "mg/dl": "mg/dL", "mg/d": "mg/day", "mg/kg/d": "mg/kg/day", "mg/d/kg": "mg/kg/day",
        "µg": "mcg", "hr": "h", "d": "day", "wk": "week",
    }
    return fixes.get(s, s)


def format_number(x: float, places: int = 3) -> str:
    """Safe-writing numbers: leading zero, no trailing zeros ("0.5", "5", "0.096")."""
    if not math.isfinite(x):
        return str(x)
    s = f"{x:.{places}f}".rstrip("0").rstrip(".")
    if s in {"-0", ""}:
        s = "0"
    return s


def format_quantity(q: pint.Quantity, places: int = 3) -> str:
    """'3.5 mg', '0.096 mg/kg/day', '20.2 ng/mL' — a space before the unit, no trailing zero."""
    u = unit_text(q)
    sep = "" if u == "%" else " "
    return f"{format_number(float(q.magnitude), places)}{sep}{u}".strip()


_BP = re.compile(r"^\s*([0-9.]+)\s*/\s*([0-9.]+)\s*(.*?)\s*$")


def parse_bp(text: object, field: str = "bp") -> tuple[pint.Quantity, pint.Quantity]:
    """'160/100 mmHg' -> (systolic, diastolic) Quantities; the unit is required."""
    expected = "systolic/diastolic with the unit, e.g. '160/100 mmHg'"
    if not isinstance(text, str):
        raise UnitError(field, text, expected)
    m = _BP.match(text)
    if not m or not m.group(3):
        raise UnitError(field, text, expected)
    unit = m.group(3)
    return parse(f"{m.group(1)} {unit}", "pressure", field), parse(f"{m.group(2)} {unit}", "pressure", field)
