"""Weight x mg/kg/day -> a twice-daily regimen a product can actually make, with its options.

The daily total is rounded to the nearest amount the product's strengths can
make as two doses 12 h apart (ties to the lower amount, contract §5). Equal
doses where the total allows; otherwise the larger dose in the morning (a
profile setting), with the nearest equal regimen shown beside it. Where
rounding crosses the ceiling or the low-efficacy floor, the neighbouring
regimen on the other side is offered too. No option above the profile's
plausible maximum (mg/day and mg/kg/day) is ever built: the request is refused.
Every option is judged by the same registered rules as the log checker.
Prolonged-release products are refused: converting to them is brand-specific.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache, reduce
from math import gcd

import numpy as np
import pint
from pydantic import BaseModel, ConfigDict

from dosing.core import rules, units
from dosing.core.columns import DOSE_CHANGE, START, EventColumns
from dosing.core.errors import ImplausibleValueError, ProductError, ProfileError
from dosing.core.models import CapsuleCount, Finding, Measure
from dosing.core.plausibility import canonical_limits, expected_text, out_of_range
from dosing.core.profile import Product, Profile, default_profile
from dosing.core.textfmt import fmt
from dosing.core.units import Q_

UG_PER_MG = 1000  # unit arithmetic, not a clinical number
MAX_SLOTS = 200_000  # bound on the amount table (profile maxima / smallest step), never on the amount asked
TOL_UG = 1e-6


class OutputLimitError(ImplausibleValueError):
    """A computed regimen above the profile's plausible maximum: refused, never printed as a regimen."""

    title = "output limit"


class Administration(BaseModel):
    """One of the day's doses: when, how much, and the units that make it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    when: str
    """'morning', 'evening', or 'every 12 h' when both doses are equal."""
    amount: Measure
    capsules: list[CapsuleCount]
    """Units making this dose, fewest first (e.g. 1 x 5 mg + 1 x 0.5 mg)."""


class RegimenOption(BaseModel):
    """One regimen the prescriber may choose, with what it gives and what the rules say of it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    """Why it is offered: 'nearest to what was asked', 'nearest equal doses', 'current regimen', ..."""
    daily_dose: Measure
    administrations: list[Administration]
    """Morning then evening; one entry when both doses are equal."""
    equal: bool
    given_rate: Measure | None
    """mg/kg/day actually given, when a weight is known."""
    off_by: Measure | None
    """daily dose minus the amount asked (mg/day), signed."""
    predicted_trough: Measure | None = None
    """Adjustments only: measured trough x this total / the total in force (linear kinetics)."""
    predicted_change: Measure | None = None
    """Adjustments only: change of the daily dose from the one in force, in %."""
    findings: list[Finding] = []
    """The registered rules' findings on this regimen."""
    notes: list[str] = []

    def text(self) -> str:
        """'3.5 mg every 12 h (3 × 1 mg + 1 × 0.5 mg)' or '4 mg morning + 3.5 mg evening (...)'."""
        parts = []
        for a in self.administrations:
            caps = " + ".join(str(c) for c in a.capsules)
            parts.append(f"{a.amount} {a.when} ({caps})" if caps else f"{a.amount} {a.when}")
        return " + ".join(parts) if parts else f"{self.daily_dose} (not a split this product makes)"


class Regimen(BaseModel):
    """A suggested regimen with its alternatives and everything it rests on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    product: str
    product_title: str
    weight: Measure
    """The weight as typed."""
    weight_used: Measure
    """The weight the computation used, in kg."""
    requested_rate: Measure
    requested_daily_dose: Measure
    doses_per_day: int
    interval: Measure
    options: list[RegimenOption]
    """The suggestion first, then the alternatives the prescriber may prefer."""
    comparison: str
    """Which option is closer to what was asked, when the suggestion is not two equal doses."""
    daily_dose: Measure
    """The suggestion's daily total."""
    given_rate: Measure
    """mg/kg/day the suggestion actually gives."""
    rounding_step: Measure
    """Resolution of the daily total (mg/day)."""
    findings: list[Finding]
    """The suggestion's findings."""
    basis: list[str]
    """Each profile value used, with its kind and source."""
    notes: list[str]

    @property
    def suggestion(self) -> RegimenOption:
        return self.options[0]

    @property
    def dose(self) -> Measure:
        """The first (morning, the larger) dose of the suggestion."""
        return self.options[0].administrations[0].amount

    @property
    def capsules(self) -> list[CapsuleCount]:
        return self.options[0].administrations[0].capsules

    def summary(self) -> str:
        s = self.options[0]
        text = f"{s.text()}; {self.daily_dose}, about {self.given_rate}"
        if self.weight.unit != self.weight_used.unit:
            text += f" on {units.format_number(self.weight_used.value, 1)} kg from {self.weight}"
        equal = next((o for o in self.options[1:] if o.label == NEAREST_EQUAL), None)
        if equal is not None:
            text += f"; nearest equal doses: {equal.text()}, {equal.daily_dose}"
        return text


