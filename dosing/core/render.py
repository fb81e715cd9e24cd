"""Plain-text rendering of the core's result objects, for the CLI and the replay.

Renders, never computes: every number shown comes from the Regimen,
Adjustment, Finding or Profile object passed in.
"""
from __future__ import annotations

import textwrap

from dosing.core import units
from dosing.core.models import Finding
from dosing.core.profile import Profile
from dosing.core.textfmt import fmt_apart
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
            value = f"{fmt_apart(f.value.value, f.threshold.value)} {f.value.unit}".replace(" %", "%")
            lines.append(_wrap(f"value {value} {f.comparison} threshold {f.threshold}"
                               f"{' (' + f.date.isoformat() + ')' if f.date else ''}", indent + "    "))
        for k, v in f.basis.items():
            lines.append(_wrap(f"input {k}: {v}", indent + "    "))
        lines.append(_wrap(f"source: {f.source}", indent + "    "))
    return "\n".join(lines)


def option_text(o, indent: str = "  ") -> list[str]:
    """One option for the prescriber: the doses and units, the daily total, mg/kg/day, predicted change, findings."""
    head = f"{o.label}: {o.text()}"
    facts = [str(o.daily_dose)]
    if o.given_rate is not None:
        facts.append(f"{units.format_number(o.given_rate.value, 4)} mg/kg/day given")
    if o.off_by is not None and abs(o.off_by.value) > 1e-9:
        more = o.off_by.value > 0
        facts.append(f"{units.format_number(abs(o.off_by.value))} mg/day {'more' if more else 'less'} than asked")
    if o.predicted_trough is not None:
        change = o.predicted_change.value
        trough = f"predicted trough {units.format_number(o.predicted_trough.value, 1)} ng/mL"
        facts.append(f"the dose in force, measured trough {units.format_number(o.predicted_trough.value, 1)} ng/mL"
                     if abs(change) < 1e-9 else f"dose {'+' if change > 0 else ''}{units.format_number(change, 1)}%, "
                     f"{trough}")
    out = [_wrap(head, indent), _wrap("; ".join(facts), indent + "    ")]
    out += [_wrap(n, indent + "    ") for n in o.notes]
    if o.findings:
        out.append(findings_text(o.findings, indent + "    "))
    else:
        out.append(f"{indent}    no findings on this regimen")
    return out


def regimen_text(r) -> str:
    out = [
        STANCE,
        f"Regimen ({r.product_title}, {r.product})",
        f"  asked: {r.requested_rate} x {_used(r.weight, r.weight_used, 'kg')} = {r.requested_daily_dose}",
        "Options for the prescriber",
    ]
    for o in r.options:
        out += option_text(o)
    if r.comparison:
        out.append(_wrap(r.comparison))
    out += ["Basis", *(_wrap(b) for b in r.basis), "Notes", *(_wrap(n) for n in r.notes)]
    return "\n".join(out)


def _used(typed, used, unit: str) -> str:
    if used is None or typed.unit == unit:
        return str(typed)
    return f"{units.format_number(used.value, 1)} {unit} from {typed}"


def adjustment_text(a) -> str:
    out = [STANCE, _wrap(a.headline, ""), "Inputs"]
    out += [f"  {k}: {v}" for k, v in a.inputs.items()]
    if a.computed_daily_dose is not None:
        out += ["Proportional adjustment (new daily dose = current x target / measured trough)",
                f"  {a.current_daily_dose} x {a.target_trough_used} / {a.measured_trough_used} = "
                f"{a.computed_daily_dose} (ratio {a.ratio:.3g})"]
    if a.reasons:
        out += ["Why", *(_wrap(r) for r in a.reasons)]
    out += ["Options for the prescriber"]
    for o in a.options:
        out += option_text(o)
    if a.comparison:
        out.append(_wrap(a.comparison))
    if a.warnings:
        out += ["Warnings", *(_wrap(w) for w in a.warnings)]
    if a.supporting:
        out += [f"Findings supporting the {a.judged}", findings_text(a.supporting)]
    if a.against:
        out += [f"Findings arguing against the {a.judged}", findings_text(a.against)]
    if a.other:
        out += ["Findings to review", findings_text(a.other)]
    out += ["Valid only if (caveats)"]
    out += [_wrap(f"- {c} [{s}]") for c, s in a.caveats]
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
