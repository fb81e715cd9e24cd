"""Core result objects as styled text: findings with their basis, checks due with their reasons, a regimen."""
from __future__ import annotations

import datetime as dt

from rich.text import Text

from dosing.models import Finding
from dosing.schedule import DueCheck
from tui.widgets.plot import SEVERITY_STYLE


def findings_text(findings: list[Finding], empty: str = "no findings") -> Text:
    """One block per finding: severity, rule and message; then value vs threshold, inputs and source."""
    out = Text()
    if not findings:
        out.append(f"  {empty}\n", style="dim")
        return out
    for f in findings:
        out.append(f"  {f.severity.upper():<5} ", style=SEVERITY_STYLE.get(f.severity, ""))
        out.append(f"{f.rule}", style="bold")
        out.append(f"  {f.message}\n")
        if f.value is not None and f.threshold is not None:
            when = f" on {f.date.isoformat()}" if f.date else ""
            out.append(f"        value {f.value} {f.comparison} threshold {f.threshold}{when}\n")
        for k, v in f.basis.items():
            out.append(f"        {k}: {v}\n", style="dim")
        out.append(f"        source: {f.source}\n", style="dim italic")
    return out


def due_text(due: list[DueCheck], today: dt.date) -> Text:
    """The next check of each stream: its window, an overdue mark, and why it is due."""
    out = Text()
    if not due:
        out.append("  no check scheduled (no start recorded, or treatment stopped)\n", style="dim")
        return out
    for d in sorted(due, key=lambda d: d.due_by):
        if d.overdue:
            out.append("  OVERDUE ", style="bold red")
        else:
            out.append("  ")
        out.append(f"{d.title}", style="bold")
        out.append(f": {d.due_from.isoformat()} to {d.due_by.isoformat()}")
        days = (d.due_by - today).days
        out.append(f" ({_days(days)})\n", style="red" if d.overdue else "")
        out.append(f"        why: {d.reason}\n", style="dim")
    return out


def _days(n: int) -> str:
    if n < 0:
        return f"{-n} days late"
    if n == 0:
        return "due by today"
    return f"{n} days left"


STREAM_SHORT = {"renal": "creatinine + BP", "level": "trough"}
