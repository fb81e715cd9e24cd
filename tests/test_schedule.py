"""The monitoring schedule (contract §4): windows, reasons, overdue checks, hand-computed dates."""
from __future__ import annotations

import datetime as dt

from dosing.core.assess import assess
from tests.helpers import ev, findings

D = dt.date.fromisoformat


def _due(events, as_of):
    return {c.stream: c for c in assess(events, as_of=D(as_of)).due}


def _check(date, **extra):
    row = dict(creatinine="80 umol/L", trough="8 ng/mL", sbp="120 mmHg", dbp="75 mmHg")
    row.update(extra)
    return ev(date, **row)


START = ev("2026-01-01", event="start", dose="7 mg/day", weight="70 kg", creatinine="80 umol/L",
           sbp="120 mmHg", dbp="75 mmHg")


def test_first_check_7_to_14_days_after_start():
    due = _due([START], "2026-01-02")
    assert due["renal"].due_from == D("2026-01-08") and due["renal"].due_by == D("2026-01-15")
    assert "after the start on 2026-01-01" in due["renal"].reason
    assert due["level"].due_by == D("2026-01-15") and not due["level"].overdue


def test_two_further_checks_two_weekly_then_monthly_when_stable():
    rows = [START, _check("2026-01-12")]
    assert _due(rows, "2026-01-13")["renal"].due_by == D("2026-01-29")  # 12 + 14 + 3
    rows.append(_check("2026-01-26"))
    assert _due(rows, "2026-01-27")["renal"].due_by == D("2026-02-12")  # 26 + 14 + 3
    rows.append(_check("2026-02-09"))
    due = _due(rows, "2026-02-10")["renal"]
    assert (due.due_from, due.due_by) == (D("2026-03-02"), D("2026-03-16"))  # 9 Feb + 28 -/+ 7
    assert due.reason.startswith("monthly review")


def test_unstable_check_stays_two_weekly_and_says_why():
    rows = [START, _check("2026-01-12"), _check("2026-01-26"), _check("2026-02-09", trough="21 ng/mL")]
    due = _due(rows, "2026-02-10")["renal"]
    assert due.due_by == D("2026-02-26")
    assert "stays two-weekly" in due.reason and "trough 21 ng/mL not in range" in due.reason


def test_dose_increase_restarts_the_clock_and_decrease_does_not():
    rows = [START, _check("2026-01-12"), _check("2026-01-26"), _check("2026-02-09"),
            ev("2026-02-20", event="dose_change", dose="9 mg/day")]
    due = _due(rows, "2026-02-21")["renal"]
    assert due.due_by == D("2026-03-06") and "dose increase on 2026-02-20" in due.reason
    rows[-1] = ev("2026-02-20", event="dose_change", dose="5 mg/day")
    due = _due(rows, "2026-02-21")["renal"]
    assert due.due_by == D("2026-03-16") and due.reason.startswith("monthly review")


def test_blank_event_with_a_new_dose_is_a_dose_change():
    rows = [START, ev("2026-01-20", dose="9 mg/day")]
    assert "dose increase on 2026-01-20" in _due(rows, "2026-01-21")["renal"].reason


def test_late_phase_spaces_out_trough_checks_but_not_creatinine():
    rows = [START] + [_check((D("2026-01-12") + dt.timedelta(days=14 * k)).isoformat()) for k in range(3)]
    day = D("2026-02-09")
    while day < D("2026-07-10"):
        day += dt.timedelta(days=28)
        rows.append(_check(day.isoformat()))
    due = _due(rows, (day + dt.timedelta(days=1)).isoformat())
    assert due["renal"].due_by == day + dt.timedelta(days=35)
    assert due["level"].due_by == day + dt.timedelta(days=98)  # 84 + 14
    assert "renal function stays monthly" in due["level"].reason


