"""Small builders for tests: events from short keyword rows."""
from __future__ import annotations

import datetime as dt

from dosing.core.assess import assess
from dosing.core.models import Event


def ev(date: str, pid: str = "p1", **fields) -> Event:
    return Event.model_validate({"patient_id": pid, "date": date, **fields})


def findings(events, rule: str | None = None, as_of: str = "2026-11-22"):
    found = assess(events, as_of=dt.date.fromisoformat(as_of)).findings
    return [f for f in found if rule is None or f.rule == rule]
