"""Blood-pressure rules."""
from __future__ import annotations

import numpy as np

from dosing.core.history import History, ge
from dosing.core.registry import MESSAGES, Hits, hits_where, rule
from dosing.core.textfmt import fmt


def _bp(h: History, which: str):
    p = h.profile
    s, d = h.v["sbp"], h.v["dbp"]
    sev = ge(s, p.canonical("bp_severe_systolic")) | ge(d, p.canonical("bp_severe_diastolic"))
    high = ge(s, p.canonical("bp_high_systolic")) | ge(d, p.canonical("bp_high_diastolic"))
    if which == "BP_SEVERE":
        ts, td, mask = p.canonical("bp_severe_systolic"), p.canonical("bp_severe_diastolic"), sev
    else:
        ts, td, mask = p.canonical("bp_high_systolic"), p.canonical("bp_high_diastolic"), high & ~sev
    by_sys = ge(s, ts)
    value = np.where(by_sys, s, d)
    threshold = np.where(by_sys, ts, td)
    hits = hits_where(h, which, mask, "blood pressure", value, "mmHg", threshold, ">=",
                      sbp=s, dbp=d, ts=ts, td=td, by_sys=by_sys.astype(float))
    return hits


@rule("BP_HIGH")
def bp_high(h: History) -> Hits:
    return _bp(h, "BP_HIGH")


@rule("BP_SEVERE")
def bp_severe(h: History) -> Hits:
    return _bp(h, "BP_SEVERE")


def _bp_message(kind: str):
    def msg(c: dict) -> str:
        return (f"Blood pressure {fmt(c['sbp'])}/{fmt(c['dbp'])} mmHg is {kind}: at or above "
                f"{fmt(c['ts'])}/{fmt(c['td'])} mmHg (systolic or diastolic); tacrolimus raises blood pressure, "
                f"so confirm the reading and review.")

    return msg


MESSAGES["BP_HIGH"] = _bp_message("high")
MESSAGES["BP_SEVERE"] = _bp_message("severely high")
