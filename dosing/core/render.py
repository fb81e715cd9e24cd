"""Plain-text rendering of the core's result objects, for the CLI and the replay.

Renders, never computes: every number shown comes from the Regimen,
Adjustment, Finding or Profile object passed in.
"""
from __future__ import annotations

import textwrap

from dosing.core.models import Finding
from dosing.core.profile import Profile
from dosing.core.wording import DISCLAIMER

STANCE = f"{DISCLAIMER} Basis shown below."


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(text, width=100, initial_indent=indent, subsequent_indent=indent + "  ")


def findings_text(findings: list[Finding], indent: str = "  ") -> str:
    """One block per finding: severity, rule, message, then value vs threshold and the source."""
    if not findings:
        return f"{indent}no findings"
    lines = []
    for f in findings:
        lines.append(_wrap(f"[{f.severity.upper()}] {f.rule}: {f.message}", indent))
        if f.value is not None and f.threshold is not None:
            lines.append(_wrap(f"value {f.value} {f.comparison} threshold {f.threshold}"
                               f"{' (' + f.date.isoformat() + ')' if f.date else ''}", indent + "    "))
        for k, v in f.basis.items():
            lines.append(_wrap(f"input {k}: {v}", indent + "    "))
        lines.append(_wrap(f"source: {f.source}", indent + "    "))
    return "\n".join(lines)


def regimen_text(r) -> str:
    caps = " + ".join(str(c) for c in r.capsules)
    out = [
        f"Regimen ({r.product_title}, {r.product})",
        f"  {r.dose} every {r.interval}   made with {caps}",
        f"  {r.daily_dose} in {r.doses_per_day} equal doses; about {r.given_rate} given",
        f"  asked: {r.requested_rate} x {r.weight} = {r.requested_daily_dose}",
        "Findings",
        findings_text(r.findings),
        "Basis",
        *(_wrap(b) for b in r.basis),
        "Notes",
        *(_wrap(n) for n in r.notes),
    ]
    return "\n".join(out)


def adjustment_text(a) -> str:
    caps = " + ".join(str(c) for c in a.capsules)
    out = [
        "Proportional adjustment (new daily dose = current x target / measured trough)",
        f"  {a.current_daily_dose} x {a.target_trough} / {a.measured_trough} = {a.computed_daily_dose}"
        f" (ratio {a.ratio:.3g})",
        f"  suggested: {a.dose} every 12 h ({caps}) = {a.daily_dose} [{a.direction}]"
        + (f"; about {a.given_rate}" if a.given_rate else ""),
    ]
    if a.warnings:
        out += ["Warnings", *(_wrap(w) for w in a.warnings)]
    if a.cautions:
        out += ["Findings that argue against the change", findings_text(a.cautions)]
    if a.findings:
        out += ["Findings on the new dose", findings_text(a.findings)]
    out += ["Valid only if (caveats)"]
    out += [_wrap(f"- {c} [{s}]") for c, s in a.caveats]
    out += [STANCE]
    return "\n".join(out)


def profile_text(p: Profile) -> str:
    out = [f"Profile: {p.title}", f"  loaded from: {p.origin}", "", "Values"]
    width = max(len(n) for n in p.values)
    for name, v in p.values.items():
        out.append(f"  {name:<{width}}  {v.text:<15} {v.kind}")
        out.append(_wrap(v.source, "  " + " " * (width + 2)))
    out += ["", "Rules"]
    for rule, s in p.rules.items():
        out.append(f"  {rule:<22} {s.severity:<6} {s.source}")
    out += ["", "Products"]
    for key, prod in p.products.items():
        strengths = ", ".join(prod.strengths) or "brand-specific"
        out.append(f"  {key:<14} {prod.title}; {prod.doses_per_day}x daily; strengths {strengths}")
        out.append(_wrap(prod.source, "  " + " " * 15))
    return "\n".join(out)
