"""The worklist core (one evaluation for every patient) and the store's audit columns and column read."""
from __future__ import annotations

import datetime as dt
import sqlite3

import numpy as np

from dosing.core.columns import from_events
from dosing.core.models import Event, Patient
from dosing.core.worklist import baseline, worklist
from dosing.store.db import Store
from dosing.store.schema import MIGRATIONS

TODAY = dt.date(2026, 11, 22)


def events_of_three():
    return [
        Event(patient_id="B", date="2026-11-01", weight="70 kg", creatinine="60 umol/L", line=1),
        Event(patient_id="B", date="2026-11-02", event="start", dose="5 mg/day", line=2),
        Event(patient_id="B", date="2026-11-12", creatinine="90 umol/L", sbp="185 mmHg", dbp="82 mmHg", line=3),
        Event(patient_id="B", date="2026-11-19", sbp="130 mmHg", dbp="80 mmHg", line=4),
        Event(patient_id="A", date="2026-11-10", weight="70 kg", creatinine="70 umol/L", line=5),
        Event(patient_id="A", date="2026-11-11", event="start", dose="7 mg/day", line=6),
        Event(patient_id="C", date="2026-10-01", creatinine="70 umol/L", line=7),
        Event(patient_id="C", date="2026-10-02", event="start", dose="7 mg/day", line=8),
    ]


def test_a_later_measurement_closes_a_finding_and_an_unanswered_one_stays_open(profile):
    got = {s.patient_id: s for s in worklist(from_events(events_of_three()), profile, TODAY)}
    b = got["B"]
    # BP_SEVERE of 11-12 is answered by the BP of 11-19; the creatinine rise (50%) is not answered
    assert (b.severity, b.rule, b.open_count) == ("alert", "CREATININE_RISE", 1)
    assert not got["A"].needs_action and got["A"].next_due_by == dt.date(2026, 11, 25)
    assert got["C"].overdue and got["C"].severity is None and got["C"].needs_action
    order = sorted(got.values(), key=lambda s: s.urgency())
    assert [s.patient_id for s in order] == ["B", "C", "A"]


def test_the_batch_worklist_agrees_with_one_patient_at_a_time(profile):
    events = events_of_three()
    together = {s.patient_id: s for s in worklist(from_events(events), profile, TODAY)}
    for pid in "ABC":
        alone = worklist(from_events([e for e in events if e.patient_id == pid]), profile, TODAY)
        assert alone == [together[pid]]


def test_the_baseline_is_the_latest_creatinine_before_the_start(profile):
    events = events_of_three()[:4]
    b = baseline(events, profile)
    assert (b.value, b.date, b.assumed) == (60.0, dt.date(2026, 11, 1), False)


def test_the_store_reads_every_current_event_as_canonical_columns(tmp_path):
    with Store.open(tmp_path / "s.db") as s:
        s.add_patient(Patient(patient_id="P", label=""))
        first = s.save_event(Event(patient_id="P", date="2026-11-01", weight="154 lb", creatinine="1.0 mg/dL"))
        s.amend_event(first, Event(patient_id="P", date="2026-11-01", weight="150 lb", creatinine="1.0 mg/dL"),
                      "misread")
        s.save_event(Event(patient_id="Q", date="2026-11-02", event="start", dose="7 mg/day"))
        cols = s.event_columns()
    assert list(cols.patient) == ["P", "Q"]  # the amended version is not current
    assert np.allclose(cols["weight"][0], 150 * 0.45359237)
    assert np.allclose(cols["creatinine"][0], 88.42, rtol=1e-3)  # 1.0 mg/dL in µmol/L
    assert np.isnan(cols["weight"][1]) and cols["dose"][1] == 7.0
    assert list(cols.day) == [dt.date(2026, 11, 1).toordinal(), dt.date(2026, 11, 2).toordinal()]


def test_data_version_changes_when_another_connection_writes(tmp_path):
    with Store.open(tmp_path / "s.db") as s:
        before = s.data_version()
        s.save_event(Event(patient_id="P", date="2026-11-01", creatinine="70 umol/L"))
        assert s.data_version() == before  # our own write: the screen refreshes itself
        with Store.open(tmp_path / "s.db") as other:
            other.save_event(Event(patient_id="P", date="2026-11-02", creatinine="71 umol/L"))
        assert s.data_version() != before


def test_a_version_one_store_is_migrated_and_its_rows_keep_no_author(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("PRAGMA application_id = 1413563218")
    conn.execute("INSERT INTO patient VALUES ('P', 0, '', '2026-01-01T00:00:00+00:00')")
    conn.execute("INSERT INTO event (source, patient_id, date, event, note, saved_at, creatinine) "
                 "VALUES ('entry', 'P', '2026-11-01', 'visit', '', '2026-11-01T00:00:00+00:00', 70.0)")
    conn.commit()
    conn.close()
    with Store.open(path) as s:
        old = s.event_versions(1)[0]
        new_id = s.save_event(Event(patient_id="P", date="2026-11-02", creatinine="71 umol/L"))
        new = s.event_versions(new_id)[0]
    assert old["stored"]["creatinine"]["value"] == 70.0
    assert old["entered_by"] is None and new["entered_by"]
