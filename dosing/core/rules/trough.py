"""Drug-level rules: the trough against the recommended range and the upper band, and its timing."""
from __future__ import annotations

import numpy as np

from dosing.core.frames import BasisEntry, distinct
from dosing.core.history import History, ge, gt, lt
from dosing.core.registry import BASIS, Hits, RowTexts, hits_where, measured_basis, message, rule
from dosing.core.textfmt import fmt, fmt_apart


@rule("TROUGH_LOW")
def trough_low(h: History) -> Hits:
    t, low = h.v["trough"], h.profile.canonical("trough_low")
    return hits_where(h, "TROUGH_LOW", lt(t, low), "trough", t, "ng/mL", low, "<",
                      high=h.profile.canonical("trough_high"))


@message("TROUGH_LOW")
def _(c: dict) -> str:
    return (f"Trough {fmt_apart(c['value'], c['threshold'])} ng/mL is below the recommended range "
            f"({fmt(c['threshold'])}–{fmt(c['high'])} ng/mL); check adherence and timing before changing the dose.")


@rule("TROUGH_HIGH")
def trough_high(h: History) -> Hits:
    t, high = h.v["trough"], h.profile.canonical("trough_high")
    return hits_where(h, "TROUGH_HIGH", gt(t, high), "trough", t, "ng/mL", high, ">",
                      low=h.profile.canonical("trough_low"))


@message("TROUGH_HIGH")
def _(c: dict) -> str:
    return (f"Trough {fmt_apart(c['value'], c['threshold'])} ng/mL is above the recommended range "
            f"({fmt(c['low'])}–{fmt(c['threshold'])} ng/mL); review the dose, creatinine and blood pressure.")


@rule("TROUGH_UPPER_BAND")
def trough_upper_band(h: History) -> Hits:
    t = h.v["trough"]
    band, high = h.profile.canonical("trough_upper_band"), h.profile.canonical("trough_high")
    mask = ge(t, band) & ~gt(t, high)
    return hits_where(h, "TROUGH_UPPER_BAND", mask, "trough", t, "ng/mL", band, ">=", high=high)


@message("TROUGH_UPPER_BAND")
def _(c: dict) -> str:
    return (f"Trough {fmt(c['value'])} ng/mL is in the upper band ({fmt(c['threshold'])}–{fmt(c['high'])} ng/mL), "
            f"where the paper's patients had toxicity; check creatinine and blood pressure.")


@rule("TROUGH_TIMING")
def trough_timing(h: History) -> Hits:
    hrs = h.v["hours_post_dose"]
    target = h.profile.canonical("trough_interval")
    tol = h.profile.canonical("trough_timing_tolerance")
    twelve = np.isin(h.product, [k for k, p in h.profile.products.items() if p.twelve_hourly])
    outside = lt(hrs, target - tol) | gt(hrs, target + tol)
    mask = twelve & h.has("trough") & outside
    return hits_where(h, "TROUGH_TIMING", mask, "hours after dose", hrs, "h", target, "outside",
                      tol=tol)


@message("TROUGH_TIMING")
def _(c: dict) -> str:
    lo, hi = c["threshold"] - c["tol"], c["threshold"] + c["tol"]
    return (f"Trough drawn {fmt(c['value'])} h after the dose; a 12-hour trough is drawn {fmt(lo)}–{fmt(hi)} h "
            f"after it, so this level is not a true trough and should not drive a dose change.")


def _timing_basis(h: History, hits: Hits, texts: RowTexts) -> list[BasisEntry]:
    product = distinct(str, h.product[hits.rows])
    return [*measured_basis(h, hits, texts), BasisEntry("product", "%s", (product,))]


BASIS["TROUGH_TIMING"] = _timing_basis
