"""Plausible ranges of the measured fields: one table, used by the models and the batch reader.

The limits are profile values (interpretation, placeholders until clinical sign-off);
a value outside them is refused as a probable unit slip, e.g. creatinine '90 mg/dL'.
"""
from __future__ import annotations

from dosing.core.profile import Profile

# field -> (kind, profile value of the lower limit or None, of the upper limit, strict lower bound)
LIMITS: dict[str, tuple[str, str | None, str | None]] = {
    "weight": ("weight", "min_plausible_weight", "max_plausible_weight"),
    "dose": ("daily_dose", None, "max_plausible_daily_dose"),
    "dose_rate": ("dose_rate", None, "max_plausible_rate"),
    "trough": ("trough", None, "max_plausible_trough"),
    "hours_post_dose": ("duration", None, "max_plausible_hours_post_dose"),
    "creatinine": ("creatinine", "min_plausible_creatinine", "max_plausible_creatinine"),
    "sbp": ("pressure", "min_plausible_systolic", "max_plausible_systolic"),
    "dbp": ("pressure", "min_plausible_diastolic", "max_plausible_diastolic"),
}

# Fields where zero is meaningful: a trough below detection, a dose of 0 mg/day (withheld).
ZERO_ALLOWED = {"trough", "dose", "dose_rate", "hours_post_dose"}


_LIMITS_CACHE: dict[int, tuple[Profile, dict[str, tuple[float, float]]]] = {}


def canonical_limits(profile: Profile) -> dict[str, tuple[float, float]]:
    """(lower, upper) per field in canonical units; lower is exclusive of 0 unless zero is allowed.

    Computed once per (frozen) profile: Event validation asks for every quantity of every row.
    """
    hit = _LIMITS_CACHE.get(id(profile))
    if hit is not None and hit[0] is profile:
        return dict(hit[1])
    out = {}
    for field, (_, lo, hi) in LIMITS.items():
        low = profile.canonical(lo) if lo else 0.0
        high = profile.canonical(hi) if hi else float("inf")
        out[field] = (low, high)
    if len(_LIMITS_CACHE) > 16:
        _LIMITS_CACHE.clear()
    _LIMITS_CACHE[id(profile)] = (profile, dict(out))
    return out


def expected_text(field: str, profile: Profile) -> str:
    """'a value from 20 kg to 350 kg' for error messages."""
    _, lo, hi = LIMITS[field]
    from dosing.core.units import format_quantity

    low = format_quantity(profile.q(lo)) if lo else ("0" if field in ZERO_ALLOWED else "more than 0")
    high = format_quantity(profile.q(hi)) if hi else None
    if high:
        return f"a value from {low} to {high} (profile plausibility limits; check the unit)"
    return f"a value of at least {low}"


def out_of_range(field: str, value: float, limits: dict[str, tuple[float, float]]) -> bool:
    """True when a canonical value is outside the plausible range for its field."""
    low, high = limits[field]
    if value < 0 or (value == 0 and field not in ZERO_ALLOWED):
        return True
    return value < low or value > high
