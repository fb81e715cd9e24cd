"""Validated models: patient, event (one row of the monitoring log), finding, regimen.

Quantity fields hold pint Quantities. They accept a Quantity or text with its unit
("70 kg"); a bare number is refused. They serialise as {"value": .., "unit": ..}
in the unit that was entered, so nothing is silently re-expressed.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

import pint
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from dosing.core import clock, units
from dosing.core.errors import ImplausibleValueError, InputError
from dosing.core.plausibility import canonical_limits, expected_text, out_of_range
from dosing.core.profile import Profile, Severity, default_profile

EVENT_KINDS = ("start", "dose_change", "visit", "stop")
EventKind = Literal["start", "dose_change", "visit", "stop"]


class Measure(BaseModel):
    """A quantity as plain data at an edge (JSON, CSV, screen): a number and its unit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float
    unit: str

    @classmethod
    def of(cls, q: pint.Quantity) -> Measure:
        return cls(value=float(q.magnitude), unit=units.unit_text(q))

    def __str__(self) -> str:
        sep = "" if self.unit in {"%", ""} else " "
        return f"{units.format_number(self.value)}{sep}{self.unit}"


def _quantity_validator(kind: str):
    def validate(value: Any, info: ValidationInfo) -> pint.Quantity:
        field = info.field_name or kind
        if isinstance(value, dict) and set(value) == {"value", "unit"}:
            if not isinstance(value["value"], (int, float)) or isinstance(value["value"], bool):
                raise InputError(field, value, units.kind(kind).expected)
            value = f"{value['value']} {value['unit']}"
        return units.parse(value, kind, field)

    return validate


def _serialise(q: pint.Quantity) -> dict:
    return {"value": float(q.magnitude), "unit": units.unit_text(q)}


def QuantityOf(kind: str):  # noqa: N802 - reads as a type
    """A pydantic field type for a Quantity of one kind (weight, trough, ...)."""
    return Annotated[
        pint.Quantity,
        BeforeValidator(_quantity_validator(kind)),
        PlainSerializer(_serialise, return_type=dict),
        WithJsonSchema({"type": "object", "properties": {"value": {"type": "number"}, "unit": {"type": "string"}}}),
    ]


if TYPE_CHECKING:  # to a type checker each is a Quantity; pydantic sees the validating Annotated type
    Weight: TypeAlias = pint.Quantity
    DailyDose: TypeAlias = pint.Quantity
    DoseRate: TypeAlias = pint.Quantity
    Trough: TypeAlias = pint.Quantity
    Creatinine: TypeAlias = pint.Quantity
    Pressure: TypeAlias = pint.Quantity
    Duration: TypeAlias = pint.Quantity
else:
    Weight = QuantityOf("weight")
    DailyDose = QuantityOf("daily_dose")
    DoseRate = QuantityOf("dose_rate")
    Trough = QuantityOf("trough")
    Creatinine = QuantityOf("creatinine")
    Pressure = QuantityOf("pressure")
    Duration = QuantityOf("duration")

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _context(info: ValidationInfo) -> tuple[Profile, dt.date]:
    ctx = info.context or {}
    return ctx.get("profile") or default_profile(), ctx.get("today") or clock.today()


def check_patient_id(value: object) -> str:
    """Patient ids are opaque text kept exactly ('NA', '0012'); never blank or with control characters."""
    if not isinstance(value, str):
        raise InputError("patient_id", value, "text (kept exactly as written)")
    if not value.strip():
        raise InputError("patient_id", value, "a non-blank identifier")
    if _CONTROL.search(value) or len(value) > 64:
        raise InputError("patient_id", value, "at most 64 characters with no control characters")
    return value


