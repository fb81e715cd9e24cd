"""The clinic's data for the screens, without Textual: the store, the profile, today, and core calls.

Screens ask this object; it asks the store and the core (`assess`, `regimen`,
`confirm.dose_jump`) and hands back the core's own result objects. No rule is
evaluated here.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from dosing.core import clock, units
from dosing.core.assess import Assessment, DoseInForce, assess
from dosing.core.errors import InputError, TacroError
from dosing.core.models import Event, Patient
from dosing.core.profile import Profile
from dosing.core.regimen import Regimen
from dosing.core.schedule import DueCheck

# An id no stored event has, so a candidate sorts after every event of its day.
CANDIDATE_LINE = 2**62


class StoreLike(Protocol):
    """The part of `dosing.store.db.Store` the app uses."""

    def add_patient(self, patient: Patient) -> None: ...
    def update_patient(self, patient: Patient) -> None: ...
    def get_patient(self, patient_id: str) -> Patient | None: ...
    def list_patients(self) -> list[Patient]: ...
    def save_event(self, event: Event, entered: dict[str, str] | None = None) -> int: ...
    def amend_event(self, event_id: int, event: Event, reason: str, entered: dict[str, str] | None = None) -> int: ...
    def events(self, patient_id: str) -> list[Event]: ...
    def event_versions(self, event_id: int) -> list[dict]: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class PatientRow:
    """One line of the patient list: who, the dose in force, and the next check due."""

    patient: Patient
    dose: DoseInForce | None
    next_due: DueCheck | None
    overdue: bool
    last_date: dt.date | None
    problem: str = ""
    """Why the patient could not be assessed (shown instead of a due date)."""


@dataclass
class PatientView:
    """Everything the patient screen shows, from the core's assessment of the stored events."""

    patient: Patient
    events: list[Event]
    assessment: Assessment | None

    def step(self, line: int | None) -> dict | None:
        """The assessment of one stored event (by event id), or of the latest when line is None."""
        if self.assessment is None or not self.assessment.per_event:
            return None
        if line is None:
            return self.assessment.per_event[-1]
        return next((s for s in self.assessment.per_event if s["line"] == line), None)

    def series(self, name: str, kind: str) -> list[tuple[dt.date, float, int]]:
        """(date, value in the kind's canonical unit, event id) for every event that has the field."""
        out = []
        for e in sorted(self.events, key=lambda e: (e.date, e.line or 0)):
            q = getattr(e, name)
            if q is not None:
                out.append((e.date, units.to_canonical(q, kind), e.line or 0))
        return out


class Clinic:
    """The store, the active profile and today's date, behind the calls the screens make."""

    def __init__(self, store: StoreLike, profile: Profile, today: dt.date | None = None):
        self.store = store
        self.profile = profile
        self._today = today
        self._rows: dict[tuple, PatientRow] = {}
        """Patient-list lines by (patient, event ids, today): stored events never change in place
        (an amendment is a new id), so an unchanged key means an unchanged assessment."""

    @property
    def today(self) -> dt.date:
        return self._today or clock.today()

    # ------------------------------------------------------------------ reading
    def patients(self) -> list[Patient]:
        return sorted(self.store.list_patients(), key=lambda p: p.patient_id)

    def assess(self, events: list[Event]) -> Assessment | None:
        return assess(events, self.profile, self.today) if events else None

    def row(self, patient: Patient) -> PatientRow:
        """The patient-list line: dose in force, the earliest next check, and whether one is overdue."""
        try:
            events = self.store.events(patient.patient_id)
            key = (patient, tuple(e.line for e in events), self.today)
            if key in self._rows:
                return self._rows[key]
            a = self.assess(events)
        except TacroError as e:
            return PatientRow(patient, None, None, False, None, e.message)
        if a is None:
            return PatientRow(patient, None, None, False, None, "no visits recorded")
        nxt = min(a.due, key=lambda d: d.due_by, default=None)
        row = PatientRow(patient, a.dose, nxt, any(d.overdue for d in a.due), max(e.date for e in events))
        self._rows[key] = row
        return row

    def view(self, patient_id: str) -> PatientView:
        patient = self.store.get_patient(patient_id)
        if patient is None:
            raise InputError("patient_id", patient_id, "a patient in the store")
        events = self.store.events(patient_id)
        return PatientView(patient, events, self.assess(events))

    def regimen_in_force(self, dose: DoseInForce | None) -> Regimen | None:
        """The capsules that make the recorded dose (via the core's regimen), when weight and rate are known."""
        from dosing.core.regimen import regimen

        if dose is None or dose.rate is None or dose.weight is None or dose.rate.value <= 0:
            return None
        return regimen(units.Q_(dose.weight.value, dose.weight.unit), units.Q_(dose.rate.value, "mg/kg/day"),
                       dose.product, self.profile)

    # ------------------------------------------------------------------ writing
    def dose_jump(self, event: Event, replacing: int | None = None) -> str | None:
        """The core's request for confirmation when `event` sets a dose far from the one in force before it."""
        from dosing.core.confirm import dose_jump

        others = [e for e in self.store.events(event.patient_id) if replacing is None or e.line != replacing]
        line = replacing if replacing is not None else CANDIDATE_LINE
        candidate = event.model_copy(update={"line": line})
        a = assess([*others, candidate], self.profile, self.today)
        k = next(i for i, s in enumerate(a.per_event) if s["line"] == line)
        before = a.per_event[k - 1]["dose"] if k > 0 else None
        return dose_jump(before, a.per_event[k]["dose"], self.profile)

    def save(self, event: Event, entered: dict[str, str], amend: int | None = None, reason: str = "") -> int:
        """Save a new event, or amend a stored one (the store keeps the original); returns the event id."""
        if amend is not None:
            return self.store.amend_event(amend, event, reason, entered)
        return self.store.save_event(event, entered)

    def add_patient(self, patient: Patient, baseline: Event, entered: dict[str, str]) -> int:
        """Add a patient with the baseline visit the rules need; a retry after a failed save completes it."""
        existing = self.store.get_patient(patient.patient_id)
        if existing is not None and self.store.events(patient.patient_id):
            raise InputError("patient_id", patient.patient_id, "an id not already in the store")
        if existing is None:
            self.store.add_patient(patient)
        else:
            self.store.update_patient(patient)
        return self.store.save_event(baseline, entered)

    def versions(self, event_id: int) -> list[dict]:
        return self.store.event_versions(event_id)
