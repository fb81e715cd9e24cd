"""Weight rule: a change large enough to be a unit slip or to move the mg/kg/day."""
from __future__ import annotations

import numpy as np

from dosing.core.frames import BasisEntry, distinct
from dosing.core.history import History, gt
from dosing.core.registry import BASIS, Hits, RowTexts, hits_where, measured_basis, message, rule
from dosing.core.textfmt import day_text, fmt, fmt_apart


@rule("WEIGHT_JUMP")
def weight_jump(h: History) -> Hits:
    w = h.v["weight"]
    prev_idx = h.prev_idx(h.has("weight"))
    prev = h.take(w, prev_idx)
    with np.errstate(invalid="ignore", divide="ignore"):
        change = np.abs(w - prev) / prev
    thr = h.profile.canonical("weight_jump")
    mask = ~np.isnan(change) & gt(change, thr)
    return hits_where(h, "WEIGHT_JUMP", mask, "weight change", change * 100.0, "%", thr * 100.0, ">",
                      weight=w, prev=prev, prev_day=h.take(h.day, prev_idx))


@message("WEIGHT_JUMP")
def _(c: dict) -> str:
    return (f"Weight {fmt(c['weight'])} kg differs by {fmt_apart(c['value'], c['threshold'], 1)}% from {fmt(c['prev'])} kg on "
            f"{day_text(c['prev_day'])} (more than {fmt(c['threshold'])}%); check the unit (kg or lb) or confirm "
            f"a real change, which alters the mg/kg/day given.")


def _weight_jump_basis(h: History, hits: Hits, texts: RowTexts) -> list[BasisEntry]:
    prev = distinct(lambda w, d: f"{fmt(w)} kg on {day_text(d)}", hits.extra["prev"], hits.extra["prev_day"])
    return [*measured_basis(h, hits, texts), BasisEntry("previous_weight", "%s", (prev,))]


BASIS["WEIGHT_JUMP"] = _weight_jump_basis
