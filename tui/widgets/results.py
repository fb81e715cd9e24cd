"""Core result objects as styled text that wraps to the terminal: findings, checks due, regimens, adjustments.

Every number shown comes from the Finding, DueCheck, Regimen or Adjustment
passed in; nothing is recomputed here (the plain-text twins are in dosing.core.render).
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from rich.text import Text

from dosing.core.wording import DISCLAIMER
from tui.widgets.plot import SEVERITY_STYLE

if TYPE_CHECKING:  # the first screen is drawn before the core (pint, numpy) is imported
    from dosing.core.models import Finding
    from dosing.core.schedule import DueCheck

STREAM_SHORT = {"renal": "creatinine + BP", "level": "trough"}
STANCE = DISCLAIMER


def findings_text(findings: list[Finding], empty: str = "no findings", inputs: bool = True) -> Text:
    """One block per finding: severity, rule and message; value against threshold; inputs; source."""
    out = Text()
    if not findings:
        out.append(f"  {empty}\n", style="dim")
        return out
    for f in findings:
        out.append(f"  {f.severity.upper():<5} ", style=SEVERITY_STYLE.get(f.severity, ""))
        out.append(f"{f.rule}", style="bold")
        out.append(f"  {f.message}\n")
        if f.value is not None and f.threshold is not None:
            when = f" ({f.date.isoformat()})" if f.date else ""
            out.append(f"    value {f.value} {f.comparison} threshold {f.threshold}{when}\n")
        if inputs:
            for k, v in f.basis.items():
                out.append(f"    {k.replace('_', ' ')}: {v}\n", style="dim")
        out.append(f"    source: {f.source}\n", style="dim italic")
    return out


def due_text(due: list[DueCheck], today: dt.date) -> Text:
    """The next check of each stream: its window, an overdue mark, and why it is due."""
    out = Text()
    if not due:
        out.append("  no check scheduled (no start recorded, or treatment stopped)\n", style="dim")
        return out
    for d in sorted(due, key=lambda d: d.due_by):
        out.append("  OVERDUE " if d.overdue else "  ", style="bold red")
        out.append(f"{d.title}", style="bold")
        out.append(f": {d.due_from.isoformat()} to {d.due_by.isoformat()}")
        out.append(f" ({_days((d.due_by - today).days)})\n", style="red" if d.overdue else "")
        out.append(f"    why: {d.reason}\n", style="dim")
    return out


def _days(n: int) -> str:
    if n < 0:
        return f"{-n} days late"
    return "due by today" if n == 0 else f"{n} days left"


def regimen_text(r) -> Text:
    """A Regimen: the dose, the units that make it, what is given per kg, its findings, basis and notes."""
    caps = " + ".join(str(c) for c in r.capsules)
    out = Text()
    out.append(f"{r.dose} every {r.interval}", style="bold")
    out.append(f"  ({caps}; {r.product_title})\n")
    out.append(f"  {r.daily_dose} in {r.doses_per_day} equal doses; about {r.given_rate} given\n")
    out.append(f"  asked: {r.requested_rate} x {r.weight} = {r.requested_daily_dose}\n", style="dim")
    out.append("Findings\n", style="bold")
    out.append_text(findings_text(r.findings))
    out.append("Basis\n", style="bold")
    for b in r.basis:
        out.append(f"  {b}\n", style="dim")
    out.append("Notes\n", style="bold")
    for n in r.notes:
        out.append(f"  {n}\n", style="dim")
    return out


def adjustment_text(a) -> Text:
    """An Adjustment: the arithmetic, the rounded dose, warnings, cautions, dose findings, every caveat."""
    caps = " + ".join(str(c) for c in a.capsules)
    out = Text()
    out.append("new daily dose = current x target / measured trough\n", style="dim")
    out.append(f"  {a.current_daily_dose} x {a.target_trough} / {a.measured_trough} = {a.computed_daily_dose}"
               f" (ratio {a.ratio:.3g})\n")
    out.append(f"  suggested: {a.dose} every 12 h ({caps}) = {a.daily_dose}", style="bold")
    out.append(f"  {a.direction}" + (f"; about {a.given_rate}" if a.given_rate else "") + "\n")
    if a.warnings:
        out.append("Warnings\n", style="bold yellow")
        for w in a.warnings:
            out.append(f"  {w}\n", style="yellow")
    if a.cautions:
        out.append("Findings that argue against the change\n", style="bold")
        out.append_text(findings_text(a.cautions, inputs=False))
    if a.findings:
        out.append("Findings on the new dose\n", style="bold")
        out.append_text(findings_text(a.findings, inputs=False))
    out.append("Valid only if\n", style="bold")
    for caveat, source in a.caveats:
        out.append(f"  - {caveat}", style="")
        out.append(f" [{source}]\n", style="dim")
    out.append(STANCE + "\n", style="italic")
    return out
