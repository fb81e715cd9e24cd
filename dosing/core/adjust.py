"""Proportional dose adjustment, judged by the rules: new daily dose = current x target / measured trough.

Valid only under linear kinetics at steady state, on a true 12-hour trough, with
the same product and assay and nothing new that changes clearance; every result
carries those caveats. The computed total is rounded like any regimen (contract
§5), then judged: the regimen in force is always a candidate ("keep the current
regimen" when no candidate brings the predicted trough meaningfully closer to
the target); a mistimed sample gives "repeat the level" instead of a dose; an
alert-level renal, blood-pressure or trough finding blocks any increase; no
suggestion above the plausible maximum is ever built; and a trough below the
assay's reportable range is refused rather than extrapolated from.
"""
from __future__ import annotations

import datetime as dt
from typing import TypedDict

import pint
from pydantic import BaseModel, ConfigDict

from dosing.core import units
from dosing.core.errors import ImplausibleValueError, InputError
from dosing.core.models import CapsuleCount, Finding, Measure
from dosing.core.plausibility import canonical_limits, expected_text, out_of_range
from dosing.core.profile import Profile, default_profile
from dosing.core.references import cite
from dosing.core.regimen import (
    CURRENT,
    NEAREST_EQUAL,
    SMALLEST,
    UG_PER_MG,
    Maker,
    RegimenOption,
    _comparison,
    _option,
    _smaller_units,
    _threshold_neighbours,
    as_used,
    check_output,
    check_weight,
    judge,
    product_for_regimen,
    shown,
)
from dosing.core.textfmt import fmt

CAVEATS = [(text, cite(source, "adjust caveat")) for text, source in [
    ("Steady state: the trough was drawn after several days on an unchanged dose.",
     "[@prograf-smpc, section 4.2]: changes in blood levels 'may take several days'"),
    ("A true 12-hour trough: drawn about 12 h after the last dose, just before the next.",
     "[@duddridge1997, Discussion]: '12 hour trough' whole-blood levels"),
    ("Same product (brand) and same assay as the level being compared; immunoassay and LC-MS/MS differ.",
     "[@arup-tacrolimus]: methods 'not directly interchangeable'; [@mhra2012]: brand-only prescribing"),
    ("No interacting drug started or stopped since (azoles, clarithromycin, ritonavir, diltiazem, rifampicin, "
     "antiepileptics, St John's wort ...).",
     "[@prograf-smpc, section 4.5]: interactions through CYP3A4"),
    ("Doses taken as prescribed: a low level from missed doses is not a reason to raise the dose.",
     "General therapeutic drug monitoring practice; no single published source ([@tacro])"),
    ("A level in range is not proof of safety: creatinine and blood pressure can override it.",
     "[@duddridge1997, cases 2 and 3]: toxicity at 20.2 and 23.2 µg/l, inside 4-25 µg/l"),
]]

# What a finding means for the direction of a change.
AGAINST_RAISING = ("CREATININE_RISE", "BP_HIGH", "BP_SEVERE", "TROUGH_TIMING", "TROUGH_HIGH", "TROUGH_UPPER_BAND",
                   "DOSE_ABOVE_CEILING")
SUPPORT_RAISING = ("TROUGH_LOW", "DOSE_BELOW_EFFECTIVE")
# At alert level these block any increase (contract §3).
BLOCK_INCREASE = ("CREATININE_RISE", "BP_SEVERE", "TROUGH_HIGH")
WHAT_THE_PAPER_DID = (
    "In the paper, the dose was reduced when blood pressure and the trough rose (case 2: 0.10 to 0.06 mg/kg/day "
    "at 160/100 mm Hg with troughs at the higher end, 20.2 µg/l) and tacrolimus was withdrawn when creatinine "
    "rose by 131%, from 90 to 208 µmol/l (case 3) [Duddridge & Powell 1997, Case reports, cases 2 and 3]."
)


