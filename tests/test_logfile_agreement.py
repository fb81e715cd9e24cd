"""The reader and the Event model agree: a row has a problem exactly when Event.model_validate refuses it,
and what the reader keeps of a row is exactly what the model reads from it without the lost cells.

The reference for a CSV row is the model given each numeric cell with the
column's unit appended ("8.5" under `trough [nmol/L]` -> "8.5 nmol/L"), and a
cell that is empty or only whitespace left out.

A bad cell costs only that cell (contract §3): the reader keeps every row whose
patient_id and date the model's own validators accept, leaves out the cells it
reports (`columns.lost`), and the model must then accept the rest of the row
and give bit-for-bit the same values. One relaxation, by design: a start or
dose_change whose dose was lost keeps its event (the start happened; its dose
is unknown), where the model would refuse the event without a dose.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dosing.core.columns import EVENT_CODES, from_events
from dosing.core.errors import InputError
from dosing.core.models import Event, check_date, check_patient_id
from dosing.core.profile import default_profile
from dosing.io.logfile import read_log

AS_OF = dt.date(2026, 11, 22)
COLUMNS = {  # header -> (field, unit appended for the model, or None for text)
    "patient_id": ("patient_id", None), "date": ("date", None), "event": ("event", None),
    "product": ("product", None), "weight [lb]": ("weight", "lb"), "dose": ("dose", "mg/day"),
    "dose_rate": ("dose_rate", "mg/kg/day"), "trough [nmol/L]": ("trough", "nmol/L"),
    "hours_post_dose": ("hours_post_dose", "h"), "creatinine [mg/dL]": ("creatinine", "mg/dL"),
    "sbp": ("sbp", "mmHg"), "dbp": ("dbp", "mmHg"), "note": ("note", None),
}
NUMERIC = [h for h, (_, u) in COLUMNS.items() if u]

# Cells chosen to sit on every edge of the model's rules, valid and not.
TRICKY = {
    "patient_id": ["p1", "NA", "0012", " p1", "p1 ", "", "   ", "x" * 64, "x" * 65, "a\tb", "Ωμέγα", "=1+1", "-5"],
    "date": ["2026-01-01", "2026-11-22", "2026-11-23", "1950-01-01", "1949-12-31", "20260101", "2026-W01-1",
             " 2026-01-01 ", "2026-02-30", "2026/01/01", "", "2026-01-01T10:00", "yesterday"],
    "event": ["", " ", "start", "Start", " STOP ", "dose_change", "visit", "dose-change", "begin"],
    "product": ["", "ir-capsule", "GRANULES", " pr-once-daily ", "patch", "IR capsule"],
    "number": ["", " ", "0", "0.0", "-0", "7", "7.", ".5", "+3", "-3", "1e1", "1E-1", " 12 ", "\t9", "7,5",
               "7 mg", "nan", "inf", "1e400", "1_0", "٣", "0x1A", "1.2.3", "½", "TRUE", "abc", "1e-400"],
}
PLAUSIBLE = {  # a typical value per numeric column, in the column's unit
    "weight [lb]": ["154", "44", "45", "770", "771", "100.5"], "dose": ["7", "0", "100", "100.1", "3.5"],
    "dose_rate": ["0.1", "1", "1.01", "0.05"], "trough [nmol/L]": ["10", "0", "248.7", "248.8", "24.9"],
    "hours_post_dose": ["12", "48", "48.1", "0"], "creatinine [mg/dL]": ["1", "0.1131", "0.11", "22.62", "22.63"],
    "sbp": ["120", "50", "49", "300", "301"], "dbp": ["80", "20", "19", "200", "201", "120"],
}


def model_row(header: list[str], cells: list[str], line: int) -> dict:
    """The Event input the reader's semantics correspond to."""
    data: dict = {"line": line}
    for h, cell in zip(header, cells):
        field, unit = COLUMNS[h]
        if unit is None:
            data[field] = cell
        elif cell.strip():
            data[field] = f"{cell} {unit}"
    return data


