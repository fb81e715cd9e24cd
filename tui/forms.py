"""What the forms mean, without Textual: field texts in, validated core models or field errors out.

Every check is the core's: the unit parsers (`dosing.core.units`) and the models'
validators (`dosing.core.models`), run with the active profile and the injected
today. This module only routes texts to the right model field and each core
error back to the form field that caused it.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from dosing.core import units
from dosing.core.errors import InputError
from dosing.core.models import Event, Patient, check_patient_id
from dosing.core.profile import Profile

EVENT_CHOICES = (("visit", "visit"), ("start", "start"), ("dose change", "dose_change"), ("stop", "stop"))


@dataclass(frozen=True)
class FieldSpec:
    """One text field of a form: its name, label and an example of what to type."""

    name: str
    label: str
    placeholder: str
    required: bool = False


VISIT_FIELDS = (
    FieldSpec("date", "Date", "2026-11-22", required=True),
    FieldSpec("weight", "Weight", "70 kg or 154 lb"),
    FieldSpec("dose", "Daily dose", "7 mg/day, 0.1 mg/kg/day"),
    FieldSpec("trough", "Trough (12 h)", "20.2 ng/mL or 25 nmol/L"),
    FieldSpec("hours_post_dose", "Hours after dose", "12 h"),
    FieldSpec("creatinine", "Creatinine", "92 umol/L or 1.04 mg/dL"),
    FieldSpec("bp", "Blood pressure", "160/100 mmHg"),
    FieldSpec("note", "Note", "free text"),
)

PATIENT_FIELDS = (
    FieldSpec("patient_id", "Patient id", "as your clinic writes it", required=True),
    FieldSpec("label", "Label", "optional display label"),
    FieldSpec("date", "Baseline date", "2026-11-22", required=True),
    FieldSpec("weight", "Weight", "70 kg or 154 lb"),
    FieldSpec("creatinine", "Baseline creatinine", "92 umol/L or 1.04 mg/dL", required=True),
    FieldSpec("bp", "Baseline BP", "160/100 mmHg", required=True),
)

_MEASURED = ("weight", "dose", "dose_rate", "trough", "hours_post_dose", "creatinine", "sbp", "dbp")

# core field -> form field
_FORM_FIELD = {"sbp": "bp", "dbp": "bp", "dose_rate": "dose"}
_DOSE_ALTERNATIVE = "; or a dose per kilogram, e.g. '0.1 mg/kg/day'"


@dataclass
class FormResult:
    """The outcome of reading a form: the validated models, or an error message per form field."""

    errors: dict[str, str] = field(default_factory=dict)
    event: Event | None = None
    patient: Patient | None = None
    entered: dict[str, str] = field(default_factory=dict)
    """Event field -> text as typed (the store keeps it beside the converted value)."""

    @property
    def ok(self) -> bool:
        return not self.errors


def _context(profile: Profile, today: dt.date) -> dict:
    return {"profile": profile, "today": today}


def _dose_key(text: str) -> str:
    """'dose_rate' when the text is written per kilogram (mg/kg/day), else 'dose' (mg/day)."""
    try:
        units.parse(text, "dose_rate", "dose")
    except InputError:
        return "dose"
    return "dose_rate"


def _message(name: str, error: InputError) -> str:
    return error.message + (_DOSE_ALTERNATIVE if name == "dose" and error.field == "dose" and "mg/kg" not in
                            error.message else "")


def _route(errors: Sequence[Mapping[str, Any]], only: str | None = None) -> dict[str, str]:
    """pydantic errors -> {form field: the core's message}. With `only`, field-level errors of that field."""
    out: dict[str, str] = {}
    for e in errors:
        err = (e.get("ctx") or {}).get("error")
        loc = e.get("loc") or ()
        if isinstance(err, InputError):
            name = _FORM_FIELD.get(err.field, err.field)
            msg = _message(name, err)
        else:  # a pydantic error with no core message (should not happen: the core raises InputError)
            name = _FORM_FIELD.get(str(loc[0]), str(loc[0])) if loc else "form"
            msg = f"{name}: {e.get('msg', 'invalid')}"
        if only is not None and (name != only or (not loc and only != "bp")):
            continue
        out.setdefault(name, msg)
    return out


def _event_data(texts: dict[str, str], patient_id: str, kind: str, product: str | None,
                errors: dict[str, str], entered: dict[str, str] | None = None) -> dict:
    """Form texts -> Event data (BP split by the core's parse_bp); `entered` gets each event field's text."""
    entered = {} if entered is None else entered
    data: dict = {"patient_id": patient_id, "date": texts.get("date", ""), "event": kind, "product": product}
    if texts.get("date", "").strip():
        entered["date"] = texts["date"]
    for name, text in texts.items():
        if name in {"date", "label", "patient_id"} or not text.strip():
            continue
        if name == "bp":
            try:
                data["sbp"], data["dbp"] = units.parse_bp(text, "bp")
            except InputError as e:
                errors["bp"] = e.message
                continue
            # the store keeps each pressure's text; both come from this one typed reading
            entered["sbp"] = units.format_quantity(data["sbp"], 6)
            entered["dbp"] = units.format_quantity(data["dbp"], 6)
        elif name == "dose":
            key = _dose_key(text)
            data[key] = entered[key] = text
        elif name == "note":
            data["note"] = text
        else:
            data[name] = entered[name] = text
    return data


def check_field(name: str, text: str, patient_id: str, profile: Profile, today: dt.date) -> str | None:
    """The core's message for one field typed so far, or None when it is acceptable (blank is)."""
    if not text.strip():
        return None
    if name == "patient_id":
        try:
            check_patient_id(text)
        except InputError as e:
            return e.message
        return None
    if name in {"label", "note"}:
        return None
    errors: dict[str, str] = {}
    data = _event_data({name: text} if name != "date" else {}, patient_id or "?", "visit", None, errors)
    data["date"] = text if name == "date" else today
    if errors:
        return errors.get(name)
    try:
        Event.model_validate(data, context=_context(profile, today))
    except ValidationError as e:
        return _route(e.errors(), only=name).get(name)
    return None


def read_visit(texts: dict[str, str], patient_id: str, kind: str, product: str | None, profile: Profile,
               today: dt.date, line: int | None = None) -> FormResult:
    """The visit form as an Event, or the core's message beside each field it refuses."""
    result = FormResult()
    data = _event_data(texts, patient_id, kind, product, result.errors, result.entered)
    if kind == "visit" and not any(k in data for k in (*_MEASURED, "note")) and not result.errors:
        result.errors["form"] = "Nothing to save: type at least one value (a blank field was not measured)."
        return result
    if line is not None:
        data["line"] = line
    try:
        event = Event.model_validate(data, context=_context(profile, today))
    except ValidationError as e:
        for k, v in _route(e.errors()).items():
            result.errors.setdefault(k, v)
        return result
    if not result.errors:
        result.event = event
    return result


def read_new_patient(texts: dict[str, str], prior_cyclosporine_nephrotoxicity: bool, profile: Profile,
                     today: dt.date) -> FormResult:
    """The add-patient form as a Patient and its baseline visit (creatinine, blood pressure, weight)."""
    result = FormResult()
    pid = texts.get("patient_id", "")
    for spec in PATIENT_FIELDS:
        if spec.required and not texts.get(spec.name, "").strip():
            result.errors[spec.name] = f"{spec.label} is needed: " + _WHY_REQUIRED[spec.name]
    try:
        patient = Patient(patient_id=pid, prior_cyclosporine_nephrotoxicity=prior_cyclosporine_nephrotoxicity,
                      label=texts.get("label", "").strip())
    except ValidationError as e:
        for k, v in _route(e.errors()).items():
            result.errors.setdefault(k, v)
        patient = None
    if result.errors:
        return result
    visit = read_visit({k: v for k, v in texts.items() if k in {"date", "weight", "creatinine", "bp"}},
                       pid, "visit", None, profile, today)
    result.errors.update(visit.errors)
    if result.ok:
        result.patient, result.event, result.entered = patient, visit.event, visit.entered
    return result


_WHY_REQUIRED = {
    "patient_id": "how the clinic finds this patient again (kept exactly as typed)",
    "date": "the baseline is dated on or before the start of tacrolimus",
    "creatinine": "the creatinine rise rule compares every later creatinine with this baseline",
    "bp": "blood pressure before treatment tells a new hypertension from an old one",
}


def prefill(event: Event, entered: dict[str, str] | None = None) -> dict[str, str]:
    """The visit form's texts for a saved event: the text as typed where the store kept it."""
    entered = entered or {}
    out = {}
    for spec in VISIT_FIELDS:
        name = spec.name
        if name == "dose":
            text = entered.get("dose") or entered.get("dose_rate")
        elif name == "bp":
            text = None
        else:
            text = entered.get(name)
        out[name] = text or entered_text(event, name)
    return out


def entered_text(event: Event, name: str) -> str:
    """The text a form shows for one field of a saved event (in the unit it was entered in)."""
    if name == "date":
        return event.date.isoformat()
    if name == "bp":
        if event.sbp is None or event.dbp is None:
            return ""
        return f"{units.format_number(event.sbp.magnitude)}/{units.format_quantity(event.dbp)}"
    if name == "dose":
        q = event.dose if event.dose is not None else event.dose_rate
        return units.format_quantity(q, 6) if q is not None else ""
    if name == "note":
        return event.note
    q = getattr(event, name, None)
    return units.format_quantity(q, 6) if q is not None else ""


_HINT_KINDS = {"weight": "weight", "trough": "trough", "creatinine": "creatinine"}


def hint(name: str, text: str) -> str:
    """'≈ 20.1 ng/mL' for a value typed in another unit than the core's, so a unit slip shows at once."""
    kind = _HINT_KINDS.get(name)
    if kind is None or not text.strip():
        return ""
    try:
        q = units.parse(text, kind, name)
    except InputError:
        return ""
    k = units.kind(kind)
    if units.unit_text(q) == k.display:
        return ""
    return f"≈ {units.format_quantity(units.convert(q, k.canonical, kind), 1)}"


def check(name: str, text: str, patient_id: str, profile: Profile, today: dt.date) -> tuple[str | None, str]:
    """(the core's message or None, a conversion hint) for one field as typed so far."""
    error = check_field(name, text, patient_id, profile, today)
    return error, "" if error else hint(name, text)