class Adjustment(BaseModel):
    """A proportional adjustment: the decision, its options, the arithmetic and everything it rests on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    decision: str
    """'keep', 'increase', 'decrease', 'repeat the level' or 'no increase'."""
    headline: str
    """The answer, shown first after the decision-support sentence."""
    reasons: list[str]
    """Why this decision: the keep threshold, the findings that block an increase, the timing."""
    inputs: dict[str, str]
    """Each input as used, beside the unit typed ('20.1 ng/mL from 25 nmol/L')."""
    current_daily_dose: Measure
    measured_trough: Measure
    """As typed."""
    measured_trough_used: Measure
    """In ng/mL, as the arithmetic used it."""
    target_trough: Measure
    target_trough_used: Measure
    weight: Measure | None
    weight_used: Measure | None
    ratio: float | None
    """target / measured (None when no dose is computed)."""
    computed_daily_dose: Measure | None
    """current x target / measured, before rounding (None when no dose is computed)."""
    product: str
    direction: str
    """Of the first option: 'increase', 'decrease' or 'no change'."""
    judged: str
    """The change the findings are headed for: 'increase', 'decrease', or 'no change' (then all are to review)."""
    options: list[RegimenOption]
    """Options for the prescriber: the suggestion first; the regimen in force is always one of them."""
    comparison: str
    supporting: list[Finding]
    """Findings supporting the change."""
    against: list[Finding]
    """Findings arguing against the change."""
    other: list[Finding]
    """Findings to review that neither support nor argue against it (or all of them when keeping)."""
    warnings: list[str]
    caveats: list[tuple[str, str]]
    """(caveat, source) pairs; always shown."""

    @property
    def suggestion(self) -> RegimenOption:
        return self.options[0]

    @property
    def daily_dose(self) -> Measure:
        return self.options[0].daily_dose

    @property
    def given_rate(self) -> Measure | None:
        return self.options[0].given_rate

    @property
    def dose(self) -> Measure | None:
        a = self.options[0].administrations
        return a[0].amount if a else None

    @property
    def capsules(self) -> list[CapsuleCount]:
        a = self.options[0].administrations
        return a[0].capsules if a else []

    @property
    def cautions(self) -> list[Finding]:
        """Findings that argue against the change (kept for callers of the earlier shape)."""
        return self.against

    @property
    def findings(self) -> list[Finding]:
        return self.options[0].findings


class _Shared(TypedDict):
    """The fields of an Adjustment that every decision shares: the inputs as given and as used."""

    inputs: dict[str, str]
    current_daily_dose: Measure
    measured_trough: Measure
    measured_trough_used: Measure
    target_trough: Measure
    target_trough_used: Measure
    weight: Measure | None
    weight_used: Measure | None
    product: str
    caveats: list[tuple[str, str]]


def validate_inputs(current, measured, target, weight, profile: Profile) -> tuple[float, float, float, float | None]:
    """The inputs in canonical units, or a refusal naming the field (limits shared with `dose`)."""
    units.require(current, "daily_dose", "dose")
    units.require(measured, "trough", "trough")
    units.require(target, "trough", "target")
    if weight is not None:
        units.require(weight, "weight", "weight")
    limits = canonical_limits(profile)
    cur = units.to_canonical(current, "daily_dose")
    m = units.to_canonical(measured, "trough")
    t = units.to_canonical(target, "trough")
    if not cur > 0 or out_of_range("dose", cur, limits):
        raise ImplausibleValueError("dose", shown(current),
                                    "a total daily dose more than 0 mg/day, " + expected_text("dose", profile))
    floor = profile.canonical("min_reportable_trough")
    if not m >= floor * (1 - 1e-12) or out_of_range("trough", m, limits):
        if m == m and floor * (1 - 1e-12) > m >= 0:
            raise ImplausibleValueError(
                "trough", shown(measured),
                f"a trough within the assay's reportable range, at least "
                f"{profile.values['min_reportable_trough'].text}: below it a dose is not extrapolated; repeat the "
                f"level and check adherence and the sample ({profile.basis('min_reportable_trough')})")
        raise ImplausibleValueError("trough", shown(measured),
                                    f"a measured trough from {profile.values['min_reportable_trough'].text} to "
                                    f"{profile.values['max_plausible_trough'].text} (profile limits; check the unit)")
    low, high = profile.canonical("trough_low"), profile.canonical("trough_high")
    if not low <= t <= high:
        raise InputError("target", shown(target),
                         f"a target within the profile's range {profile.values['trough_low'].text}"
                         f"–{profile.values['trough_high'].text}")
    w = check_weight(weight, profile) if weight is not None else None
    if w is not None and cur / w > profile.canonical("max_plausible_rate") * (1 + 1e-12):
        raise ImplausibleValueError("dose", shown(current),
                                    f"a dose in force of at most {profile.values['max_plausible_rate'].text} "
                                    f"({fmt(cur / w, 4)} mg/kg/day for {fmt(w, 1)} kg; profile "
                                    "plausibility limit, check the dose and the weight)")
    return cur, m, t, w


def adjust(current_daily_dose: pint.Quantity, measured: pint.Quantity, target: pint.Quantity,
           product: str | None = None, weight: pint.Quantity | None = None,
           context: list[Finding] | tuple[Finding, ...] = (), profile: Profile | None = None,
           date: dt.date | None = None) -> Adjustment:
    """Proportional adjustment of a total daily dose from a measured to a target trough, judged by the rules."""
    profile = profile or default_profile()
    cur, m, t, w = validate_inputs(current_daily_dose, measured, target, weight, profile)
    prod = product_for_regimen(profile, product)
    maker = Maker(prod, profile)
    cur_ug = int(round(cur * UG_PER_MG))
    context = list(context)
    inputs = {"current daily dose": units.format_quantity(current_daily_dose),
              "measured trough": as_used(measured, "trough"), "target trough": as_used(target, "trough")}
    if weight is not None:
        inputs["weight"] = as_used(weight, "weight")
    current_findings = judge([cur], w, profile, prod.key)[0]

    def option(label: str, total_ug: int, notes: list[str], findings: list[Finding] | None = None) -> RegimenOption:
        daily = total_ug / UG_PER_MG
        if findings is None:
            findings = judge([cur, daily], w, profile, prod.key)[1]
        pred = m * daily / cur
        return _option(label, total_ug, maker, w, None, profile, notes, findings,
                       predicted_trough=Measure(value=round(pred, 4), unit="ng/mL"),
                       predicted_change=Measure(value=round((daily - cur) / cur * 100, 2), unit="%"))

    current_notes = [] if maker.split(cur_ug) and abs(cur_ug - cur * UG_PER_MG) < 1e-6 else [
        f"{units.format_quantity(current_daily_dose)} is not a total the {prod.title} make as "
        f"{prod.doses_per_day} doses; shown as recorded."]
    current = option(CURRENT, cur_ug, current_notes, current_findings).model_copy(update={
        "daily_dose": Measure(value=cur, unit="mg/day"),
        "predicted_trough": Measure(value=round(m, 4), unit="ng/mL"),
        "predicted_change": Measure(value=0.0, unit="%"),
        "given_rate": Measure(value=round(cur / w, 6), unit="mg/kg/day") if w else None})
    timing = [f for f in context if f.rule == "TROUGH_TIMING"]
    warnings: list[str] = []
    base = _Shared(inputs=inputs, current_daily_dose=Measure.of(current_daily_dose),
                measured_trough=Measure.of(measured), measured_trough_used=Measure(value=round(m, 6), unit="ng/mL"),
                target_trough=Measure.of(target), target_trough_used=Measure(value=round(t, 6), unit="ng/mL"),
                weight=Measure.of(weight) if weight is not None else None,
                weight_used=Measure(value=round(w, 6), unit="kg") if w is not None else None,
                product=prod.key, caveats=list(CAVEATS))
    if timing:
        return Adjustment(
            decision="repeat the level",
            headline="Repeat the level as a 12-hour trough before any change: no dose is computed "
                     "from a mistimed sample.",
            reasons=[f.message for f in timing], ratio=None, computed_daily_dose=None, direction="no change",
            judged="no change",
            options=[current], comparison="", supporting=[], against=[],
            other=context, warnings=warnings, **base)

    ratio = t / m
    new_daily = cur * ratio
    check_output(new_daily, w, profile, "trough", units.format_quantity(measured),
                 f"{units.format_quantity(current_daily_dose)} x {fmt(t)} ng/mL / {fmt(m)} ng/mL")
    big = profile.number("adjust_large_change_ratio")
    if ratio > big or ratio < 1 / big:
        warnings.append(f"The change is more than x{units.format_number(big)} (ratio {units.format_number(ratio)}): "
                        f"confirm a surprising level with a repeat sample before a large change "
                        f"({profile.basis('adjust_large_change_ratio')}).")
    if t >= profile.canonical("trough_upper_band"):
        warnings.append(f"The target {units.format_quantity(target)} is in the upper band, where the paper's "
                        f"patients had toxicity ({profile.basis('trough_upper_band')}).")
    total = maker.nearest(new_daily * UG_PER_MG)
    notes: list[str] = []
    label = "nearest to the computed dose"
    if total == 0:
        total = maker.smallest()
        label = SMALLEST
        notes.append(f"The computed {fmt(new_daily)} mg/day rounds to nothing with the {prod.title}; "
                     f"the smallest regimen they make is {units.format_number(total / UG_PER_MG)} mg/day, "
                     f"{fmt(total / UG_PER_MG / new_daily, 2)} times the computed dose."
                     f"{_smaller_units(prod, profile)}")
    check_output(total / UG_PER_MG, w, profile, "trough", units.format_quantity(measured),
                 f"{units.format_quantity(current_daily_dose)} x {fmt(t)} ng/mL / {fmt(m)} ng/mL, rounded")
    pred = m * total / UG_PER_MG / cur
    gain = abs(m - t) - abs(pred - t)
    need = profile.canonical("adjust_min_improvement") * t
    reasons: list[str] = []
    if total == cur_ug and label == SMALLEST:
        decision = "keep"
        reasons.append(f"The computed {fmt(new_daily)} mg/day is below the smallest regimen the {prod.title} "
                       f"make ({units.format_number(total / UG_PER_MG)} mg/day), which is the regimen in force."
                       f"{_smaller_units(prod, profile)}")
    elif total == cur_ug:
        decision = "keep"
        reasons.append(f"The computed {fmt(new_daily)} mg/day rounds to the regimen in force.")
    elif gain < need - 1e-9:
        decision = "keep"
        reasons.append(
            f"The nearest regimen to the computed {fmt(new_daily)} mg/day, {units.format_number(total / 1000)} "
            f"mg/day, predicts a trough of {fmt(pred)} ng/mL: {fmt(max(gain, 0))} ng/mL closer to the "
            f"target {fmt(t)} ng/mL than now, less than {fmt(need)} ng/mL "
            f"({profile.values['adjust_min_improvement'].text} of the target; "
            f"{profile.basis('adjust_min_improvement')}).")
    else:
        decision = "increase" if total > cur_ug else "decrease"
    blockers = [f for f in context if f.rule in BLOCK_INCREASE and f.severity == "alert"]
    if decision == "increase" and blockers:
        decision = "no increase"
        names = ", ".join(dict.fromkeys(f.rule for f in blockers))
        reasons.append(f"No increase is offered: {names} at alert level. {WHAT_THE_PAPER_DID}")
        reasons.append(f"(The arithmetic gave {fmt(new_daily)} mg/day; it is not shown as an option.)")

    if decision in ("increase", "decrease"):
        options = [option(label, total, notes)]
        if maker.equal_split(total) is None:
            eq = maker.nearest(new_daily * UG_PER_MG, equal_only=True)
            if eq and eq != cur_ug and (eq > cur_ug) == (total > cur_ug):
                options.append(option(NEAREST_EQUAL, eq, []))
        if w is not None:
            asked_rate = new_daily / w
            for lab, tot, extra in _threshold_neighbours(maker, total, asked_rate, w, profile):
                if tot != cur_ug and (tot > cur_ug) == (total > cur_ug):
                    options.append(option(lab, tot, extra))
        options = [o for o in options if o.daily_dose.value <= profile.canonical("max_plausible_daily_dose")
                   and (w is None or o.daily_dose.value / w <= profile.canonical("max_plausible_rate"))]
        options.append(current)
        comparison = _comparison([o for o in options if o.label != CURRENT] or options, new_daily, "computed")
    elif decision == "keep":
        options = [current]
        if total != cur_ug:
            options.append(option(label + " (not meaningfully closer)", total, notes))
        comparison = ""
    else:
        options, comparison = [current], ""

    if blockers:  # contract §3: no increase is offered, not even as a reference
        options = [o for o in options if o.label == CURRENT or o.daily_dose.value <= cur + 1e-9]
    direction = {"increase": "increase", "decrease": "decrease"}.get(decision, "no change")
    judged = "increase" if decision == "no increase" else direction
    supporting, against, other = _headed(context, judged)
    first = options[0]
    if decision == "keep":
        head = f"Keep the current regimen ({current.text()}, {current.daily_dose})."
    elif decision == "no increase":
        head = "No increase is offered: findings at alert level argue against it; review them (see below)."
    else:
        change, predicted = first.predicted_change, first.predicted_trough
        if change is None or predicted is None:  # `option` and `current` set both
            raise AssertionError("an adjustment option without its prediction")
        head = (f"Option to consider: {decision} to {first.daily_dose} ({first.text()}), "
                f"{fmt(change.value, 1)}%; predicted trough "
                f"{fmt(predicted.value, 1)} ng/mL.")
    return Adjustment(
        decision=decision, headline=head, reasons=reasons,
        ratio=round(ratio, 6), computed_daily_dose=Measure(value=round(new_daily, 6), unit="mg/day"),
        direction=direction, judged=judged, options=options, comparison=comparison,
        supporting=supporting, against=against, other=other, warnings=warnings, **base)


def _headed(context: list[Finding], direction: str) -> tuple[list[Finding], list[Finding], list[Finding]]:
    """Split findings by what they mean for this direction: (supporting, arguing against, to review)."""
    supporting, against, other = [], [], []
    for f in context:
        if direction == "increase":
            if f.rule in SUPPORT_RAISING:
                supporting.append(f)
            elif f.rule in AGAINST_RAISING or f.severity == "alert":
                against.append(f)
            else:
                other.append(f)
        elif direction == "decrease":
            if f.rule in AGAINST_RAISING and f.rule != "TROUGH_TIMING":
                supporting.append(f)
            elif f.rule in SUPPORT_RAISING or f.rule == "TROUGH_TIMING":
                against.append(f)
            else:
                other.append(f)
        else:
            other.append(f)
    return supporting, against, other
