"""The clinic's data for the screens, without Textual: the store, the profile, today, and core calls.

Screens ask this object; it asks the store and the core (`assess`, `regimen`,
`confirm.dose_jump`) and hands back the core's own result objects. No rule is
evaluated here.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from dosing.core import clock, units
from dosing.core.columns import EventColumns, from_events
from dosing.core.errors import InputError
from dosing.core.models import Event, Patient
from dosing.core.profile import Profile
from dosing.core.worklist import Status, worklist

if TYPE_CHECKING:  # imported where used: the first list needs neither one patient's assessment nor regimens
    from dosing.core.assess import Assessment, DoseInForce
    from dosing.core.regimen import Regimen

# An id no stored event has, so a candidate sorts after every event of its day.
CANDIDATE_LINE = 2**62


class StoreLike(Protocol):
    """The part of `dosing.store.db.Store` the app uses."""

    def add_patient(self, patient: Patient) -> None: ...
    def update_patient(self, patient: Patient) -> None: ...
    def get_patient(self, patient_id: str) -> Patient | None: ...
    def list_patients(self) -> list[Patient]: ...
    def save_event(self, event: Event, entered: dict[str, str] | None = None) -> int: ...
    def event_columns(self) -> EventColumns: ...
    def data_version(self) -> int: ...
    def amend_event(self, event_id: int, event: Event, reason: str, entered: dict[str, str] | None = None) -> int: ...
    def events(self, patient_id: str) -> list[Event]: ...
    def event_versions(self, event_id: int) -> list[dict]: ...
    def close(self) -> None: ...


@dataclass
class PatientView:
    """Everything the patient screen shows, from the core's assessment of the stored events."""

    patient: Patient
    events: list[Event]
    assessment: Assessment | None
    open: list = field(default_factory=list)
    """The open findings (not yet answered by a later measurement), most serious first."""
    baseline_change: tuple | None = None
    """(old Baseline, new Baseline, the event that changed it) when the latest saved event moved the baseline."""

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

    def __init__(self, store: StoreLike, profile: Profile, today: dt.date | None = None,
                 now: Callable[[], dt.datetime] | None = None):
        self.store = store
        self.profile = profile
        self._today = today
        self._now = now
        self.changed: set[str] = set()
        """Patients saved through this Clinic since the list last read them (for an incremental refresh)."""

    @property
    def today(self) -> dt.date:
        return self._today or clock.today()

    def clock_now(self) -> dt.datetime:
        """The local time now (injectable, so a screen showing 'updated at' can be pinned in tests)."""
        return self._now() if self._now is not None else dt.datetime.now()

    # ------------------------------------------------------------------ reading
    def patients(self) -> list[Patient]:
        return sorted(self.store.list_patients(), key=lambda p: p.patient_id)

    def assess(self, events: list[Event]) -> Assessment | None:
        from dosing.core.assess import assess

        return assess(events, self.profile, self.today) if events else None

    def worklist(self) -> dict[str, Status]:
        """Every patient's worklist line from one query and one evaluation of the rules over all patients."""
        return {s.patient_id: s for s in worklist(self.store.event_columns(), self.profile, self.today)}

    def status(self, patient_id: str) -> Status | None:
        """One patient's worklist line (after a save), by the same code as the whole list."""
        events = self.store.events(patient_id)
        if not events:
            return None
        return worklist(from_events(events), self.profile, self.today)[0]

    def data_version(self) -> int | None:
        """A number that changes when another process writes to the store (None if the store cannot say)."""
        fn = getattr(self.store, "data_version", None)
        return fn() if fn is not None else None

    def view(self, patient_id: str) -> PatientView:
        patient = self.store.get_patient(patient_id)
        if patient is None:
            raise InputError("patient_id", patient_id, "a patient in the store")
        events = self.store.events(patient_id)
        a = self.assess(events)
        return PatientView(patient, events, a, self.open_findings(events, a), self.baseline_change(events))

    def open_findings(self, events: list[Event], a: Assessment | None) -> list:
        """The assessment's findings still open (the worklist's definition), most serious first."""
        from dosing.core.worklist import open_findings

        return open_findings(events, a, self.profile, self.today)

    def baseline_change(self, events: list[Event]):
        """(before, after, event) if the most recently saved event changed the baseline creatinine."""
        from dosing.core.worklist import baseline

        if len(events) < 2:
            return None
        latest = max(events, key=lambda e: e.line or 0)
        before = baseline([e for e in events if e is not latest], self.profile)
        after = baseline(events, self.profile)
        if before is None or after is None or (before.value, before.date) == (after.value, after.date):
            return None
        return before, after, latest

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
        from dosing.core.assess import assess
        from dosing.core.confirm import dose_jump

        others = [e for e in self.store.events(event.patient_id) if replacing is None or e.line != replacing]
        line = replacing if replacing is not None else CANDIDATE_LINE
        candidate = event.model_copy(update={"line": line})
        a = assess([*others, candidate], self.profile, self.today)
        k = next(i for i, s in enumerate(a.per_event) if s["line"] == line)
        before = a.per_event[k - 1]["dose"] if k > 0 else None
        return dose_jump(before, a.per_event[k]["dose"], self.profile)

    def before_baseline(self, event: Event, replacing: int | None = None) -> str | None:
        """A question when `event` is dated before the patient's baseline (or first) visit, else None."""
        from dosing.core.worklist import baseline

        others = [e for e in self.store.events(event.patient_id) if replacing is None or e.line != replacing]
        if not others:
            return None
        base = baseline(others, self.profile)
        first = min(e.date for e in others)
        limit, what = (base.date, f"the baseline creatinine ({base.date.isoformat()})") if base is not None \
            else (first, f"the first visit on record ({first.isoformat()})")
        if event.date >= limit:
            return None
        return (f"This {event.event.replace('_', ' ')} is dated {event.date.isoformat()}, before {what}. "
                "An earlier visit can change the baseline every creatinine rise is measured against. "
                "Is the date right?")

    def save(self, event: Event, entered: dict[str, str], amend: int | None = None, reason: str = "") -> int:
        """Save a new event, or amend a stored one (the store keeps the original); returns the event id."""
        self.changed.add(event.patient_id)
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
        self.changed.add(patient.patient_id)
        return self.store.save_event(baseline, entered)

    def versions(self, event_id: int) -> list[dict]:
        return self.store.event_versions(event_id)