NEAREST = "nearest to what was asked"
NEAREST_EQUAL = "nearest equal doses"
BELOW_CEILING = "at or below the ceiling"
ABOVE_FLOOR = "at or above the low-efficacy floor"
SMALLEST = "smallest this product makes"
CURRENT = "current regimen"


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
    step, table = _amount_table(tuple(strengths_ug), int(upto_ug))
    return step, dict(table)


@lru_cache(maxsize=32)
def _amount_table(strengths_ug: tuple[int, ...], upto_ug: int) -> tuple[int, dict[int, tuple[int, ...]]]:
    step = reduce(gcd, strengths_ug)
    slots = upto_ug // step + 1
    if slots > MAX_SLOTS:
        raise ProfileError(f"the product strengths and the plausible maximum need {slots} amounts; "
                           f"at most {MAX_SLOTS} are computed")
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


class Maker:
    """What one product can make as two doses 12 h apart, up to the profile's plausible maximum."""

    def __init__(self, product: Product, profile: Profile):
        self.product = product
        self.strengths = sorted(int(round(_ug(s))) for s in product.strength_quantities())
        self.max_daily_ug = int(profile.canonical("max_plausible_daily_dose") * UG_PER_MG)
        self.step, self.amounts = _amount_table(tuple(self.strengths), self.max_daily_ug)
        self.larger_first = profile.flag("larger_dose_in_morning")
        self.per_day = product.doses_per_day

    def split(self, total_ug: int) -> tuple[int, ...] | None:
        """The doses (µg, in the order given) making `total_ug`: equal where possible, else the nearest pair."""
        if total_ug <= 0:
            return None
        if self.per_day == 1:
            return (total_ug,) if total_ug in self.amounts else None
        if total_ug % 2 == 0 and total_ug // 2 in self.amounts:
            return (total_ug // 2, total_ug // 2)
        half = total_ug / 2
        for a in sorted(x for x in self.amounts if half < x < total_ug):
            if total_ug - a in self.amounts:
                pair = (a, total_ug - a)
                return pair if self.larger_first else pair[::-1]
        return None

    def equal_split(self, total_ug: int) -> tuple[int, int] | None:
        if total_ug > 0 and total_ug % 2 == 0 and total_ug // 2 in self.amounts:
            return (total_ug // 2, total_ug // 2)
        return None

    def nearest(self, want_ug: float, equal_only: bool = False) -> int:
        """The makeable daily total nearest `want_ug` (ties to the lower); 0 when that is nothing."""
        ok = self.equal_split if equal_only else self.split
        grid = 2 * self.step if equal_only else self.step
        k = int(want_ug // grid)
        below = next((t for t in range(k * grid, 0, -grid) if ok(t)), 0)
        above = next((t for t in range((k + 1) * grid, self.max_daily_ug + 2 * grid, grid) if ok(t)), None)
        if below and abs(below - want_ug) < TOL_UG:
            return below
        if above is None or (want_ug - below) <= (above - want_ug) + TOL_UG:
            return below
        return above

    def smallest(self) -> int:
        return next(t for t in range(self.step, self.max_daily_ug + self.step, self.step) if self.split(t))

    def administrations(self, total_ug: int) -> list[Administration]:
        doses = self.split(total_ug)
        if doses is None:
            return []
        if len(set(doses)) == 1:
            when = [f"every {units.format_number(24 / self.per_day)} h"]
            doses = doses[:1]
        else:
            when = ["morning", "evening"] if self.per_day == 2 else [f"dose {i + 1}" for i in range(len(doses))]
        return [Administration(when=w, amount=Measure(value=d / UG_PER_MG, unit="mg"), capsules=self.capsules(d))
                for w, d in zip(when, doses)]

    def capsules(self, amount_ug: int) -> list[CapsuleCount]:
        counts = self.amounts[amount_ug]
        return [CapsuleCount(strength=Measure(value=s / UG_PER_MG, unit="mg"), count=c)
                for s, c in sorted(zip(self.strengths, counts), reverse=True) if c]


def as_used(q: pint.Quantity, kind: str) -> str:
    """'59.9 kg from 132 lb': the value in the unit the computation used, beside the unit typed."""
    typed = units.format_quantity(q)
    canon = units.canonical(units.to_canonical(q, kind), kind)
    shown = units.format_quantity(canon, 1 if kind in {"weight", "trough"} else 3)
    if units.unit_text(q) == units.unit_text(canon):
        return typed
    return f"{shown} from {typed}"


def check_output(daily_mg: float, weight_kg: float | None, profile: Profile, field: str, value: str,
                 how: str) -> None:
    """Refuse (OutputLimitError) a daily dose above the plausible maximum in mg/day or mg/kg/day."""
    max_daily, max_rate = profile.canonical("max_plausible_daily_dose"), profile.canonical("max_plausible_rate")
    over = []
    if daily_mg > max_daily * (1 + 1e-12):
        over.append(f"above the plausible maximum of {profile.values['max_plausible_daily_dose'].text}")
    if weight_kg and daily_mg / weight_kg > max_rate * (1 + 1e-12):
        over.append(f"{fmt(daily_mg / weight_kg, 4)} mg/kg/day, above the plausible maximum of "
                    f"{profile.values['max_plausible_rate'].text}")
    if over:
        raise OutputLimitError(
            field, value,
            f"a value that keeps the regimen within the profile's plausible maximum: {how} = "
            f"{fmt(daily_mg, 4)} mg/day, {' and '.join(over)}; no regimen is printed "
            f"(hard output limit, interpretation; check the inputs and their units)")


def regimen(weight: pint.Quantity, rate: pint.Quantity, product: str | None = None,
            profile: Profile | None = None) -> Regimen:
    """Weight x mg/kg/day -> the nearest regimen the product makes, its alternatives and the basis."""
    profile = profile or default_profile()
    units.require(weight, "weight", "weight")
    units.require(rate, "dose_rate", "rate")
    w = check_weight(weight, profile)
    r = units.to_canonical(rate, "dose_rate")
    if not r > 0 or out_of_range("dose_rate", r, canonical_limits(profile)):
        raise ImplausibleValueError("rate", shown(rate), "more than 0 and " + expected_text("dose_rate", profile))
    prod = product_for_regimen(profile, product)
    asked_mg = w * r
    check_output(asked_mg, w, profile, "rate", units.format_quantity(rate),
                 f"{units.format_quantity(rate)} x {as_used(weight, 'weight')}")
    maker = Maker(prod, profile)
    want = asked_mg * UG_PER_MG
    total = maker.nearest(want)
    notes = [
        f"The daily total is rounded to the nearest {units.format_number(maker.step / UG_PER_MG)} mg/day the "
        f"{prod.title} can make as {prod.doses_per_day} doses (ties to the lower amount); equal doses where the "
        f"total allows, otherwise the larger dose {'in the morning' if maker.larger_first else 'in the evening'} "
        f"(profile larger_dose_in_morning = {profile.basis('larger_dose_in_morning')}).",
        f"mg/kg/day is on the weight given ({as_used(weight, 'weight')}); the paper does not say which "
        "weight (actual, ideal, adjusted) to use.",
    ]
    options: list[tuple[str, int, list[str]]] = []
    if total == 0:
        total = maker.smallest()
        check_output(total / UG_PER_MG, w, profile, "rate", units.format_quantity(rate),
                     f"the smallest regimen the {prod.title} make")
        options.append((SMALLEST, total, [
            f"{fmt(asked_mg)} mg/day rounds to nothing with the {prod.title}; the smallest regimen they make "
            f"is {units.format_number(total / UG_PER_MG)} mg/day, {fmt(total / want, 2)} times what was "
            f"asked.{_smaller_units(prod, profile)}"]))
    else:
        check_output(total / UG_PER_MG, w, profile, "rate", units.format_quantity(rate),
                     f"{units.format_quantity(rate)} x {as_used(weight, 'weight')}, rounded")
        options.append((NEAREST, total, []))
    if maker.equal_split(total) is None:
        eq = maker.nearest(want, equal_only=True) or maker.nearest(total + 1, equal_only=True)
        if eq:
            options.append((NEAREST_EQUAL, eq, []))
    options += _threshold_neighbours(maker, total, r, w, profile)
    built = [_option(label, t, maker, w, asked_mg, profile, extra) for label, t, extra in options
             if t / UG_PER_MG <= profile.canonical("max_plausible_daily_dose")
             and t / UG_PER_MG / w <= profile.canonical("max_plausible_rate")]
    first = built[0]
    if first.given_rate is None:  # every option has one: the weight was checked plausible (above zero)
        raise AssertionError("the suggested regimen has no mg/kg/day")
    comparison = _comparison(built, asked_mg)
    return Regimen(
        product=prod.key, product_title=prod.title,
        weight=Measure.of(weight), weight_used=Measure(value=round(w, 6), unit="kg"),
        requested_rate=Measure.of(rate),
        requested_daily_dose=Measure(value=round(asked_mg, 6), unit="mg/day"),
        doses_per_day=prod.doses_per_day, interval=Measure.of(_interval(prod, profile)),
        options=built, comparison=comparison, daily_dose=first.daily_dose, given_rate=first.given_rate,
        rounding_step=Measure(value=maker.step / UG_PER_MG, unit="mg/day"), findings=first.findings,
        basis=[f"product: {prod.source}", f"ceiling: {profile.basis('ceiling_rate')}",
               f"low-efficacy floor: {profile.basis('effective_floor_rate')}",
               f"plausible maximum: {profile.basis('max_plausible_daily_dose')}; {profile.basis('max_plausible_rate')}"],
        notes=notes,
    )


def check_weight(weight: pint.Quantity, profile: Profile, field: str = "weight") -> float:
    """The weight in kg, or ImplausibleValueError outside the profile's plausible range."""
    w = units.to_canonical(weight, "weight")
    if not np.isfinite(w) or out_of_range("weight", w, canonical_limits(profile)):
        raise ImplausibleValueError(field, shown(weight), expected_text("weight", profile))
    return w


def shown(q: pint.Quantity) -> str:
    """A typed quantity for a refusal: tiny or huge numbers keep their digits ('1e-07 ng/mL')."""
    x = float(q.magnitude)
    number = units.format_number(x) if x == 0 or 1e-3 <= abs(x) < 1e6 else f"{x:g}"
    return f"{number} {units.unit_text(q)}"


def _interval(prod: Product, profile: Profile) -> pint.Quantity:
    return profile.q("trough_interval") if prod.doses_per_day == 2 else Q_(24 / prod.doses_per_day, "h")


def _smaller_units(prod: Product, profile: Profile) -> str:
    mine = min(_ug(s) for s in prod.strength_quantities())
    other = [(min(_ug(s) for s in p.strength_quantities()), p) for p in profile.products.values()
             if p.strengths and p.key != prod.key and p.doses_per_day == prod.doses_per_day]
    smaller = sorted((u, p) for u, p in other if u < mine)
    if not smaller:
        return ""
    u, p = smaller[0]
    return f" A smaller dose needs smaller units ({p.key}: {units.format_number(u / UG_PER_MG)} mg)."


def _threshold_neighbours(maker: Maker, total: int, asked_rate: float, w: float,
                          profile: Profile) -> list[tuple[str, int, list[str]]]:
    """When rounding crosses the ceiling or the floor, the nearest regimen on the asked side of it."""
    ceiling, floor = profile.canonical("ceiling_rate"), profile.canonical("effective_floor_rate")
    given = total / UG_PER_MG / w
    out = []
    if asked_rate <= ceiling * (1 + 1e-12) and given > ceiling * (1 + 1e-12):
        t = next((t for t in range(total - maker.step, 0, -maker.step)
                  if maker.split(t) and t / UG_PER_MG / w <= ceiling * (1 + 1e-12)), 0)
        if t:
            out.append((BELOW_CEILING, t, [f"Rounding crosses the ceiling of {fmt(ceiling)} mg/kg/day: "
                                           "this regimen stays at or below it."]))
    if asked_rate >= floor * (1 - 1e-12) and given < floor * (1 - 1e-12):
        t = next((t for t in range(total + maker.step, maker.max_daily_ug + maker.step, maker.step)
                  if maker.split(t) and t / UG_PER_MG / w >= floor * (1 - 1e-12)), 0)
        if t:
            out.append((ABOVE_FLOOR, t, [f"Rounding crosses the low-efficacy floor of {fmt(floor)} "
                                         "mg/kg/day: this regimen stays at or above it."]))
    return out


def _option(label: str, total_ug: int, maker: Maker, w: float | None, asked_mg: float | None, profile: Profile,
            notes: list[str], findings: list[Finding] | None = None, **extra) -> RegimenOption:
    daily = total_ug / UG_PER_MG
    if findings is None:
        findings = judge([daily], w, profile, maker.product.key)[-1]
    return RegimenOption(
        label=label, daily_dose=Measure(value=daily, unit="mg/day"),
        administrations=maker.administrations(total_ug), equal=maker.equal_split(total_ug) is not None,
        given_rate=Measure(value=round(daily / w, 6), unit="mg/kg/day") if w else None,
        off_by=Measure(value=round(daily - asked_mg, 6), unit="mg/day") if asked_mg is not None else None,
        findings=findings, notes=notes, **extra,
    )


def _comparison(options: list[RegimenOption], asked_mg: float, what: str = "asked") -> str:
    first = options[0]
    equal = next((o for o in options[1:] if o.label == NEAREST_EQUAL), None)
    if equal is None:
        return ""
    a, b = abs(first.daily_dose.value - asked_mg), abs(equal.daily_dose.value - asked_mg)
    asked = fmt(asked_mg)
    if abs(a - b) < 1e-9:
        return (f"Both are {fmt(a)} mg/day from the {asked} mg/day {what}: the unequal regimen and the "
                f"nearest equal doses are equally close.")
    closer, other = ("the unequal regimen", "the nearest equal doses") if a < b else \
        ("the nearest equal doses", "the unequal regimen")
    return (f"{closer[0].upper()}{closer[1:]} is closer to the {asked} mg/day {what} ({fmt(min(a, b))} mg/day "
            f"away) than {other} ({fmt(max(a, b))} mg/day away).")


_ISO = re.compile(r"(?:\s*\(|\s+(?:on|from|of|since))?\s*\d{4}-\d{2}-\d{2}\)?")


def strip_dates(f: Finding, named: dict[dt.date, str] | None = None) -> Finding:
    """The finding without the dates of a synthetic history; `named` dates become words ("as given")."""
    message, basis = f.message, dict(f.basis)
    for day, word in (named or {}).items():
        iso = day.isoformat()
        message = message.replace(f" of {iso}", f" ({word})")
        basis = {k: v.replace(f" on {iso}", f" ({word})") for k, v in basis.items()}
    return f.model_copy(update={"message": _ISO.sub("", message), "date": None, "line": None,
                                "basis": {k: _ISO.sub("", v) for k, v in basis.items()}})


def judge(daily_doses: list[float], weight_kg: float | None, profile: Profile, product: str,
          today: dt.date | None = None) -> list[list[Finding]]:
    """Every registered rule (not the schedule) over a small history: a start, then one dose change per dose.

    Returns the findings of each row, without the history's internal dates (an adjustment has none).
    The first row is the dose in force (or the only dose); a later rule (e.g. a dose-jump check)
    applies here as soon as it is registered.
    """
    from dosing.core.assess import record_to_finding

    n = len(daily_doses)
    base = (today or dt.date(2000, 1, 1)).toordinal()
    days = [base + i for i in range(n)]
    events = [START] + [DOSE_CHANGE] * (n - 1)
    weights = [weight_kg if weight_kg else np.nan] * n
    doses = list(daily_doses)
    cols = EventColumns(
        patient=np.array(["suggestion"] * n, dtype=object), day=np.array(days, dtype=np.int64),
        event=np.array(events, dtype=np.int8), product=np.array([product] * n, dtype=object),
        line=np.arange(1, n + 1, dtype=np.int64),
        values={"dose": np.array(doses, dtype=float), "weight": np.array(weights, dtype=float)},
    )
    chosen = tuple(r for r in rules.RULES if r != "CHECK_OVERDUE")
    table = rules.evaluate(cols, profile, None, rules=chosen)
    out: list[list[Finding]] = [[] for _ in daily_doses]
    for rec in table.records():
        row = rec["line"] - 1
        f = strip_dates(record_to_finding(rec))
        if weight_kg and f.rule in ("DOSE_ABOVE_CEILING", "DOSE_BELOW_EFFECTIVE"):
            f = f.model_copy(update={"basis": {**f.basis, "weight": f"{fmt(weight_kg, 1)} kg"}})
        out[row].append(f)
    return out


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
