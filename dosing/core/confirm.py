"""Soft dose limit: a new dose far from the one in force asks the user to confirm it.

ISMP lists tacrolimus as a high-alert medicine with reported 0.5 mg / 5 mg
mix-ups. Whether a change is such a jump is decided by one rule, DOSE_JUMP
(`dosing.core.rules`), the same that `tacro check`, `tacro import` and
`adjust` apply: this module only puts the two doses through that rule and
turns its finding into the question the TUI asks before saving.
"""
from __future__ import annotations

import numpy as np

from dosing.core.assess import DoseInForce
from dosing.core.columns import DOSE_CHANGE, START, EventColumns


def _row(d: DoseInForce) -> tuple[float, float]:
    mg = d.daily_dose.value if d.daily_dose is not None else np.nan
    rate = d.rate.value if d.rate is not None else np.nan
    return mg, rate


def jump_finding(before: DoseInForce | None, after: DoseInForce | None, profile) -> dict | None:
    """The DOSE_JUMP finding for `after` set against `before` (the dose in force), or None."""
    from dosing.core import rules

    if before is None or after is None:
        return None
    (m0, r0), (m1, r1) = _row(before), _row(after)
    cols = EventColumns(
        patient=np.array(["candidate", "candidate"], dtype=object),
        day=np.array([before.since.toordinal(), max(after.since, before.since).toordinal()], dtype=np.int64),
        event=np.array([START, DOSE_CHANGE], dtype=np.int8),
        product=np.array(["", ""], dtype=object),
        line=np.array([1, 2], dtype=np.int64),
        values={"dose": np.array([m0, m1]), "dose_rate": np.array([r0, r1])},
    )
    found = [f for f in rules.evaluate(cols, profile, None, rules=("DOSE_JUMP",)).records() if f["line"] == 2]
    return found[0] if found else None


def dose_jump(before: DoseInForce | None, after: DoseInForce | None, profile) -> str | None:
    """A sentence asking for confirmation when the DOSE_JUMP rule fires on `after`, else None."""
    f = jump_finding(before, after, profile)
    if f is None:
        return None
    from dosing.core import units

    n = units.format_number(profile.number("confirm_dose_ratio"))
    what = f["message"].split("; ", 1)[0]  # the rule's own first clause: both doses, the ratio, since when
    return (f"{what}. A dose {n} times or more, or 1/{n} or less, of the one in force is confirmed before it "
            f"is saved: tenfold slips (0.5 mg / 5 mg) happen. {f['rule']} ({f['severity']}), basis: {f['source']}")