def check_date(field: str, value: object, today: dt.date) -> dt.date:
    """An ISO 8601 date, not in the future."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise InputError(field, value, "an ISO 8601 date such as 2026-11-22") from None
    if not isinstance(value, dt.date):
        raise InputError(field, value, "an ISO 8601 date such as 2026-11-22")
    if value > today:
        raise InputError(field, value.isoformat(), f"a date on or before today ({today.isoformat()})")
    if value.year < 1950:
        raise InputError(field, value.isoformat(), "a date from 1950 on")
    return value


class Patient(BaseModel):
    """A patient: an opaque identifier and what the rules need to know beforehand."""

    # defer_build: the validator is built on first use, not at import; `tacro dose` never validates one.
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True, defer_build=True)

    patient_id: str
    """Opaque text, kept exactly as written ('NA' and '0012' stay as they are)."""
    prior_cyclosporine_nephrotoxicity: bool = False
    """Reversible nephrotoxicity on cyclosporine before: start lower (paper, Discussion)."""
    label: str = ""
    """Optional display label chosen by the clinic (may identify the patient: never logged)."""

    @field_validator("patient_id", mode="before")
    @classmethod
    def _pid(cls, v: object) -> str:
        return check_patient_id(v)


class Event(BaseModel):
    """One row of the monitoring log (contract §2), values as entered, validated."""

    # defer_build as for Patient: the largest validator of the core, built when first used (never by `tacro dose`).
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True, defer_build=True)

    patient_id: str
    """Opaque text, kept exactly."""
    date: dt.date
    """Date of the event or sample; never in the future."""
    event: EventKind = "visit"
    """start, dose_change, visit or stop."""
    weight: Weight | None = None
    """Body weight."""
    dose: DailyDose | None = None
    """Total daily dose in force from this event on (mg/day)."""
    dose_rate: DoseRate | None = None
    """The daily dose given per kilogram instead (mg/kg/day)."""
    product: str | None = None
    """Formulation key (contract §5); None means immediate-release capsules."""
    trough: Trough | None = None
    """12-hour whole-blood trough."""
    hours_post_dose: Duration | None = None
    """Time from the last dose to the trough sample."""
    creatinine: Creatinine | None = None
    """Serum creatinine."""
    sbp: Pressure | None = None
    """Systolic blood pressure."""
    dbp: Pressure | None = None
    """Diastolic blood pressure."""
    note: str = ""
    """Free text; never interpreted, never logged."""
    line: int | None = None
    """Where the row came from (file line, or store row), for tracing a finding back."""

    @field_validator("patient_id", mode="before")
    @classmethod
    def _pid(cls, v: object) -> str:
        return check_patient_id(v)

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, v: object, info: ValidationInfo) -> dt.date:
        return check_date("date", v, _context(info)[1])

    @field_validator("event", mode="before")
    @classmethod
    def _event(cls, v: object) -> str:
        if v is None or (isinstance(v, str) and not v.strip()):
            return "visit"
        if not isinstance(v, str) or v.strip().lower() not in EVENT_KINDS:
            raise InputError("event", v, f"one of {', '.join(EVENT_KINDS)} (blank means visit)")
        return v.strip().lower()

    @field_validator("product", mode="before")
    @classmethod
    def _product(cls, v: object, info: ValidationInfo) -> str | None:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        profile, _ = _context(info)
        return profile.product(v if isinstance(v, str) else repr(v)).key

    @field_validator("weight", "dose", "dose_rate", "trough", "hours_post_dose", "creatinine", "sbp", "dbp")
    @classmethod
    def _plausible(cls, q: pint.Quantity | None, info: ValidationInfo) -> pint.Quantity | None:
        if q is None:
            return q
        profile, _ = _context(info)
        field = str(info.field_name)
        kind = {"dose": "daily_dose", "hours_post_dose": "duration", "sbp": "pressure", "dbp": "pressure"}.get(
            field, field
        )
        value = units.to_canonical(q, kind)
        if not math.isfinite(value) or out_of_range(field, value, canonical_limits(profile)):
            raise ImplausibleValueError(field, units.format_quantity(q), expected_text(field, profile))
        return q

    @model_validator(mode="after")
    def _consistent(self) -> Event:
        if self.dose is not None and self.dose_rate is not None:
            raise InputError("dose", "both mg/day and mg/kg/day", "the dose either as mg/day or as mg/kg/day, not both")
        if (self.sbp is None) != (self.dbp is None):
            missing = "dbp" if self.dbp is None else "sbp"
            raise InputError(missing, None, "both systolic and diastolic pressure, or neither")
        if self.sbp is not None and self.dbp is not None:
            s, d = units.to_canonical(self.sbp, "pressure"), units.to_canonical(self.dbp, "pressure")
            if d >= s:
                raise InputError(
                    "dbp", f"{units.format_quantity(self.dbp)} with systolic {units.format_quantity(self.sbp)}",
                    "a diastolic pressure below the systolic",
                )
        if self.event == "start" and self.dose is None and self.dose_rate is None:
            raise InputError("dose", None, "a dose on a start event (mg/day, or mg/kg/day with a weight)")
        if self.event == "dose_change" and self.dose is None and self.dose_rate is None:
            raise InputError("dose", None, "the new dose on a dose_change event")
        if self.hours_post_dose is not None and self.trough is None:
            raise InputError("hours_post_dose", units.format_quantity(self.hours_post_dose), "a trough to go with it")
        return self


class Finding(BaseModel):
    """One finding (contract §3): where, which rule, how serious, and the basis it rests on.

    Its fields are the one finding schema's (`dosing.core.findingschema`), in its order, with the units
    inside `value` and `threshold` (tests/test_finding_schema.py holds the two together)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    patient_id: str
    date: dt.date | None
    rule: str
    """Stable identifier, e.g. TROUGH_UPPER_BAND."""
    severity: Severity
    message: str
    """One plain sentence with the numbers in it."""
    measure: str
    """What was measured: 'trough', 'creatinine rise', 'systolic pressure', ..."""
    value: Measure | None
    threshold: Measure | None
    comparison: str
    """How value was held against threshold: '<', '>', '>=', 'outside', ..."""
    source: str
    """The paper and section, a guideline, or the user's profile."""
    line: int | None = None
    """Source line of the row, when it came from a file."""
    column: str | None = None
    """For INPUT_INVALID: the column that could not be read."""
    basis: dict[str, str] = Field(default_factory=dict)
    """The inputs the finding rests on, each with its date (e.g. baseline creatinine)."""


class CapsuleCount(BaseModel):
    """n units of one strength, making up a dose."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strength: Measure
    count: int

    def __str__(self) -> str:
        return f"{self.count} × {self.strength}"
