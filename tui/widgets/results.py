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


def format_number(x: float, places: int = 3) -> str:
    """Safe-writing numbers, as the core writes them (imported late: the first screen draws before the core)."""
    from dosing.core.units import format_number as fmt

    return fmt(x, places)

if TYPE_CHECKING:  # the first screen is drawn before the core (pint, numpy) is imported
    from dosing.core.models import Finding
    from dosing.core.rules.schedule import DueCheck

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
            from dosing.core.textfmt import fmt_apart

            value = f"{fmt_apart(f.value.value, f.threshold.value)} {f.value.unit}".replace(" %", "%")
            out.append(f"    value {value} {f.comparison} threshold {f.threshold}{when}\n")
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


def option_text(o) -> Text:
    """One option for the prescriber: doses and units, daily total, mg/kg/day, predicted change, its findings."""
    out = Text()
    out.append(f"  {o.label}: ", style="dim")
    out.append(f"{o.text()}\n", style="bold")
    facts = [str(o.daily_dose)]
    if o.given_rate is not None:
        facts.append(f"{format_number(o.given_rate.value, 4)} mg/kg/day given")
    if o.off_by is not None and abs(o.off_by.value) > 1e-9:
        facts.append(f"{format_number(abs(o.off_by.value))} mg/day {'more' if o.off_by.value > 0 else 'less'} "
                     "than asked")
    if o.predicted_trough is not None:
        change = o.predicted_change.value
        trough = format_number(o.predicted_trough.value, 1)
        facts.append(f"the dose in force, measured trough {trough} ng/mL" if abs(change) < 1e-9 else
                     f"dose {'+' if change > 0 else ''}{format_number(change, 1)}%, predicted trough {trough} ng/mL")
    out.append(f"    {'; '.join(facts)}\n")
    for n in o.notes:
        out.append(f"    {n}\n", style="yellow")
    if o.findings:
        out.append_text(findings_text(o.findings, inputs=False))
    return out


def regimen_text(r) -> Text:
    """A Regimen: the decision-support sentence, the options for the prescriber, basis and notes."""
    out = Text()
    out.append(STANCE + "\n", style="italic")
    weight = str(r.weight) if r.weight.unit == "kg" else f"{format_number(r.weight_used.value, 1)} kg from {r.weight}"
    out.append(f"asked: {r.requested_rate} x {weight} = {r.requested_daily_dose} ({r.product_title})\n", style="dim")
    out.append("Options for the prescriber\n", style="bold")
    for o in r.options:
        out.append_text(option_text(o))
    if r.comparison:
        out.append(f"  {r.comparison}\n")
    out.append("Basis\n", style="bold")
    for b in r.basis:
        out.append(f"  {b}\n", style="dim")
    out.append("Notes\n", style="bold")
    for n in r.notes:
        out.append(f"  {n}\n", style="dim")
    return out


def adjustment_text(a) -> Text:
    """An Adjustment: the answer first, inputs as used, the arithmetic, the options, findings by direction, caveats."""
    out = Text()
    out.append(STANCE + "\n", style="italic")
    out.append(f"{a.headline}\n", style="bold")
    for k, v in a.inputs.items():
        out.append(f"  {k}: {v}\n", style="dim")
    if a.computed_daily_dose is not None:
        out.append("new daily dose = current x target / measured trough\n", style="dim")
        out.append(f"  {a.current_daily_dose} x {a.target_trough_used} / {a.measured_trough_used} = "
                   f"{a.computed_daily_dose} (ratio {a.ratio:.3g})\n")
    for r in a.reasons:
        out.append(f"  {r}\n")
    out.append("Options for the prescriber\n", style="bold")
    for o in a.options:
        out.append_text(option_text(o))
    if a.comparison:
        out.append(f"  {a.comparison}\n")
    if a.warnings:
        out.append("Warnings\n", style="bold yellow")
        for w in a.warnings:
            out.append(f"  {w}\n", style="yellow")
    for title, group in ((f"Findings supporting the {a.judged}", a.supporting),
                         (f"Findings arguing against the {a.judged}", a.against), ("Findings to review", a.other)):
        if group:
            out.append(title + "\n", style="bold")
            out.append_text(findings_text(group, inputs=False))
    out.append("Valid only if\n", style="bold")
    for caveat, source in a.caveats:
        out.append(f"  - {caveat}", style="")
        out.append(f" [{source}]\n", style="dim")
    return out