def test_missed_window_is_check_overdue_dated_when_it_closed():
    rows = [START, _check("2026-01-25")]  # first check was due by 2026-01-15
    over = findings(rows, "CHECK_OVERDUE", as_of="2026-01-26")
    assert {f.date for f in over} == {D("2026-01-15")}
    assert len(over) == 2  # renal and level streams
    f = over[0]
    assert f.value.value == 24 and f.threshold.value == 14  # 24 days to the next check, window allowed 14
    assert "was due by 2026-01-15" in f.message


def test_open_window_becomes_overdue_only_after_as_of_passes_it():
    assert findings([START], "CHECK_OVERDUE", as_of="2026-01-15") == []
    assert len(findings([START], "CHECK_OVERDUE", as_of="2026-01-16")) == 2


def test_stop_closes_the_schedule():
    rows = [START, ev("2026-01-05", event="stop")]
    assert findings(rows, "CHECK_OVERDUE", as_of="2026-06-01") == []
    assert _due(rows, "2026-06-01") == {}


def test_check_with_only_a_trough_satisfies_only_the_level_stream():
    rows = [START, ev("2026-01-10", trough="8 ng/mL")]
    over = findings(rows, "CHECK_OVERDUE", as_of="2026-01-20")
    assert [f.message.split(" was")[0] for f in over] == ["A creatinine and blood pressure check"]


def test_reasons_take_their_day_counts_from_the_profile(tmp_path):
    from dosing.core.profile import load_profile

    f = tmp_path / "p.toml"
    f.write_text('[values.first_check_from]\nvalue = "5 day"\n[values.first_check_by]\nvalue = "10 day"\n')
    due = {c.stream: c for c in assess([START], load_profile(f), D("2026-01-02")).due}
    assert due["renal"].due_by == D("2026-01-11")
    assert due["renal"].reason.startswith("first check 5–10 days after the start")
    assert _due([START], "2026-01-02")["renal"].reason.startswith("first check 7–14 days after the start")


# ------------------------------------------------------------------ after a significant creatinine rise
def test_after_a_30_percent_rise_the_next_creatinine_comes_within_the_recheck_interval(profile):
    assert profile.values["creatinine_rise_recheck"].kind == "interpretation"
    rows = [START, _check("2026-01-12", creatinine="104 umol/L")]  # (104 - 80) / 80 = 30%: at the threshold
    due = _due(rows, "2026-01-13")
    assert (due["renal"].due_from, due["renal"].due_by) == (D("2026-01-13"), D("2026-01-19"))  # 12 + 1 .. 12 + 7
    assert "30.0% above baseline" in due["renal"].reason and "creatinine_rise_recheck" in due["renal"].reason
    assert due["level"].due_by == D("2026-01-29")  # the trough keeps its two-weekly window
    below = _due([START, _check("2026-01-12", creatinine="103.9 umol/L")], "2026-01-13")
    assert below["renal"].due_by == D("2026-01-29")  # 29.9%: the ordinary two-weekly window


def test_a_missed_recheck_after_a_rise_is_overdue_a_week_later():
    rows = [START, _check("2026-01-12", creatinine="120 umol/L")]
    (f,) = findings(rows, "CHECK_OVERDUE", as_of="2026-01-20")
    assert f.date == D("2026-01-19") and "recheck within 7 days" in f.message


# ------------------------------------------------------------------ each event's own view (replay, per_event)
def test_a_window_passed_before_an_event_is_overdue_at_that_event_never_a_next_check():
    rows = [START, ev("2026-02-20", sbp="120 mmHg", dbp="75 mmHg", note="BP only")]
    a = assess(rows, as_of=D("2026-02-21"))
    at_visit = {c.stream: c for c in a.per_event[1]["due"]}
    assert at_visit["level"].due_by == D("2026-01-15") and at_visit["level"].overdue
    assert at_visit["level"].status == "window passed, none recorded"
    at_start = {c.stream: c for c in a.per_event[0]["due"]}
    assert not at_start["level"].overdue and at_start["level"].status == "next"