def compare(tmp_path, header: list[str], rows: list[list[str]]):
    buf = io.StringIO()
    w = csv.writer(buf)  # CRLF line ends, so a cell holding CR or LF is quoted
    w.writerow(header)
    starts = []  # the physical line each record starts on (CR, LF and CRLF each end a line)
    for row in rows:
        starts.append(len(re.findall(r"\r\n|\r|\n", buf.getvalue())) + 1)
        w.writerow(row)
    path = tmp_path / "log.csv"
    path.write_bytes(buf.getvalue().encode("utf-8"))
    profile = default_profile()
    log = read_log(path, profile, AS_OF)
    bad_lines = {c.line for c in log.invalid}
    accepted, refused = [], {}
    for cells, line in zip(rows, starts):
        try:
            accepted.append(Event.model_validate(model_row(header, cells, line),
                                                 context={"profile": profile, "today": AS_OF}))
        except InputError as e:
            refused[line] = e
        except ValueError as e:  # pydantic wraps InputError raised inside validators
            refused[line] = e
    assert bad_lines == set(refused), _why(log, refused, rows)
    # Rows kept: exactly those whose patient_id and date the model's validators accept.
    kept = []
    for cells, line in zip(rows, starts):
        row = dict(zip(header, cells))
        try:
            check_patient_id(row["patient_id"])
            check_date("date", row["date"], AS_OF)
        except InputError:
            continue
        kept.append((cells, line))
    got = log.columns
    assert got.line.tolist() == [line for _, line in kept]
    reported = {}
    for c in log.invalid:
        reported.setdefault(c.line, set()).add(c.column)
    reference, events_kept = [], []
    for k, (cells, line) in enumerate(kept):
        lost = {f for f, m in got.lost.items() if m[k]}
        # a lost cell is always reported on its line (itself, or the cross-field rule that cost it)
        for f in lost:
            assert reported.get(line, set()) & (PARTNERS.get(f, {f})), (line, f, reported.get(line))
        blanked = [("" if COLUMNS[h][0] in lost else c) for h, c in zip(header, cells)]
        data = model_row(header, blanked, line)
        event = None
        try:
            e = Event.model_validate(data, context={"profile": profile, "today": AS_OF})
        except ValueError as err:  # the one relaxation: a start / dose_change whose dose is unknown
            # (pydantic wraps the InputError of its model validator)
            assert "a dose on a start event" in str(err) or "the new dose on a dose_change event" in str(err), err
            event = data.pop("event")
            e = Event.model_validate(data, context={"profile": profile, "today": AS_OF})
        reference.append(e)
        events_kept.append(event)
    ref = from_events(reference) if reference else None
    if ref is None:
        return log
    for i, ev in enumerate(events_kept):
        if ev is not None:
            ref.event[i] = EVENT_CODES[Event._event(ev)]
    assert got.patient.tolist() == ref.patient.tolist()
    assert got.day.tolist() == ref.day.tolist()
    assert got.event.tolist() == ref.event.tolist()
    assert got.product.tolist() == ref.product.tolist()
    for k in ref.values:
        assert np.array_equal(got[k], ref[k], equal_nan=True), k  # bit for bit: one factor, same float()
    return log


# A cell lost by a cross-field rule is reported under one of these columns (the rule names one cell).
PARTNERS = {"dose": {"dose"}, "dose_rate": {"dose", "dose_rate"}, "sbp": {"sbp", "dbp"}, "dbp": {"sbp", "dbp"},
            "hours_post_dose": {"hours_post_dose", "trough"}}


def _why(log, refused, rows) -> str:
    return (f"reader refused {[(c.line, c.column, c.expected) for c in log.invalid]}; "
            f"model refused {[(k, str(v)[:120]) for k, v in refused.items()]}")


def test_the_reader_and_the_model_agree_on_every_tricky_cell(tmp_path):
    header = list(COLUMNS)
    base = ["p1", "2026-01-10", "", "", "154", "", "", "10", "12", "1", "120", "80", "n"]
    rows = []
    for h in header:
        pos = header.index(h)
        kind = h if h in TRICKY else ("number" if h in NUMERIC else None)
        for cell in TRICKY.get(kind, []) + PLAUSIBLE.get(h, []):
            row = list(base)
            row[pos] = cell
            rows.append(row)
    # the cross-field rules: both dose forms, one-sided pressure, start without dose, timing without trough
    for change in ({"dose": "7", "dose_rate": "0.1"}, {"sbp": ""}, {"dbp": ""}, {"sbp": "80", "dbp": "80"},
                   {"event": "start"}, {"event": "dose_change", "dose": "7"}, {"trough [nmol/L]": ""},
                   {"trough [nmol/L]": "", "hours_post_dose": ""}, {"sbp": "x", "dbp": ""}):
        row = list(base)
        for h, v in change.items():
            row[header.index(h)] = v
        rows.append(row)
    log = compare(tmp_path, header, rows)
    assert len(log.invalid) > 40 and len(log.columns) > 60  # both sides of the edge are exercised


cell = st.one_of(st.sampled_from(TRICKY["number"]), st.text(alphabet="0123456789.-+eE ,x", max_size=6))


@st.composite
def logs(draw):
    header = list(COLUMNS)
    rows = []
    for _ in range(draw(st.integers(1, 12))):
        row = [draw(st.sampled_from(TRICKY["patient_id"][:6])), draw(st.sampled_from(TRICKY["date"])),
               draw(st.sampled_from(TRICKY["event"])), draw(st.sampled_from(TRICKY["product"]))]
        for h in NUMERIC:
            row.append(draw(st.one_of(st.just(""), st.sampled_from(PLAUSIBLE[h]), cell)))
        # (a NUL byte refuses the whole line before any cell is read: the one rule stricter than the model)
        note = st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))
        row.append(draw(st.text(alphabet=note, max_size=8)))
        rows.append(row)
    return header, rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(logs())
def test_random_logs_read_as_the_model_reads_each_row(tmp_path, log):
    header, rows = log
    compare(tmp_path, header, rows)


@pytest.mark.parametrize("quoted", [False, True])
def test_agreement_holds_on_both_reading_paths(tmp_path, quoted):
    header = list(COLUMNS)
    rows = [["p1", "2026-01-10", "start", "", "154", "7", "", "10", "12", "1", "120", "80",
             "a, b" if quoted else "ab"],
            ["p1", "2026-01-20", "", "", "", "", "", "7,5" if quoted else "75", "12", "1.1", "125", "85", ""]]
    compare(tmp_path, header, rows)
