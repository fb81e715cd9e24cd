"""Proportional dose adjustment: new daily dose = current x target / measured trough.

Valid only under linear kinetics at steady state, on a true 12-hour trough, with
the same product and assay and nothing new that changes clearance; every result
carries those caveats, and any finding that argues against raising the dose
(a creatinine rise, high blood pressure, a mistimed trough) is shown with it.
"""
from __future__ import annotations

import datetime as dt

import pint
from pydantic import BaseModel, ConfigDict

from dosing.core import units
from dosing.core.errors import ImplausibleValueError, InputError
from dosing.core.models import CapsuleCount, Finding, Measure
from dosing.core.plausibility import canonical_limits, expected_text, out_of_range
from dosing.core.profile import Profile, default_profile
from dosing.core.references import cite
from dosing.core.regimen import UG_PER_MG, dose_findings, product_for_regimen, round_to_product
from dosing.core.units import Q_

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

# Rules whose findings argue against raising a dose.
AGAINST_RAISING = ("CREATININE_RISE", "BP_HIGH", "BP_SEVERE", "TROUGH_TIMING", "TROUGH_HIGH", "TROUGH_UPPER_BAND")


class Adjustment(BaseModel):
    """A proportional adjustment with its arithmetic, rounding, caveats and cautions."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    current_daily_dose: Measure
    measured_trough: Measure
    target_trough: Measure
    ratio: float
    """target / measured."""
    computed_daily_dose: Measure
    """current x target / measured, before rounding."""
    product: str
    dose: Measure
    """Each administration, rounded to what the product can make."""
    doses_per_day: int
    capsules: list[CapsuleCount]
    daily_dose: Measure
    given_rate: Measure | None
    direction: str
    """'increase', 'decrease' or 'no change'."""
    caveats: list[tuple[str, str]]
    """(caveat, source) pairs; always shown."""
    cautions: list[Finding]
    """Findings that argue against the change (shown first when it raises the dose)."""
    warnings: list[str]
    findings: list[Finding]
    """Dose findings for the new dose (ceiling, floor), when a weight is known."""


def adjust(current_daily_dose: pint.Quantity, measured: pint.Quantity, target: pint.Quantity,
           product: str | None = None, weight: pint.Quantity | None = None,
           context: list[Finding] | tuple[Finding, ...] = (), profile: Profile | None = None,
           date: dt.date | None = None) -> Adjustment:
    """Proportional adjustment of a total daily dose from a measured to a target trough."""
    profile = profile or default_profile()
    units.require(current_daily_dose, "daily_dose", "dose")
    units.require(measured, "trough", "trough")
    units.require(target, "trough", "target")
    if weight is not None:
        units.require(weight, "weight", "weight")
    limits = canonical_limits(profile)
    cur = units.to_canonical(current_daily_dose, "daily_dose")
    m = units.to_canonical(measured, "trough")
    t = units.to_canonical(target, "trough")
    if cur <= 0 or out_of_range("dose", cur, limits):
        raise ImplausibleValueError("dose", units.format_quantity(current_daily_dose),
                                    "a total daily dose more than 0 mg/day, " + expected_text("dose", profile))
    if m <= 0 or out_of_range("trough", m, limits):
        raise ImplausibleValueError("trough", units.format_quantity(measured),
                                    "a measured trough above 0, " + expected_text("trough", profile))
    low, high = profile.canonical("trough_low"), profile.canonical("trough_high")
    if not low <= t <= high:
        raise InputError("target", units.format_quantity(target),
                         f"a target within the profile's range {profile.values['trough_low'].text}"
                         f"–{profile.values['trough_high'].text}")
    prod = product_for_regimen(profile, product)
    ratio = t / m
    new_daily = cur * ratio
    chosen_ug, counts, strengths_ug, _ = round_to_product(Q_(new_daily / prod.doses_per_day, "mg"), prod)
    if chosen_ug == 0:
        raise ImplausibleValueError("target", units.format_quantity(target),
                                    "a target that leaves a dose the product can make (this one rounds to 0 mg)")
    given_daily = chosen_ug * prod.doses_per_day / UG_PER_MG
    direction = "increase" if given_daily > cur + 1e-9 else "decrease" if given_daily < cur - 1e-9 else "no change"
    warnings = []
    big = profile.number("adjust_large_change_ratio")
    if ratio > big or ratio < 1 / big:
        warnings.append(f"The change is more than x{units.format_number(big)} (ratio {units.format_number(ratio)}): "
                        f"confirm a surprising level with a repeat sample before a large change "
                        f"({profile.basis('adjust_large_change_ratio')}).")
    if t >= profile.canonical("trough_upper_band"):
        warnings.append(f"The target {units.format_quantity(target)} is in the upper band, where the paper's "
                        f"patients had toxicity ({profile.basis('trough_upper_band')}).")
    cautions = [f for f in context if f.rule in AGAINST_RAISING]
    if direction == "increase" and cautions:
        warnings.insert(0, "Findings argue against raising the dose: review them before acting.")
    given_rate = None
    findings: list[Finding] = []
    if weight is not None:
        w = units.to_canonical(weight, "weight")
        given_rate = Q_(given_daily / w, "mg/kg/day")
        findings = dose_findings(given_rate, Q_(given_daily, "mg/day"), weight, profile, date=date)
    capsules = [CapsuleCount(strength=Measure(value=s / UG_PER_MG, unit="mg"), count=c)
                for s, c in sorted(zip(strengths_ug, counts), reverse=True) if c]
    return Adjustment(
        current_daily_dose=Measure.of(current_daily_dose), measured_trough=Measure.of(measured),
        target_trough=Measure.of(target), ratio=round(ratio, 6),
        computed_daily_dose=Measure(value=round(new_daily, 6), unit="mg/day"),
        product=prod.key, dose=Measure(value=chosen_ug / UG_PER_MG, unit="mg"), doses_per_day=prod.doses_per_day,
        capsules=capsules, daily_dose=Measure(value=given_daily, unit="mg/day"),
        given_rate=Measure(value=round(given_rate.magnitude, 6), unit="mg/kg/day") if given_rate is not None else None,
        direction=direction, caveats=list(CAVEATS), cautions=cautions, warnings=warnings, findings=findings,
    )
