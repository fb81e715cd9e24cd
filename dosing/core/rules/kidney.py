"""Kidney rule: creatinine against the pre-tacrolimus baseline."""
from __future__ import annotations

from dosing.core.frames import BasisEntry, distinct
from dosing.core.history import History, ge
from dosing.core.registry import BASIS, Hits, RowTexts, hits_where, measured_basis, message, rule
from dosing.core.textfmt import day_text, fmt


@rule("CREATININE_RISE")
def creatinine_rise(h: History) -> Hits:
    thr = h.profile.canonical("creatinine_rise")
    mask = h.rise_applies & ge(h.rise, thr)
    return hits_where(h, "CREATININE_RISE", mask, "creatinine rise", h.rise * 100.0, "%", thr * 100.0, ">=",
                      creatinine=h.v["creatinine"], baseline=h.baseline,
                      baseline_day=h.take(h.day, h.baseline_idx),
                      assumed=(h.baseline_assumed | h.baseline_no_start).astype(float))


@message("CREATININE_RISE")
def _(c: dict) -> str:
    assumed = " (baseline assumed: no creatinine on or before the first start, so the first one recorded)" \
        if c["assumed"] else ""
    return (f"Creatinine {fmt(c['creatinine'])} µmol/L is {fmt(c['value'], 1)}% above the baseline "
            f"{fmt(c['baseline'])} µmol/L of {day_text(c['baseline_day'])}{assumed}; "
            f"a rise of {fmt(c['threshold'])}% or more is significant: review the dose.")


def _creatinine_basis(h: History, hits: Hits, texts: RowTexts) -> list[BasisEntry]:
    c = hits.extra
    baseline = distinct(lambda b, d, assumed: f"{fmt(b)} µmol/L on {day_text(d)}{' (assumed)' if assumed else ''}",
                        c["baseline"], c["baseline_day"], c["assumed"])
    return [*measured_basis(h, hits, texts), BasisEntry("baseline_creatinine", "%s", (baseline,))]


BASIS["CREATININE_RISE"] = _creatinine_basis
