"""Dose rules: the escalation ceiling, the low-efficacy floor, and tenfold jumps."""
from __future__ import annotations

import numpy as np

from dosing.core import units
from dosing.core.frames import BasisEntry, distinct
from dosing.core.history import History, ge, gt, lt
from dosing.core.registry import BASIS, Hits, RowTexts, hits_where, measured_basis, message, rule
from dosing.core.textfmt import day_text, fmt, fmt_apart


@rule("DOSE_ABOVE_CEILING")
def dose_above_ceiling(h: History) -> Hits:
    c = h.profile.canonical("ceiling_rate")
    alert_at = h.profile.canonical("ceiling_alert_rate")
    mask = h.dose_set & gt(h.rate, c)
    # Graded: far above the ceiling (profile ceiling_alert_rate) is an alert, not the rule's usual warning.
    return hits_where(h, "DOSE_ABOVE_CEILING", mask, "dose", h.rate, "mg/kg/day", c, ">",
                      mg=h.mg, from_weight=h.rate_from_weight.astype(float),
                      alert_at=alert_at, grade_alert=ge(h.rate, alert_at).astype(float))


@message("DOSE_ABOVE_CEILING")
def _(c: dict) -> str:
    far = (f" It is at or above {fmt(c['alert_at'])} mg/kg/day ({fmt(c['value'] / c['threshold'], 2)} times the "
           f"ceiling), the profile's alert grade: check for a unit or decimal slip.") if c.get("grade_alert") else ""
    return (f"Dose {_rate(c)} is above the suggested escalation ceiling of {fmt(c['threshold'])} mg/kg/day; "
            f"the paper escalated beyond it only with close monitoring.{far}")


@rule("DOSE_BELOW_EFFECTIVE")
def dose_below_effective(h: History) -> Hits:
    f = h.profile.canonical("effective_floor_rate")
    mask = h.dose_set & lt(h.rate, f)
    return hits_where(h, "DOSE_BELOW_EFFECTIVE", mask, "dose", h.rate, "mg/kg/day", f, "<",
                      mg=h.mg, from_weight=h.rate_from_weight.astype(float))


@message("DOSE_BELOW_EFFECTIVE")
def _(c: dict) -> str:
    return (f"Dose {_rate(c)} is below {fmt(c['threshold'])} mg/kg/day, which had low efficacy in other "
            f"autoimmune disease; a deliberately cautious start (e.g. after cyclosporine nephrotoxicity) may be lower.")


def _rate(c: dict) -> str:
    s = f"{fmt_apart(c['value'], c['threshold'])} mg/kg/day"
    if c.get("from_weight") and np.isfinite(c.get("mg", np.nan)):
        s += f" ({fmt(c['mg'])} mg/day by the latest weight)"
    return s


def dose_change_ratio(h: History) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row: (new / old dose, new, old, per kg?) for each dose set against the dose in force before it.

    Total daily doses are compared when both rows have one (given, or from dose x weight), else doses
    per kilogram; NaN where there is nothing to compare (a first dose, a restart after a stop, a zero).
    """
    prev = np.where(h.dose_set, h.prev_dose_row, -1)
    old_mg, old_rate = h.take(h.mg, prev), h.take(h.rate, prev)
    both_mg = ~np.isnan(h.mg) & ~np.isnan(old_mg)
    both_rate = ~np.isnan(h.rate) & ~np.isnan(old_rate)
    new = np.where(both_mg, h.mg, np.where(both_rate, h.rate, np.nan))
    old = np.where(both_mg, old_mg, np.where(both_rate, old_rate, np.nan))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where((old > 0) & (new > 0), new / old, np.nan)
    return ratio, new, old, (~both_mg & both_rate)


@rule("DOSE_JUMP")
def dose_jump(h: History) -> Hits:
    limit = h.profile.number("confirm_dose_ratio")
    ratio, new, old, per_kg = dose_change_ratio(h)
    up = ge(ratio, limit)
    down = ~np.isnan(ratio) & ~gt(ratio, 1.0 / limit)
    prev = np.where(h.dose_set, h.prev_dose_row, -1)
    return hits_where(h, "DOSE_JUMP", up | down, "dose change", ratio, "times", np.where(down, 1.0 / limit, limit),
                      "at or beyond", new=new, old=old, per_kg=per_kg.astype(float),
                      old_day=h.take(h.day, prev), limit=limit)


def _jump_dose(x: float, per_kg: float) -> str:
    return f"{fmt(x)} mg/kg/day" if per_kg else f"{units.format_number(x)} mg/day"


@message("DOSE_JUMP")
def _(c: dict) -> str:
    r = c["value"]
    shown = f"{fmt(r, 2)} times" if r >= 1 else f"1/{fmt(1 / r, 1)} of"
    n = fmt(c["limit"])
    return (f"New dose {_jump_dose(c['new'], c['per_kg'])} is {shown} the dose in force since {day_text(c['old_day'])} "
            f"({_jump_dose(c['old'], c['per_kg'])}); a change of {n} times or more (or to 1/{n} or less) is more "
            f"likely a slip (0.5 mg / 5 mg, a misplaced decimal point) than a decision: confirm it with the "
            f"prescription before acting on it.")


def _jump_basis(h: History, hits: Hits, texts: RowTexts) -> list[BasisEntry]:
    """The two doses compared and their ratio (instead of the row's readings)."""
    c = hits.extra
    new = distinct(_jump_dose, c["new"], c["per_kg"])
    old = distinct(lambda x, per_kg, day: f"{_jump_dose(x, per_kg)} from {day_text(day)}", c["old"], c["per_kg"],
                   c["old_day"])
    ratio = distinct(lambda r, limit: f"{fmt(r, 3)} (limit {fmt(limit)} times, or 1/{fmt(limit)})", hits.value,
                     c["limit"])
    return [BasisEntry("dose", "%s from %s", (new, texts.date(hits.rows))), BasisEntry("previous_dose", "%s", (old,)),
            BasisEntry("ratio", "%s", (ratio,))]


BASIS["DOSE_JUMP"] = _jump_basis


def _dose_basis(h: History, hits: Hits, texts: RowTexts) -> list[BasisEntry]:
    """The dose as judged, and the weight in force it was converted with (where the row has no weight of its
    own: a row's own weight is already in its measured basis, as the same text)."""
    c = hits.extra
    rate = distinct(lambda v, t, fw, mg: _rate({"value": v, "threshold": t, "from_weight": fw, "mg": mg}),
                    hits.value, hits.threshold, c["from_weight"], c["mg"])
    widx = h.weight_idx[hits.rows]
    in_force = (widx >= 0) & ~np.isfinite(h.v["weight"][hits.rows])
    weight = distinct(lambda w, d: f"{fmt(w)} kg on {day_text(d)}", h.take(h.v["weight"], widx), h.take(h.day, widx),
                      where=in_force)
    return [*measured_basis(h, hits, texts), BasisEntry("dose", "%s from %s", (rate, texts.date(hits.rows))),
            BasisEntry("weight", "%s", (weight,), in_force)]


BASIS["DOSE_ABOVE_CEILING"] = _dose_basis
BASIS["DOSE_BELOW_EFFECTIVE"] = _dose_basis
