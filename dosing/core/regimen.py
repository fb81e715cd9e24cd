"""Weight x mg/kg/day -> a twice-daily regimen a product can actually make.

Each administration is rounded to the nearest amount the product's strengths
can make (ties to the lower amount, contract §5), made with the fewest units;
the regimen reports the mg/kg/day actually given, and the dose findings
(ceiling, low-efficacy floor) come from the same rule definitions the log
checker uses. Prolonged-release products are refused: converting a twice-daily
dose to them is brand- and country-specific.
"""
from __future__ import annotations

import datetime as dt
from functools import reduce
from math import gcd

import numpy as np
import pint
from pydantic import BaseModel, ConfigDict

from dosing.core import rules, units
from dosing.core.columns import EventColumns
from dosing.core.errors import ImplausibleValueError, ProductError
from dosing.core.models import CapsuleCount, Finding, Measure
from dosing.core.plausibility import canonical_limits, expected_text, out_of_range
from dosing.core.profile import Product, Profile, default_profile
from dosing.core.units import Q_
from dosing.core.wording import DISCLAIMER

UG_PER_MG = 1000  # unit arithmetic, not a clinical number


class Regimen(BaseModel):
    """A suggested regimen with everything it rests on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    product: str
    product_title: str
    weight: Measure
    requested_rate: Measure
    requested_daily_dose: Measure
    dose: Measure
    """Each administration, rounded to what the product can make."""
    doses_per_day: int
    interval: Measure
    capsules: list[CapsuleCount]
    """Units making one administration, fewest first (e.g. 1 x 5 mg + 1 x 0.5 mg)."""
    daily_dose: Measure
    given_rate: Measure
    """mg/kg/day actually given after rounding."""
    rounding_step: Measure
    findings: list[Finding]
    basis: list[str]
    """Each profile value used, with its kind and source."""
    notes: list[str]

    def summary(self) -> str:
        caps = " + ".join(str(c) for c in self.capsules)
        return (f"{self.dose} every {self.interval} ({caps}); {self.daily_dose}, "
                f"about {self.given_rate}")


def _ug(q: pint.Quantity) -> float:
    return units.convert(q, "ug", "amount").magnitude


def product_for_regimen(profile: Profile, key: str | None) -> Product:
    """The product, or ProductError if tacro cannot compute a regimen for it."""
    product = profile.product(key)
    if not product.strengths:
        raise ProductError(
            "product", product.key,
            "a twice-daily product (ir-capsule or granules): prolonged-release doses are brand- and "
            "country-specific conversions (e.g. Advagraf 1:1, Envarsus x0.7 EU / x0.8 US) that tacro does not "
            "make silently; record the brand's prescribed dose instead",
        )
    return product


def make_amounts(strengths_ug: list[int], upto_ug: int) -> tuple[int, dict[int, tuple[int, ...]]]:
    """Every amount (µg) the strengths can make up to `upto_ug`, with the fewest units for each.

    Returns (step, {amount: counts per strength}). Pure integer arithmetic: no float rounding.
    """
    step = reduce(gcd, strengths_ug)
    slots = upto_ug // step + 1
    best: list[tuple[int, ...] | None] = [None] * slots
    best[0] = tuple(0 for _ in strengths_ug)
    for k in range(1, slots):
        amount = k * step
        choice = None
        for i, s in enumerate(strengths_ug):
            prev = best[(amount - s) // step] if s <= amount else None
            if prev is not None:
                cand = tuple(c + (1 if j == i else 0) for j, c in enumerate(prev))
                if choice is None or (sum(cand), [-c for c in cand[::-1]]) < (sum(choice), [-c for c in choice[::-1]]):
                    choice = cand
        best[k] = choice
    return step, {k * step: c for k, c in enumerate(best) if c is not None}


def round_to_product(requested: pint.Quantity, product: Product) -> tuple[int, tuple[int, ...], list[int], int]:
    """Nearest makeable amount (µg) to `requested`, ties to the lower; with its units, strengths, step."""
    strengths = sorted(int(round(_ug(s))) for s in product.strength_quantities())
    want = _ug(requested)
    upto = int(want) + 2 * max(strengths)
    step, amounts = make_amounts(strengths, upto)
    below = max((a for a in amounts if a <= want + 1e-6), default=0)
    above = min((a for a in amounts if a >= want - 1e-6), default=below)
    chosen = below if (want - below) <= (above - want) + 1e-6 else above
    return chosen, amounts[chosen], strengths, step


def regimen(weight: pint.Quantity, rate: pint.Quantity, product: str | None = None,
            profile: Profile | None = None) -> Regimen:
    """Weight x mg/kg/day -> two equal 12-hourly doses the product can make, with the basis."""
    profile = profile or default_profile()
    units.require(weight, "weight", "weight")
    units.require(rate, "dose_rate", "rate")
    limits = canonical_limits(profile)
    w = units.to_canonical(weight, "weight")
    r = units.to_canonical(rate, "dose_rate")
    if out_of_range("weight", w, limits):
        raise ImplausibleValueError("weight", units.format_quantity(weight), expected_text("weight", profile))
    if r <= 0 or out_of_range("dose_rate", r, limits):
        raise ImplausibleValueError("rate", units.format_quantity(rate),
                                    "more than 0 and " + expected_text("dose_rate", profile))
    prod = product_for_regimen(profile, product)
    daily = Q_(w * r, "mg/day")
    per_dose = Q_(w * r / prod.doses_per_day, "mg")
    chosen_ug, counts, strengths_ug, step_ug = round_to_product(per_dose, prod)
    if chosen_ug == 0:
        raise ImplausibleValueError(
            "rate", units.format_quantity(rate),
            f"a dose this product can make: {units.format_quantity(per_dose)} per dose rounds to 0 "
            f"(smallest unit {units.format_number(min(strengths_ug) / UG_PER_MG)} mg)",
        )
    dose = Q_(chosen_ug / UG_PER_MG, "mg")
    given_daily = Q_(chosen_ug * prod.doses_per_day / UG_PER_MG, "mg/day")
    given_rate = Q_(given_daily.magnitude / w, "mg/kg/day")
    capsules = [
        CapsuleCount(strength=Measure(value=s / UG_PER_MG, unit="mg"), count=c)
        for s, c in sorted(zip(strengths_ug, counts), reverse=True) if c
    ]
    findings = dose_findings(given_rate, given_daily, weight, profile)
    interval = profile.q("trough_interval") if prod.doses_per_day == 2 else Q_(24 / prod.doses_per_day, "h")
    notes = [
        f"{DISCLAIMER} Check the regimen against the patient.",
        f"Each dose is rounded to the nearest {units.format_number(step_ug / UG_PER_MG)} mg the "
        f"{prod.title} can make (ties to the lower amount).",
        f"mg/kg/day is on the weight given ({units.format_quantity(weight)}); the paper does not say which "
        "weight (actual, ideal, adjusted) to use.",
    ]
    if abs(given_rate.magnitude - r) > 1e-12:
        notes.append(f"Rounding changes the dose from {units.format_quantity(per_dose)} to "
                     f"{units.format_quantity(dose)} per dose, so about {units.format_quantity(given_rate)} "
                     "is given.")
    return Regimen(
        product=prod.key, product_title=prod.title,
        weight=Measure.of(weight), requested_rate=Measure.of(rate),
        requested_daily_dose=Measure(value=round(daily.magnitude, 6), unit="mg/day"),
        dose=Measure.of(dose), doses_per_day=prod.doses_per_day, interval=Measure.of(interval),
        capsules=capsules, daily_dose=Measure.of(given_daily),
        given_rate=Measure(value=round(given_rate.magnitude, 6), unit="mg/kg/day"),
        rounding_step=Measure(value=step_ug / UG_PER_MG, unit="mg"),
        findings=findings,
        basis=[f"product: {prod.source}", f"ceiling: {profile.basis('ceiling_rate')}",
               f"low-efficacy floor: {profile.basis('effective_floor_rate')}"],
        notes=notes,
    )


def dose_findings(rate: pint.Quantity, daily: pint.Quantity | None, weight: pint.Quantity | None,
                  profile: Profile, patient_id: str = "", date: dt.date | None = None) -> list[Finding]:
    """The dose rules (ceiling, floor) for one dose, via the same definitions as the log checker."""
    from dosing.core.assess import record_to_finding

    units.require(rate, "dose_rate", "rate")
    day = (date or dt.date.today()).toordinal()
    values = {"dose_rate": np.array([units.to_canonical(rate, "dose_rate")])}
    cols = EventColumns(
        patient=np.array([patient_id], dtype=object), day=np.array([day], dtype=np.int64),
        event=np.array([1], dtype=np.int8), product=np.array([""], dtype=object),
        line=np.array([1], dtype=np.int64), values=values,
    )
    table = rules.evaluate(cols, profile, None, rules=("DOSE_ABOVE_CEILING", "DOSE_BELOW_EFFECTIVE"))
    out = []
    for rec in table.records():
        rec["date"] = date
        rec["basis"] = {"dose": f"{units.format_quantity(rate)}"
                        + (f" ({units.format_quantity(daily)} for {units.format_quantity(weight)})"
                           if daily is not None and weight is not None else "")}
        out.append(record_to_finding(rec))
    return out


def suggest_start(weight: pint.Quantity, prior_cyclosporine_nephrotoxicity: bool, product: str | None = None,
                  profile: Profile | None = None) -> Regimen:
    """The paper's starting regimen (0.10 mg/kg/day), lower after cyclosporine nephrotoxicity."""
    profile = profile or default_profile()
    name = "start_rate_prior_cyclosporine_nephrotoxicity" if prior_cyclosporine_nephrotoxicity else "start_rate"
    reg = regimen(weight, profile.q(name), product, profile)
    return reg.model_copy(update={"basis": [f"starting rate: {profile.basis(name)}", *reg.basis]})
