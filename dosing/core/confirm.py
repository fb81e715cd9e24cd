"""Soft dose limit: a new dose far from the one in force asks the user to confirm it.

ISMP lists tacrolimus as a high-alert medicine with reported 0.5 mg / 5 mg
mix-ups; a dose at least `confirm_dose_ratio` times, or at most 1/that, the
dose in force is more likely a slip than a decision, so whoever records it is
asked to confirm. The factor is a profile value (interpretation, with its source).
"""
from __future__ import annotations

from dosing.core import units
from dosing.core.assess import DoseInForce
from dosing.core.history import EPS
from dosing.core.profile import Profile


def dose_jump(before: DoseInForce | None, after: DoseInForce | None, profile: Profile) -> str | None:
    """A sentence asking for confirmation when `after` is >= ratio x or <= 1/ratio x `before`, else None.

    Compares total daily doses when both are known, else doses per kilogram.
    """
    if before is None or after is None:
        return None
    pairs = [(before.daily_dose, after.daily_dose), (before.rate, after.rate)]
    old, new = next(((o, n) for o, n in pairs if o is not None and n is not None), (None, None))
    if old is None or new is None or old.value <= 0 or new.value <= 0:
        return None
    limit = profile.number("confirm_dose_ratio")
    ratio = new.value / old.value
    if ratio < limit * (1 - EPS) and ratio > (1 / limit) * (1 + EPS):
        return None
    shown = f"{units.format_number(ratio)} times" if ratio >= 1 else f"1/{units.format_number(1 / ratio, 1)} of"
    n = units.format_number(limit)
    v = profile.values["confirm_dose_ratio"]
    return (f"The new dose {new} is {shown} the dose in force since {before.since.isoformat()} ({old}). "
            f"A dose {n} times or more, or 1/{n} or less, of the one in force is confirmed before it is saved: "
            f"tenfold slips (0.5 mg / 5 mg) happen. Basis: {v.source} ({v.kind})")
